package clamd_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av/clamd"
	"github.com/mailgw/mailgw/av/clamd/clamdtest"
)

func newClient(t *testing.T, opts clamd.Options) *clamd.Client {
	t.Helper()
	c, err := clamd.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestScan runs every kind of object through a real clamd, over both
// transports and with chunks small enough to split the signatures.
func TestScan(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{StreamMaxLength: 1 << 20})
	eicarInside := append(append(bytes.Repeat([]byte("a"), 100_000), clamdtest.EICAR()...), bytes.Repeat([]byte("b"), 100_000)...)
	tests := []struct {
		name string
		data []byte
		want clamd.Result
		err  error
	}{
		{name: "clean", data: []byte("Hello, world.\n"), want: clamd.Result{}},
		{name: "empty", data: nil, want: clamd.Result{}},
		{name: "eicar", data: clamdtest.EICAR(), want: clamd.Result{Infected: true, Signature: clamdtest.EICARSignature}},
		{name: "eicar inside", data: eicarInside, want: clamd.Result{Infected: true, Signature: clamdtest.EICARSignature}},
		{name: "hash signature", data: clamdtest.Blob(), want: clamd.Result{Infected: true, Signature: clamdtest.BlobSignature}},
		{name: "under the limit", data: bytes.Repeat([]byte("c"), 900_000), want: clamd.Result{}},
		{name: "over the limit", data: bytes.Repeat([]byte("d"), 3<<20), err: clamd.ErrSizeLimit},
	}
	for _, addr := range srv.Addrs() {
		for _, chunk := range []int{0, 13} {
			c := newClient(t, clamd.Options{Addrs: []string{addr}, ChunkSize: chunk, Timeout: 30 * time.Second})
			for _, tt := range tests {
				if chunk != 0 && len(tt.data) > 1000 {
					continue // 13-byte chunks of megabytes only make the test slow
				}
				t.Run(addr+"/"+tt.name, func(t *testing.T) {
					got, err := c.Scan(context.Background(), tt.name, tt.data)
					if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
						t.Fatalf("got %+v, %v; want %+v, %v", got, err, tt.want, tt.err)
					}
					if err != nil && clamd.Temporary(err) {
						t.Fatalf("%v is temporary; the size limit is permanent", err)
					}
				})
			}
		}
	}
}

// TestSizeLimitReplyNeverLost repeats the case that breaks clients which
// read only after writing: clamd answers in the middle of the stream and
// closes, with megabytes still unsent.
func TestSizeLimitReplyNeverLost(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{StreamMaxLength: 64 << 10})
	big := bytes.Repeat([]byte("e"), 16<<20)
	for _, addr := range srv.Addrs() {
		c := newClient(t, clamd.Options{Addrs: []string{addr}, Timeout: 30 * time.Second})
		for i := range 20 {
			_, err := c.Scan(context.Background(), "big", big)
			if !errors.Is(err, clamd.ErrSizeLimit) {
				t.Fatalf("%s, try %d: %v, want the size limit", addr, i, err)
			}
		}
	}
}

func TestPingVersion(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{})
	c := newClient(t, clamd.Options{Addrs: srv.Addrs()})
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := c.Version(context.Background())
	if err != nil || len(v) < len("ClamAV 1") {
		t.Fatalf("version %q, %v", v, err)
	}
}

// TestSessions puts a proxy in front of a real clamd that counts the
// scans under way at once, from connection to reply, and holds each a
// while so that scans overlap.
func TestSessions(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{})
	var open, peak atomic.Int32
	proxy := listen(t, func(conn net.Conn) {
		n := open.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		reply := relay(conn, srv.Unix)
		open.Add(-1)
		conn.Write(reply)
	})
	const sessions, scans = 3, 12
	c := newClient(t, clamd.Options{Addrs: []string{proxy}, Sessions: sessions})
	var wg sync.WaitGroup
	errs := make(chan error, scans)
	for range scans {
		wg.Go(func() {
			res, err := c.Scan(context.Background(), "eicar", clamdtest.EICAR())
			if err == nil && !res.Infected {
				err = errors.New("EICAR clean")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != sessions {
		t.Fatalf("%d connections at once, want %d", p, sessions)
	}
}

// TestSessionWaitHonoursContext: with the only session held by a scan
// that clamd never answers, a second caller gives up when its ctx ends,
// without connecting.
func TestSessionWaitHonoursContext(t *testing.T) {
	var accepted atomic.Int32
	hung := listen(t, func(conn net.Conn) { accepted.Add(1); io.Copy(io.Discard, conn) })
	c := newClient(t, clamd.Options{Addrs: []string{hung}, Sessions: 1})
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Scan(bg, "held", []byte("x"))
	for accepted.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err := c.Scan(ctx, "waiting", []byte("y"))
	if !errors.Is(err, context.DeadlineExceeded) || !clamd.Temporary(err) || accepted.Load() != 1 {
		t.Fatalf("err %v, %d connections", err, accepted.Load())
	}
}

// TestFailover: dead addresses before a live one; the live one scans and
// the dead ones are skipped by the next scan.
func TestFailover(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{})
	var hangups atomic.Int32
	slammer := listen(t, func(conn net.Conn) { hangups.Add(1) }) // accepts, closes at once
	addrs := []string{"unix:" + filepath.Join(t.TempDir(), "nobody.sock"), closedPort(t), slammer, "tcp:" + srv.TCP}
	c := newClient(t, clamd.Options{Addrs: addrs, DownTime: time.Minute})
	for i := range 3 {
		res, err := c.Scan(context.Background(), "eicar", clamdtest.EICAR())
		if err != nil || res.Signature != clamdtest.EICARSignature {
			t.Fatalf("scan %d: %+v, %v", i, res, err)
		}
	}
	if n := hangups.Load(); n != 1 {
		t.Fatalf("the address that hangs up was tried %d times, want once before marked down", n)
	}
}

func TestAllDown(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{})
	c := newClient(t, clamd.Options{Addrs: srv.Addrs()})
	if _, err := c.Scan(context.Background(), "clean", []byte("x")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for range 2 { // the second time every address is marked down
		res, err := c.Scan(context.Background(), "clean", []byte("x"))
		if !errors.Is(err, clamd.ErrUnavailable) || !clamd.Temporary(err) || res != (clamd.Result{}) {
			t.Fatalf("%+v, %v", res, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	hung := listen(t, func(conn net.Conn) { io.Copy(io.Discard, conn) })
	tests := []struct {
		name    string
		timeout time.Duration // Options.Timeout
		ctx     time.Duration
	}{
		{"ctx", 0, 200 * time.Millisecond},
		{"option", 200 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, clamd.Options{Addrs: []string{hung}, Timeout: tt.timeout})
			ctx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			res, err := c.Scan(ctx, "x", bytes.Repeat([]byte("x"), 1<<20))
			if !errors.Is(err, context.DeadlineExceeded) || !clamd.Temporary(err) || res != (clamd.Result{}) {
				t.Fatalf("%+v, %v", res, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("gave up after %v", d)
			}
		})
	}
}

// listen serves each connection with handle on a loopback port and returns
// the address; connections still open are closed when the test ends.
func listen(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			go func() { defer conn.Close(); handle(conn) }()
		}
	}()
	return "tcp:" + l.Addr().String()
}

// relay passes what conn sends to the clamd at path and returns clamd's
// reply, NUL included.
func relay(conn net.Conn, path string) []byte {
	up, err := net.Dial("unix", path)
	if err != nil {
		return nil
	}
	defer up.Close()
	go io.Copy(up, conn)
	reply, _ := bufio.NewReader(up).ReadBytes(0)
	return reply
}

// closedPort returns a loopback address that refuses connections.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "tcp:" + addr
}
