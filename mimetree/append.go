package mimetree

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"strconv"
	"unicode/utf8"
)

// appendText records an AppendText edit. With Path "" the text goes to the
// first text/plain and the first text/html part of the main body; a text
// that cannot be added to a part as it is (text/plain in a charset other
// than UTF-8/US-ASCII, unless the text is ASCII and the charset
// ASCII-compatible) or that finds no text part goes into one new
// text/plain; charset=utf-8 part at the end of the top-level multipart
// (the message is wrapped into multipart/mixed when it has none).
func (r *renderer) appendText(e *Edit) error {
	if e.Path != "" {
		o, err := r.find(e.Path)
		if err != nil {
			return err
		}
		if !r.appendable(o) {
			return fmt.Errorf("cannot append text to %s %s", o.Kind, o.MediaType)
		}
		if !r.appendInline(o, e.Text) {
			r.addExtra(e.Text)
		}
		return nil
	}
	var plain, html *Object
	r.textTargets(r.m.Root, &plain, &html)
	fits := true
	for _, o := range []*Object{plain, html} {
		if o != nil && !r.appendInline(o, e.Text) {
			fits = false
		}
	}
	if !fits || plain == nil && html == nil {
		r.addExtra(e.Text)
	}
	return nil
}

// textTargets finds the first text/plain and text/html leaves of the main
// body: every alternative of a multipart/alternative, the first remaining
// part of any other multipart.
func (r *renderer) textTargets(o *Object, plain, html **Object) {
	switch {
	case r.appendable(o):
		if o.MediaType == "text/plain" && *plain == nil {
			*plain = o
		}
		if o.MediaType == "text/html" && *html == nil {
			*html = o
		}
	case o.Kind == KindMultipart && r.st[o.ID].repl == nil:
		for _, c := range o.Children {
			if r.st[c.ID].removed {
				continue
			}
			r.textTargets(c, plain, html)
			if o.MediaType != "multipart/alternative" {
				return
			}
		}
	}
}

// appendable reports whether o is a text leaf, not an attachment, still in
// place, whose transfer encoding can be redone.
func (r *renderer) appendable(o *Object) bool {
	s := &r.st[o.ID]
	return o.Kind == KindLeaf && !s.removed && s.repl == nil &&
		(o.MediaType == "text/plain" || o.MediaType == "text/html") &&
		o.Disposition != "attachment" && !errors.Is(o.Err, ErrMalformedHeader) &&
		(identityCTE(o.cte) || o.cte == "base64" || o.cte == "quoted-printable")
}

// appendInline queues text for o, or reports that it does not fit o's
// charset.
func (r *renderer) appendInline(o *Object, text string) bool {
	if o.MediaType == "text/plain" && !isUTF8Charset(o.Charset) && !(isASCII(text) && asciiCompatible(o.Charset)) ||
		o.MediaType == "text/html" && !asciiCompatible(o.Charset) {
		return false
	}
	r.st[o.ID].appends = append(r.st[o.ID].appends, text)
	r.markDirty(o)
	return true
}

func (r *renderer) addExtra(text string) {
	r.extra = append(r.extra, text)
	r.markDirty(r.m.Root)
}

// leafContent is o's content with its removed or replaced uuencoded blocks
// cut out and its appended texts added.
func (r *renderer) leafContent(o *Object) []byte {
	c := o.Content
	out := make([]byte, 0, len(c)+256)
	cur := 0
	for _, u := range o.Children {
		s := &r.st[u.ID]
		if !s.removed && s.repl == nil {
			continue
		}
		out = append(out, c[cur:u.BlockStart]...)
		if s.repl != nil {
			out = append(out, s.repl.Content...)
			if len(out) > 0 && out[len(out)-1] != '\n' && bytes.HasSuffix(c[:u.BlockEnd], []byte("\n")) {
				out = append(out, lineStyle(c, r.nl)...)
			}
		}
		cur = u.BlockEnd
	}
	out = append(out, c[cur:]...)
	for _, t := range r.st[o.ID].appends {
		if o.MediaType == "text/html" {
			out = appendHTML(out, t, lineStyle(c, r.nl))
		} else {
			out = appendPlain(out, t, lineStyle(c, r.nl))
		}
	}
	return out
}

// lineStyle is the line ending content uses, def when it has none.
func lineStyle(content []byte, def string) string {
	i := bytes.IndexByte(content, '\n')
	switch {
	case i < 0:
		return def
	case i > 0 && content[i-1] == '\r':
		return "\r\n"
	}
	return "\n"
}

// appendPlain adds text on a line of its own; the result ends in a line
// break when content did (or was empty).
func appendPlain(content []byte, text, nl string) []byte {
	t := normalizeNL([]byte(text), nl)
	endsNL := len(content) == 0 || content[len(content)-1] == '\n'
	if !endsNL {
		content = append(content, nl...)
	}
	content = append(content, t...)
	if endsNL && len(t) > 0 && t[len(t)-1] != '\n' {
		content = append(content, nl...)
	}
	return content
}

// appendHTML inserts text as a <pre> block before the last </body>, or at
// the end. Non-ASCII characters become character references so that the
// block is right in any ASCII-compatible charset.
func appendHTML(content []byte, text, nl string) []byte {
	block := append([]byte("<pre>"), escapeHTML(text, nl)...)
	block = append(block, "</pre>"+nl...)
	i := lastIndexFoldASCII(content, "</body")
	if i < 0 {
		if len(content) > 0 && content[len(content)-1] != '\n' {
			content = append(content, nl...)
		}
		return append(content, block...)
	}
	out := make([]byte, 0, len(content)+len(block))
	out = append(append(append(out, content[:i]...), block...), content[i:]...)
	return out
}

func escapeHTML(text, nl string) []byte {
	esc := normalizeNL([]byte(html.EscapeString(text)), nl)
	out := make([]byte, 0, len(esc))
	for len(esc) > 0 {
		ch, size := utf8.DecodeRune(esc)
		if ch < utf8.RuneSelf {
			out = append(out, esc[0])
		} else {
			out = append(out, "&#"+strconv.Itoa(int(ch))+";"...)
		}
		esc = esc[size:]
	}
	return out
}

// lastIndexFoldASCII is bytes.LastIndex for a lowercase ASCII sub, ignoring
// ASCII case only (bytes.ToLower could change the length of non-ASCII text
// and shift the index).
func lastIndexFoldASCII(s []byte, sub string) int {
outer:
	for i := len(s) - len(sub); i >= 0; i-- {
		for j := 0; j < len(sub); j++ {
			if lowerASCII(s[i+j]) != sub[j] {
				continue outer
			}
		}
		return i
	}
	return -1
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
