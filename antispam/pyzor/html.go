package pyzor

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

// tailWindow is how far Python's HTMLParser looks back from the end of
// its input for an "&": when one that no blank or ";" follows lies among
// the last 34 characters, it holds the text after the last tag back,
// waiting for the rest of a character reference. pyzor never calls
// close(), so that text is lost.
const tailWindow = 34

var tailEnd = regexp.MustCompile(`[` + pySpace + `;]`)

// htmlText reduces an HTML part to what pyzor digests of it: the text
// runs outside script and style elements, each trimmed, joined by spaces.
// It follows Python 3.11's html.parser, whose tokens pyzor collects,
// rather than HTML5: only script and style hold raw text, and a "<" that
// opens no tag is a text run of its own.
func htmlText(doc string) string {
	var runs []string
	collect := true
	z := xhtml.NewTokenizer(strings.NewReader(doc))
	pos := 0
	for {
		tt := z.Next()
		raw := string(z.Raw())
		pos += len(raw)
		switch tt {
		case xhtml.ErrorToken:
			return strings.Join(runs, " ")
		case xhtml.TextToken:
			if collect {
				runs = appendRuns(runs, raw, pos == len(doc))
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			name, _ := z.TagName()
			isRaw := string(name) == "script" || string(name) == "style"
			if isRaw {
				collect = tt == xhtml.EndTagToken || tt == xhtml.SelfClosingTagToken
			}
			if tt != xhtml.EndTagToken && (!isRaw || tt == xhtml.SelfClosingTagToken) {
				z.NextIsNotRawText()
			}
		}
	}
}

// appendRuns adds the text runs Python finds in one text token: it is cut
// at every "<" that opens no tag, that "<" being a run of its own. A "<"
// that x/net/html left in the text although it starts a construct for
// Python (a letter, "/", "!" or "?" follows), or a "<" ending the
// document, is one Python waits to complete: it and all after it are lost.
func appendRuns(runs []string, raw string, atEnd bool) []string {
	for {
		before, after, found := strings.Cut(raw, "<")
		if !found && atEnd && heldBack(before) {
			return runs
		}
		runs = appendRun(runs, unescape(before))
		if !found {
			return runs
		}
		if after == "" && atEnd || opensConstruct(after) {
			return runs
		}
		runs = append(runs, "<")
		raw = after
	}
}

// opensConstruct reports whether Python's HTMLParser reads "<" followed
// by rest as the start of a tag, end tag, comment, declaration or
// processing instruction.
func opensConstruct(rest string) bool {
	if rest == "" {
		return false
	}
	c := rest[0]
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

func appendRun(runs []string, s string) []string {
	if s = strings.TrimFunc(s, isPySpace); s != "" {
		runs = append(runs, s)
	}
	return runs
}

// heldBack reports whether Python keeps the final text run s unparsed.
// The window counts characters, not bytes.
func heldBack(s string) bool {
	from := len(s)
	for n := 0; n < tailWindow && from > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(s[:from])
		from -= size
	}
	amp := strings.LastIndexByte(s[from:], '&')
	return amp >= 0 && !tailEnd.MatchString(s[from+amp:])
}

// charRef is the character reference pattern of Python's html.unescape.
var charRef = regexp.MustCompile(`&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`)

// unescape is Python's html.unescape. Named references are looked up
// like Python does by Go's html package; numeric ones follow Python,
// which drops the code points HTML5 calls invalid where Go keeps them.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return charRef.ReplaceAllStringFunc(s, func(ref string) string {
		if len(ref) < 2 || ref[1] != '#' {
			return html.UnescapeString(ref)
		}
		digits, base := strings.TrimSuffix(ref[2:], ";"), 10
		if digits[0] == 'x' || digits[0] == 'X' {
			digits, base = digits[1:], 16
		}
		n, err := strconv.ParseInt(digits, base, 32)
		switch {
		case err != nil || n > unicode.MaxRune || n >= 0xd800 && n <= 0xdfff:
			return "\uFFFD"
		case n == 0 || n == '\r' || n >= 0x80 && n <= 0x9f:
			// HTML5's replacements of these, which Python shares.
			return html.UnescapeString("&#" + strconv.FormatInt(n, 10) + ";")
		case invalidCodePoint(rune(n)):
			return ""
		}
		return string(rune(n))
	})
}

// invalidCodePoint is Python's html._invalid_codepoints: controls and
// noncharacters.
func invalidCodePoint(r rune) bool {
	return r >= 0x1 && r <= 0x8 || r == 0xb || r >= 0xe && r <= 0x1f || r >= 0x7f && r <= 0x9f ||
		r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe
}
