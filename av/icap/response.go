package icap

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
)

// Limits on what a response may hold; past them it is ErrProtocol.
const (
	maxLine    = 16 << 10 // one header or chunk-size line
	maxHeader  = 64 << 10 // one header section, ICAP or encapsulated
	maxHeaders = 200      // fields in one header section
)

// Encapsulated entity names (RFC 3507 section 4.4.1).
const (
	reqHdr   = "req-hdr"
	resHdr   = "res-hdr"
	reqBody  = "req-body"
	resBody  = "res-body"
	optBody  = "opt-body"
	nullBody = "null-body"
)

// Response is a parsed ICAP response.
type Response struct {
	Status int
	Reason string
	// Header holds the ICAP headers, keys canonical. A folded value
	// (continuation lines, RFC 3507 section 4.3.1 via RFC 2616 section 2.2)
	// keeps its lines, joined by "\n": X-Violations-Found needs them.
	Header textproto.MIMEHeader
	// ReqHeader and ResHeader are the encapsulated HTTP heads; nil when
	// absent (RFC 3507 section 4.4).
	ReqHeader, ResHeader *HTTPHead
	HasBody              bool   // an encapsulated body section was present
	Body                 []byte // that body, de-chunked
	// BodyTruncated: the body was longer than the limit readResponse
	// was given; the rest was not read.
	BodyTruncated bool
}

// HTTPHead is an encapsulated HTTP start line and header.
type HTTPHead struct {
	StartLine string
	Status    int // a response's status code; 0 in a request head
	Header    textproto.MIMEHeader
}

// readResponse reads one ICAP response: status line, headers, and the
// sections its Encapsulated header announces. Body bytes past maxBody are
// not read. Interim responses (100 Continue) and 204 carry no sections.
func readResponse(br *bufio.Reader, maxBody int) (*Response, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	r := &Response{}
	if r.Status, r.Reason, err = parseStatusLine(line, "ICAP/1."); err != nil {
		return nil, err
	}
	if r.Header, err = readHeader(br); err != nil {
		return nil, err
	}
	if r.Status == 100 || r.Status == 204 {
		return r, nil
	}
	enc := r.Header.Get("Encapsulated")
	if enc == "" {
		return r, nil // error statuses usually carry nothing
	}
	sections, err := parseEncapsulated(enc)
	if err != nil {
		return nil, err
	}
	return r, r.readSections(br, sections, maxBody)
}

// parseStatusLine reads "ICAP/1.0 200 OK" (RFC 3507 section 4.3.3) or,
// with prefix "HTTP/1.", an encapsulated HTTP status line.
func parseStatusLine(line, prefix string) (int, string, error) {
	version, rest, _ := strings.Cut(line, " ")
	code, reason, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if !strings.HasPrefix(version, prefix) || len(code) != 3 || err != nil || n < 100 {
		return 0, "", fmt.Errorf("%w: status line %.100q", ErrProtocol, line)
	}
	return n, reason, nil
}

// readLine reads a line ending in CRLF (or a bare LF, as lenient HTTP
// parsers accept) and returns it without the ending.
func readLine(br *bufio.Reader) (string, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, maxLine)
		}
		switch {
		case err == nil:
			return strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"), nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return "", fmt.Errorf("%w: response cut short", io.ErrUnexpectedEOF)
		default:
			return "", err
		}
	}
}

// readHeader reads header fields up to the empty line. A line starting
// with a space or tab continues the previous field; its text is appended
// after "\n".
func readHeader(br *bufio.Reader) (textproto.MIMEHeader, error) {
	h := textproto.MIMEHeader{}
	var last string // canonical key of the previous field
	size := 0
	for fields := 0; ; fields++ {
		line, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return h, nil
		}
		if size += len(line); size > maxHeader || fields > maxHeaders {
			return nil, fmt.Errorf("%w: header larger than %d bytes or %d lines", ErrProtocol, maxHeader, maxHeaders)
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return nil, fmt.Errorf("%w: continuation line first", ErrProtocol)
			}
			vals := h[last]
			vals[len(vals)-1] += "\n" + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validFieldName(name) {
			return nil, fmt.Errorf("%w: header line %.100q", ErrProtocol, line)
		}
		last = textproto.CanonicalMIMEHeaderKey(name)
		h[last] = append(h[last], strings.TrimSpace(value))
	}
}

// validFieldName: a token (RFC 2616 section 2.2), so "Foo :" or "a b:" is
// refused rather than guessed at.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// section is one entry of the Encapsulated header.
type section struct {
	name   string
	offset int
}

// parseEncapsulated reads "req-hdr=0, res-hdr=45, res-body=120" and checks
// RFC 3507 section 4.4.1: known names, each at most once, offsets starting
// at 0 and not decreasing, at most one body section and it comes last.
func parseEncapsulated(v string) ([]section, error) {
	var out []section
	seen := map[string]bool{}
	for part := range strings.SplitSeq(v, ",") {
		name, off, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(off)
		bad := !ok || err != nil || n < 0 || n > maxHeader*2 || seen[name] ||
			len(out) > 0 && (n < out[len(out)-1].offset || isBody(out[len(out)-1].name)) ||
			len(out) == 0 && n != 0
		switch name {
		case reqHdr, resHdr, reqBody, resBody, optBody, nullBody:
		default:
			bad = true
		}
		if bad {
			return nil, fmt.Errorf("%w: Encapsulated: %.200q", ErrProtocol, v)
		}
		seen[name] = true
		out = append(out, section{name, n})
	}
	return out, nil
}

func isBody(name string) bool { return strings.HasSuffix(name, "-body") }

// readSections reads the encapsulated heads, whose lengths the offsets
// give, then the chunked body if there is one.
func (r *Response) readSections(br *bufio.Reader, sections []section, maxBody int) error {
	for i, s := range sections {
		if isBody(s.name) {
			if s.name == nullBody {
				return nil
			}
			r.HasBody = true
			var err error
			r.Body, r.BodyTruncated, err = readChunked(br, maxBody)
			return err
		}
		if i+1 == len(sections) {
			return fmt.Errorf("%w: Encapsulated ends with %s, not a body", ErrProtocol, s.name)
		}
		raw := make([]byte, sections[i+1].offset-s.offset)
		if _, err := io.ReadFull(br, raw); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		head, err := parseHTTPHead(raw, s.name == resHdr)
		if err != nil {
			return err
		}
		if s.name == resHdr {
			r.ResHeader = head
		} else {
			r.ReqHeader = head
		}
	}
	return nil
}

// parseHTTPHead parses an encapsulated HTTP head (RFC 3507 section 4.4.2):
// start line, fields, empty line.
func parseHTTPHead(raw []byte, response bool) (*HTTPHead, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	line, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("%w: encapsulated head: %v", ErrProtocol, err)
	}
	head := &HTTPHead{StartLine: line}
	if response {
		if head.Status, _, err = parseStatusLine(line, "HTTP/1."); err != nil {
			return nil, err
		}
	}
	if head.Header, err = readHeader(br); err != nil {
		return nil, fmt.Errorf("%w: encapsulated head: %v", ErrProtocol, err)
	}
	if br.Buffered() > 0 {
		return nil, fmt.Errorf("%w: %d bytes after an encapsulated head", ErrProtocol, br.Buffered())
	}
	return head, nil
}

// readChunked reads a chunked body (RFC 2616 section 3.6.1; RFC 3507
// section 4.4.1 makes every ICAP body chunked) up to its last chunk and
// trailer. Past limit bytes it stops and reports truncated.
func readChunked(br *bufio.Reader, limit int) (body []byte, truncated bool, err error) {
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, false, err
		}
		sizeText, _, _ := strings.Cut(line, ";") // chunk extensions, "ieof" among them
		size, err := strconv.ParseUint(strings.TrimSpace(sizeText), 16, 31)
		if err != nil {
			return nil, false, fmt.Errorf("%w: chunk size %.50q", ErrProtocol, line)
		}
		if size == 0 {
			_, err := readHeader(br) // trailer
			return body, false, err
		}
		if len(body)+int(size) > limit {
			return body, true, nil
		}
		body = append(body, make([]byte, size)...)
		if _, err := io.ReadFull(br, body[len(body)-int(size):]); err != nil {
			return nil, false, err
		}
		if end, err := readLine(br); err != nil || end != "" {
			return nil, false, fmt.Errorf("%w: chunk not followed by CRLF", ErrProtocol)
		}
	}
}
