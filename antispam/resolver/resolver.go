// Package resolver is the DNS client of the anti-spam checks: queries over
// github.com/miekg/dns to configured servers, bounded by the
// [mailgw.timeouts] DNS timeouts, with answers kept in a
// hashicorp/golang-lru cache. It exists instead of net.Resolver because
// the checks need their own server (tests run one on 127.0.0.1), a cache
// shared by all checks, and errors that tell an outage from "no such
// name".
package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/miekg/dns"
)

// Defaults used when Options leave a field zero.
const (
	defaultNetworkTimeout = 10 * time.Second
	defaultResolveTimeout = 30 * time.Second
	defaultCacheSize      = 10000
	negativeTTL           = 5 * time.Minute // when an answer carries no SOA (RFC 2308 5)
	resolvConf            = "/etc/resolv.conf"
)

// Options configure a Resolver.
type Options struct {
	// Servers are host:port addresses tried in order; empty: the
	// nameservers of /etc/resolv.conf.
	Servers        []string
	NetworkTimeout time.Duration // one query to one server (DNSNetworkTimeout)
	ResolveTimeout time.Duration // one name, all servers and retries (DNSResolveTimeout)
	MaxTTL         time.Duration // longest time an answer is cached (DNSCacheMaximalTTL); 0: no cache
	CacheSize      int           // entries; 0: a default
}

// Resolver answers A, AAAA, TXT, MX and PTR queries. It is safe for
// concurrent use; its cache is its only state.
type Resolver struct {
	opts  Options
	cache *lru.Cache[cacheKey, cacheEntry]
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheEntry struct {
	answer  []dns.RR
	rcode   int
	expires time.Time
}

// New returns a resolver. With no Servers it reads /etc/resolv.conf; a
// missing file is no error, but every query then fails as an outage.
func New(o Options) *Resolver {
	if o.NetworkTimeout <= 0 {
		o.NetworkTimeout = defaultNetworkTimeout
	}
	if o.ResolveTimeout <= 0 {
		o.ResolveTimeout = defaultResolveTimeout
	}
	if o.CacheSize <= 0 {
		o.CacheSize = defaultCacheSize
	}
	if len(o.Servers) == 0 {
		if cc, err := dns.ClientConfigFromFile(resolvConf); err == nil {
			for _, s := range cc.Servers {
				o.Servers = append(o.Servers, net.JoinHostPort(s, cc.Port))
			}
		}
	}
	r := &Resolver{opts: o}
	if o.MaxTTL > 0 {
		r.cache, _ = lru.New[cacheKey, cacheEntry](o.CacheSize) // fails only for a size <= 0
	}
	return r
}

// ServerAddress normalizes a configured server: "host" gets port 53.
func ServerAddress(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53")
}

// query returns the answer records of type qtype for name, from the cache
// when it can. The error is a *net.DNSError: IsNotFound for NXDOMAIN and
// for a name without records of the type (RFC 2308 2.2 NODATA).
func (r *Resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	name = dns.Fqdn(strings.ToLower(name))
	key := cacheKey{name, qtype}
	if r.cache != nil {
		if e, ok := r.cache.Get(key); ok && time.Now().Before(e.expires) {
			return answerOf(e, name, qtype)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.ResolveTimeout)
	defer cancel()
	resp, server, err := r.exchange(ctx, name, qtype)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: name, Server: server, IsTimeout: isTimeout(err), IsTemporary: true}
	}
	e := cacheEntry{rcode: resp.Rcode}
	if resp.Rcode == dns.RcodeSuccess || resp.Rcode == dns.RcodeNameError {
		e.answer = resp.Answer
		if r.cache != nil {
			e.expires = time.Now().Add(min(ttlOf(resp), r.opts.MaxTTL))
			r.cache.Add(key, e)
		}
	}
	return answerOf(e, name, qtype)
}

// exchange sends the query to each server in turn, over TCP when the UDP
// answer was truncated (RFC 1035 4.2.1, RFC 7766 5).
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, string, error) {
	if len(r.opts.Servers) == 0 {
		return nil, "", errors.New("no DNS server configured")
	}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	var last error
	for _, server := range r.opts.Servers {
		c := &dns.Client{Net: "udp", Timeout: r.opts.NetworkTimeout}
		resp, _, err := c.ExchangeContext(ctx, m, server)
		if err == nil && resp.Truncated {
			c.Net = "tcp"
			resp, _, err = c.ExchangeContext(ctx, m, server)
		}
		if err == nil && resp.Rcode != dns.RcodeServerFailure {
			return resp, server, nil
		}
		if err == nil {
			err = fmt.Errorf("server failure (%s)", dns.RcodeToString[resp.Rcode])
		}
		last = fmt.Errorf("%s: %w", server, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, r.opts.Servers[0], last
}

// answerOf turns a (possibly cached) response into records or an error.
func answerOf(e cacheEntry, name string, qtype uint16) ([]dns.RR, error) {
	switch e.rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	default:
		return nil, &net.DNSError{Err: "DNS " + dns.RcodeToString[e.rcode], Name: name, IsTemporary: true}
	}
	var out []dns.RR
	for _, rr := range e.answer {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such record", Name: name, IsNotFound: true}
	}
	return out, nil
}

// ttlOf is how long a response may be cached: the smallest answer TTL,
// or for a negative answer the SOA minimum (RFC 2308 5).
func ttlOf(m *dns.Msg) time.Duration {
	if len(m.Answer) == 0 {
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				return time.Duration(min(soa.Minttl, soa.Hdr.Ttl)) * time.Second
			}
		}
		return negativeTTL
	}
	ttl := m.Answer[0].Header().Ttl
	for _, rr := range m.Answer[1:] {
		ttl = min(ttl, rr.Header().Ttl)
	}
	return time.Duration(ttl) * time.Second
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// LookupA returns the IPv4 addresses of name.
func (r *Resolver) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := r.query(ctx, name, dns.TypeA)
	var out []netip.Addr
	for _, rr := range rrs {
		if a, ok := netip.AddrFromSlice(rr.(*dns.A).A.To4()); ok {
			out = append(out, a)
		}
	}
	return out, err
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host. It fails only
// when neither query gave an answer.
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	a, errA := r.query(ctx, host, dns.TypeA)
	for _, rr := range a {
		out = append(out, net.IPAddr{IP: rr.(*dns.A).A})
	}
	aaaa, errAAAA := r.query(ctx, host, dns.TypeAAAA)
	for _, rr := range aaaa {
		out = append(out, net.IPAddr{IP: rr.(*dns.AAAA).AAAA})
	}
	if len(out) > 0 {
		return out, nil
	}
	if errA != nil && !notFound(errA) {
		return nil, errA
	}
	if errAAAA != nil {
		return nil, errAAAA
	}
	return nil, errA
}

// LookupTXT returns the TXT records of name, the strings of each record
// joined (RFC 7208 3.3).
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.query(ctx, name, dns.TypeTXT)
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return out, err
}

// LookupMX returns the MX records of name.
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.query(ctx, name, dns.TypeMX)
	var out []*net.MX
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
	}
	return out, err
}

// LookupAddr returns the reverse names (PTR) of an address.
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: addr}
	}
	rrs, err := r.query(ctx, rev, dns.TypePTR)
	var out []string
	for _, rr := range rrs {
		out = append(out, rr.(*dns.PTR).Ptr)
	}
	return out, err
}

func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}
