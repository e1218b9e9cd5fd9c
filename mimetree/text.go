package mimetree

import (
	"strings"
	"unicode/utf8"
)

// Text returns the text of the message for content filters: every
// text/plain leaf that is not an attachment, uuencoded blocks cut out,
// converted to UTF-8 when its charset is known (invalid UTF-8 is replaced),
// joined by newlines.
func (m *Message) Text() string {
	var b strings.Builder
	for _, o := range m.Objects {
		if o.Kind != KindLeaf || o.MediaType != "text/plain" || o.Disposition == "attachment" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(o.Text())
	}
	return b.String()
}

// Text returns the content of a leaf as UTF-8 (converted from its charset
// when known, invalid bytes replaced), uuencoded blocks cut out. Content
// filters read text/plain and text/html parts through it.
func (o *Object) Text() string {
	s := toUTF8(o.Charset, withoutUU(o))
	if utf8.ValidString(s) { // the common case, checked eight bytes at a time
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// DecodeWords decodes the RFC 2047 encoded words of a header value in any
// known charset, leaving s as it is when it cannot be decoded.
func DecodeWords(s string) string { return decodeWords(s) }

// withoutUU returns o's content without its uuencoded blocks.
func withoutUU(o *Object) []byte {
	if len(o.Children) == 0 {
		return o.Content
	}
	var out []byte
	cur := 0
	for _, u := range o.Children {
		out = append(out, o.Content[cur:u.BlockStart]...)
		cur = u.BlockEnd
	}
	return append(out, o.Content[cur:]...)
}

// RawBody returns the body of an entity as it stands in the message,
// transfer encoding not undone (nil for uuencoded blocks). Digests that
// must match other implementations byte for byte read non-text parts
// through it.
func (o *Object) RawBody() []byte {
	if o.Kind == KindUUEncoded || o.src == nil {
		return nil
	}
	return o.src[o.bodyStart:o.end:o.end]
}
