package access

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mailgw/mailgw/mask"

	"github.com/mailgw/mailgw/config"
)

// Section is the configuration section this package owns.
const Section = "mailgw.access"

// The sections ProtectedDomains may be written in. The parameter is
// declared by package service ([mailgw.network]) and package routing
// ([mailgw.forward], where the guide also puts it); it is decoded here
// because the Relay default depends on it.
const (
	networkSection = "mailgw.network"
	forwardSection = "mailgw.forward"
)

// Schema describes [mailgw.access].
func Schema() []config.SectionSchema {
	return []config.SectionSchema{{
		Name: Section,
		Doc: "SMTP access control: which clients may connect, greet, send and relay. " +
			"Each rule parameter is a list consulted in file order; the first rule that matches decides. " +
			"A rule is `allow|deny from CONDITION [to RECIPIENT_MASK]` (`for` may replace `from`; without `to` the mask is `*`); " +
			"masks use `*` and `?`, case-insensitively, and `any` matches everything. An empty value is ignored.",
		Params: []config.Param{
			{Name: "ConnectRule", Kind: config.List, Doc: "Rule checked when a client connects; its recipient mask is compared with each recipient of the session. " +
				"Conditions: in_dnsbl (the DNSBlackList ratings of the zones listing the client IP add up to 100 or more), out_dnsbl (they do not), " +
				"has_name / no_name (the client IP has / has no host name), any, or an address or network: " +
				"`[ip] A.B.C.D`, `A.B.C.D/NN`, `A.B.C.D/M.M.M.M`, `IPv6[/NN]`, as in `deny for ip 10.10.138.99`. Without a matching rule the client is allowed."},
			{Name: "HeloRule", Kind: config.List, Doc: "Rule checked at HELO/EHLO. Conditions: has_ip / no_ip (the HELO name resolves / does not resolve to an address), " +
				"same_ip (it resolves to the client's address), diff_ip (it resolves, but not to the client's address), any. Without a matching rule the client is allowed."},
			{Name: "MailfromRule", Kind: config.List, Doc: "Rule checked at MAIL FROM. Conditions: has_ip / no_ip (the sender's domain resolves / does not resolve to an address), " +
				"has_mx / no_mx (it has / has no MX record), any. The null sender <> is not checked. Without a matching rule the client is allowed."},
			{Name: "RelayRule", Kind: config.List, Doc: "Rule deciding whether a client may send to a recipient, e.g. `allow from 192.168.0.0/16 to *`, `allow from any to *@example.com`, `deny from any to *`. " +
				"Conditions: any, or an address or network as for ConnectRule. Without a matching rule only recipients in ProtectedDomains, and clients on loopback, are allowed, so the gateway is never an open relay by default."},
			{Name: "DNSBlackList", Kind: config.List, Comma: true, Doc: "A DNSBL zone and its rating, `ZONE[:RATING]` or `ZONE RATING`, e.g. `zen.spamhaus.org:100`; the rating is 1–100, default 100. " +
				"A client is in_dnsbl when the ratings of the zones listing it add up to 100 or more. The anti-spam checks use the same list."},
		},
	}}
}

// FromConfig decodes [mailgw.access] and the ProtectedDomains of
// [mailgw.network] and [mailgw.forward]. It reports every bad value at its
// position; the Access is complete only when the list is empty.
func FromConfig(c *config.Config) (*Access, config.ErrorList) {
	var errs config.ErrorList
	a := &Access{
		ConnectRules:  rules(c, StageConnect, &errs),
		HeloRules:     rules(c, StageHelo, &errs),
		MailfromRules: rules(c, StageMailfrom, &errs),
		RelayRules:    rules(c, StageRelay, &errs),
		DNSBL:         dnsbls(c, &errs),
	}
	var perrs config.ErrorList
	a.ProtectedDomains, perrs = ProtectedDomains(c)
	errs = append(errs, perrs...)
	if len(a.DNSBL) == 0 {
		// in_dnsbl could never match and out_dnsbl always would: surely
		// the DNSBlackList was forgotten.
		for _, r := range a.ConnectRules {
			if r.Cond == CondInDNSBL || r.Cond == CondOutDNSBL {
				errs.Add(r.Pos, "%s %q: %s needs at least one DNSBlackList", r.Stage.Param(), r.Text, r.Cond)
			}
		}
	}
	return a, errs
}

// rules parses the rule list of a stage.
func rules(c *config.Config, stage Stage, errs *config.ErrorList) []Rule {
	var out []Rule
	for _, v := range c.Values(Section, stage.Param()) {
		if strings.TrimSpace(v.Text) == "" {
			continue // "ConnectRule=" clears the list, e.g. from an -o override
		}
		r, err := ParseRule(stage, v.Text)
		if err != nil {
			errs.Add(v.Pos, "%s %q: %v", stage.Param(), v.Text, err)
			continue
		}
		r.Pos = v.Pos
		out = append(out, r)
	}
	return out
}

// dnsbls parses DNSBlackList, refusing a zone listed twice: its rating
// would silently count double.
func dnsbls(c *config.Config, errs *config.ErrorList) []DNSBL {
	var out []DNSBL
	seen := map[string]config.Pos{}
	for _, v := range c.Values(Section, "DNSBlackList") {
		if strings.TrimSpace(v.Text) == "" {
			continue
		}
		d, err := ParseDNSBL(v.Text)
		if err != nil {
			errs.Add(v.Pos, "DNSBlackList %q: %v", v.Text, err)
			continue
		}
		if at, dup := seen[d.Zone]; dup {
			errs.Add(v.Pos, "DNSBlackList %q: zone %s is already listed at %s", v.Text, d.Zone, at)
			continue
		}
		seen[d.Zone] = v.Pos
		d.Pos = v.Pos
		out = append(out, d)
	}
	return out
}

// ParseDNSBL parses a DNSBlackList value: "ZONE", "ZONE:RATING" or
// "ZONE RATING". The rating defaults to DNSBLThreshold, so that a zone
// named alone blacklists on its own.
func ParseDNSBL(text string) (DNSBL, error) {
	zone, rating, hasRating := strings.Cut(text, ":")
	if !hasRating {
		f := strings.Fields(text)
		switch len(f) {
		case 1:
			zone = f[0]
		case 2:
			zone, rating, hasRating = f[0], f[1], true
		default:
			return DNSBL{}, fmt.Errorf("want ZONE[:RATING], e.g. zen.spamhaus.org:100")
		}
	}
	zone = strings.TrimSpace(zone)
	if err := mask.CheckDomain(zone); err != nil {
		return DNSBL{}, err
	}
	d := DNSBL{Zone: strings.ToLower(strings.TrimSuffix(zone, ".")), Rating: DNSBLThreshold}
	if hasRating {
		n, err := strconv.Atoi(strings.TrimSpace(rating))
		if err != nil || n < 1 || n > DNSBLThreshold {
			return DNSBL{}, fmt.Errorf("rating %q: want a whole number from 1 to %d", strings.TrimSpace(rating), DNSBLThreshold)
		}
		d.Rating = n
	}
	return d, nil
}

// ProtectedDomains returns the ProtectedDomains masks of both sections they
// may be written in, [mailgw.network] first, and the problems of the masks
// it left out. A program whose schema lacks one of the sections simply has
// no values there. FromConfig reports these problems; other readers of the
// list can ignore them.
func ProtectedDomains(c *config.Config) ([]string, config.ErrorList) {
	var out []string
	var errs config.ErrorList
	for _, sec := range []string{networkSection, forwardSection} {
		for _, v := range c.Values(sec, "ProtectedDomains") {
			m := strings.TrimSuffix(strings.TrimSpace(v.Text), ".")
			if m == "" {
				continue
			}
			if err := mask.CheckDomainMask(m); err != nil {
				errs.Add(v.Pos, "ProtectedDomains: %v", err)
				continue
			}
			out = append(out, m)
		}
	}
	return out, errs
}
