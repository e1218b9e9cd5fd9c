package pyzor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/antispam/resolver"
	"github.com/mailgw/mailgw/internal/dnstest"
	"github.com/mailgw/mailgw/internal/pyzortest"
)

// TestRequestMatchesPyzor compares a request with one /usr/bin/pyzor sent
// (pyzord -d logged it), signature included.
func TestRequestMatchesPyzor(t *testing.T) {
	r := request{op: opReport, digest: "e70c32f0385d72d1bdb431bc394048824bd520fc", thread: 39488,
		user: anonymousUser, time: 1796630975}
	want := "Op: report\nOp-Digest: e70c32f0385d72d1bdb431bc394048824bd520fc\nOp-Spec: 20,3,60,3\nThread: 39488\n" +
		"PV: 2.1\nUser: anonymous\nTime: 1796630975\nSig: baa03544747116abf13cfed344a013066558a391\n\n"
	if got := string(r.marshal()); got != want {
		t.Errorf("request:\n%q\nwant\n%q", got, want)
	}
	r.op, r.thread = opCheck, 36879
	want = "Op: check\nOp-Digest: e70c32f0385d72d1bdb431bc394048824bd520fc\nThread: 36879\n" +
		"PV: 2.1\nUser: anonymous\nTime: 1796630975\nSig: 29c53b579619955cf61ff12163577cd4c71bc97c\n\n"
	if got := string(r.marshal()); got != want {
		t.Errorf("request:\n%q\nwant\n%q", got, want)
	}
}

func readMessage(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// cliCounts is what `pyzor check` prints: server, (code, diag), count,
// whitelist count.
var cliCounts = regexp.MustCompile(`\(200, 'OK'\)\t(\d+)\t(\d+)$`)

// TestClientAgainstPyzord reports with the reference client and with ours
// and reads the counts back with both.
func TestClientAgainstPyzord(t *testing.T) {
	srv := pyzortest.Start(t)
	c := New(Options{Server: srv.Addr, Timeout: 5 * time.Second})
	ctx := context.Background()
	spam, ham := readMessage(t, "html.eml"), readMessage(t, "koi8-r.eml")
	spamDigest := digestOf(spam)

	if n, err := c.Check(ctx, spamDigest); err != nil || n != (Counts{}) {
		t.Fatalf("unreported: %+v, %v", n, err)
	}
	srv.Pyzor(t, "report", spam)
	srv.Pyzor(t, "report", spam)
	if err := c.Report(ctx, spamDigest); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Check(ctx, spamDigest); err != nil || n != (Counts{Spam: 3}) {
		t.Fatalf("reported 3 times: %+v, %v", n, err)
	}
	if err := c.Whitelist(ctx, digestOf(ham)); err != nil {
		t.Fatal(err)
	}
	if spamN, wl, err := c.CheckMessage(ctx, parse(ham)); err != nil || spamN != 0 || wl != 1 {
		t.Fatalf("whitelisted: spam %d, whitelist %d, %v", spamN, wl, err)
	}
	for msg, want := range map[string][2]string{string(spam): {"3", "0"}, string(ham): {"0", "1"}} {
		m := cliCounts.FindStringSubmatch(srv.Pyzor(t, "check", []byte(msg)))
		if m == nil || m[1] != want[0] || m[2] != want[1] {
			t.Errorf("pyzor check: %q, want count %s, whitelist %s", m, want[0], want[1])
		}
	}
	if n, err := c.Check(ctx, digestOf(readMessage(t, "short.eml"))); err != nil || n != (Counts{}) {
		t.Errorf("another message: %+v, %v", n, err)
	}
}

// TestSignedAccount has pyzord check our signature: a wrong key is
// refused with 401, a permanent error.
func TestSignedAccount(t *testing.T) {
	srv := pyzortest.Start(t, [2]string{"alice", "c0ffee15900d"})
	ctx := context.Background()
	good := New(Options{Server: srv.Addr, User: "alice", Key: "C0FFEE15900D"})
	if err := good.Report(ctx, strings.Repeat("ab", 20)); err != nil {
		t.Fatalf("signed report: %v", err)
	}
	bad := New(Options{Server: srv.Addr, User: "alice", Key: "badbadbad"})
	err := bad.Report(ctx, strings.Repeat("ab", 20))
	var se *ServerError
	if !errors.As(err, &se) || se.Code != 401 || Temporary(err) {
		t.Fatalf("wrong key: %v", err)
	}
}

// TestOutage: a server that never answers costs the timeout, a stopped
// one less; both are temporary errors, never counts.
func TestOutage(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	received := make(chan int, 1)
	go func() {
		n, buf := 0, make([]byte, maxPacket)
		for {
			silent.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
			if _, _, err := silent.ReadFrom(buf); err != nil {
				received <- n
				return
			}
			n++
		}
	}()
	stopped := pyzortest.FreeAddr(t)
	for _, c := range []struct {
		name     string
		addr     string
		timeout  time.Duration
		ctx      time.Duration
		min, max time.Duration
	}{
		{"silent", silent.LocalAddr().String(), 600 * time.Millisecond, time.Minute, 550 * time.Millisecond, 1500 * time.Millisecond},
		{"silent, shorter context", silent.LocalAddr().String(), time.Minute, 300 * time.Millisecond, 250 * time.Millisecond, 1200 * time.Millisecond},
		{"nothing listens", stopped, 5 * time.Second, time.Minute, 0, 1000 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), c.ctx)
			defer cancel()
			start := time.Now()
			n, err := New(Options{Server: c.addr, Timeout: c.timeout}).Check(ctx, strings.Repeat("0", 40))
			took := time.Since(start)
			if !errors.Is(err, ErrNoAnswer) || !Temporary(err) || n != (Counts{}) {
				t.Errorf("counts %+v, err %v", n, err)
			}
			if took < c.min || took > c.max {
				t.Errorf("took %v, want %v to %v", took, c.min, c.max)
			}
		})
	}
	if n := <-received; n != 2*DefaultAttempts {
		t.Errorf("the silent server got %d requests, want %d", n, 2*DefaultAttempts)
	}
}

// fakeServer answers every request with the replies reply returns for
// its thread, to reach the cases pyzord does not produce.
func fakeServer(t *testing.T, reply func(thread string) []string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, maxPacket)
		thread := regexp.MustCompile(`(?m)^Thread: (\d+)$`)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			m := thread.FindSubmatch(buf[:n])
			if m == nil {
				continue
			}
			for _, r := range reply(string(m[1])) {
				pc.WriteTo([]byte(r), from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func TestReplies(t *testing.T) {
	ok := func(th string) string {
		return "Code: 200\nDiag: OK\nPV: 2.1\nThread: " + th + "\nCount: 7\nWL-Count: 1\n\n"
	}
	for _, c := range []struct {
		name      string
		reply     func(th string) []string
		want      Counts
		errIs     error
		code      int
		temporary bool
	}{
		{"other thread first", func(th string) []string { return []string{ok("1024"), ok(th)} }, Counts{7, 1}, nil, 0, false},
		{"forbidden", func(th string) []string {
			return []string{"Code: 403\nDiag: Forbidden\nPV: 2.1\nThread: " + th + "\n\n"}
		}, Counts{}, nil, 403, false},
		{"internal error", func(th string) []string {
			return []string{"Code: 500\nDiag: Internal Server Error\nPV: 2.1\nThread: " + th + "\n\n"}
		}, Counts{}, nil, 500, true},
		{"no counts", func(th string) []string { return []string{"Code: 200\nDiag: OK\nPV: 2.1\nThread: " + th + "\n\n"} },
			Counts{}, ErrProtocol, 0, false},
		{"garbage", func(string) []string { return []string{"HTTP/1.1 400 Bad Request\r\n\r\n"} }, Counts{}, ErrProtocol, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := fakeServer(t, c.reply)
			n, err := New(Options{Server: addr, Timeout: 2 * time.Second}).Check(context.Background(), strings.Repeat("1", 40))
			var se *ServerError
			switch {
			case c.code != 0:
				if !errors.As(err, &se) || se.Code != c.code || Temporary(err) != c.temporary {
					t.Errorf("err %v, want code %d, temporary %v", err, c.code, c.temporary)
				}
			case c.errIs != nil:
				if !errors.Is(err, c.errIs) || Temporary(err) {
					t.Errorf("err %v, want permanent %v", err, c.errIs)
				}
			case err != nil || n != c.want:
				t.Errorf("counts %+v, err %v, want %+v", n, err, c.want)
			}
		})
	}
}

func ExampleClient_Check() {
	c := New(Options{Server: "public.pyzor.org:24441", Timeout: 3 * time.Second})
	_ = c // c.Check(ctx, Digest(msg)) asks how often msg was reported
	fmt.Println(len(Digest(parse([]byte("Subject: x\n\nhello world, this is a test\n")))))
	// Output: 40
}

// TestServerByName resolves the server's name through the project's
// resolver (miekg/dns) from a test DNS server: a known name reaches
// pyzord, an unknown one is a permanent error.
func TestServerByName(t *testing.T) {
	srv := pyzortest.Start(t)
	_, port, _ := net.SplitHostPort(srv.Addr)
	dns := dnstest.Start(t, "pyzor.test. 300 IN A 127.0.0.1")
	res := resolver.New(resolver.Options{Servers: []string{dns.Addr}, NetworkTimeout: time.Second, ResolveTimeout: 2 * time.Second})
	ctx := context.Background()
	c := New(Options{Server: "pyzor.test:" + port, Resolver: res})
	if err := c.Report(ctx, strings.Repeat("cd", 20)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Check(ctx, strings.Repeat("cd", 20)); err != nil || n.Spam != 1 {
		t.Fatalf("counts %+v, %v", n, err)
	}
	if dns.Queries() == 0 {
		t.Error("the name was not resolved by the test DNS server")
	}
	_, err := New(Options{Server: "nosuch.test:" + port, Resolver: res}).Check(ctx, strings.Repeat("cd", 20))
	if !errors.Is(err, errNoSuchHost) || Temporary(err) {
		t.Errorf("unknown name: %v", err)
	}
	_, err = New(Options{Server: "pyzor.test:" + port, Resolver: resolver.New(resolver.Options{
		Servers: []string{dnstest.Silent(t)}, NetworkTimeout: 200 * time.Millisecond, ResolveTimeout: 400 * time.Millisecond})}).Check(ctx, strings.Repeat("cd", 20))
	if !errors.Is(err, ErrNoAnswer) || !Temporary(err) {
		t.Errorf("dead DNS: %v", err)
	}
}
