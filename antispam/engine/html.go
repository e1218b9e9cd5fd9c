package engine

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// htmlText is what a text/html part yields to the content checks.
type htmlText struct {
	visible     string   // what a reader sees, words restored across inline tags
	hidden      int      // characters of text hidden from the reader
	obfuscation int      // words broken up by markup, entities or invisible characters
	links       []string // href and src values
}

// Elements whose content is never shown, and inline elements that do not
// separate words: "V<b>i</b>agra" reads as one word.
var (
	notShown = map[string]bool{"script": true, "style": true, "head": true, "noscript": true, "template": true}
	inline   = map[string]bool{"a": true, "b": true, "i": true, "u": true, "s": true, "em": true, "strong": true,
		"span": true, "font": true, "small": true, "big": true, "sub": true, "sup": true, "mark": true, "abbr": true, "wbr": true}
	hiddenStyleRE = regexp.MustCompile(`(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[0-2](?:\.\d+)?(?:px|pt)?\s*(?:;|$)|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)|(?:^|;)\s*(?:max-)?height\s*:\s*0(?:px)?\s*(?:;|$)`)
	numEntityRE   = regexp.MustCompile(`&#(?:[0-9]{2,3}|[xX][0-9a-fA-F]{2});`)
)

// invisible are characters that render as nothing; spammers put them
// inside words to break them for filters.
func invisible(r rune) bool {
	switch r {
	case '\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return false
}

// parseHTML walks the token stream of an HTML part. A tokenizer rather
// than a tree keeps the cost linear and tolerates any markup.
func parseHTML(src string) htmlText {
	var out htmlText
	out.obfuscation = asciiEntities(src)
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(src))
	var stack []bool // hidden state per open element
	skip := 0        // depth inside notShown elements
	lastInline := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			out.visible = b.String()
			return out
		case html.TextToken:
			text := string(z.Text())
			if skip > 0 {
				continue
			}
			if len(stack) > 0 && stack[len(stack)-1] {
				out.hidden += len(strings.TrimSpace(text))
				continue
			}
			text = stripInvisible(text, &out.obfuscation)
			if lastInline && b.Len() > 0 && startsWord(text) && endsWord(b.String()) {
				out.obfuscation++
			}
			b.WriteString(text)
			lastInline = false
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if notShown[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			hidden := len(stack) > 0 && stack[len(stack)-1]
			if hasAttr && tt != html.EndTagToken {
				hidden = readAttrs(z, &out, tag) || hidden
			}
			switch {
			case tt == html.StartTagToken && !voidElement(tag):
				stack = append(stack, hidden)
			case tt == html.EndTagToken && len(stack) > 0:
				stack = stack[:len(stack)-1]
			}
			lastInline = inline[tag]
			if !lastInline {
				b.WriteByte(' ')
			}
		}
	}
}

// readAttrs collects links and reports whether the element hides its
// content.
func readAttrs(z *html.Tokenizer, out *htmlText, tag string) bool {
	hidden := false
	for {
		k, val, more := z.TagAttr()
		key, value := string(k), string(val)
		switch key {
		case "href", "src":
			if value != "" && len(out.links) < maxLinks {
				out.links = append(out.links, value)
			}
		case "style":
			hidden = hidden || hiddenStyleRE.MatchString(value)
		case "hidden":
			hidden = true
		case "size":
			// Only an absolute size of 0 hides: "-1" and "+2" are sizes
			// relative to the base font (HTML 3.2 FONT), and 1 is small
			// but readable.
			if v := strings.TrimSpace(value); tag == "font" && v != "" && v[0] != '-' && v[0] != '+' {
				if n, err := strconv.Atoi(v); err == nil && n <= 0 {
					hidden = true
				}
			}
		}
		if !more {
			return hidden
		}
	}
}

// asciiEntities counts letters and digits written as numeric entities:
// nobody writes "&#86;" for V except to hide a word.
func asciiEntities(src string) int {
	n := 0
	for _, m := range numEntityRE.FindAllString(src, 200) {
		s := strings.TrimSuffix(strings.TrimPrefix(m, "&#"), ";")
		base := 10
		if s[0] == 'x' || s[0] == 'X' {
			s, base = s[1:], 16
		}
		c, err := strconv.ParseInt(s, base, 32)
		if err == nil && c < 128 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))) {
			n++
		}
	}
	return n
}

func stripInvisible(s string, count *int) string {
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			*count++
			return -1
		}
		return r
	}, s)
}

func startsWord(s string) bool {
	for _, r := range s {
		return unicode.IsLetter(r)
	}
	return false
}

func endsWord(s string) bool {
	r := []rune(s[max(0, len(s)-8):])
	return len(r) > 0 && unicode.IsLetter(r[len(r)-1])
}

func voidElement(tag string) bool {
	switch tag {
	case "br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr":
		return true
	}
	return false
}
