package icap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Wire pieces (RFC 3507 sections 4.3.2, 4.4.1 and 4.5; chunks per RFC
// 2616 section 3.6.1).
const (
	icapVersion   = "ICAP/1.0"
	crlf          = "\r\n"
	lastChunk     = "0\r\n\r\n"       // end of a body, or of a preview with more to come
	lastChunkIEOF = "0; ieof\r\n\r\n" // end of a preview that held the whole body
	chunkSize     = 64 << 10
	userAgent     = "mailgw"
	httpHost      = "mailgw.invalid" // the encapsulated request's Host: no real site is involved
	maxInterim    = 3                // 100 Continue responses tolerated before a final one
)

// request is what exchange sends: the ICAP head with the encapsulated HTTP
// heads, then the body in chunks when hasBody.
type request struct {
	head    []byte
	hasBody bool
	body    []byte
	preview int // body bytes sent before waiting for 100 Continue; -1: no preview
}

// scan sends data as the configured method and judges the response.
func (c *Client) scan(ctx context.Context, svc *Service, name string, data []byte) (Result, error) {
	encap, heads := httpHeads(c.opts.Method, name, len(data))
	preview := -1
	if svc.Preview >= 0 {
		preview = min(svc.Preview, len(data))
	}
	head := append(c.icapHead(c.opts.Method, encap, preview), heads...)
	resp, err := c.exchange(ctx, request{head: head, hasBody: true, body: data, preview: preview}, len(data))
	if err != nil {
		return Result{}, err
	}
	if tag := resp.Header.Get("ISTag"); tag != "" && tag != svc.ISTag {
		c.forget() // the service changed (section 4.7): refresh its OPTIONS
	}
	return judge(c.opts.Method, data, resp)
}

// icapHead is the request line and ICAP headers (section 4.3.2).
func (c *Client) icapHead(method, encap string, preview int) []byte {
	var b strings.Builder
	b.WriteString(method + " " + c.uri + " " + icapVersion + crlf)
	b.WriteString("Host: " + c.host + crlf)
	b.WriteString("User-Agent: " + userAgent + crlf)
	if method != methodOPTIONS {
		b.WriteString("Allow: 204" + crlf)
	}
	if preview >= 0 {
		b.WriteString("Preview: " + strconv.Itoa(preview) + crlf)
	}
	b.WriteString("Connection: close" + crlf)
	b.WriteString("Encapsulated: " + encap + crlf + crlf)
	return []byte(b.String())
}

// httpHeads wraps an object of size bytes in the HTTP message the method
// adapts and returns the Encapsulated value with the heads.
func httpHeads(method, name string, size int) (encap string, heads []byte) {
	path := "/" + url.PathEscape(name)
	entity := fmt.Sprintf("Content-Type: application/octet-stream\r\nContent-Length: %d\r\n%s\r\n", size, disposition(name))
	if method == MethodREQMOD {
		req := "POST " + path + " HTTP/1.1\r\nHost: " + httpHost + crlf + entity
		return fmt.Sprintf("req-hdr=0, req-body=%d", len(req)), []byte(req)
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + httpHost + crlf + crlf
	res := "HTTP/1.1 200 OK\r\n" + entity
	return fmt.Sprintf("req-hdr=0, res-hdr=%d, res-body=%d", len(req), len(req)+len(res)), []byte(req + res)
}

// disposition names the object for servers that log or match file names.
// mime.FormatMediaType quotes or RFC 2231-encodes the name, so no CR or LF
// can reach the head.
func disposition(name string) string {
	v := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if name == "" || v == "" || strings.ContainsAny(v, "\r\n") {
		return ""
	}
	return "Content-Disposition: " + v + crlf
}

// exchange sends req on a fresh connection and returns the final response,
// reading while writing: the server may answer before the body is sent
// (a refusal, a block), and after a preview the writer waits for the
// reader's "100 Continue".
func (c *Client) exchange(ctx context.Context, req request, maxBody int) (*Response, error) {
	conn, err := c.dial.DialContext(ctx, "tcp", c.host)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	cont, done := make(chan struct{}), make(chan struct{})
	sent := make(chan error, 1)
	go func() { sent <- writeRequest(conn, req, cont, done) }()
	wantContinue := req.hasBody && req.preview >= 0 && req.preview < len(req.body)
	resp, rerr := readFinal(bufio.NewReader(conn), maxBody, wantContinue, cont)
	close(done)
	conn.SetWriteDeadline(time.Unix(1, 0)) // the server reads nothing after its final response
	werr := <-sent
	switch {
	case rerr == nil:
		return resp, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w (%v)", ctx.Err(), rerr)
	case errors.Is(rerr, ErrProtocol):
		return nil, rerr
	case werr != nil:
		return nil, fmt.Errorf("%w: %v (sending: %v)", ErrUnavailable, rerr, werr)
	}
	return nil, fmt.Errorf("%w: %v", ErrUnavailable, rerr)
}

// readFinal reads responses until a final one, letting the writer go on
// after the first 100 Continue a preview waits for.
func readFinal(br *bufio.Reader, maxBody int, wantContinue bool, cont chan<- struct{}) (*Response, error) {
	for range maxInterim {
		resp, err := readResponse(br, maxBody)
		if err != nil || resp.Status != 100 {
			return resp, err
		}
		if wantContinue {
			close(cont)
			wantContinue = false
		}
	}
	return nil, fmt.Errorf("%w: %d interim responses", ErrProtocol, maxInterim)
}

// writeRequest writes req, chunking the body; with a preview it stops
// after the preview and goes on only when cont is closed.
func writeRequest(w io.Writer, req request, cont, done <-chan struct{}) error {
	bufs := net.Buffers{req.head}
	if req.hasBody {
		body := req.body
		if req.preview >= 0 {
			body = body[:req.preview]
		}
		bufs = appendChunks(bufs, body)
		switch {
		case req.preview < 0:
			bufs = append(bufs, []byte(lastChunk))
		case req.preview == len(req.body):
			bufs = append(bufs, []byte(lastChunkIEOF))
		default:
			bufs = append(bufs, []byte(lastChunk))
		}
	}
	if _, err := bufs.WriteTo(w); err != nil || !req.hasBody || req.preview < 0 || req.preview == len(req.body) {
		return err
	}
	select {
	case <-cont:
	case <-done:
		return nil // answered on the preview alone
	}
	bufs = appendChunks(nil, req.body[req.preview:])
	bufs = append(bufs, []byte(lastChunk))
	_, err := bufs.WriteTo(w)
	return err
}

// appendChunks adds data as chunks of at most chunkSize, without copying.
func appendChunks(bufs net.Buffers, data []byte) net.Buffers {
	for len(data) > 0 {
		n := min(len(data), chunkSize)
		bufs = append(bufs, []byte(strconv.FormatInt(int64(n), 16)+crlf), data[:n], []byte(crlf))
		data = data[n:]
	}
	return bufs
}
