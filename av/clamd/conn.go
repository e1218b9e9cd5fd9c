package clamd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"
)

// connError marks a failure of the connection itself (dial, reset, closed
// before a reply): the address is marked down and the next one is tried.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// failover has talk converse with each address in turn until one answers.
// A timeout is not failed over: the time it allowed is spent.
func (c *Client) failover(ctx context.Context, op string, talk func(net.Conn) error) error {
	var failed []error
	for _, i := range c.order() {
		a := c.addrs[i]
		err := c.attempt(ctx, a, talk)
		if err == nil {
			c.setDown(i, false)
			return nil
		}
		if ctx.Err() != nil {
			return &Error{Op: op, Addr: a.text, Temporary: true, Err: fmt.Errorf("%w (%v)", ctx.Err(), err)}
		}
		var ce *connError
		if !errors.As(err, &ce) {
			c.setDown(i, false) // it answered: alive
			return &Error{Op: op, Addr: a.text, Temporary: temporary(err), Err: err}
		}
		c.setDown(i, true)
		failed = append(failed, fmt.Errorf("%s: %w", a.text, ce.err))
	}
	return &Error{Op: op, Temporary: true, Err: fmt.Errorf("%w: %w", ErrUnavailable, errors.Join(failed...))}
}

// attempt dials a and runs talk, cutting the connection when ctx ends so
// that no read or write outlives it.
func (c *Client) attempt(ctx context.Context, a address, talk func(net.Conn) error) error {
	conn, err := c.dial.DialContext(ctx, a.network, a.addr)
	if err != nil {
		return &connError{err}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { abort(conn) })
	defer stop()
	return talk(conn)
}

// abort unblocks every pending read and write on conn.
func abort(conn net.Conn) { conn.SetDeadline(time.Unix(1, 0)) }

// order lists address indexes to try: those up in configured order, then
// those down, soonest back first, as a last resort.
func (c *Client) order() []int {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var up, down []int
	for i, t := range c.downUntil {
		if now.Before(t) {
			down = append(down, i)
		} else {
			up = append(up, i)
		}
	}
	slices.SortStableFunc(down, func(a, b int) int { return c.downUntil[a].Compare(c.downUntil[b]) })
	return append(up, down...)
}

func (c *Client) setDown(i int, down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if down {
		c.downUntil[i] = time.Now().Add(c.opts.DownTime)
	} else {
		c.downUntil[i] = time.Time{}
	}
}

// instream sends data with INSTREAM while reading the reply, so that an
// answer clamd gives before the end of the stream (the size limit, after
// which it closes) is read before a failed write could lose it.
func instream(conn net.Conn, data []byte, chunk int) (Result, error) {
	sent := make(chan error, 1)
	go func() { sent <- writeInstream(conn, data, chunk) }()
	reply, rerr := readReply(conn)
	// clamd reads nothing after its reply: stop a writer still sending.
	conn.SetWriteDeadline(time.Unix(1, 0))
	werr := <-sent
	if rerr != nil {
		if errors.Is(rerr, ErrProtocol) {
			return Result{}, rerr
		}
		if werr != nil {
			rerr = fmt.Errorf("%w (sending: %v)", rerr, werr)
		}
		return Result{}, &connError{rerr}
	}
	res, err := parseReply(reply)
	if err == nil && !res.Infected && werr != nil {
		// clamd says OK only after the zero-length chunk; an OK before
		// the stream was sent whole is not about these bytes.
		return Result{}, fmt.Errorf("%w: %q before the stream was sent (%v)", ErrProtocol, reply, werr)
	}
	return res, err
}

// command sends a command without data and reads its one reply.
func command(conn net.Conn, cmd string) (string, error) {
	if _, err := io.WriteString(conn, cmd); err != nil {
		return "", &connError{err}
	}
	reply, err := readReply(conn)
	if err != nil && !errors.Is(err, ErrProtocol) {
		return "", &connError{err}
	}
	return reply, err
}
