package mimetree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func emlFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	return files
}

// tree is a compact description of the objects: "path kind type" lines.
func tree(m *Message) string {
	var b strings.Builder
	for _, o := range m.Objects {
		fmt.Fprintf(&b, "%q %s %s\n", o.Path, o.Kind, o.MediaType)
	}
	return b.String()
}

// checkSpans verifies the invariants render relies on: each multipart body
// is exactly preamble+delimiter, parts and the delimiters between them,
// then the tail; spans are ordered and inside their parent.
func checkSpans(t testing.TB, m *Message) {
	t.Helper()
	for _, o := range m.Objects {
		if o.Kind == KindUUEncoded {
			p := o.Parent
			if o.BlockStart < 0 || o.BlockStart > o.BlockEnd || o.BlockEnd > len(p.Content) {
				t.Fatalf("%q: bad block [%d,%d) in %d bytes", o.Path, o.BlockStart, o.BlockEnd, len(p.Content))
			}
			continue
		}
		if !(o.start <= o.bodyStart && o.bodyStart <= o.end && o.end <= len(o.src)) {
			t.Fatalf("%q: bad span %d %d %d (src %d)", o.Path, o.start, o.bodyStart, o.end, len(o.src))
		}
		if o.Kind != KindMultipart || len(o.Children) == 0 {
			continue
		}
		var b bytes.Buffer
		b.Write(o.src[o.bodyStart:o.Children[0].start])
		for i, c := range o.Children {
			if i > 0 {
				prev := o.Children[i-1]
				if prev.end > c.start {
					t.Fatalf("%q: children overlap", o.Path)
				}
				b.Write(o.src[prev.end:c.start])
			}
			b.Write(o.src[c.start:c.end])
		}
		if o.tail < o.Children[len(o.Children)-1].end || o.tail > o.end {
			t.Fatalf("%q: bad tail", o.Path)
		}
		b.Write(o.src[o.tail:o.end])
		if !bytes.Equal(b.Bytes(), o.src[o.bodyStart:o.end]) {
			t.Fatalf("%q: spans do not reassemble the body", o.Path)
		}
	}
}

type goPart struct {
	header textproto.Header
	body   []byte
}

// goMessageParts splits a multipart body with go-message's own reader.
// clean is false when go-message reported an error (it then stops).
func goMessageParts(body []byte, boundary string) (parts []goPart, clean bool) {
	mr := textproto.NewMultipartReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return parts, true
		}
		if err != nil {
			return parts, false
		}
		b, err := io.ReadAll(p)
		parts = append(parts, goPart{p.Header, b})
		if err != nil {
			return parts, false
		}
	}
}

// uniformLineEndings reports whether b uses only CRLF or only bare LF:
// go-message fixes the line ending at the first delimiter, we do per line.
func uniformLineEndings(b []byte) bool {
	crlf := bytes.Count(b, []byte("\r\n"))
	return crlf == 0 && bytes.IndexByte(b, '\r') < 0 || crlf == bytes.Count(b, []byte("\n"))
}

// compareWithGoMessage checks that every multipart was split exactly like
// go-message splits it (count, headers, raw bodies), wherever go-message
// splits it without error. It returns how many multiparts were compared.
func compareWithGoMessage(t testing.TB, m *Message) int {
	t.Helper()
	n := 0
	for _, o := range m.Objects {
		b := o.Params["boundary"]
		if !strings.HasPrefix(o.MediaType, "multipart/") || b == "" ||
			errors.Is(o.Err, ErrTooDeep) || errors.Is(o.Err, ErrTooManyParts) || errors.Is(o.Err, ErrMalformedHeader) {
			continue
		}
		body := o.src[o.bodyStart:o.end]
		parts, clean := goMessageParts(body, b)
		if !clean || !uniformLineEndings(body) {
			continue
		}
		n++
		if len(parts) != len(o.Children) {
			t.Fatalf("%q: go-message finds %d parts, we find %d", o.Path, len(parts), len(o.Children))
		}
		for i, c := range o.Children {
			if !bytes.Equal(parts[i].body, c.src[c.bodyStart:c.end]) {
				t.Fatalf("%q: body differs from go-message's:\n%q\n%q", c.Path, parts[i].body, c.src[c.bodyStart:c.end])
			}
			if got, want := fmt.Sprint(c.Header.Map()), fmt.Sprint(parts[i].header.Map()); got != want {
				t.Fatalf("%q: header differs from go-message's: %s vs %s", c.Path, got, want)
			}
		}
	}
	return n
}
