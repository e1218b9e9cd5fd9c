package engine

import (
	"net/netip"
	"strings"
)

// maxRelays bounds the Received relays looked up in DNSBLs.
const maxRelays = 5

// ReceivedIP returns the address of the host a Received field says the
// message came from: the first address literal of its "from" clause
// (RFC 5321 4.4: "from" Extended-Domain, where the TCP-info in
// parentheses holds "[" address-literal "]"). ok is false when the field
// names none. Hand-written because no library parses the free-form
// comments that real MTAs write there.
func ReceivedIP(field string) (netip.Addr, bool) {
	lower := strings.ToLower(field)
	start := strings.Index(lower, "from ")
	if start < 0 {
		return netip.Addr{}, false
	}
	clause := field[start:]
	if end := strings.Index(strings.ToLower(clause), " by "); end >= 0 {
		clause = clause[:end]
	}
	for len(clause) > 0 {
		i := strings.IndexByte(clause, '[')
		if i < 0 {
			break
		}
		j := strings.IndexByte(clause[i:], ']')
		if j < 0 {
			break
		}
		lit := clause[i+1 : i+j]
		clause = clause[i+j+1:]
		// RFC 5321 4.1.3: IPv6 literals carry the "IPv6:" tag.
		if len(lit) > 5 && strings.EqualFold(lit[:5], "ipv6:") {
			lit = lit[5:]
		}
		if ip, err := netip.ParseAddr(lit); err == nil && !strings.Contains(lit, "%") {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// relayIPs lists the public relay addresses of the Received chain, newest
// first, without the client itself.
func relayIPs(fields []string, client netip.Addr) []netip.Addr {
	seen := map[netip.Addr]bool{client.Unmap(): true}
	var out []netip.Addr
	for _, f := range fields {
		ip, ok := ReceivedIP(f)
		if !ok || seen[ip] || !public(ip) {
			continue
		}
		seen[ip] = true
		out = append(out, ip)
		if len(out) == maxRelays {
			break
		}
	}
	return out
}

// public reports whether DNS lists can know ip: not loopback, private,
// link-local or shared address space (RFC 6598).
func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	cgnat := netip.MustParsePrefix("100.64.0.0/10")
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !cgnat.Contains(ip)
}
