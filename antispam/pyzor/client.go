package pyzor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/mailgw/mailgw/mimetree"
)

// Defaults of Options.
const (
	DefaultTimeout  = 5 * time.Second // client.py's timeout
	DefaultAttempts = 3
)

// Options configure a Client. Only Server is required.
type Options struct {
	Server string // host:port, UDP
	// User and Key are an account of the server; "" for the anonymous
	// user, whose key is empty (account.py's AnonymousAccount).
	User, Key string
	// Timeout bounds one request over all its attempts, besides the
	// caller's context; 0 means DefaultTimeout.
	Timeout time.Duration
	// Attempts is how often a request is sent when no reply comes: UDP
	// loses datagrams. 0 means DefaultAttempts.
	Attempts int
	// Resolver finds the address of a Server given by name, at each
	// request (its cache saves the queries); nil: Go's resolver.
	Resolver Resolver
}

// Resolver finds the addresses of a host name; package antispam/resolver
// implements it over miekg/dns with the gateway's cache and DNS timeouts.
// An error that is a *net.DNSError with IsNotFound means the name does not
// exist; any other is an outage.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Client asks one Pyzor server about digests. It holds no connection and
// is safe for concurrent use.
type Client struct {
	opts Options
	now  func() time.Time
}

// Counts is what a server knows of a digest.
type Counts struct {
	Spam      int64 // Count: reports as spam
	Whitelist int64 // WL-Count: whitelist entries
}

// New returns a client of o.Server. It contacts nothing.
func New(o Options) *Client {
	if o.User == "" {
		o.User, o.Key = anonymousUser, ""
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	return &Client{opts: o, now: time.Now}
}

// CheckMessage asks how often the digest of msg was reported as spam and
// whitelisted (the engine's DigestChecker). Only the digest is sent.
func (c *Client) CheckMessage(ctx context.Context, msg *mimetree.Message) (spam, ham int64, err error) {
	n, err := c.Check(ctx, Digest(msg))
	return n.Spam, n.Whitelist, err
}

// Check asks for the counts of a digest.
func (c *Client) Check(ctx context.Context, digest string) (Counts, error) {
	r, err := c.do(ctx, opCheck, digest)
	if err != nil {
		return Counts{}, err
	}
	if r.count < 0 || r.whitelisted < 0 {
		return Counts{}, &Error{Op: opCheck, Server: c.opts.Server, Err: fmt.Errorf("%w: no Count or WL-Count", ErrProtocol)}
	}
	return Counts{Spam: r.count, Whitelist: r.whitelisted}, nil
}

// Report reports a digest as spam.
func (c *Client) Report(ctx context.Context, digest string) error {
	_, err := c.do(ctx, opReport, digest)
	return err
}

// Whitelist enters a digest in the server's whitelist.
func (c *Client) Whitelist(ctx context.Context, digest string) error {
	_, err := c.do(ctx, opWhitelist, digest)
	return err
}

// do sends one request and returns its reply as an *Error telling
// temporary from permanent failures; a reply whose Code is not 200 wraps
// a *ServerError.
func (c *Client) do(ctx context.Context, op, digest string) (reply, error) {
	fail := func(temporary bool, err error) (reply, error) {
		return reply{}, &Error{Op: op, Server: c.opts.Server, Temporary: temporary, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req := request{op: op, digest: digest, thread: minThread + rand.IntN(maxThread-minThread+1),
		user: c.opts.User, key: c.opts.Key, time: c.now().Unix()}
	r, err := c.exchange(ctx, req)
	var se *ServerError
	switch {
	case errors.As(err, &se):
		return fail(se.temporary(), err)
	case errors.Is(err, ErrProtocol), errors.Is(err, errNoSuchHost):
		return fail(false, err)
	case err != nil:
		return fail(true, err)
	}
	return r, nil
}

// exchange sends the request up to Attempts times, spreading the time
// left evenly, and waits for the reply of its thread: replies to other
// threads (late answers to someone else) are skipped.
func (c *Client) exchange(ctx context.Context, req request) (reply, error) {
	addr, err := c.address(ctx)
	if err != nil {
		return reply{}, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return reply{}, fmt.Errorf("%w: %v", ErrNoAnswer, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	packet := req.marshal()
	buf := make([]byte, maxPacket)
	deadline, _ := ctx.Deadline()
	for attempt := 0; attempt < c.opts.Attempts; attempt++ {
		if _, err := conn.Write(packet); err != nil {
			return reply{}, fmt.Errorf("%w: %v", ErrNoAnswer, err)
		}
		wait := time.Until(deadline) / time.Duration(c.opts.Attempts-attempt)
		r, err := readReply(ctx, conn, buf, req.thread, time.Now().Add(wait))
		if err == nil || !errors.Is(err, errRetry) {
			return r, err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return reply{}, fmt.Errorf("%w before the deadline (%d attempts)", ErrNoAnswer, c.opts.Attempts)
}

// errNoSuchHost: the server's name does not exist. Permanent until the
// configuration or the DNS changes.
var errNoSuchHost = errors.New("no such host")

// address is Server with its host resolved to the first address found.
func (c *Client) address(ctx context.Context) (string, error) {
	host, port, err := net.SplitHostPort(c.opts.Server)
	if err != nil {
		return "", fmt.Errorf("%w: server %q: %v", errNoSuchHost, c.opts.Server, err)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return c.opts.Server, nil
	}
	ips, err := c.opts.Resolver.LookupIPAddr(ctx, host)
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsNotFound:
		return "", fmt.Errorf("%w: %s", errNoSuchHost, host)
	case err != nil:
		return "", fmt.Errorf("%w: resolving %s: %v", ErrNoAnswer, host, err)
	case len(ips) == 0:
		return "", fmt.Errorf("%w: %s has no address", errNoSuchHost, host)
	}
	return net.JoinHostPort(ips[0].IP.String(), port), nil
}

// errRetry means no reply of the thread came before the attempt's end.
var errRetry = errors.New("no reply yet")

// readReply waits until end for the reply of thread. The deadline is set
// before ctx is looked at, so that a cancellation is never overwritten by
// it (the AfterFunc of exchange sets the deadline to now).
func readReply(ctx context.Context, conn net.Conn, buf []byte, thread int, end time.Time) (reply, error) {
	conn.SetReadDeadline(end)
	if ctx.Err() != nil {
		return reply{}, errRetry
	}
	for {
		n, err := conn.Read(buf)
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return reply{}, errRetry
		case err != nil:
			// Connection refused: nothing listens on the port.
			return reply{}, fmt.Errorf("%w: %v", ErrNoAnswer, err)
		}
		r, err := parseReply(buf[:n])
		if err != nil {
			return reply{}, err
		}
		if r.thread != thread {
			continue
		}
		if r.code != codeOK {
			return reply{}, &ServerError{Code: r.code, Diag: r.diag}
		}
		return r, nil
	}
}
