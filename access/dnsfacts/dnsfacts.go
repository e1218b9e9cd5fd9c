// Package dnsfacts looks up over DNS the facts that package access's rules
// need — the client's forward-confirmed name and DNSBL listings
// (ConnectRule), the HELO name's addresses (HeloRule), the MAIL FROM
// domain's addresses and MX (MailfromRule) — for both front-ends, so that
// the milter and the relay judge a client alike.
//
// A lookup is made only when the stage has rules, and an outage is never
// taken for a negative answer: a name that does not exist makes a fact
// false, but a timeout or server failure of a lookup a rule depends on is
// returned as ErrOutage, for the caller to answer with a temporary failure
// (a deny rule on no_name must not refuse mail permanently because the
// DNS server is down). DNSBL zones are the exception: a zone that does not
// answer is counted as not listing the client and reported in
// Result.Unanswered, because one dead list must not stop all mail (the
// choice MTAs make for RBLs too).
package dnsfacts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/antispam/resolver"
)

// Resolver is the DNS client the lookups use. Errors must be
// *net.DNSError with IsNotFound set for a negative answer (NXDOMAIN or no
// record of the type); any other error is an outage.
type Resolver interface {
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ Resolver = (*resolver.Resolver)(nil)

// ErrOutage wraps a lookup that failed temporarily.
var ErrOutage = errors.New("DNS lookup failed temporarily")

// Lookup finds the facts of one Access's rules with one Resolver.
type Lookup struct {
	Access   *access.Access
	Resolver Resolver
}

// Client is the outcome of the connection-time lookups.
type Client struct {
	Host       string   // the forward-confirmed reverse name; "" when none
	Unanswered []string // DNSBL zones that did not answer
}

// Client fills f.HasName and f.DNSBLScore for f.ClientIP when there are
// ConnectRules.
func (l Lookup) Client(ctx context.Context, f *access.Facts) (Client, error) {
	var c Client
	if len(l.Access.ConnectRules) == 0 || !f.ClientIP.IsValid() {
		return c, nil
	}
	ip := f.ClientIP.Unmap()
	name, err := l.verifiedName(ctx, ip)
	if err != nil {
		return c, err
	}
	c.Host, f.HasName = name, name != ""
	f.DNSBLScore = 0
	for _, bl := range l.Access.DNSBL {
		listed, err := l.listed(ctx, ip, bl.Zone)
		switch {
		case err != nil:
			c.Unanswered = append(c.Unanswered, bl.Zone)
		case listed:
			f.DNSBLScore += bl.Rating
		}
	}
	return c, nil
}

// Helo fills f.HeloHasIP and f.HeloSameIP for the HELO name when there
// are HeloRules. An address literal ([192.0.2.1]) is its own address.
func (l Lookup) Helo(ctx context.Context, f *access.Facts, helo string) error {
	f.HeloHasIP, f.HeloSameIP = false, false
	if len(l.Access.HeloRules) == 0 {
		return nil
	}
	addrs, err := l.addrs(ctx, helo)
	for _, a := range addrs {
		f.HeloHasIP = true
		f.HeloSameIP = f.HeloSameIP || a == f.ClientIP.Unmap()
	}
	return err
}

// Mailfrom fills f.MailFromHasIP and f.MailFromHasMX for the domain of
// the MAIL FROM address when there are MailfromRules; the null sender
// has no domain and needs no lookup (see access.Access.Mailfrom).
func (l Lookup) Mailfrom(ctx context.Context, f *access.Facts, from string) error {
	f.MailFromHasIP, f.MailFromHasMX = false, false
	domain := domainOf(from)
	if len(l.Access.MailfromRules) == 0 || domain == "" {
		return nil
	}
	addrs, err := l.addrs(ctx, domain)
	if err != nil {
		return err
	}
	f.MailFromHasIP = len(addrs) > 0
	mxs, err := l.Resolver.LookupMX(ctx, domain)
	if err = outage(err); err != nil {
		return err
	}
	f.MailFromHasMX = len(mxs) > 0
	return nil
}

// verifiedName is a PTR name of ip that resolves back to ip (FCrDNS).
func (l Lookup) verifiedName(ctx context.Context, ip netip.Addr) (string, error) {
	names, err := l.Resolver.LookupAddr(ctx, ip.String())
	if err = outage(err); err != nil {
		return "", err
	}
	var lastErr error
	for _, n := range names {
		n = strings.TrimSuffix(n, ".")
		addrs, err := l.addrs(ctx, n)
		if err != nil {
			lastErr = err
			continue
		}
		for _, a := range addrs {
			if a == ip {
				return n, nil
			}
		}
	}
	// A name that could not be checked is an outage, not a mismatch.
	return "", lastErr
}

// listed reports whether the DNSBL zone lists ip: an A record for the
// reversed address under the zone (RFC 5782 §2.1, §2.4).
func (l Lookup) listed(ctx context.Context, ip netip.Addr, zone string) (bool, error) {
	rev, err := dns.ReverseAddr(ip.String())
	if err != nil {
		return false, nil
	}
	name := strings.TrimSuffix(strings.TrimSuffix(rev, ".in-addr.arpa."), ".ip6.arpa.")
	a, err := l.Resolver.LookupA(ctx, name+"."+zone)
	if err = outage(err); err != nil {
		return false, err
	}
	return len(a) > 0, nil
}

// addrs are the IPv4 and IPv6 addresses of host; an address literal, with
// or without brackets, is returned as is (RFC 5321 §4.1.3).
func (l Lookup) addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	lit := strings.TrimPrefix(strings.Trim(host, "[]"), "IPv6:")
	if ip, err := netip.ParseAddr(lit); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	if host == "" {
		return nil, nil
	}
	ips, err := l.Resolver.LookupIPAddr(ctx, host)
	if err = outage(err); err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip.IP); ok {
			out = append(out, a.Unmap())
		}
	}
	return out, nil
}

// outage is nil for success and negative answers, else err wrapped in
// ErrOutage.
func outage(err error) error {
	var de *net.DNSError
	if err == nil || (errors.As(err, &de) && de.IsNotFound) {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrOutage, err)
}

// domainOf is the part of addr after its last "@", without a trailing dot.
func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return strings.TrimSuffix(addr[at+1:], ".")
	}
	return ""
}
