package relay_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/milter/postfixtest"
	"github.com/mailgw/mailgw/queue"
	"github.com/mailgw/mailgw/relay"
	"github.com/mailgw/mailgw/relay/relaytest"
)

// baseConf is the guide's deployment 2.3.1: the relay accepts mail for
// example.com and forwards it to the internal MTA (the sink) on another
// port. The verbs are the policy parameters, the sink's address and the
// queue directory.
const baseConf = `[mailgw.policy]
%s
[mailgw.network]
Hostname=relay.test
Postmaster=postmaster@relay.test
ProtectedDomains=example.com
[mailgw.forward]
ForwardRoute=*@example.com [%s]
ForwardRoute=*@example.org [%[2]s]
ForwardRoute=*.example.com [%[2]s]
[mailgw.relay]
QueueDirectory=%s
DNSServer=127.0.0.1:9
`

// testRelay is one running relay with its sink.
type testRelay struct {
	srv  *relay.Server
	addr string
	sink *postfixtest.Sink
	q    *queue.Queue
	gw   *gateway.Gateway
	conf string // the configuration file's text
}

type setup struct {
	conf   string // appended to baseConf
	policy string // [mailgw.policy] parameters
	sink   *postfixtest.Sink
	opts   relay.Options
	ln     func(net.Listener) net.Listener // wraps the listener
	queue  string                          // queue directory; "" a new one
	fake   bool                            // the fake anti-spam and anti-virus engines
	// proc wraps the core, e.g. to record what it returned.
	proc func(relay.Processor) relay.Processor
}

// text is the configuration file of the setup; start fills in sink and
// queue first.
func (s setup) text() string {
	return fmt.Sprintf(baseConf, s.policy, s.sink.Addr, s.queue) + s.conf
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start runs a relay on a free loopback port until the test ends.
func start(t *testing.T, s setup) *testRelay {
	t.Helper()
	if s.sink == nil {
		s.sink = postfixtest.StartSink(t)
	}
	if s.queue == "" {
		s.queue = t.TempDir()
	}
	gw, err := gateway.Parse("mailgw.conf", []byte(s.text()), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(gw.Service.Relay.QueueDirectory)
	if err != nil {
		t.Fatal(err)
	}
	var srv *relay.Server
	sub := submitFunc(func(ctx context.Context, from string, to []string, data []byte) error {
		return srv.Submitter().Submit(ctx, from, to, data)
	})
	rt, err := relay.BuildRuntime(gw, quiet(), "test", sub)
	if err != nil {
		t.Fatal(err)
	}
	if s.fake {
		rt.Proc = gw.Filter(filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}, Logger: quiet(), Version: "test"})
	}
	if s.proc != nil {
		rt.Proc = s.proc(rt.Proc)
	}
	if s.opts.Logger == nil {
		s.opts.Logger = quiet()
	}
	if s.opts.TLS == nil {
		s.opts.TLS = gw.Service.Relay.TLS
	}
	if s.opts.Resolver == nil {
		s.opts.Resolver = &relay.Resolver{Server: gw.Service.Relay.DNSServer, Query: time.Second, Total: 2 * time.Second}
	}
	srv = relay.New(rt, q, s.opts)
	if err := srv.Recover(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var served net.Listener = ln
	if s.ln != nil {
		served = s.ln(ln)
	}
	relaytest.Run(t, srv, served)
	return &testRelay{srv: srv, addr: addr, sink: s.sink, q: q, gw: gw, conf: s.text()}
}

type submitFunc func(ctx context.Context, from string, to []string, data []byte) error

func (f submitFunc) Submit(ctx context.Context, from string, to []string, data []byte) error {
	return f(ctx, from, to, data)
}

// client is a raw SMTP client for the dialogues the SMTP libraries would
// refuse to produce (bare LF, smuggling).
type client struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, nc: nc, r: bufio.NewReader(nc)}
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// reply reads one (possibly multi-line) reply and returns its last line.
func (c *client) reply() string {
	c.t.Helper()
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return "EOF: " + err.Error()
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

// send writes raw bytes and returns the reply.
func (c *client) send(raw string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, raw); err != nil {
		c.t.Fatal(err)
	}
	return c.reply()
}

// expect checks that the reply starts with prefix.
func (c *client) expect(raw, prefix string) string {
	c.t.Helper()
	got := c.send(raw)
	if !strings.HasPrefix(got, prefix) {
		c.t.Fatalf("after %q: reply %q, want %q", strings.TrimSpace(raw), got, prefix)
	}
	return got
}

// hello reads the greeting and sends EHLO.
func (c *client) hello() {
	c.t.Helper()
	if g := c.reply(); !strings.HasPrefix(g, "220 ") {
		c.t.Fatalf("greeting %q", g)
	}
	c.expect("EHLO client.test\r\n", "250 ")
}

// fromAddr makes every accepted connection look as if it came from ip,
// to test clients that are not on loopback.
type fromAddr struct {
	net.Listener
	ip netip.Addr
}

func (l fromAddr) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{nc, &net.TCPAddr{IP: l.ip.AsSlice(), Port: 40000}}, nil
}

type remoteConn struct {
	net.Conn
	addr net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.addr }
