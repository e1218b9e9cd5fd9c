package mimetree

import (
	"bytes"
	"strings"

	"github.com/emersion/go-message"
)

// field is one header field as go-message keeps it: raw bytes with the
// original folding, each physical line ending in CRLF.
type field struct {
	key string
	raw []byte
}

// fieldList is a header in top-to-bottom order. go-message's Header can
// only prepend fields, which makes rewriting one field in place awkward.
type fieldList []field

func fieldsOf(h message.Header) fieldList {
	var fs fieldList
	for it := h.Fields(); it.Next(); {
		if raw, err := it.Raw(); err == nil {
			fs = append(fs, field{it.Key(), raw})
		}
	}
	return fs
}

// newField formats a field with go-message (folding long values); it fails
// on values holding line breaks and on invalid names. The name keeps the
// given spelling ("MIME-Version", not go-message's "Mime-Version").
func newField(k, v string) (field, error) {
	var h message.Header
	h.Add(k, v)
	raw, err := h.Raw(k)
	if err != nil {
		return field{}, err
	}
	return field{k, append([]byte(k), raw[len(k):]...)}, nil
}

// set replaces the first field named k in place (dropping any later ones),
// or appends it.
func (fs fieldList) set(k, v string) (fieldList, error) {
	f, err := newField(k, v)
	if err != nil {
		return fs, err
	}
	out := make(fieldList, 0, len(fs)+1)
	done := false
	for _, x := range fs {
		switch {
		case !strings.EqualFold(x.key, k):
			out = append(out, x)
		case !done:
			out = append(out, f)
			done = true
		}
	}
	if !done {
		out = append(out, f)
	}
	return out, nil
}

// isMIMEField reports whether a field describes the entity rather than the
// message: MIME-Version and Content-*.
func isMIMEField(k string) bool {
	return strings.EqualFold(k, "MIME-Version") ||
		len(k) >= 8 && strings.EqualFold(k[:8], "Content-")
}

// filter keeps the fields for which isMIMEField returns mime.
func (fs fieldList) filter(mime bool) fieldList {
	var out fieldList
	for _, f := range fs {
		if isMIMEField(f.key) == mime {
			out = append(out, f)
		}
	}
	return out
}

// write writes the fields and the blank line ending the header, with nl
// line endings.
func (fs fieldList) write(buf *bytes.Buffer, nl string) {
	for _, f := range fs {
		if nl == "\r\n" {
			buf.Write(f.raw)
		} else {
			buf.Write(bytes.ReplaceAll(f.raw, []byte("\r\n"), []byte(nl)))
		}
	}
	buf.WriteString(nl)
}

// header converts back to a go-message Header in the same order.
func (fs fieldList) header() message.Header {
	var h message.Header
	for i := len(fs) - 1; i >= 0; i-- {
		h.AddRaw(fs[i].raw) // AddRaw prepends
	}
	return h
}

// drop removes the fields named k.
func (fs fieldList) drop(k string) fieldList {
	var out fieldList
	for _, f := range fs {
		if !strings.EqualFold(f.key, k) {
			out = append(out, f)
		}
	}
	return out
}

// withMIMEVersion puts "MIME-Version: 1.0" first and drops other copies.
func (fs fieldList) withMIMEVersion() fieldList {
	v, _ := newField("MIME-Version", "1.0")
	return append(fieldList{v}, fs.drop("MIME-Version")...)
}

// MergeHeader applies the topHeader returned by RenderBody to the original
// top-level header h: when top is not empty, every MIME field of h
// (MIME-Version and Content-*) is dropped and the fields of top are added
// after the remaining ones. With an empty top it returns a copy of h.
func MergeHeader(h, top message.Header) message.Header {
	if top.Len() == 0 {
		return h.Copy()
	}
	fs := append(fieldsOf(h).filter(false), fieldsOf(top)...)
	return fs.header()
}
