package imagehash_test

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam/imagehash"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		name, data string
		want       int    // entries
		err        string // part of the error; "" for none
	}{
		{"empty", "", 0, ""},
		{"comments", "# images\n\n  \n", 0, ""},
		{"two, CRLF", "a\tdhash:0123456789abcdef\r\nb c\t dhash:ffffffffffffffff \r\n", 2, ""},
		{"no final newline", "# x\nname\tdhash:0000000000000001", 1, ""},
		{"no tab", "name dhash:0123456789abcdef", 0, "list.txt:1: want NAME<TAB>VALUE"},
		{"no scheme", "name\t0123456789abcdef", 0, `must start with "dhash:"`},
		{"short hash on line 2", "# x\nname\tdhash:0123", 0, "list.txt:2: a hash has 16 hex digits"},
		{"not hex", "name\tdhash:0123456789abcdeX", 0, "16 hex digits"},
		{"empty name", "\tdhash:0123456789abcdef", 0, "1 to 200 bytes"},
		{"control in name", "a\x7fb\tdhash:0123456789abcdef", 0, "control characters"},
		{"too long", "x\t" + strings.Repeat("a", 600), 0, "longer than"},
	}
	for _, tc := range tests {
		l, err := imagehash.Parse("list.txt", []byte(tc.data))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		case err == nil && l.Len() != tc.want:
			t.Errorf("%s: %d entries, want %d", tc.name, l.Len(), tc.want)
		}
	}
}

func TestListMatch(t *testing.T) {
	spam := banner(400, 260, 4)
	h, _, err := imagehash.Of(encode(t, spam, "png"))
	if err != nil {
		t.Fatal(err)
	}
	data := "# known\n" + imagehash.Line(imagehash.Entry{Name: "offer.png", Hash: h}) + "\n" +
		imagehash.Line(imagehash.Entry{Name: "other", Hash: ^h}) + "\n"
	l, err := imagehash.Parse("images.txt", []byte(data))
	if err != nil || l.Len() != 2 {
		t.Fatalf("Parse: %v", err)
	}
	if name, d, err := l.Match(encode(t, scale(spam, 200, 130), "jpeg")); err != nil || name != "offer.png" || d > 4 {
		t.Errorf("rescaled copy: %q %d %v", name, d, err)
	}
	if _, d, err := l.Match(encode(t, banner(400, 260, 9), "png")); err != nil || d < 16 {
		t.Errorf("other image: distance %d %v", d, err)
	}
	if _, _, err := l.Match(bombPNG(1<<20, 1<<20)); err == nil {
		t.Error("bomb: no error")
	}
	if name, d, err := imagehash.NewList().Match(encode(t, spam, "png")); name != "" || d <= 64 || err != nil {
		t.Errorf("empty list: %q %d %v", name, d, err)
	}
	if n := imagehash.Merge(l, nil, l).Len(); n != 4 {
		t.Errorf("Merge: %d", n)
	}
}

// FuzzParseList: the list parser never panics, and what it accepts
// writes back to lines that parse to the same entries.
func FuzzParseList(f *testing.F) {
	f.Add([]byte("# c\n\nname\tdhash:0123456789abcdef\r\n"))
	f.Add([]byte("x\tdhash:"))
	f.Add([]byte("\t\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := imagehash.Parse("fuzz", data)
		if err != nil {
			return
		}
		var b strings.Builder
		for i := 0; i < l.Len(); i++ {
			b.WriteString(imagehash.Line(l.Entry(i)) + "\n")
		}
		back, err := imagehash.Parse("again", []byte(b.String()))
		if err != nil || back.Len() != l.Len() {
			t.Fatalf("written lines do not parse back: %v", err)
		}
		for i := 0; i < l.Len(); i++ {
			if back.Entry(i) != l.Entry(i) {
				t.Fatalf("entry %d changed", i)
			}
		}
	})
}

// FuzzOf: no image file makes Of panic or take long.
func FuzzOf(f *testing.F) {
	f.Add(bombPNG(100, 100))
	f.Add([]byte("GIF89a\x10\x00\x10\x00"))
	f.Add([]byte("BM"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, data []byte) {
		imagehash.Of(data)
	})
}
