package pyzor

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDigest feeds arbitrary messages to the digest: it must not panic,
// must be a SHA-1 in hex, and must not depend on anything but the input.
// The text of HTML parts must come out free of Python blanks at its ends
// and every normalized line free of them altogether.
func FuzzDigest(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		if raw, err := os.ReadFile(name); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("Content-Type: text/html\n\n<p>a &amp; b</p><script>x</script>&#1;"))
	f.Add([]byte("Content-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: base64\n\nQUJD=\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := digestOf(raw)
		if b, err := hex.DecodeString(d); err != nil || len(b) != 20 {
			t.Fatalf("digest %q", d)
		}
		if again := digestOf(raw); again != d {
			t.Fatalf("digest changed: %s then %s", d, again)
		}
		text := htmlText(string(raw))
		if strings.TrimFunc(text, isPySpace) != text {
			t.Fatalf("htmlText %q has blanks at its ends", text)
		}
		for _, line := range splitLines(string(raw)) {
			n := normalize(line)
			if strings.IndexFunc(n, isPySpace) >= 0 || utf8.RuneCountInString(n) > utf8.RuneCountInString(line) {
				t.Fatalf("normalize(%q) = %q", line, n)
			}
		}
	})
}

// FuzzParseReply: parseReply must not panic, and what it accepts has the
// required fields and no negative counts.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte("Code: 200\nDiag: OK\nPV: 2.1\nThread: 36879\nCount: 1\nWL-Count: 0\n\n"))
	f.Add([]byte("Code: 401\r\nDiag: Unauthorized: Signature Error\r\nPV: 2.1\r\nThread: 1024\r\n\r\n"))
	f.Add([]byte("code:200\ndiag:\npv:2\nthread:-1\ncount: 99999999999999999999\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := parseReply(p)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v is not ErrProtocol", err)
			}
			return
		}
		if r.count < -1 || r.whitelisted < -1 {
			t.Fatalf("negative counts: %+v", r)
		}
	})
}
