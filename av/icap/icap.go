// Package icap is an ICAP client (RFC 3507) used as an anti-virus backend:
// it hands an object to an ICAP anti-virus service (c-icap's virus_scan,
// Symantec, McAfee, Kaspersky, Trend Micro, OPSWAT ...) and reads the
// verdict from the response.
//
// The object travels as the body of an encapsulated HTTP message: with
// RESPMOD (the default) as a "200 OK" response to "GET /NAME", with
// Encapsulated: req-hdr=0, res-hdr=N, res-body=M (RFC 3507 sections 4.4
// and 4.9.1; the request head is optional there but gives servers the
// object's name, and some servers want it); with REQMOD as the body of
// "POST /NAME" (section 4.8.1). Bodies are chunked (section 4.4.1).
//
// Before the first scan, and again when Options-TTL runs out or a response
// carries a new ISTag, the client asks OPTIONS (section 4.10) for the
// service's Methods, Preview, Allow and Max-Connections. When the service
// wants a preview, the first Preview bytes go first, ended with "0; ieof"
// if that is the whole object; the rest follows a "100 Continue" (section
// 4.5). "Allow: 204" is always sent (section 4.6): the client holds the
// whole object anyway. Max-Connections lowers Sessions. Responses are read
// while the request is being written, so a server that answers early (a
// refusal, a block before the end of a large object) is heard.
//
// How a response becomes a Result is documented on judge (verdict.go):
// 204 is clean; a threat named in X-Infection-Found, X-Violations-Found or
// X-Virus-ID is infected with that name; an HTTP error page (c-icap's
// virus_scan answers 403 with "VIRUS FOUND"), a response to a REQMOD, or a
// changed or removed body is infected under SignatureBlocked or
// SignatureReplaced; an object returned unchanged is clean. Any other ICAP
// status is an error, never clean.
//
// Servers decide what they scan, and a server that lets an object pass
// unscanned says 204 like for a clean one. c-icap's virus_scan does so for
// objects over virus_scan.MaxObjectSize (it logs "Bigger than max
// scannable file size ... Allow it") and, by its documentation, for types
// missing from virus_scan.ScanFileTypes. Its default mode also streams
// large objects back while scanning them, so that a virus found late only
// cuts the body short (judged SignatureReplaced, without a name). For mail,
// ask it for simple mode and no size limit in the URL, e.g.
// icap://127.0.0.1:1344/srv_clamav?mode=simple&sizelimit=off, and list
// every type group in ScanFileTypes (TEXT DATA EXECUTABLE ARCHIVE GRAPHICS
// STREAM DOCUMENT).
//
// Preview is sent as OPTIONS asks; Transfer-Preview, Transfer-Ignore and
// Transfer-Complete (section 4.10.2) are not used: every object goes
// whole, as a mail gateway cannot let a file type through unscanned.
//
// Connections: one per scan, with "Connection: close". Reusing ICAP
// connections would save a loopback handshake per object but needs the
// response read to its end even after an early answer; not worth it at
// mail volumes.
package icap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Result is what the ICAP service says about one object.
type Result struct {
	Infected  bool
	Signature string // the threat's name, or one of the Signature* constants
}

// Methods that carry an object (RFC 3507 sections 4.8 and 4.9).
const (
	MethodRESPMOD = "RESPMOD"
	MethodREQMOD  = "REQMOD"
	methodOPTIONS = "OPTIONS"
)

// Defaults for zero Options fields.
const (
	DefaultSessions = 10   // AntiviralSessions' default
	DefaultPort     = 1344 // RFC 3507 section 4.2
)

// Options configure a Client.
type Options struct {
	// URL is the service: icap://host[:port]/service[?args], e.g.
	// icap://127.0.0.1:1344/srv_clamav. icaps (TLS) is not supported.
	URL string
	// Method is MethodRESPMOD (default) or MethodREQMOD.
	Method string
	// Timeout bounds each exchange with the server: a scan once it has a
	// session, an OPTIONS request; 0: only ctx bounds them.
	Timeout time.Duration
	// Sessions is how many scans may run at once (AntiviralSessions),
	// lowered to the server's Max-Connections once known; further callers
	// wait as long as their ctx allows. 0: DefaultSessions.
	Sessions int
}

// dialer is what the client needs from net.Dialer.
type dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

var _ dialer = (*net.Dialer)(nil)

// Client scans objects with an ICAP service. It is safe for concurrent
// use.
type Client struct {
	opts  Options
	uri   string // request URI: icap://host:port/path?query
	host  string // host:port
	dial  dialer
	limit *limiter
	// fetching is held by the one caller asking OPTIONS; the others wait
	// for its answer rather than start scans under a limit about to
	// change.
	fetching chan struct{}

	mu      sync.Mutex
	svc     *Service // nil until OPTIONS answered, or after it expired
	svcTime time.Time
}

// New checks opts and returns a client. It does no I/O.
func New(opts Options) (*Client, error) {
	opts.Method = cmp.Or(strings.ToUpper(opts.Method), MethodRESPMOD)
	if opts.Method != MethodRESPMOD && opts.Method != MethodREQMOD {
		return nil, fmt.Errorf("icap: method %q: want RESPMOD or REQMOD", opts.Method)
	}
	if opts.Sessions < 0 || opts.Timeout < 0 {
		return nil, errors.New("icap: negative option")
	}
	opts.Sessions = cmp.Or(opts.Sessions, DefaultSessions)
	u, err := url.Parse(opts.URL)
	if err != nil || !strings.EqualFold(u.Scheme, "icap") || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("icap: URL %q: want icap://host[:port]/service", opts.URL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), fmt.Sprint(DefaultPort))
	}
	return &Client{opts: opts, uri: "icap://" + host + u.RequestURI(), host: host,
		dial: &net.Dialer{}, limit: newLimiter(opts.Sessions), fetching: make(chan struct{}, 1)}, nil
}

// Name identifies the backend in findings and logs.
func (c *Client) Name() string { return "icap" }

// Scan sends data, named name, to the service and returns its verdict. An
// error means the object was not scanned; it is an *Error.
func (c *Client) Scan(ctx context.Context, name string, data []byte) (Result, error) {
	svc, err := c.service(ctx)
	if err != nil {
		return Result{}, c.wrap("options", err)
	}
	if err := c.limit.acquire(ctx); err != nil {
		return Result{}, &Error{Op: "scan", URL: c.uri, Temporary: true, Err: fmt.Errorf("waiting for a session: %w", err)}
	}
	defer c.limit.release()
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	res, err := c.scan(ctx, svc, name, data)
	if err != nil {
		return Result{}, c.wrap("scan", err)
	}
	return res, nil
}

// Options asks the service for its OPTIONS now and keeps the answer for
// the scans that follow.
func (c *Client) Options(ctx context.Context) (Service, error) {
	svc, err := c.refresh(ctx, nil)
	if err != nil {
		return Service{}, c.wrap("options", err)
	}
	return *svc, nil
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.opts.Timeout > 0 {
		return context.WithTimeout(ctx, c.opts.Timeout)
	}
	return ctx, func() {}
}

// wrap makes err an *Error. After a temporary failure the OPTIONS answer
// is dropped: the server may come back changed.
func (c *Client) wrap(op string, err error) error {
	if temporary(err) {
		c.forget()
	}
	return &Error{Op: op, URL: c.uri, Temporary: temporary(err), Err: err}
}
