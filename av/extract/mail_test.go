package extract

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// mailWith returns a message whose second part is a base64 attachment.
func mailWith(subject, filename string, data []byte) string {
	return "From: a@example.com\nTo: b@example.com\nSubject: " + subject + "\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nhello\n" +
		"--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n" +
		"Content-Disposition: attachment; filename=\"" + filename + "\"\n\n" +
		base64.StdEncoding.EncodeToString(data) + "\n--b1--\n"
}

func TestMailBases(t *testing.T) {
	exe := fakeExe()
	uu := "From: c@example.com\nSubject: uu\n\nHere it is:\n\nbegin 644 tool.exe\n" + uuLine(string(exe[:45])) +
		uuLine(string(exe[45:90])) + "`\nend\n"
	nested := "From: d@example.com\nSubject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n" +
		"--o\nContent-Type: text/plain\n\nsee inner\n--o\nContent-Type: message/rfc822\n\n" +
		mailWith("inner", "in.exe", exe) + "\n--o--\n"
	tests := []struct {
		name  string
		file  string
		data  func(t *testing.T) []byte
		paths []string
		leaf  string // path of a member whose Data must be (a prefix of) exe
	}{
		{"mbox of two messages", "box.mbox", func(t *testing.T) []byte {
			z := zipOf(t, file{name: "x.exe", data: exe})
			return []byte("From a@example.com Thu Jul 31 13:51:21 2008\n" + mailWith("one", "a.zip", z) +
				"\nFrom c@example.com Thu Jul 31 13:52:00 2008\n" + uu)
		}, []string{"box.mbox", "box.mbox/message1", "box.mbox/message1/part1", "box.mbox/message1/a.zip",
			"box.mbox/message1/a.zip/x.exe", "box.mbox/message2", "box.mbox/message2/part1", "box.mbox/message2/part1/tool.exe"},
			"box.mbox/message1/a.zip/x.exe"},
		{"eml with a nested message", "fwd.eml", func(*testing.T) []byte { return []byte(nested) },
			[]string{"fwd.eml", "fwd.eml/part1", "fwd.eml/part2", "fwd.eml/part2/part1", "fwd.eml/part2/in.exe"},
			"fwd.eml/part2/in.exe"},
		{"an unescaped From line inside a body does not split", "b.mbox", func(*testing.T) []byte {
			return []byte("From a@b Thu Jul 31 13:51:21 2008\nFrom: a@b\nSubject: s\n\nline\nFrom here on, text\nmore\n")
		}, []string{"b.mbox", "b.mbox/message1", "b.mbox/message1/part1"}, ""},
		{"single-part message", "m.eml", func(*testing.T) []byte {
			return []byte("From: a@b\nSubject: s\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" +
				base64.StdEncoding.EncodeToString(exe) + "\n")
		}, []string{"m.eml", "m.eml/part1"}, "m.eml/part1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := walk(t, tc.file, tc.data(t), all())
			if w.err != nil {
				t.Fatal(w.err)
			}
			if got := strings.Join(w.paths(), "\n"); got != strings.Join(tc.paths, "\n") {
				t.Fatalf("paths\n got %q\nwant %q", w.paths(), tc.paths)
			}
			for _, m := range w.members {
				if m.Err != nil {
					t.Errorf("%q: %v", m.Path, m.Err)
				}
				checkInvariants(t, m, Limits{}.withDefaults())
			}
			if tc.leaf != "" {
				m := w.get(tc.leaf)
				if len(m.Data) == 0 || !bytes.HasPrefix(exe, m.Data) || m.Type != typeDosExec {
					t.Errorf("%s: type %s, %q", tc.leaf, m.Type, m.Data)
				}
			}
		})
	}
}

func TestUUDecode(t *testing.T) {
	in := []byte("any carnal pleasure, with the trailing bytes: \x00\xff")
	var enc strings.Builder
	for i := 0; i < len(in); i += 45 {
		enc.WriteString(uuLine(string(in[i:min(i+45, len(in))])))
	}
	if got := uudecode([]byte(enc.String() + "`\n")); !bytes.Equal(got, in) {
		t.Errorf("uudecode = %q, want %q", got, in)
	}
}
