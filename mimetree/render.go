package mimetree

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
)

// EditOp is the operation of an Edit.
type EditOp int

const (
	Remove     EditOp = iota + 1 // drop the object at Path
	Replace                      // put a new single leaf (Header, Content) in its place
	AppendText                   // append Text to the body's text (Path "") or to one text part
)

func (op EditOp) String() string {
	switch op {
	case Remove:
		return "Remove"
	case Replace:
		return "Replace"
	case AppendText:
		return "AppendText"
	}
	return "EditOp(" + strconv.Itoa(int(op)) + ")"
}

// Edit is one change for RenderBody. Paths are those of the parsed message:
// earlier edits never renumber objects.
type Edit struct {
	Op   EditOp
	Path string // object path; for AppendText "" means the message body

	// Replace: the new leaf. Without Content-Type it is text/plain (charset
	// us-ascii or utf-8 after Content); without Content-Transfer-Encoding
	// one is chosen (7bit for ASCII text, quoted-printable for other text,
	// base64 otherwise) and added.
	Header  message.Header
	Content []byte // decoded content

	// AppendText: plain text (UTF-8) to append. HTML parts get it escaped
	// in a <pre> block before </body>.
	Text string
}

// RenderBody applies edits in order and renders the new message body (the
// bytes after the top-level header block).
//
// With no edits it returns Raw[HeaderLen:] itself. Untouched parts are
// copied byte-for-byte (boundaries, preamble and epilogue included).
//
// topHeader is the zero Header unless the top-level entity's own MIME fields
// change (root removed or replaced, charset or transfer encoding changed by
// an append, message wrapped into multipart/mixed to hold a new part). It
// then holds the complete set of MIME fields the top-level header must carry
// (MIME-Version first): drop the original MIME-Version and Content-* fields
// and add these; MergeHeader does that.
//
// Several edits on one object: the last Remove or Replace wins and discards
// earlier appends to it; edits inside a removed or replaced subtree have no
// effect. An edit naming an unknown path fails the whole render.
func (m *Message) RenderBody(edits []Edit) (body []byte, topHeader message.Header, err error) {
	if len(edits) == 0 {
		return m.Raw[m.HeaderLen:], message.Header{}, nil
	}
	r := &renderer{m: m, nl: m.nl, st: make([]state, len(m.Objects))}
	if r.nl == "" {
		r.nl = "\r\n"
	}
	for i := range edits {
		if err := r.apply(&edits[i]); err != nil {
			e := &edits[i]
			return nil, message.Header{}, fmt.Errorf("mimetree: edit %d (%v %q): %w", i, e.Op, e.Path, err)
		}
	}
	return r.top()
}

type renderer struct {
	m      *Message
	nl     string
	st     []state // by Object.ID
	byPath map[string]*Object

	extra     []string // texts for a new text/plain part at the end of the top-level multipart
	extraPart []byte   // that part, rendered once
	extraDone bool     // the top-level multipart has written it
}

type state struct {
	removed bool
	repl    *Edit    // Replace edit, or an empty text/plain for a removed message root
	appends []string // AppendText texts for this text leaf
	dirty   bool     // this object or a descendant changes
}

func (r *renderer) find(path string) (*Object, error) {
	if r.byPath == nil {
		r.byPath = make(map[string]*Object, len(r.m.Objects))
		for _, o := range r.m.Objects {
			r.byPath[o.Path] = o
		}
	}
	if o := r.byPath[path]; o != nil {
		return o, nil
	}
	return nil, ErrUnknownPath
}

func (r *renderer) apply(e *Edit) error {
	switch e.Op {
	case Remove, Replace:
		o, err := r.find(e.Path)
		if err != nil {
			return err
		}
		s := &r.st[o.ID]
		s.removed, s.repl, s.appends = false, nil, nil
		switch {
		case e.Op == Replace:
			if cte := normalizeCTE(e.Header.Get("Content-Transfer-Encoding")); !identityCTE(cte) &&
				cte != "base64" && cte != "quoted-printable" {
				return fmt.Errorf("%w: %q", ErrUnknownEncoding, cte)
			}
			s.repl = e
		case o.isRootLike():
			// A message needs a body: its root becomes an empty text part.
			s.repl = emptyTextEdit()
		default:
			s.removed = true
		}
		r.markDirty(o)
		return nil
	case AppendText:
		return r.appendText(e)
	}
	return fmt.Errorf("unknown edit operation %v", e.Op)
}

func emptyTextEdit() *Edit {
	e := &Edit{Op: Replace}
	e.Header.Set("Content-Type", "text/plain; charset=us-ascii")
	return e
}

func (r *renderer) markDirty(o *Object) {
	for ; o != nil; o = o.Parent {
		r.st[o.ID].dirty = true
	}
}

// top renders the root: its body, and its MIME fields when they change.
func (r *renderer) top() ([]byte, message.Header, error) {
	root := r.m.Root
	fs, body, err := r.entity(root)
	if err != nil {
		return nil, message.Header{}, err
	}
	if r.st[root.ID].repl == nil && fs != nil {
		fs = fs.filter(true) // fs is the whole top-level header
	}
	if len(r.extra) > 0 && !r.extraDone {
		if fs == nil && r.st[root.ID].repl == nil {
			fs = fieldsOf(root.Header).filter(true)
		}
		fs, body, err = r.wrap(fs, body)
		if err != nil {
			return nil, message.Header{}, err
		}
	}
	if fs == nil {
		return body, message.Header{}, nil
	}
	return body, fs.withMIMEVersion().header(), nil
}

// entity renders the body of o and, when o's header must change, its new
// fields (for a replacement: the replacement's; else o's whole header with
// the changes).
func (r *renderer) entity(o *Object) (fieldList, []byte, error) {
	s := &r.st[o.ID]
	switch {
	case !s.dirty:
		return nil, o.src[o.bodyStart:o.end], nil
	case s.repl != nil:
		return r.replacement(s.repl)
	case o.Kind == KindMultipart:
		b, err := r.multipart(o)
		return nil, b, err
	case o.Kind == KindMessage:
		b, err := r.message(o)
		return nil, b, err
	}
	return r.leaf(o)
}

// part renders o with its header, as it sits inside its parent.
func (r *renderer) part(o *Object) ([]byte, error) {
	s := &r.st[o.ID]
	if !s.dirty {
		return o.src[o.start:o.end], nil
	}
	fs, body, err := r.entity(o)
	if err != nil {
		return nil, err
	}
	if s.repl != nil && o.isRootLike() {
		// A nested message keeps From, Subject... around its new content.
		fs = append(fieldsOf(o.Header).filter(false), fs.withMIMEVersion()...)
	}
	var buf bytes.Buffer
	if fs != nil {
		fs.write(&buf, r.nl)
	} else {
		buf.Write(o.src[o.start:o.bodyStart])
	}
	buf.Write(body)
	return buf.Bytes(), nil
}

// multipart reassembles a multipart body from the original bytes between
// parts (preamble and first delimiter, the delimiters, close delimiter and
// epilogue) and the rendered parts that remain.
func (r *renderer) multipart(o *Object) ([]byte, error) {
	kids := o.Children
	if len(kids) == 0 {
		return o.src[o.bodyStart:o.end], nil
	}
	var buf bytes.Buffer
	buf.Write(o.src[o.bodyStart:kids[0].start])
	n := 0
	for i, c := range kids {
		if r.st[c.ID].removed {
			continue
		}
		if n > 0 {
			buf.Write(o.src[kids[i-1].end:c.start]) // the delimiter before c
		}
		p, err := r.part(c)
		if err != nil {
			return nil, err
		}
		buf.Write(p)
		n++
	}
	delim := r.nl + "--" + o.Params["boundary"]
	if o == r.m.Root && len(r.extra) > 0 {
		if n > 0 {
			buf.WriteString(delim + r.nl)
		}
		buf.Write(r.extraBytes())
		r.extraDone = true
		n++
	}
	if n == 0 {
		// An empty multipart is invalid MIME: keep an empty text part.
		buf.WriteString("Content-Type: text/plain; charset=us-ascii" + r.nl + r.nl)
	}
	buf.Write(o.src[o.tail:o.end])
	if !o.closed {
		buf.WriteString(delim + "--" + r.nl) // repair a truncated multipart
	}
	return buf.Bytes(), nil
}

// message renders the body of a message/rfc822 part.
func (r *renderer) message(o *Object) ([]byte, error) {
	if len(o.Children) == 0 {
		return o.src[o.bodyStart:o.end], nil
	}
	b, err := r.part(o.Children[0])
	if err != nil {
		return nil, err
	}
	return encodeBody(b, o.cte, r.nl), nil
}

// leaf re-encodes a text leaf whose content changed, with its own transfer
// encoding. Its header changes only when the new content needs it: charset
// us-ascii (or none) receiving UTF-8 becomes utf-8, 7bit receiving 8-bit
// data becomes quoted-printable.
func (r *renderer) leaf(o *Object) (fieldList, []byte, error) {
	content := r.leafContent(o)
	cte := o.cte
	var fs fieldList
	var err error
	if o.MediaType == "text/plain" && (o.Charset == "" || o.Charset == "us-ascii" || o.Charset == "ascii") &&
		!isASCII(content) {
		fs, err = fieldsOf(o.Header).set("Content-Type", utf8ContentType(o))
		if err != nil {
			return nil, nil, err
		}
	}
	if (cte == "" || cte == "7bit") && !is7bitText(content) {
		cte = "quoted-printable"
		if fs == nil {
			fs = fieldsOf(o.Header)
		}
		if fs, err = fs.set("Content-Transfer-Encoding", cte); err != nil {
			return nil, nil, err
		}
	}
	return fs, encodeBody(content, cte, r.nl), nil
}

// utf8ContentType is o's Content-Type with charset=utf-8.
func utf8ContentType(o *Object) string {
	params := map[string]string{}
	for k, v := range o.Params {
		params[k] = v
	}
	params["charset"] = "utf-8"
	if ct := mime.FormatMediaType(o.MediaType, params); ct != "" {
		return ct
	}
	return o.MediaType + "; charset=utf-8"
}

// replacement renders the leaf of a Replace edit.
func (r *renderer) replacement(e *Edit) (fieldList, []byte, error) {
	fs := fieldsOf(e.Header)
	mt := "text/plain"
	var err error
	if e.Header.Has("Content-Type") {
		h := e.Header
		mt, _ = mediaParams(&h, "Content-Type")
	} else {
		cs := "us-ascii"
		if !isASCII(e.Content) {
			cs = "utf-8"
		}
		if fs, err = fs.set("Content-Type", "text/plain; charset="+cs); err != nil {
			return nil, nil, err
		}
	}
	content := e.Content
	cte := normalizeCTE(e.Header.Get("Content-Transfer-Encoding"))
	if cte == "" {
		cte = chooseCTE(mt, content)
		if fs, err = fs.set("Content-Transfer-Encoding", cte); err != nil {
			return nil, nil, err
		}
	}
	if identityCTE(cte) && strings.HasPrefix(mt, "text/") {
		content = normalizeNL(content, r.nl)
	}
	return fs, encodeBody(content, cte, r.nl), nil
}

// wrap makes the top-level entity (fields fs, body) the first part of a new
// multipart/mixed whose second part holds the extra text.
func (r *renderer) wrap(fs fieldList, body []byte) (fieldList, []byte, error) {
	extra := r.extraBytes()
	b := r.newBoundary(body, extra)
	var buf bytes.Buffer
	buf.WriteString("--" + b + r.nl)
	fs.drop("MIME-Version").write(&buf, r.nl)
	buf.Write(body)
	buf.WriteString(r.nl + "--" + b + r.nl)
	buf.Write(extra)
	buf.WriteString(r.nl + "--" + b + "--" + r.nl)
	ct, err := newField("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": b}))
	if err != nil {
		return nil, nil, err
	}
	r.extraDone = true
	return fieldList{ct}, buf.Bytes(), nil
}

// newBoundary derives a boundary from the message so that renders are
// reproducible; "=_" cannot occur in base64 or quoted-printable text, and
// the parts are checked anyway.
func (r *renderer) newBoundary(parts ...[]byte) string {
	sum := sha256.Sum256(r.m.Raw)
	base := "=_mailgw_" + hex.EncodeToString(sum[:12])
	for i := 0; ; i++ {
		b := base
		if i > 0 {
			b += "_" + strconv.Itoa(i)
		}
		if !containsAny(parts, []byte("--"+b)) {
			return b
		}
	}
}

func containsAny(parts [][]byte, sub []byte) bool {
	for _, p := range parts {
		if bytes.Contains(p, sub) {
			return true
		}
	}
	return false
}

// extraBytes renders (once) the new text/plain part holding the texts that
// had no text part to go to.
func (r *renderer) extraBytes() []byte {
	if r.extraPart != nil {
		return r.extraPart
	}
	var content []byte
	for _, t := range r.extra {
		content = appendPlain(content, t, r.nl)
	}
	cs := "us-ascii"
	if !isASCII(content) {
		cs = "utf-8"
	}
	cte := chooseCTE("text/plain", content)
	var buf bytes.Buffer
	buf.WriteString("Content-Type: text/plain; charset=" + cs + r.nl)
	buf.WriteString("Content-Transfer-Encoding: " + cte + r.nl)
	buf.WriteString("Content-Disposition: inline" + r.nl + r.nl)
	buf.Write(encodeBody(content, cte, r.nl))
	r.extraPart = buf.Bytes()
	return r.extraPart
}
