package relay

import (
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// How long the sender keeps a session to a next hop, as Postfix's SMTP
// client does by default: idle for at most cacheIdle between deliveries
// (its smtp_connection_cache_time_limit) and reused until cacheAge after
// it was opened (its smtp_connection_reuse_time_limit). Both are far
// below the 5 minutes a server waits for the next command (RFC 5321
// §4.5.3.2.7), so a server rarely closes a session the cache still holds.
const (
	cacheIdle = 2 * time.Second
	cacheAge  = 300 * time.Second
)

// cachedConn is one open SMTP session between transactions.
type cachedConn struct {
	nc        net.Conn // the TCP connection, closed to abort the session
	c         *smtp.Client
	opened    time.Time
	idleSince time.Time
	quit      time.Duration // SendingQuitTimeout when it was cached
}

// close ends the session with QUIT, or drops it when QUIT fails.
func (cc *cachedConn) close() {
	cc.c.CommandTimeout = cc.quit
	if cc.c.Quit() != nil {
		cc.c.Close()
	}
}

// connCache keeps sessions to next hops open between deliveries, as an
// MTA does: the next message for a host goes over the open session with
// MAIL, RCPT and DATA only, without connecting, greeting and EHLO again.
// The sender's per-host slots bound the sessions, idle ones included: a
// session is taken and given back while its delivery holds a slot, and a
// new one is opened only when none is idle.
type connCache struct {
	mu     sync.Mutex
	idle   map[string][]*cachedConn // by "host:port", most recent last
	timer  *time.Timer              // runs sweep while any session is idle
	closed bool
}

// take returns an idle session to addr young enough for another
// transaction, or nil.
func (cc *connCache) take(addr string) *cachedConn {
	now := time.Now()
	var stale []*cachedConn
	defer func() { closeAll(stale) }()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for list := cc.idle[addr]; len(list) > 0; list = cc.idle[addr] {
		c := list[len(list)-1]
		cc.idle[addr] = list[:len(list)-1]
		if now.Sub(c.idleSince) < cacheIdle && now.Sub(c.opened) < cacheAge {
			return c
		}
		stale = append(stale, c)
	}
	return nil
}

// put keeps c for the next delivery to addr; after stop it closes c.
func (cc *connCache) put(addr string, c *cachedConn) {
	c.idleSince = time.Now()
	cc.mu.Lock()
	if cc.closed || c.idleSince.Sub(c.opened) >= cacheAge {
		cc.mu.Unlock()
		c.close()
		return
	}
	if cc.idle == nil {
		cc.idle = map[string][]*cachedConn{}
	}
	cc.idle[addr] = append(cc.idle[addr], c)
	if cc.timer == nil {
		cc.timer = time.AfterFunc(cacheIdle, cc.sweep)
	}
	cc.mu.Unlock()
}

// sweep closes the sessions idle for cacheIdle and runs again while
// others remain.
func (cc *connCache) sweep() {
	now := time.Now()
	var expired []*cachedConn
	cc.mu.Lock()
	next := time.Duration(0)
	for addr, list := range cc.idle {
		kept := list[:0]
		for _, c := range list {
			if left := cacheIdle - now.Sub(c.idleSince); left > 0 {
				kept = append(kept, c)
				if next == 0 || left < next {
					next = left
				}
				continue
			}
			expired = append(expired, c)
		}
		cc.idle[addr] = kept
	}
	cc.timer = nil
	if next > 0 && !cc.closed {
		cc.timer = time.AfterFunc(next, cc.sweep)
	}
	cc.mu.Unlock()
	closeAll(expired)
}

// stop closes every idle session; sessions given back later are closed
// at once. The sender calls it when it stops.
func (cc *connCache) stop() {
	var all []*cachedConn
	cc.mu.Lock()
	cc.closed = true
	if cc.timer != nil {
		cc.timer.Stop()
		cc.timer = nil
	}
	for _, list := range cc.idle {
		all = append(all, list...)
	}
	cc.idle = nil
	cc.mu.Unlock()
	closeAll(all)
}

func closeAll(cs []*cachedConn) {
	for _, c := range cs {
		c.close()
	}
}
