package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"blitiri.com.ar/go/spf"
	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/policy"
)

// Resolver answers the DNS queries of the checks; package
// antispam/resolver implements it over miekg/dns. Errors are
// *net.DNSError: IsNotFound for a name or record that does not exist,
// anything else (timeouts, server failures) is an outage, which the
// checks report as DNS_TEMPFAIL rather than as a clean answer. The spf
// package calls the first four methods.
type Resolver interface {
	spf.DNSResolver
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
}

// maxPTRNames bounds the reverse names tried for forward confirmation.
const maxPTRNames = 3

// dnsRun is one DNS check running beside the others with its own verdict.
type dnsRun func(ctx context.Context, v *verdict)

// checkDNS runs the DNS checks of the group at once, so that a dead DNS
// server costs one timeout, not one per check.
func (e *Engine) checkDNS(ctx context.Context, v *verdict, in *input, p *policy.Params) {
	client := in.env.ClientIP.Unmap()
	var runs []dnsRun
	if public(client) {
		if p.Checks["SpamCheckHostInDNS"] && in.env.ClientHost == "" {
			runs = append(runs, func(ctx context.Context, v *verdict) { e.checkHostInDNS(ctx, v, client) })
		}
		if p.Checks["SpamCheckDNSBL"] && len(e.opts.DNSBL) > 0 {
			runs = append(runs, func(ctx context.Context, v *verdict) { e.checkClientDNSBL(ctx, v, client) })
		}
		if p.Checks["SpamCheckSPF"] && in.env.From != "" {
			runs = append(runs, func(ctx context.Context, v *verdict) { e.checkSPF(ctx, v, client, in) })
		}
	}
	if p.Checks["SpamCheckDNSBL"] && len(e.opts.DNSBL) > 0 {
		if relays := relayIPs(in.msg.Header.Values("Received"), client); len(relays) > 0 {
			runs = append(runs, func(ctx context.Context, v *verdict) { e.checkRelayDNSBL(ctx, v, relays) })
		}
	}
	if p.Checks["SpamCheckSURBL"] && len(e.opts.Settings.URIBL) > 0 && in.text != nil {
		if targets := linkTargets(in.text.links); len(targets) > 0 {
			runs = append(runs, func(ctx context.Context, v *verdict) { e.checkSURBL(ctx, v, targets) })
		}
	}
	if e.opts.DNSTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opts.DNSTimeout)
		defer cancel()
	}
	results := make([]*verdict, len(runs))
	var wg sync.WaitGroup
	for i, run := range runs {
		results[i] = &verdict{engine: e}
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx, results[i]) }()
	}
	wg.Wait()
	var failures []string
	for _, r := range results {
		failures = append(failures, r.tempfail...)
		v.merge(r)
	}
	if len(failures) > 0 {
		sort.Strings(failures)
		e.log.Warn("anti-spam: DNS checks incomplete", "failures", failures)
		v.add(antispam.RuleDNSTempfail, short(strings.Join(failures, "; ")))
	}
}

// notFound reports whether err says that the name or record does not
// exist, the one failure that is an answer.
func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func (e *Engine) checkHostInDNS(ctx context.Context, v *verdict, ip netip.Addr) {
	names, err := e.opts.Resolver.LookupAddr(ctx, ip.String())
	switch {
	case notFound(err) || (err == nil && len(names) == 0):
		v.add(antispam.RuleRDNSNone, ip.String())
		return
	case err != nil:
		v.fail("rdns", err)
		return
	}
	for i, name := range names {
		if i == maxPTRNames {
			break
		}
		addrs, err := e.opts.Resolver.LookupIPAddr(ctx, name)
		if err != nil && !notFound(err) {
			v.fail("rdns "+name, err)
			return
		}
		for _, a := range addrs {
			if got, ok := netip.AddrFromSlice(a.IP); ok && got.Unmap() == ip {
				return
			}
		}
	}
	v.add(antispam.RuleRDNSMismatch, ip.String()+" "+strings.TrimSuffix(names[0], "."))
}

// listing is what the DNSBL zones said about one address.
type listing struct {
	rating int
	zones  []string
}

// dnsblLookup asks every zone about ip at once (RFC 5782 2.1: the
// reversed address prepended to the zone, an A record in 127.0.0.0/8
// means listed).
func (e *Engine) dnsblLookup(ctx context.Context, v *verdict, ip netip.Addr, zones []access.DNSBL, uri bool) listing {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var l listing
	for _, z := range zones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			listed, err := e.listed(ctx, reverseName(ip)+"."+z.Zone, uri)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				v.fail(z.Zone, err)
			} else if listed {
				l.rating += z.Rating
				l.zones = append(l.zones, z.Zone)
			}
		}()
	}
	wg.Wait()
	sort.Strings(l.zones)
	return l
}

// listed queries one block-list name. Answers outside 127.0.0.0/8, and
// 127.255.255.0/24 (the error codes some lists return to refused
// clients), are not listings; for URI lists neither is 127.0.0.1, which
// SURBL returns to blocked resolvers.
func (e *Engine) listed(ctx context.Context, name string, uri bool) (bool, error) {
	addrs, err := e.opts.Resolver.LookupA(ctx, name)
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	loop := netip.MustParsePrefix("127.0.0.0/8")
	refused := netip.MustParsePrefix("127.255.255.0/24")
	for _, a := range addrs {
		if loop.Contains(a) && !refused.Contains(a) && !(uri && a == netip.AddrFrom4([4]byte{127, 0, 0, 1})) {
			return true, nil
		}
	}
	return false, nil
}

func (e *Engine) checkClientDNSBL(ctx context.Context, v *verdict, ip netip.Addr) {
	l := e.dnsblLookup(ctx, v, ip, e.opts.DNSBL, false)
	if l.rating > 0 {
		v.dnsbl = l.rating
		v.addScaled(antispam.RuleDNSBL, float64(l.rating)/100, fmt.Sprintf("%s in %s (rating %d)", ip, strings.Join(l.zones, ", "), l.rating))
	}
}

// checkRelayDNSBL scores the worst listed relay; relays never make a
// message blacklisted, since any hop may be a forwarder the recipient
// chose.
func (e *Engine) checkRelayDNSBL(ctx context.Context, v *verdict, relays []netip.Addr) {
	var worst listing
	var worstIP netip.Addr
	for _, ip := range relays {
		if l := e.dnsblLookup(ctx, v, ip, e.opts.DNSBL, false); l.rating > worst.rating {
			worst, worstIP = l, ip
		}
	}
	if worst.rating > 0 {
		v.addScaled(antispam.RuleRelayDNSBL, min(float64(worst.rating)/100, 1),
			fmt.Sprintf("relay %s in %s", worstIP, strings.Join(worst.zones, ", ")))
	}
}

func (e *Engine) checkSURBL(ctx context.Context, v *verdict, targets []uriTarget) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	var hits []string
	for _, t := range targets {
		for _, z := range e.opts.Settings.URIBL {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name, what := t.domain+"."+z.Zone, t.domain
				if t.ip.IsValid() {
					name, what = reverseName(t.ip)+"."+z.Zone, t.ip.String()
				}
				listed, err := e.listed(ctx, name, true)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					v.fail(z.Zone, err)
				} else if listed {
					total += z.Rating
					hits = append(hits, what+" in "+z.Zone)
				}
			}()
		}
	}
	wg.Wait()
	if total > 0 {
		sort.Strings(hits)
		v.addScaled(antispam.RuleSURBL, min(float64(total)/100, 2), strings.Join(hits, ", "))
	}
}

// checkSPF evaluates the envelope sender's SPF policy (RFC 7208) with our
// resolver, so that it shares the cache and the timeouts.
func (e *Engine) checkSPF(ctx context.Context, v *verdict, ip netip.Addr, in *input) {
	res, err := spf.CheckHostWithSender(net.IP(ip.AsSlice()), in.env.Helo, in.env.From,
		spf.WithResolver(e.opts.Resolver), spf.WithContext(ctx))
	domain := domainOf(in.env.From)
	switch res {
	case spf.Fail:
		v.add(antispam.RuleSPFFail, domain+": "+ip.String()+" not permitted")
	case spf.SoftFail:
		v.add(antispam.RuleSPFSoftFail, domain)
	case spf.Pass:
		v.add(antispam.RuleSPFPass, domain)
	case spf.TempError:
		v.fail("spf "+domain, err)
	}
}

// reverseName is the DNSBL query label of an address: the octets of an
// IPv4 address reversed (RFC 5782 2.1), the nibbles of an IPv6 address
// reversed (RFC 5782 2.4).
func reverseName(ip netip.Addr) string {
	ip = ip.Unmap()
	b := ip.AsSlice()
	parts := make([]string, 0, 32)
	if ip.Is4() {
		for i := len(b) - 1; i >= 0; i-- {
			parts = append(parts, fmt.Sprint(b[i]))
		}
		return strings.Join(parts, ".")
	}
	const hex = "0123456789abcdef"
	for i := len(b) - 1; i >= 0; i-- {
		parts = append(parts, string(hex[b[i]&0xf]), string(hex[b[i]>>4]))
	}
	return strings.Join(parts, ".")
}
