package mimetree

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and renders edits on every
// object: nothing may panic, the tree must be consistent, the multipart
// split must agree with go-message where go-message succeeds, and a render
// without edits must give back the body unchanged.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, tc := range toleranceCases {
		f.Add([]byte(tc.raw))
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b--"))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\nbegin 644 x\r\n!80``\r\n`\r\nend\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw, Limits{})
		checkTree(t, m)
		checkSpans(t, m)
		compareWithGoMessage(t, m)
		if body, top, err := m.RenderBody(nil); err != nil || top.Len() != 0 || !bytes.Equal(body, m.Raw[m.HeaderLen:]) {
			t.Fatalf("render without edits: %v", err)
		}
		for i, o := range m.Objects {
			if i == 40 {
				break
			}
			body := renderAndReparse(t, m, []Edit{{Op: Remove, Path: o.Path}})
			checkSiblingsKept(t, m, o, body)
		}
		renderAndReparse(t, m, []Edit{{Op: AppendText, Text: "Scanned – mailgw\n<ok>"}})
		renderAndReparse(t, m, []Edit{{Op: Replace, Path: "", Content: raw}})
		if len(m.Objects) > 1 {
			last := m.Objects[len(m.Objects)-1].Path
			renderAndReparse(t, m, []Edit{{Op: Replace, Path: last, Content: []byte("x\x00y")}, {Op: AppendText, Text: "plain"}})
		}
	})
}

func renderAndReparse(t *testing.T, m *Message, edits []Edit) []byte {
	t.Helper()
	body, top, err := m.RenderBody(edits)
	if err != nil {
		t.Fatalf("%v: %v", edits, err)
	}
	again := Parse(fullMessage(t, m, body, top), Limits{})
	checkTree(t, again)
	checkSpans(t, again)
	return body
}

// checkSiblingsKept: removing a part copies its siblings byte-for-byte
// (when they live in Raw, not in a decoded message/rfc822 body).
func checkSiblingsKept(t *testing.T, m *Message, removed *Object, body []byte) {
	t.Helper()
	p := removed.Parent
	if p == nil || p.Kind != KindMultipart || len(p.src) == 0 || &p.src[0] != &m.Raw[0] {
		return
	}
	for _, c := range p.Children {
		if c != removed && !bytes.Contains(body, c.src[c.start:c.end]) {
			t.Fatalf("removing %q changed sibling %q", removed.Path, c.Path)
		}
	}
}

// checkTree verifies IDs, pre-order, parent links, depth and unique paths.
func checkTree(t *testing.T, m *Message) {
	t.Helper()
	seen := make(map[string]bool, len(m.Objects))
	if len(m.Objects) == 0 || m.Objects[0] != m.Root || m.Root.Path != "" {
		t.Fatal("no root")
	}
	for i, o := range m.Objects {
		if o.ID != i || seen[o.Path] {
			t.Fatalf("object %d: ID %d, path %q repeated %v", i, o.ID, o.Path, seen[o.Path])
		}
		seen[o.Path] = true
		for _, c := range o.Children {
			if c.Parent != o || c.ID <= o.ID || c.Depth != o.Depth+1 {
				t.Fatalf("%q: bad child %q", o.Path, c.Path)
			}
		}
		if (o.Kind == KindMultipart || o.Kind == KindMessage) && o.Content != nil {
			t.Fatalf("%q: container with content", o.Path)
		}
	}
}
