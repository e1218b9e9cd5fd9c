package relay

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver asks one DNS server (github.com/miekg/dns) for what the
// relay's sender needs: MX and address records. (The access rules' lookups
// are package dnsfacts', over the same server.) A configurable server, rather than the
// system resolver, lets tests answer from a miekg/dns server on loopback.
type Resolver struct {
	Server string        // IP:PORT
	Query  time.Duration // per query (DNSNetworkTimeout); 0: 10 s
	Total  time.Duration // per name, all retries (DNSResolveTimeout); 0: 30 s
}

// NewResolver returns a resolver for server, or for the first nameserver
// of /etc/resolv.conf when server is "".
func NewResolver(server string, query, total time.Duration) (*Resolver, error) {
	if server == "" {
		cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(cc.Servers) == 0 {
			return nil, fmt.Errorf("no DNS server: set [mailgw.relay] DNSServer (%v)", err)
		}
		ip, err := netip.ParseAddr(cc.Servers[0])
		if err != nil {
			return nil, fmt.Errorf("nameserver %q of /etc/resolv.conf: %w", cc.Servers[0], err)
		}
		server = netip.AddrPortFrom(ip, 53).String()
	}
	return &Resolver{Server: server, Query: query, Total: total}, nil
}

// errNoDomain is a permanent lookup failure: the name does not exist
// (NXDOMAIN, RFC 1035 §4.1.1 RCODE 3).
var errNoDomain = errors.New("domain does not exist")

// query sends one question, retrying over TCP when the answer is
// truncated; a server failure or timeout is temporary.
func (r *Resolver) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	total := r.Total
	if total <= 0 {
		total = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	c := &dns.Client{Timeout: r.Query}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	var lastErr error
	for try := 0; try < 3 && ctx.Err() == nil; try++ {
		in, _, err := c.ExchangeContext(ctx, m, r.Server)
		if err == nil && in.Truncated {
			tc := &dns.Client{Net: "tcp", Timeout: c.Timeout}
			in, _, err = tc.ExchangeContext(ctx, m, r.Server)
		}
		if err != nil {
			lastErr = err
			continue
		}
		switch in.Rcode {
		case dns.RcodeSuccess:
			return in, nil
		case dns.RcodeNameError:
			return in, errNoDomain
		}
		lastErr = fmt.Errorf("DNS %s for %s", dns.RcodeToString[in.Rcode], name)
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	return nil, fmt.Errorf("DNS lookup %s %s: %w", dns.TypeToString[qtype], name, lastErr)
}

// mxResult is the outcome of an MX lookup.
type mxResult struct {
	hosts      []string // by preference; the domain itself when it has no MX (RFC 5321 §5.1)
	hasRecords bool
}

// MX returns the mail hosts of domain in order of preference.
func (r *Resolver) MX(ctx context.Context, domain string) (mxResult, error) {
	in, err := r.query(ctx, domain, dns.TypeMX)
	if err != nil {
		return mxResult{}, err
	}
	var mxs []*dns.MX
	for _, rr := range in.Answer {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 0 {
		return mxResult{hosts: []string{domain}}, nil // implicit MX
	}
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Preference < mxs[j].Preference })
	res := mxResult{hasRecords: true}
	for _, mx := range mxs {
		host := strings.TrimSuffix(mx.Mx, ".")
		if host == "" {
			// A "null MX" (RFC 7505 §3): the domain accepts no mail.
			return mxResult{hasRecords: true}, errNullMX
		}
		res.hosts = append(res.hosts, host)
	}
	return res, nil
}

// errNullMX: the domain publishes that it accepts no mail (RFC 7505).
var errNullMX = errors.New("domain accepts no mail (null MX)")

// Addrs returns the IPv4 and IPv6 addresses of host; nil when it has none
// or the lookup failed. An IP literal is returned as is.
func (r *Resolver) Addrs(ctx context.Context, host string) []netip.Addr {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip.Unmap()}
	}
	if host == "" {
		return nil
	}
	var out []netip.Addr
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		in, err := r.query(ctx, host, qt)
		if err != nil {
			continue
		}
		for _, rr := range in.Answer {
			switch a := rr.(type) {
			case *dns.A:
				if ip, ok := netip.AddrFromSlice(a.A); ok {
					out = append(out, ip.Unmap())
				}
			case *dns.AAAA:
				if ip, ok := netip.AddrFromSlice(a.AAAA); ok {
					out = append(out, ip)
				}
			}
		}
	}
	return out
}
