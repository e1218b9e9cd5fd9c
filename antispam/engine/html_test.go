package engine

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/mimetree"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name, src  string
		words      []string // must be in the visible text
		absent     []string // must not
		hidden     bool
		obfuscated bool
		links      int
	}{
		{"plain", `<html><head><title>t</title><style>p{color:red}</style></head><body><p>Hello <b>Bob</b>, see you.</p><script>var spam=1</script></body></html>`,
			[]string{"Hello", "Bob", "see you"}, []string{"color", "spam"}, false, false, 0},
		{"hidden", `<p>Buy now</p><div style="display:none">the quick brown fox jumps over the lazy dog</div><span style="font-size:1px">more innocent words here</span>`,
			[]string{"Buy now"}, []string{"quick", "innocent"}, true, false, 0},
		{"font size 0", `<p>Buy now</p><font size="0">the quick brown fox jumps over the lazy dog</font>`,
			[]string{"Buy now"}, []string{"quick"}, true, false, 0},
		{"relative font sizes", `<font size="-1">the quick brown fox jumps</font> <font size=-2>over the lazy dog</font> <font size="+1">and back again</font>`,
			[]string{"quick brown fox", "lazy dog", "back again"}, nil, false, false, 0},
		{"entities", `<p>&#86;&#105;&#97;&#103;&#114;&#97; cheap</p>`, []string{"Viagra"}, nil, false, true, 0},
		{"css split", `<p>V<span>i</span>a<b>g</b>r<i>a</i> now</p>`, []string{"Viagra now"}, nil, false, true, 0},
		{"zero width", "<p>V\u200bi\u200ba\u200bgra</p>", []string{"Viagra"}, nil, false, true, 0},
		{"links", `<a href="http://spam.example.com/x">x</a><img src="https://img.example.net/a.png">`, nil, nil, false, false, 2},
		{"broken", `<p>unclosed <b>tags <div style="display:none">hid`, []string{"unclosed", "tags"}, []string{"hid"}, false, false, 0},
	}
	for _, tc := range tests {
		h := parseHTML(tc.src)
		norm := strings.Join(strings.Fields(h.visible), " ")
		for _, w := range tc.words {
			if !strings.Contains(norm, w) {
				t.Errorf("%s: %q missing from %q", tc.name, w, norm)
			}
		}
		for _, w := range tc.absent {
			if strings.Contains(norm, w) {
				t.Errorf("%s: %q shown in %q", tc.name, w, norm)
			}
		}
		if (h.hidden >= minHiddenChars) != tc.hidden {
			t.Errorf("%s: hidden %d", tc.name, h.hidden)
		}
		if (h.obfuscation >= minObfuscations) != tc.obfuscated {
			t.Errorf("%s: obfuscation %d", tc.name, h.obfuscation)
		}
		if len(h.links) != tc.links {
			t.Errorf("%s: links %v", tc.name, h.links)
		}
	}
}

func TestLinkTargets(t *testing.T) {
	got := linkTargets([]string{"http://www.shop.example.co.uk/a?b", "https://EXAMPLE.co.uk/", "www.spam.example.com/x",
		"mailto:a@example.org", "http://192.0.2.5/x", "http://3221225994/", "cid:part1", "http://[2001:db8::1]/", "http://localhost/"})
	var s []string
	for _, tg := range got {
		if tg.ip.IsValid() {
			s = append(s, tg.ip.String())
		} else {
			s = append(s, tg.domain)
		}
	}
	want := "example.co.uk example.com 192.0.2.5 192.0.2.10 2001:db8::1"
	if strings.Join(s, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(s, " "), want)
	}
}

func TestTokens(t *testing.T) {
	got := Tokens("Cheap Offer", "cheap CHEAP pills, a x 1234567890123456789012345 it's $100")
	want := "s:cheap s:offer cheap pills it's $100"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q", strings.Join(got, " "))
	}
}

func FuzzParseHTML(f *testing.F) {
	f.Add(`<p>V<span>i</span>agra <a href="http://x.example">x</a></p>`)
	f.Add(`<div style="display:none">&#86;&#x69;</div><font size=0>a</font>`)
	f.Add(`<<<>>><script><p></script>`)
	f.Fuzz(func(t *testing.T, src string) {
		h := parseHTML(src)
		if h.hidden < 0 || h.obfuscation < 0 || len(h.links) > maxLinks {
			t.Fatalf("bad result %+v", h)
		}
	})
}

// FuzzTextLinks holds textLinks to the regular expression it replaces.
func FuzzTextLinks(f *testing.F) {
	re := regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]{}]+`)
	for _, s := range []string{"see http://a.example/x?y=1 now", "WWW.Example.com, (https://b.test/)", "xhttp://no www.", "é www.x.test\thttps://", "_www.a https://\x80z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := re.FindAllString(s, maxLinks)
		got := textLinks(s)
		if !slices.Equal(got, want) {
			t.Errorf("textLinks(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestStartsHTML(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"<HTML><BODY>hi</BODY></HTML>", true},
		{"\r\n\r\n  <html>", true},
		{"<!-- saved from url -->\n<head><title>x</title>", true},
		{"<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\">", true},
		{"<body bgcolor=white>", true},
		{"<!-- unterminated <html>", false},
		{"Hello,\n<html> is a tag I like", false},
		{"<htmlfoo>", false},
		{"<b>bold</b>", false},
		{"", false},
	} {
		if got := startsHTML(tc.text); got != tc.want {
			t.Errorf("startsHTML(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// A body without a Content-Type is text/plain (RFC 2045 5.2), yet when it
// is an HTML document its script is not text and its links are links.
func TestPlainPartThatIsHTML(t *testing.T) {
	raw := "Subject: hi\r\n\r\n<HTML>\r\n<HEAD><SCRIPT language=JavaScript>var char_escaped = unescape(x);</SCRIPT></HEAD>\r\n" +
		"<BODY>Remember <a href=\"http://offer.example.com/\">me</a>?</BODY></HTML>\r\n"
	c := extractContent(mimetree.Parse([]byte(raw), mimetree.Limits{}))
	if strings.Contains(c.text, "escaped") || strings.Contains(c.text, "<BODY>") || !strings.Contains(c.text, "Remember") {
		t.Errorf("text = %q", c.text)
	}
	if !slices.Contains(c.links, "http://offer.example.com/") {
		t.Errorf("links = %q", c.links)
	}
	plain := extractContent(mimetree.Parse([]byte("Subject: hi\r\n\r\nThe <body> tag, with var x.\r\n"), mimetree.Limits{}))
	if !strings.Contains(plain.text, "<body> tag, with var x") {
		t.Errorf("a plain text that only mentions a tag changed: %q", plain.text)
	}
}
