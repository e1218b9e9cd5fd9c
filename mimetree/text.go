package mimetree

import "strings"

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
		b.WriteString(strings.ToValidUTF8(toUTF8(o.Charset, withoutUU(o)), "\uFFFD"))
	}
	return b.String()
}

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
