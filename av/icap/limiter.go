package icap

import (
	"context"
	"sync"
)

// limiter bounds the scans under way at once. Unlike a buffered channel,
// its bound can shrink after start, when OPTIONS reveal the server's
// Max-Connections (RFC 3507 section 4.10.2).
type limiter struct {
	mu   sync.Mutex
	max  int
	n    int
	free chan struct{} // closed, and replaced, whenever a slot may be free
}

func newLimiter(max int) *limiter {
	return &limiter{max: max, free: make(chan struct{})}
}

// acquire waits for a slot as long as ctx allows.
func (l *limiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.n < l.max {
			l.n++
			l.mu.Unlock()
			return nil
		}
		free := l.free
		l.mu.Unlock()
		select {
		case <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n--
	l.wake()
}

// setMax changes the bound; scans already under way finish.
func (l *limiter) setMax(max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if max != l.max {
		l.max = max
		l.wake()
	}
}

// wake lets every waiter look again; l.mu is held.
func (l *limiter) wake() {
	close(l.free)
	l.free = make(chan struct{})
}
