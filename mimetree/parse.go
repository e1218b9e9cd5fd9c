package mimetree

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Parse parses raw into a tree of objects. It never fails and never panics:
// whatever is wrong with the input ends up in the Err field of the object it
// concerns (and of the Message for a malformed top-level header).
//
// Parse does not copy raw: the Message and its objects alias it.
func Parse(raw []byte, lim Limits) *Message {
	raw = dropMboxFrom(raw)
	p := &parser{lim: lim.withDefaults()}
	root := p.add(nil) // MaxParts >= 1, so the root always exists
	p.entity(root, raw, 0, len(raw))
	m := &Message{
		Raw:       raw,
		Header:    root.Header,
		HeaderLen: root.bodyStart,
		Root:      root,
		Objects:   p.objs,
		nl:        lineEnding(raw),
	}
	if errors.Is(root.Err, ErrMalformedHeader) {
		m.Err = root.Err
	}
	return m
}

// dropMboxFrom removes the "From sender date" envelope line that mbox files
// put before each message; it is not a header field. (">From " is not an
// envelope line and is left alone.)
func dropMboxFrom(raw []byte) []byte {
	if !bytes.HasPrefix(raw, []byte("From ")) {
		return raw
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		return raw[i+1:]
	}
	return raw[len(raw):]
}

// lineEnding returns the line ending of the first line of raw; SMTP's CRLF
// when there is none.
func lineEnding(raw []byte) string {
	i := bytes.IndexByte(raw, '\n')
	if i > 0 && raw[i-1] == '\r' || i < 0 {
		return "\r\n"
	}
	return "\n"
}

type parser struct {
	lim  Limits
	objs []*Object
}

// add creates the next object (pre-order) under parent, or returns nil when
// Limits.MaxParts objects exist already.
func (p *parser) add(parent *Object) *Object {
	if len(p.objs) >= p.lim.MaxParts {
		return nil
	}
	o := &Object{ID: len(p.objs), Parent: parent}
	if parent != nil {
		o.Depth = parent.Depth + 1
		parent.Children = append(parent.Children, o)
	}
	p.objs = append(p.objs, o)
	return o
}

// entity parses the entity (header and body) at src[start:end] into o.
func (p *parser) entity(o *Object, src []byte, start, end int) {
	o.src, o.start, o.end = src, start, end
	n, herr := scanHeader(src[start:end])
	o.bodyStart = start + n
	o.Header = readHeader(src[start:o.bodyStart])
	describe(o)
	if herr != nil {
		// Like an MTA, take the first line that is no header field as the
		// start of the body, and do not trust the fields to interpret it.
		o.Err = fmt.Errorf("%w: %v", ErrMalformedHeader, herr)
		o.Content = src[o.bodyStart:end:end]
		return
	}
	switch {
	case strings.HasPrefix(o.MediaType, "multipart/"):
		p.multipart(o)
	case o.MediaType == "message/rfc822" || o.MediaType == "message/global":
		p.message(o)
	default:
		p.leaf(o)
	}
}

// readHeader parses a header block with go-message. scanHeader has cut the
// block where go-message would have failed, so errors cannot happen here.
func readHeader(block []byte) message.Header {
	size := min(max(len(block), 16), 4096)
	h, _ := textproto.ReadHeader(bufio.NewReaderSize(bytes.NewReader(block), size))
	return message.Header{Header: h}
}

// scanHeader finds where the header block at the start of b ends: after the
// first empty line, before the first line that is neither a field nor a
// continuation (returned with an error), or at the end of b. Its rules are
// those of go-message's textproto.ReadHeader, which does not say how many
// bytes it consumed.
func scanHeader(b []byte) (int, error) {
	for i := 0; i < len(b); {
		line, next := cutLine(b, i)
		if len(line) == 0 {
			return next, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if i == 0 {
				return 0, errors.New("first line is a continuation")
			}
		} else if !isField(line) {
			return i, fmt.Errorf("not a header field: %q", truncate(line, 40))
		}
		i = next
	}
	return len(b), nil
}

// cutLine returns the line starting at b[i] without its CRLF or LF ending,
// and the index of the next line.
func cutLine(b []byte, i int) (line []byte, next int) {
	j := bytes.IndexByte(b[i:], '\n')
	if j < 0 {
		return b[i:], len(b)
	}
	line = b[i : i+j]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, i + j + 1
}

// isField reports whether line looks like "Name: value" with a name of
// printable US-ASCII (RFC 5322 §2.2); blanks around the name are tolerated.
func isField(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return false
	}
	for _, c := range bytes.Trim(line[:colon], " \t") {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// leaf decodes the body of a single-part entity and looks for uuencoded
// blocks in plain text.
func (p *parser) leaf(o *Object) {
	o.Kind = KindLeaf
	content, err := decodeBody(o.cte, o.src[o.bodyStart:o.end:o.end])
	o.Content = content
	o.Err = errors.Join(o.Err, err)
	if o.MediaType == "text/plain" {
		p.findUU(o)
	}
}

// opaque turns a container that cannot be opened into a leaf holding its
// body, so that scanners still see the bytes.
func opaque(o *Object, err error) {
	o.Kind = KindLeaf
	body := o.src[o.bodyStart:o.end:o.end]
	if strings.HasPrefix(o.MediaType, "multipart/") {
		o.Content = body // go-message ignores a multipart's transfer encoding too
	} else {
		var derr error
		o.Content, derr = decodeBody(o.cte, body)
		err = errors.Join(err, derr)
	}
	o.Err = errors.Join(o.Err, err)
}

// message parses the entity nested in a message/rfc822 part.
func (p *parser) message(o *Object) {
	if o.Depth >= p.lim.MaxDepth {
		opaque(o, ErrTooDeep)
		return
	}
	o.Kind = KindMessage
	src, start, end := o.src, o.bodyStart, o.end
	if !identityCTE(o.cte) {
		// Not allowed by RFC 2046 §5.2.1 but seen in the wild: the nested
		// message then lives in the decoded bytes, not in Raw.
		dec, err := decodeBody(o.cte, o.src[start:end:end])
		o.Err = errors.Join(o.Err, err)
		src, start, end = dec, 0, len(dec)
	}
	c := p.add(o)
	if c == nil {
		o.Err = errors.Join(o.Err, ErrTooManyParts)
		return
	}
	c.Path = childPath(o.Path, 0)
	p.entity(c, src, start, end)
}

// multipart splits a multipart body and parses each part.
func (p *parser) multipart(o *Object) {
	boundary := o.Params["boundary"]
	if boundary == "" {
		opaque(o, fmt.Errorf("%w: no boundary parameter", ErrNoBoundary))
		return
	}
	if o.Depth >= p.lim.MaxDepth {
		opaque(o, ErrTooDeep)
		return
	}
	parts, closed := splitMultipart(o.src, o.bodyStart, o.end, boundary)
	if len(parts) == 0 {
		opaque(o, fmt.Errorf("%w: no delimiter line for %q", ErrNoBoundary, boundary))
		return
	}
	o.Kind = KindMultipart
	o.closed = closed
	if !closed {
		o.Err = errors.Join(o.Err, ErrTruncated)
	}
	o.tail = parts[0].start
	for i, sp := range parts {
		c := p.add(o)
		if c == nil {
			o.Err = errors.Join(o.Err, ErrTooManyParts)
			return
		}
		c.Path = childPath(o.Path, i+1)
		p.entity(c, o.src, sp.start, sp.end)
		o.tail = sp.end
	}
}

type span struct{ start, end int }

// splitMultipart locates the body parts of the multipart body src[start:end]
// by hand, because go-message's reader gives no offsets and gives up on the
// first anomaly (hiding later parts). The rules follow RFC 2046 §5.1.1 and
// go-message's textproto.MultipartReader:
//
//   - a delimiter line is "--" boundary, optional blanks, line end (or end
//     of input); a close delimiter has "--" right after the boundary;
//   - lines before the first delimiter are the preamble, lines after the
//     close delimiter the epilogue;
//   - the line break before a delimiter belongs to the delimiter, so a part
//     ends where that line break begins.
//
// Unlike go-message, each line may end in CRLF or LF independently (mixed
// line endings are seen after careless relays). Without a close delimiter
// the last part runs to end and closed is false.
func splitMultipart(src []byte, start, end int, boundary string) (parts []span, closed bool) {
	dash := []byte("--" + boundary)
	body := src[:end]
	partStart := -1
	for i := start; i < end; {
		line, next := cutLine(body, i)
		if bytes.HasPrefix(line, dash) {
			if kind := delimiterKind(line[len(dash):]); kind != notDelimiter {
				if partStart >= 0 {
					parts = append(parts, span{partStart, max(partStart, breakBefore(src, start, i))})
				}
				if kind == closeDelimiter {
					return parts, true
				}
				partStart = next
			}
		}
		i = next
	}
	if partStart >= 0 {
		parts = append(parts, span{partStart, end})
	}
	return parts, false
}

const (
	notDelimiter = iota
	openDelimiter
	closeDelimiter
)

// delimiterKind classifies what follows "--boundary" on a line.
func delimiterKind(rest []byte) int {
	if bytes.HasPrefix(rest, []byte("--")) && len(bytes.TrimLeft(rest[2:], " \t")) == 0 {
		return closeDelimiter
	}
	if len(bytes.TrimLeft(rest, " \t")) == 0 {
		return openDelimiter
	}
	return notDelimiter
}

// breakBefore returns where the line break ending just before src[i] starts
// (i itself when there is none after lo).
func breakBefore(src []byte, lo, i int) int {
	if i > lo && src[i-1] == '\n' {
		if i-1 > lo && src[i-2] == '\r' {
			return i - 2
		}
		return i - 1
	}
	return i
}
