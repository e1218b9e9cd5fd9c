// Package clamd is a client for clamd, the ClamAV scanning daemon, used as
// an anti-virus backend: it streams an object with INSTREAM and reports
// what clamd found.
//
// It exists because no sound Go client did: the existing ones write the
// whole stream and only then read the reply. When an object exceeds
// StreamMaxLength, clamd answers "INSTREAM size limit exceeded. ERROR" in
// the middle of the stream and closes the connection; such a client gets
// EPIPE or ECONNRESET on its next write and returns that, losing the
// reply, so a large object turns into an unexplained connection error
// (TestSizeLimitReplyNeverLost; a write-then-read client lost it 20 times
// out of 20 over both sockets). This client reads the reply concurrently
// with sending, so an early answer is always seen, whatever the platform
// does with data still buffered when a connection is reset.
//
// Protocol (clamd(8), COMMANDS): NUL-terminated commands with the z prefix;
// zINSTREAM, then chunks of a 4-byte big-endian length and the data, then a
// zero-length chunk; the reply is "stream: OK", "stream: NAME FOUND",
// "INSTREAM size limit exceeded. ERROR" or "... ERROR". zPING answers
// "PONG", zVERSION the program and database versions.
//
// Connections: one per scan, closed after the reply. clamd answers one
// INSTREAM per connection unless IDSESSION is used, and IDSESSION
// connections are closed by clamd after IdleTimeout and when it suspects
// a deadlock (clamd(8), IDSESSION), so pooling them would trade a cheap
// connect (a Unix socket or loopback) for reconnect logic and a window in
// which a reply can be lost. Concurrency is bounded by Sessions instead.
//
// Failover: addresses are tried in order. An address that cannot be
// reached, or that closes the connection before replying, is marked down
// for DownTime and skipped by later scans while others are up; when every
// address is down they are all tried anyway, so a recovered clamd is
// noticed without waiting. A reply from clamd, even an ERROR, ends the
// scan: another clamd with the same configuration would answer the same.
package clamd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Result is what clamd says about one object.
type Result struct {
	Infected  bool
	Signature string // the signature name as clamd gives it, e.g. "Win.Test.EICAR_HDB-1"
}

// Defaults for zero Options fields.
const (
	DefaultSessions  = 10 // AntiviralSessions' default
	DefaultChunkSize = 64 << 10
	DefaultDownTime  = 10 * time.Second
)

// Options configure a Client.
type Options struct {
	// Addrs lists clamd sockets in order of preference: "unix:/path",
	// "tcp:host:port", "host:port", or an absolute path for a Unix socket.
	Addrs []string
	// Sessions is how many scans may run at once (AntiviralSessions);
	// further callers wait for a free one as long as their ctx allows.
	// 0: DefaultSessions.
	Sessions int
	// Timeout bounds one scan once it has a session, failover included;
	// 0: only ctx bounds it. clamd's own limits (ReadTimeout,
	// MaxScanTime) apply on its side.
	Timeout time.Duration
	// ChunkSize is the INSTREAM chunk length; 0: DefaultChunkSize.
	ChunkSize int
	// DownTime is how long an address that failed is skipped; 0:
	// DefaultDownTime.
	DownTime time.Duration
}

// dialer is what the client needs from net.Dialer.
type dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

var _ dialer = (*net.Dialer)(nil)

// Client scans objects with clamd. It is safe for concurrent use.
type Client struct {
	opts  Options
	addrs []address
	dial  dialer
	slots chan struct{} // a token per running scan

	mu        sync.Mutex
	downUntil []time.Time // per address; zero: up
}

type address struct {
	network, addr string
	text          string // as configured, for errors
}

// New checks opts and returns a client. It does no I/O: clamd need not be
// running yet.
func New(opts Options) (*Client, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("clamd: no address")
	}
	if opts.Sessions < 0 || opts.ChunkSize < 0 || opts.ChunkSize > maxChunk || opts.Timeout < 0 || opts.DownTime < 0 {
		return nil, errors.New("clamd: negative or oversized option")
	}
	opts.Sessions = cmp.Or(opts.Sessions, DefaultSessions)
	opts.ChunkSize = cmp.Or(opts.ChunkSize, DefaultChunkSize)
	opts.DownTime = cmp.Or(opts.DownTime, DefaultDownTime)
	c := &Client{opts: opts, dial: &net.Dialer{}, slots: make(chan struct{}, opts.Sessions),
		downUntil: make([]time.Time, len(opts.Addrs))}
	for _, s := range opts.Addrs {
		a, err := parseAddr(s)
		if err != nil {
			return nil, err
		}
		c.addrs = append(c.addrs, a)
	}
	return c, nil
}

// parseAddr reads one of the address forms of Options.Addrs.
func parseAddr(s string) (address, error) {
	a := address{text: s}
	switch {
	case strings.HasPrefix(s, "unix:"):
		a.network, a.addr = "unix", strings.TrimPrefix(s, "unix:")
	case strings.HasPrefix(s, "/"):
		a.network, a.addr = "unix", s
	default:
		a.network, a.addr = "tcp", strings.TrimPrefix(s, "tcp:")
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			return a, fmt.Errorf("clamd: address %q: want unix:/path, tcp:host:port or host:port", s)
		}
	}
	if a.addr == "" {
		return a, fmt.Errorf("clamd: address %q: empty socket path", s)
	}
	return a, nil
}

// Name identifies the backend in findings and logs.
func (c *Client) Name() string { return "clamd" }

// Scan streams data to clamd and returns its verdict. name is not sent
// (INSTREAM carries no name); it is part of the backends' common
// signature. An error means the object was not scanned; it is an *Error.
func (c *Client) Scan(ctx context.Context, name string, data []byte) (Result, error) {
	var res Result
	err := c.run(ctx, "scan", func(conn net.Conn) error {
		var err error
		res, err = instream(conn, data, c.opts.ChunkSize)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// Ping checks that a clamd answers PING, trying addresses as Scan does.
func (c *Client) Ping(ctx context.Context) error {
	return c.run(ctx, "ping", func(conn net.Conn) error {
		reply, err := command(conn, cmdPing)
		if err == nil && reply != replyPong {
			err = fmt.Errorf("%w: %.100q to PING", ErrProtocol, reply)
		}
		return err
	})
}

// Version returns clamd's "ClamAV 1.4.6/27000/Mon Nov 24 08:00:00 2026".
func (c *Client) Version(ctx context.Context) (string, error) {
	var v string
	err := c.run(ctx, "version", func(conn net.Conn) error {
		var err error
		v, err = command(conn, cmdVersion)
		if err == nil && !strings.HasPrefix(v, "ClamAV ") {
			err = fmt.Errorf("%w: %.100q to VERSION", ErrProtocol, v)
		}
		return err
	})
	return v, err
}

// run takes a session, then has talk converse with the first address that
// answers.
func (c *Client) run(ctx context.Context, op string, talk func(net.Conn) error) error {
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return &Error{Op: op, Temporary: true, Err: fmt.Errorf("waiting for a session: %w", ctx.Err())}
	}
	if c.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	return c.failover(ctx, op, talk)
}
