package relay_test

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"github.com/mailgw/mailgw/milter/postfixtest"
	"github.com/mailgw/mailgw/queue"
	"github.com/mailgw/mailgw/relay"
)

// startDNS serves the zone on a loopback UDP port until the test ends:
// MX example.net -> mx1 (10, an address where nothing listens), mx2 (20,
// the sink); no-mx.test has an address but no MX; nullmx.test has a null
// MX; every other name does not exist.
func startDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	zone := map[string][]dns.RR{
		"example.net./MX":     {rr("example.net. 60 IN MX 20 mx2.example.net."), rr("example.net. 60 IN MX 10 mx1.example.net.")},
		"mx1.example.net./A":  {rr("mx1.example.net. 60 IN A 127.0.0.2")},
		"mx2.example.net./A":  {rr("mx2.example.net. 60 IN A 127.0.0.1")},
		"no-mx.test./A":       {rr("no-mx.test. 60 IN A 127.0.0.1")},
		"nullmx.test./MX":     {rr("nullmx.test. 60 IN MX 0 .")},
		"example.net./A":      nil,
		"mx1.example.net./MX": nil, "mx2.example.net./MX": nil, "no-mx.test./MX": nil,
		"mx1.example.net./AAAA": nil, "mx2.example.net./AAAA": nil, "no-mx.test./AAAA": nil,
		"nullmx.test./A": nil,
		// Access rules: the client 127.0.0.1 is listed in bl.test, its
		// reverse name is localhost.test, and good.test has an MX.
		"1.0.0.127.bl.test./A":        {rr("1.0.0.127.bl.test. 60 IN A 127.0.0.2")},
		"1.0.0.127.in-addr.arpa./PTR": {rr("1.0.0.127.in-addr.arpa. 60 IN PTR localhost.test.")},
		"localhost.test./A":           {rr("localhost.test. 60 IN A 127.0.0.1")},
		"localhost.test./AAAA":        nil,
		"good.test./MX":               {rr("good.test. 60 IN MX 10 localhost.test.")},
		"good.test./A":                nil,
		"good.test./AAAA":             nil,
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		ans, ok := zone[strings.ToLower(q.Name)+"/"+dns.TypeToString[q.Qtype]]
		if !ok {
			_, known := zone[strings.ToLower(q.Name)+"/A"]
			_, knownMX := zone[strings.ToLower(q.Name)+"/MX"]
			if !known && !knownMX {
				m.Rcode = dns.RcodeNameError
			}
		}
		m.Answer = ans
		_ = w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func sinkPort(t *testing.T, s *postfixtest.Sink) int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMXFallback: without a ForwardRoute the recipient's MX hosts are
// tried in preference order (mx1 refuses connections, mx2 takes the
// mail); a domain without MX gets its address (RFC 5321 §5.1); a domain
// that does not exist and a null MX bounce with a DSN to the sender.
func TestMXFallback(t *testing.T) {
	dnsAddr := startDNS(t)
	sink := postfixtest.StartSink(t)
	r := start(t, setup{sink: sink, opts: relay.Options{Resolver: &relay.Resolver{Server: dnsAddr, Query: time.Second},
		MXPort: sinkPort(t, sink)}})
	c := dial(t, r.addr)
	c.hello()
	for _, rcpt := range []string{"carol@example.net", "dave@no-mx.test"} {
		c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
		c.expect("RCPT TO:<"+rcpt+">\r\n", "250 ")
		c.expect("DATA\r\n", "354 ")
		c.expect("Subject: mx\r\n\r\nx\r\n.\r\n", "250 ")
		if m := sink.Next(t, 10*time.Second); m.Rcpts[0] != rcpt {
			t.Errorf("delivered to %v, want %s", m.Rcpts, rcpt)
		}
	}
	for rcpt, status := range map[string]string{"erin@nowhere.test": "5.1.2", "frank@nullmx.test": "5.1.10"} {
		c.expect("MAIL FROM:<alice@example.org> RET=HDRS ENVID=env-"+status+"\r\n", "250 ")
		c.expect("RCPT TO:<"+rcpt+"> ORCPT=rfc822;"+rcpt+"\r\n", "250 ")
		c.expect("DATA\r\n", "354 ")
		c.expect("Subject: mx\r\n\r\nsecret body\r\n.\r\n", "250 ")
		m := sink.Next(t, 10*time.Second)
		checkDSN(t, m, "alice@example.org", status, rcpt, "env-"+status)
		if !bytes.Contains(m.Data, []byte("Original-Recipient: rfc822;"+rcpt)) {
			t.Errorf("DSN lacks the ORCPT:\n%s", m.Data)
		}
		if bytes.Contains(m.Data, []byte("secret body")) {
			t.Error("RET=HDRS DSN returns the body")
		}
	}
	waitEmpty(t, r)
}

func checkDSN(t *testing.T, m postfixtest.Message, to, status, rcpt, envid string) {
	t.Helper()
	if m.From != "" || len(m.Rcpts) != 1 || m.Rcpts[0] != to {
		t.Fatalf("DSN envelope %q -> %v", m.From, m.Rcpts)
	}
	for _, want := range []string{"multipart/report", "report-type=delivery-status", "Status: " + status,
		"Final-Recipient: rfc822; " + rcpt, "Original-Envelope-Id: " + envid} {
		if !bytes.Contains(m.Data, []byte(want)) {
			t.Errorf("DSN lacks %q:\n%s", want, m.Data)
		}
	}
}

// TestRetryThenDeliver: a 4xx from the next hop defers the recipient; it
// is retried after the backoff and delivered, while the recipient
// refused with 5xx bounces at once and NOTIFY=NEVER gets no DSN.
func TestRetryThenDeliver(t *testing.T) {
	var tries atomic.Int32
	sink := postfixtest.StartSinkFunc(t, func(to string) error {
		switch {
		case strings.HasPrefix(to, "later@") && tries.Add(1) < 3:
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "try later"}
		case strings.HasPrefix(to, "nouser"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	r := start(t, setup{sink: sink, opts: relay.Options{MinBackoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		ScanInterval: 50 * time.Millisecond}})
	c := dial(t, r.addr)
	c.hello()
	c.expect("MAIL FROM:<alice@example.org> ENVID=e1\r\n", "250 ")
	c.expect("RCPT TO:<later@example.com>\r\n", "250 ")
	c.expect("RCPT TO:<nouser@example.com>\r\n", "250 ")
	c.expect("RCPT TO:<nouser2@example.com> NOTIFY=NEVER\r\n", "250 ")
	c.expect("DATA\r\n", "354 ")
	c.expect("Subject: retry\r\n\r\nx\r\n.\r\n", "250 ")
	var gotDSN, gotMail bool
	for !gotDSN || !gotMail {
		m := sink.Next(t, 10*time.Second)
		switch {
		case m.From == "":
			checkDSN(t, m, "alice@example.org", "5.1.1", "nouser@example.com", "e1")
			if bytes.Contains(m.Data, []byte("nouser2")) {
				t.Error("DSN for a NOTIFY=NEVER recipient")
			}
			gotDSN = true
		case len(m.Rcpts) == 1 && m.Rcpts[0] == "later@example.com":
			gotMail = true
		default:
			t.Fatalf("unexpected delivery %q -> %v", m.From, m.Rcpts)
		}
	}
	if n := tries.Load(); n != 3 {
		t.Errorf("later@ tried %d times, want 3", n)
	}
	waitEmpty(t, r)
	sink.None(t, 200*time.Millisecond)
}

// TestQueueLifetimeExpires: a message still deferred after
// MaximalQueueLifetime (here queued six days ago, over the default five)
// bounces with status 5.4.7, and leaves the queue. It also shows that a
// queue written by an earlier run is picked up at start.
func TestQueueLifetimeExpires(t *testing.T) {
	sink := postfixtest.StartSinkFunc(t, func(string) error {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "busy"}
	})
	dir := t.TempDir()
	q, err := queue.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := q.Begin()
	e := queue.Entry{QueueID: "old", From: "alice@example.org", Rcpts: []queue.Recipient{{Addr: "bob@example.com"}},
		Arrival: time.Now().Add(-6 * 24 * time.Hour)}
	if _, err := b.Add(e, []byte("Subject: old\r\n\r\nold\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// The DSN goes to alice@example.org, whose route is the same refusing
	// sink: it stays queued, the original is gone.
	r := start(t, setup{sink: sink, queue: dir, opts: relay.Options{MinBackoff: time.Hour}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		es, _ := r.q.List()
		if len(es) == 1 && es[0].From == "" {
			data, _ := r.q.Data(es[0].ID)
			if !bytes.Contains(data, []byte("Status: 5.4.7")) || !bytes.Contains(data, []byte("451 4.3.0 busy")) {
				t.Errorf("expiry DSN:\n%s", data)
			}
			if es[0].Rcpts[0].Addr != "alice@example.org" {
				t.Errorf("DSN to %v", es[0].Rcpts)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue after expiry: %+v", es)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOutgoingSessionsPerHost: with six messages arriving faster than a
// slow next hop takes them, the relay keeps exactly MaximalOutgoingSessionsPerHost
// sessions to it open at a time, and delivers all six.
func TestOutgoingSessionsPerHost(t *testing.T) {
	for _, limit := range []int{1, 2} {
		sink := postfixtest.StartSlowSink(t, 300*time.Millisecond)
		r := start(t, setup{sink: sink, conf: fmt.Sprintf("[mailgw.limits]\nMaximalOutgoingSessionsPerHost=%d\n", limit)})
		c := dial(t, r.addr)
		c.hello()
		for i := range 6 {
			c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
			c.expect(fmt.Sprintf("RCPT TO:<u%d@example.com>\r\n", i), "250 ")
			c.expect("DATA\r\n", "354 ")
			c.expect(fmt.Sprintf("Subject: %d\r\n\r\nx\r\n.\r\n", i), "250 ")
		}
		for range 6 {
			sink.Next(t, 20*time.Second)
		}
		if got := sink.PeakSessions(); got != limit {
			t.Errorf("MaximalOutgoingSessionsPerHost=%d: %d sessions at once to the next hop", limit, got)
		}
		waitEmpty(t, r)
	}
}

// TestBurstBeyondPushBuffer: more messages arrive than the sender's
// hand-over buffer holds while the next hop is stalled; every one is
// delivered as soon as it answers, not at the next periodic scan (here
// an hour away).
func TestBurstBeyondPushBuffer(t *testing.T) {
	const n = 1100 // above the sender's buffer of 1024
	var held atomic.Bool
	held.Store(true)
	sink := postfixtest.StartCountingSink(t, func(string) error {
		for held.Load() {
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	})
	r := start(t, setup{sink: sink, fake: true, opts: relay.Options{ScanInterval: time.Hour},
		conf: "[mailgw.limits]\nMaximalIncomingSessionsPerIP=8\nMaximalIncomingMessagesPerSession=1024\n"})
	out, err := exec.Command("/usr/sbin/smtp-source", "-d", "-s", "4", "-m", strconv.Itoa(n), "-l", "512",
		"-f", "alice@example.org", "-t", "bob@example.com", "-M", "client.test", r.addr).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	if got := sink.Count(); got != 0 {
		t.Fatalf("%d messages passed the stalled sink", got)
	}
	held.Store(false)
	sink.WaitCount(t, n, 30*time.Second)
	waitEmpty(t, r)
}

// TestSessionReuse: messages to one next hop share a few sessions, as an
// MTA's connection cache does, rather than one session each; a session
// the next hop timed out while it was cached is replaced without
// deferring the message.
func TestSessionReuse(t *testing.T) {
	const n = 30
	sink := postfixtest.StartSinkWith(t, postfixtest.SinkOptions{Count: true, IdleTimeout: 300 * time.Millisecond})
	r := start(t, setup{sink: sink, fake: true})
	out, err := exec.Command("/usr/sbin/smtp-source", "-d", "-s", "2", "-m", strconv.Itoa(n), "-l", "512",
		"-f", "alice@example.org", "-t", "bob@example.com", "-M", "client.test", r.addr).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	sink.WaitCount(t, n, 20*time.Second)
	// MaximalOutgoingSessionsPerHost is 4 by default.
	if s := sink.Sessions(); s > 4 {
		t.Errorf("%d messages took %d sessions to the next hop, want at most 4", n, s)
	}
	before := sink.Sessions()
	time.Sleep(600 * time.Millisecond) // the sink closes the idle sessions; the relay still holds them
	sendOne(t, r.addr, []string{"bob@example.com"}, "Subject: after idle\r\n\r\nx\r\n", "250 ")
	sink.WaitCount(t, n+1, 10*time.Second)
	if s := sink.Sessions(); s != before+1 {
		t.Errorf("after the next hop closed the idle sessions: %d sessions, want %d", s, before+1)
	}
	waitEmpty(t, r)
}
