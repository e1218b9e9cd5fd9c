package engine

import (
	"net/netip"
	"net/url"
	"strings"
)

// maxURIQueries bounds the SURBL lookups of one message.
const maxURIQueries = 20

// linkPrefixes start a URL written in plain text, matched without regard
// to case at the start of a word.
var linkPrefixes = [...]string{"https://", "http://", "www."}

// textLinks finds URLs written in plain text: a prefix of linkPrefixes at
// a word boundary, then everything up to a space, quote or bracket. It is
// the regular expression (?i)\b(?:https?://|www\.)[^\s<>"'()\[\]{}]+
// (the fuzz test holds it to that), written as a scan because the
// expression's engine spent half of a 100 KB message's anti-spam time.
// Every prefix has its ':' or '.' 3 to 5 bytes after its start, so the
// scan jumps from one such mark to the next (strings.IndexByte, fast on
// long texts) and tries only the starts just before it.
func textLinks(text string) []string {
	var out []string
	marks := linkMarks{text: text, colon: -1, dot: -1}
	for i := 0; i < len(text) && len(out) < maxLinks; i++ {
		m := marks.next(i + 3)
		if m == len(text) {
			break
		}
		i = max(i, m-5)
		c := text[i] | 0x20
		if (c != 'h' && c != 'w') || (i > 0 && isWordByte(text[i-1])) {
			continue
		}
		n := prefixLen(text[i:])
		if n == 0 {
			continue
		}
		end := i + n
		for end < len(text) && !isLinkStop(text[end]) {
			end++
		}
		if end > i+n {
			out = append(out, text[i:end])
			i = end - 1
		}
	}
	return out
}

// linkMarks finds the ':' and '.' of a text in order, each searched for
// once however often next is asked.
type linkMarks struct {
	text       string
	colon, dot int // the last ones found; len(text) when there is no more
}

// next returns the position of the first ':' or '.' at or after from, or
// len(text).
func (m *linkMarks) next(from int) int {
	if m.colon < from {
		m.colon = indexFrom(m.text, from, ':')
	}
	if m.dot < from {
		m.dot = indexFrom(m.text, from, '.')
	}
	return min(m.colon, m.dot)
}

// indexFrom is the position of the first c in s at or after from, or
// len(s).
func indexFrom(s string, from int, c byte) int {
	if from >= len(s) {
		return len(s)
	}
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return len(s)
}

// prefixLen is the length of the link prefix s starts with, or 0.
func prefixLen(s string) int {
	for _, p := range linkPrefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return len(p)
		}
	}
	return 0
}

// isWordByte is \w of RE2: ASCII letters, digits and underscore.
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z'
}

// isLinkStop ends a plain-text link: \s of RE2, quotes and brackets.
func isLinkStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\f', '\r', '<', '>', '"', '\'', '(', ')', '[', ']', '{', '}':
		return true
	}
	return false
}

// uriTarget is what a link is looked up as in URI block lists: the
// registered domain of its host, or its address for an IP-literal link.
type uriTarget struct {
	domain string
	ip     netip.Addr
}

// linkTargets turns links into distinct lookup targets. Only web links
// count: mailto: and cid: name no site.
func linkTargets(links []string) []uriTarget {
	seen := map[uriTarget]bool{}
	var out []uriTarget
	for _, l := range links {
		t, ok := linkTarget(l)
		if !ok || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
		if len(out) == maxURIQueries {
			break
		}
	}
	return out
}

func linkTarget(link string) (uriTarget, bool) {
	link = strings.TrimSpace(link)
	if strings.HasPrefix(strings.ToLower(link), "www.") {
		link = "http://" + link
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return uriTarget{}, false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return uriTarget{}, false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return uriTarget{ip: ip.Unmap()}, true
	}
	if ip, ok := numericHost(host); ok {
		return uriTarget{ip: ip}, true
	}
	if !strings.Contains(host, ".") {
		return uriTarget{}, false
	}
	return uriTarget{domain: registered(host)}, true
}

// numericHost reads the decimal form of an IPv4 address (http://3232235777/)
// that browsers accept and spammers use to hide the address.
func numericHost(host string) (netip.Addr, bool) {
	var n uint64
	if host == "" || len(host) > 10 {
		return netip.Addr{}, false
	}
	for _, c := range host {
		if c < '0' || c > '9' {
			return netip.Addr{}, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 0xffffffff || n < 1<<24 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}
