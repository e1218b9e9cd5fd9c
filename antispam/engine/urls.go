package engine

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// maxURIQueries bounds the SURBL lookups of one message.
const maxURIQueries = 20

var textURLRE = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]{}]+`)

// textLinks finds URLs written in plain text.
func textLinks(text string) []string {
	return textURLRE.FindAllString(text, maxLinks)
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
