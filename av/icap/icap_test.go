package icap_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av/clamd/clamdtest"
	"github.com/mailgw/mailgw/av/icap"
	"github.com/mailgw/mailgw/av/icap/icaptest"
)

// startICAP starts a clamd and a c-icap whose virus_scan uses it.
func startICAP(t *testing.T) (*clamdtest.Server, *icaptest.Server) {
	t.Helper()
	cd := clamdtest.Start(t, clamdtest.Options{StreamMaxLength: 64 << 20})
	return cd, icaptest.Start(t, icaptest.Options{ClamdSocket: cd.Unix, MaxObjectSize: "20M"})
}

func newClient(t *testing.T, opts icap.Options) *icap.Client {
	t.Helper()
	c, err := icap.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOptions(t *testing.T) {
	_, srv := startICAP(t)
	c := newClient(t, icap.Options{URL: srv.URL(icaptest.Service)})
	svc, err := c.Options(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(svc.Methods, "RESPMOD") || !slices.Contains(svc.Methods, "REQMOD") ||
		svc.ISTag == "" || svc.Preview < 0 || !svc.Allow204 {
		t.Fatalf("%+v", svc)
	}
	t.Logf("%+v", svc)
}

// TestScan runs objects through c-icap's virus_scan with both methods and
// in its modes: default (streamed), simple, and simple with 204 off.
func TestScan(t *testing.T) {
	_, srv := startICAP(t)
	eicarLate := append(bytes.Repeat([]byte("a"), 300_000), clamdtest.EICAR()...) // past any preview
	eicar := icap.Result{Infected: true, Signature: clamdtest.EICARSignature}
	tests := []struct {
		name, object string
		data         []byte
		want         icap.Result
		streamed     icap.Result // what the default, streamed, mode gives
	}{
		{name: "clean", object: "hello.txt", data: []byte("Hello, world.\n")},
		{name: "empty", object: "empty.txt", data: nil},
		{name: "clean past preview", object: "big.bin", data: bytes.Repeat([]byte("0123456789abcdef"), 20_000)},
		{name: "odd name", object: "a b/\"ü\"\r\nX-Evil: 1.txt", data: []byte("clean\n")},
		{name: "eicar", object: "eicar.com", data: clamdtest.EICAR(), want: eicar, streamed: eicar},
		// Streamed, c-icap has sent the headers when it finds the virus
		// and can only cut the body: judged by the missing body.
		{name: "eicar past preview", object: "late.bin", data: eicarLate, want: eicar,
			streamed: icap.Result{Infected: true, Signature: icap.SignatureReplaced}},
		{name: "hash signature", object: "blob.bin", data: clamdtest.Blob(),
			want:     icap.Result{Infected: true, Signature: clamdtest.BlobSignature},
			streamed: icap.Result{Infected: true, Signature: clamdtest.BlobSignature}},
	}
	for _, method := range []string{icap.MethodRESPMOD, icap.MethodREQMOD} {
		for _, service := range []string{icaptest.Service, icaptest.SimpleService, icaptest.EchoService} {
			c := newClient(t, icap.Options{URL: srv.URL(service), Method: method, Timeout: 30 * time.Second})
			for _, tt := range tests {
				t.Run(method+"/"+service+"/"+tt.name, func(t *testing.T) {
					want := tt.want
					if service == icaptest.Service {
						want = tt.streamed
					}
					got, err := c.Scan(context.Background(), tt.object, tt.data)
					if err != nil || got != want {
						t.Fatalf("got %+v, %v; want %+v", got, err, want)
					}
				})
			}
		}
	}
}

// TestOverMaxObjectSize: c-icap lets an object over MaxObjectSize through
// unscanned unless asked with sizelimit=off, as SimpleService is.
func TestOverMaxObjectSize(t *testing.T) {
	cd := clamdtest.Start(t, clamdtest.Options{StreamMaxLength: 64 << 20})
	srv := icaptest.Start(t, icaptest.Options{ClamdSocket: cd.Unix, MaxObjectSize: "1M"})
	data := append(clamdtest.EICAR(), bytes.Repeat([]byte("\n"), 2<<20)...)
	c := newClient(t, icap.Options{URL: srv.URL(icaptest.SimpleService), Timeout: 30 * time.Second})
	res, err := c.Scan(context.Background(), "big.txt", data)
	if err != nil || res.Signature != clamdtest.EICARSignature {
		t.Fatalf("%+v, %v", res, err)
	}
	limited := newClient(t, icap.Options{URL: srv.URL("srv_clamav?mode=simple"), Timeout: 30 * time.Second})
	res, err = limited.Scan(context.Background(), "big.txt", data)
	t.Logf("with virus_scan's size limit: %+v, %v (unscanned, called clean)", res, err)
}

// TestCleanAnswers checks, on the wire, that clean objects took both
// paths: 204 from the simple service, the object echoed with 200 from the
// echo service.
func TestCleanAnswers(t *testing.T) {
	_, srv := startICAP(t)
	// ICAP status lines, not the "ICAP/1.0" of a Via header.
	statusLine := regexp.MustCompile(`(?m)^ICAP/1\.0 \d{3}`)
	for _, tt := range []struct{ service, status string }{
		{icaptest.SimpleService, "ICAP/1.0 204"},
		{icaptest.EchoService, "ICAP/1.0 200"},
	} {
		proxy, seen := recordingProxy(t, srv.Addr)
		url := strings.Replace(srv.URL(tt.service), srv.Addr, proxy, 1)
		c := newClient(t, icap.Options{URL: url})
		res, err := c.Scan(context.Background(), "hello.txt", bytes.Repeat([]byte("hello "), 1000))
		if err != nil || res.Infected {
			t.Fatalf("%s: %+v, %v", tt.service, res, err)
		}
		// The last connection is the scan, after OPTIONS; a preview may
		// have put a 100 Continue first.
		out := seen()
		statuses := statusLine.FindAllString(out[len(out)-1], -1)
		if len(statuses) == 0 || statuses[len(statuses)-1] != tt.status {
			t.Fatalf("%s answered %q, want %s last", tt.service, statuses, tt.status)
		}
	}
}

// recordingProxy relays connections to addr and keeps what the server
// sent on each.
func recordingProxy(t *testing.T, addr string) (string, func() []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var seen []*bytes.Buffer
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				conn.Close()
				continue
			}
			var rec bytes.Buffer
			mu.Lock()
			seen = append(seen, &rec)
			mu.Unlock()
			go func() { io.Copy(up, conn); up.Close() }()
			go func() {
				io.Copy(io.MultiWriter(conn, lockedWriter{&mu, &rec}), up)
				conn.Close()
			}()
		}
	}()
	return l.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, b := range seen {
			out = append(out, b.String())
		}
		return out
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestClamdDownBehindICAP: when virus_scan's engine is gone, c-icap's
// answer must not read as clean.
func TestClamdDownBehindICAP(t *testing.T) {
	cd, srv := startICAP(t)
	c := newClient(t, icap.Options{URL: srv.URL(icaptest.Service), Timeout: 30 * time.Second})
	if _, err := c.Scan(context.Background(), "x.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	cd.Stop()
	res, err := c.Scan(context.Background(), "x.txt", []byte("still there?"))
	if err == nil {
		t.Fatalf("clamd stopped, yet %+v", res)
	}
	t.Logf("%v", err)
}

func TestServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newClient(t, icap.Options{URL: "icap://" + addr + "/srv_clamav"})
	res, err := c.Scan(context.Background(), "x", []byte("x"))
	if !errors.Is(err, icap.ErrUnavailable) || !icap.Temporary(err) || res != (icap.Result{}) {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestStoppedServer(t *testing.T) {
	_, srv := startICAP(t)
	c := newClient(t, icap.Options{URL: srv.URL(icaptest.Service)})
	if _, err := c.Scan(context.Background(), "x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	res, err := c.Scan(context.Background(), "x", []byte("x"))
	if !errors.Is(err, icap.ErrUnavailable) || !icap.Temporary(err) || res != (icap.Result{}) {
		t.Fatalf("%+v, %v", res, err)
	}
}

// TestTimeout: a server that accepts and never answers.
func TestTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer conn.Close(); io.Copy(io.Discard, conn) }()
		}
	}()
	for _, tt := range []struct {
		name         string
		option, ctxt time.Duration
	}{{"option", 200 * time.Millisecond, 0}, {"ctx", 0, 200 * time.Millisecond}} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, icap.Options{URL: "icap://" + l.Addr().String() + "/x", Timeout: tt.option})
			ctx := context.Background()
			if tt.ctxt > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxt)
				defer cancel()
			}
			start := time.Now()
			res, err := c.Scan(ctx, "x", []byte("x"))
			if !errors.Is(err, context.DeadlineExceeded) || !icap.Temporary(err) || res != (icap.Result{}) {
				t.Fatalf("%+v, %v", res, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("gave up after %v", d)
			}
		})
	}
}
