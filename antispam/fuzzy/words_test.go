package fuzzy

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// referenceWords is the first Words, with strings.Fields and FieldsFunc,
// kept as the specification of the faster one.
func referenceWords(text string) []string {
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	isLink := func(f string) bool {
		l := strings.ToLower(f)
		if strings.Contains(l, "://") || strings.HasPrefix(l, "mailto:") || strings.Contains(l, "@") {
			return true
		}
		t := strings.TrimFunc(l, notLetter)
		i := strings.LastIndexByte(t, '.')
		return i > 0 && i < len(t)-1
	}
	var out []string
	for _, f := range strings.Fields(text) {
		if len(out) >= maxWords {
			break
		}
		if isLink(f) {
			continue
		}
		for _, w := range strings.FieldsFunc(f, notLetter) {
			n := utf8.RuneCountInString(w)
			if n >= minWordLen && n <= maxWordLen && strings.IndexFunc(w, unicode.IsDigit) < 0 {
				out = append(out, strings.ToLower(w))
			}
		}
	}
	return out
}

func FuzzWords(f *testing.F) {
	for _, s := range []string{"Buy CHEAP pills at http://x.example.com now!", "mail me: bob@example.org, MAILTO:x", "end. example.com x7k2q Ünïcode\u00a0spaces\u2003here",
		"caf\xe9 \xff ok", "a bb " + strings.Repeat("y", 41)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > MaxTextBytes {
			s = s[:MaxTextBytes]
		}
		got, want := Words(s), referenceWords(s)
		if len(want) > maxWords {
			want = want[:maxWords]
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("Words(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkWords reads MaxTextBytes of prose and of the long letter runs
// (encoded data, generated filler) that hold no words.
func BenchmarkWords(b *testing.B) {
	for _, in := range []struct{ name, line string }{
		{"prose", "Dear Friend, this is the Offer you have waited for; visit www.example.com today!\r\n"},
		{"runs", strings.Repeat("X", 78) + "\r\n"},
	} {
		text := strings.Repeat(in.line, MaxTextBytes/len(in.line))
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				Words(text)
			}
		})
	}
}
