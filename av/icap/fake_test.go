package icap

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeReq is a request as the fake server reads it: head, encapsulated
// heads, then the body or preview (readBody) and the rest (readRest).
type fakeReq struct {
	method string
	header textproto.MIMEHeader
	heads  []byte
	body   []byte
	ieof   bool // the preview ended with "0; ieof"
	br     *bufio.Reader
	conn   net.Conn
}

// readRest reads the chunks sent after a 100 Continue.
func (r *fakeReq) readRest() error {
	rest, _, err := readChunks(r.br)
	r.body = append(r.body, rest...)
	return err
}

// fakeServer answers OPTIONS with the given headers and passes other
// requests to handle. It counts OPTIONS requests.
type fakeServer struct {
	url     string
	options atomic.Int32
}

func serveFake(t *testing.T, options string, handle func(*fakeReq)) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{url: "icap://" + l.Addr().String() + "/fake"}
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
			go func() {
				defer conn.Close()
				req, err := readFakeRequest(conn)
				switch {
				case err != nil:
					fmt.Fprintf(conn, "ICAP/1.0 400 Bad request\r\nX-Error: %s\r\n\r\n", strings.ReplaceAll(err.Error(), "\n", " "))
				case req.method == methodOPTIONS:
					s.options.Add(1)
					io.WriteString(conn, crlfText("ICAP/1.0 200 OK\n"+options+"Encapsulated: null-body=0\n\n"))
				default:
					handle(req)
				}
			}()
		}
	}()
	return s
}

// readFakeRequest reads the head and the encapsulated heads; handlers read
// the body when they want it.
func readFakeRequest(conn net.Conn) (*fakeReq, error) {
	br := bufio.NewReader(conn)
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	r := &fakeReq{br: br, conn: conn}
	r.method, _, _ = strings.Cut(line, " ")
	if r.header, err = readHeader(br); err != nil {
		return nil, err
	}
	sections, err := parseEncapsulated(r.header.Get("Encapsulated"))
	if err != nil {
		return nil, err
	}
	r.heads = make([]byte, sections[len(sections)-1].offset)
	_, err = io.ReadFull(br, r.heads)
	return r, err
}

// readBody reads the body, or the preview, up to its first last-chunk.
func (r *fakeReq) readBody() (err error) {
	r.body, r.ieof, err = readChunks(r.br)
	return err
}

// readChunks reads chunks up to a last-chunk and says whether it carried
// the ieof extension (RFC 3507 section 4.5).
func readChunks(br *bufio.Reader) (data []byte, ieof bool, err error) {
	for {
		line, err := readLine(br)
		if err != nil {
			return data, false, err
		}
		sizeText, ext, _ := strings.Cut(line, ";")
		size, err := strconv.ParseUint(strings.TrimSpace(sizeText), 16, 31)
		if err != nil {
			return data, false, err
		}
		if size == 0 {
			_, err := readHeader(br)
			return data, strings.TrimSpace(ext) == "ieof", err
		}
		chunk := make([]byte, size+2)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return data, false, err
		}
		data = append(data, chunk[:size]...)
	}
}

// answers
const (
	resp204  = "ICAP/1.0 204 No Content\r\nISTag: \"t1\"\r\n\r\n"
	respCont = "ICAP/1.0 100 Continue\r\n\r\n"
)

// echoResponse returns body in a 200 RESPMOD response, with extra ICAP
// header lines.
func echoResponse(extra string, body []byte) string {
	head := "HTTP/1.1 200 OK\r\n\r\n"
	return crlfText("ICAP/1.0 200 OK\nISTag: \"t1\"\n"+extra+"Encapsulated: res-hdr=0, res-body="+strconv.Itoa(len(head))+"\n\n") +
		head + chunked(string(body))
}

// TestFakeServer covers the protocol paths a real c-icap takes rarely:
// preview with and without 100 Continue, early answers, refusals, garbage.
func TestFakeServer(t *testing.T) {
	const withPreview = "Methods: RESPMOD, REQMOD\nPreview: 10\nAllow: 204\nISTag: \"t1\"\n"
	const noPreview = "Methods: RESPMOD\nISTag: \"t1\"\n"
	hundred := bytes.Repeat([]byte("x"), 100)
	big := bytes.Repeat([]byte("y"), 32<<20) // more than socket buffers hold
	tests := []struct {
		name      string
		options   string
		data      []byte
		handle    func(*fakeReq)
		want      Result
		err       error // errors.Is target
		temporary bool
	}{
		{name: "preview then continue", options: withPreview, data: hundred, handle: func(r *fakeReq) {
			if r.readBody() != nil || r.header.Get("Preview") != "10" || len(r.body) != 10 || r.ieof {
				io.WriteString(r.conn, "ICAP/1.0 400 Bad preview\r\n\r\n")
				return
			}
			io.WriteString(r.conn, respCont)
			if err := r.readRest(); err != nil || !bytes.Equal(r.body, hundred) {
				io.WriteString(r.conn, "ICAP/1.0 400 Bad rest\r\n\r\n")
				return
			}
			io.WriteString(r.conn, resp204)
		}},
		{name: "whole object in preview", options: withPreview, data: []byte("tiny"), handle: func(r *fakeReq) {
			if r.readBody() != nil || !r.ieof || string(r.body) != "tiny" || r.header.Get("Preview") != "4" {
				io.WriteString(r.conn, "ICAP/1.0 400 Want ieof\r\n\r\n")
				return
			}
			io.WriteString(r.conn, resp204)
		}},
		{name: "204 on the preview", options: withPreview, data: big, handle: func(r *fakeReq) {
			r.readBody()
			io.WriteString(r.conn, resp204)
		}},
		{name: "infected on the preview", options: withPreview, data: hundred, handle: func(r *fakeReq) {
			r.readBody()
			io.WriteString(r.conn, echoResponse("X-Infection-Found: Type=0; Resolution=2; Threat=Preview.Bad;\n", nil))
		}, want: Result{Infected: true, Signature: "Preview.Bad"}},
		{name: "echo without preview", options: noPreview, data: hundred, handle: func(r *fakeReq) {
			if r.readBody() != nil || r.header.Get("Preview") != "" || r.header.Get("Allow") != "204" || !bytes.Equal(r.body, hundred) {
				io.WriteString(r.conn, "ICAP/1.0 400 Bad request\r\n\r\n")
				return
			}
			io.WriteString(r.conn, echoResponse("", r.body))
		}},
		// Answers on the heads alone, with 32 MiB unsent, and closes.
		{name: "early answer before the body", options: noPreview, data: big, handle: func(r *fakeReq) {
			io.WriteString(r.conn, echoResponse("X-Virus-ID: Early.Bird\n", []byte("blocked")))
		}, want: Result{Infected: true, Signature: "Early.Bird"}},
		{name: "server error", options: noPreview, data: hundred, handle: func(r *fakeReq) {
			r.readBody()
			io.WriteString(r.conn, "ICAP/1.0 500 Server error\r\n\r\n")
		}, temporary: true},
		{name: "service not found", options: noPreview, data: hundred, handle: func(r *fakeReq) {
			r.readBody()
			io.WriteString(r.conn, "ICAP/1.0 404 ICAP Service not found\r\n\r\n")
		}},
		{name: "garbage", options: noPreview, data: hundred, handle: func(r *fakeReq) {
			r.readBody()
			io.WriteString(r.conn, "HTTP/1.1 200 OK\r\n\r\n")
		}, err: ErrProtocol},
		{name: "hang up", options: noPreview, data: hundred, handle: func(r *fakeReq) { r.readBody() },
			err: ErrUnavailable, temporary: true},
		{name: "response cut short", options: noPreview, data: hundred, handle: func(r *fakeReq) {
			r.readBody()
			io.WriteString(r.conn, echoResponse("", r.body)[:150])
		}, err: ErrUnavailable, temporary: true},
		{name: "method not offered", options: "Methods: REQMOD\n", data: hundred, err: ErrMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveFake(t, tt.options, tt.handle)
			c, err := New(Options{URL: srv.url, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Scan(context.Background(), tt.name, tt.data)
			if got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
			wantErr := tt.err != nil || tt.temporary || strings.Contains(tt.name, "not found")
			switch {
			case wantErr != (err != nil):
				t.Fatalf("error %v", err)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("error %v, want %v", err, tt.err)
			case err != nil && Temporary(err) != tt.temporary:
				t.Fatalf("error %v: temporary %t", err, Temporary(err))
			}
		})
	}
}

// TestMaxConnections: the server's Max-Connections lowers Sessions before
// the first scans start.
func TestMaxConnections(t *testing.T) {
	var open, peak atomic.Int32
	srv := serveFake(t, "Methods: RESPMOD\nMax-Connections: 2\n", func(r *fakeReq) {
		r.readBody()
		n := open.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		open.Add(-1)
		io.WriteString(r.conn, resp204)
	})
	c, err := New(Options{URL: srv.url, Sessions: 10})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Scan(context.Background(), "x", []byte("x")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Fatalf("%d scans at once, want 2", p)
	}
	if n := srv.options.Load(); n != 1 {
		t.Fatalf("%d OPTIONS requests, want 1", n)
	}
}

// TestISTagChange: a response with a new ISTag makes the next scan ask
// OPTIONS again (RFC 3507 section 4.7); an unchanged one does not.
func TestISTagChange(t *testing.T) {
	var tag atomic.Value
	tag.Store(`"t1"`)
	srv := serveFake(t, "Methods: RESPMOD\nISTag: \"t1\"\n", func(r *fakeReq) {
		r.readBody()
		fmt.Fprintf(r.conn, "ICAP/1.0 204 No Content\r\nISTag: %s\r\n\r\n", tag.Load())
	})
	c, err := New(Options{URL: srv.url})
	if err != nil {
		t.Fatal(err)
	}
	scan := func() {
		if _, err := c.Scan(context.Background(), "x", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	scan()
	scan()
	if n := srv.options.Load(); n != 1 {
		t.Fatalf("%d OPTIONS with a stable ISTag, want 1", n)
	}
	tag.Store(`"t2"`)
	scan()
	scan()
	if n := srv.options.Load(); n != 2 {
		t.Fatalf("%d OPTIONS after the ISTag changed, want 2", n)
	}
}

// TestSessionWait: with the only session held by a scan the server never
// answers, a second caller gives up when its ctx ends.
func TestSessionWait(t *testing.T) {
	var scans atomic.Int32
	srv := serveFake(t, "Methods: RESPMOD\n", func(r *fakeReq) { scans.Add(1); io.Copy(io.Discard, r.conn) })
	c, err := New(Options{URL: srv.url, Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Scan(bg, "held", []byte("x"))
	for scans.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err = c.Scan(ctx, "waiting", []byte("y"))
	if !errors.Is(err, context.DeadlineExceeded) || !Temporary(err) || scans.Load() != 1 {
		t.Fatalf("%v, %d scans reached the server", err, scans.Load())
	}
}

func TestRequestHead(t *testing.T) {
	c, err := New(Options{URL: "icap://av.example/srv?mode=simple"})
	if err != nil {
		t.Fatal(err)
	}
	encap, heads := httpHeads(MethodRESPMOD, "a b\r\nX-Evil: 1", 5)
	head := string(c.icapHead(MethodRESPMOD, encap, 5)) + string(heads)
	for _, want := range []string{
		"RESPMOD icap://av.example:1344/srv?mode=simple ICAP/1.0\r\n",
		"Host: av.example:1344\r\n", "Allow: 204\r\n", "Preview: 5\r\n",
		"GET /a%20b%0D%0AX-Evil:%201 HTTP/1.1\r\n",
	} {
		if !strings.Contains(head, want) {
			t.Errorf("no %q in\n%s", want, head)
		}
	}
	if strings.Contains(head, "\nX-Evil") {
		t.Errorf("name broke into the head:\n%s", head)
	}
	// The offsets must point at the heads' ends.
	sections, err := parseEncapsulated(encap)
	if err != nil || sections[1].offset != strings.Index(string(heads), "HTTP/1.1 200") || sections[2].offset != len(heads) {
		t.Fatalf("Encapsulated %q for\n%s", encap, heads)
	}
}

func TestNewChecksOptions(t *testing.T) {
	for _, o := range []Options{{}, {URL: "http://a/b"}, {URL: "icap:///x"}, {URL: "icap://a/b", Method: "GET"},
		{URL: "icap://a/b", Sessions: -1}, {URL: "icap://u:p@a/b"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
