package access

import (
	"net/netip"
	"strings"

	"github.com/mailgw/mailgw/mask"

	"github.com/mailgw/mailgw/config"
)

// DNSBLThreshold is the summed rating from which a client counts as listed
// (condition in_dnsbl): the guide's "reaches 100 or exceeds the value".
const DNSBLThreshold = 100

// Facts is what the caller found out about a client before asking for a
// verdict. Looking things up (DNS, DNSBL) is the caller's job, so that
// evaluation is pure and each fact is looked up only when a rule needs it.
type Facts struct {
	ClientIP      netip.Addr // IPv4-mapped IPv6 addresses are treated as IPv4
	HasName       bool       // the client IP has a host name (PTR)
	DNSBLScore    int        // sum of the Rating of every DNSBlackList zone listing the client
	HeloHasIP     bool       // the HELO/EHLO name resolves to an address
	HeloSameIP    bool       // ... and one of them is ClientIP; implies HeloHasIP
	MailFromHasIP bool       // the MAIL FROM domain resolves to an address
	MailFromHasMX bool       // the MAIL FROM domain has an MX record
}

// Verdict is the outcome of consulting one rule list.
type Verdict struct {
	Allow   bool
	Matched bool       // a rule matched; false means the stage's default applied
	Rule    string     // the matching rule as written, or why the default decided
	Pos     config.Pos // where the matching rule was written; zero for a default
}

// DNSBL is one DNSBlackList entry.
type DNSBL struct {
	Zone   string // lower case, without trailing dot, e.g. "zen.spamhaus.org"
	Rating int    // 1–100, added to Facts.DNSBLScore when the zone lists the client
	Pos    config.Pos
}

// Access is the decoded [mailgw.access] section plus the ProtectedDomains
// the Relay default needs. It is read-only after FromConfig, so one value
// can serve every session at once.
type Access struct {
	ConnectRules  []Rule
	HeloRules     []Rule
	MailfromRules []Rule
	RelayRules    []Rule
	DNSBL         []DNSBL
	// ProtectedDomains are the domain masks of [mailgw.network] followed by
	// those of [mailgw.forward].
	ProtectedDomains []string
}

// JudgesEnvelope tells whether a rule can deny a client before its
// message: some ConnectRule, HeloRule or MailfromRule. a may be nil.
func (a *Access) JudgesEnvelope() bool {
	return a != nil && len(a.ConnectRules)+len(a.HeloRules)+len(a.MailfromRules) > 0
}

// Connect consults ConnectRule; without a matching rule the client is
// allowed. Rules carry a recipient mask, so the verdict is only final once
// a recipient is known: called with rcpt "" (at connection time) only rules
// whose mask matches the empty string ("*", "any") can match.
func (a *Access) Connect(f Facts, rcpt string) Verdict {
	return decide(a.ConnectRules, f, rcpt, Verdict{Allow: true, Rule: "no ConnectRule matched: allow"})
}

// Helo consults HeloRule; without a matching rule the client is allowed.
func (a *Access) Helo(f Facts, rcpt string) Verdict {
	return decide(a.HeloRules, f, rcpt, Verdict{Allow: true, Rule: "no HeloRule matched: allow"})
}

// Mailfrom consults MailfromRule; without a matching rule the client is
// allowed. For the null reverse-path (MAIL FROM:<>) the caller should not
// ask: bounces have no domain to resolve and must be accepted (RFC 5321
// 4.5.5), but no_ip and no_mx would match them.
func (a *Access) Mailfrom(f Facts, rcpt string) Verdict {
	return decide(a.MailfromRules, f, rcpt, Verdict{Allow: true, Rule: "no MailfromRule matched: allow"})
}

// Recipient is the verdict of ConnectRule, HeloRule and MailfromRule for
// one recipient, the first list that denies deciding; MailfromRule is not
// asked for the null sender (see Mailfrom). Both front-ends ask it at
// RCPT TO, when the rules' recipient masks can be matched.
func (a *Access) Recipient(f Facts, from, rcpt string) Verdict {
	v := a.Connect(f, rcpt)
	if v.Allow {
		v = a.Helo(f, rcpt)
	}
	if v.Allow && from != "" {
		v = a.Mailfrom(f, rcpt)
	}
	return v
}

// Relay consults RelayRule for a recipient of a client. Without a matching
// rule it allows only mail for a protected domain (IsProtected) and mail
// from a loopback client (the local MTA handing over outgoing mail in the
// guide's deployments); everything else is denied, so that an empty or
// incomplete rule list never makes an open relay.
func (a *Access) Relay(client netip.Addr, rcpt string) Verdict {
	v := decide(a.RelayRules, Facts{ClientIP: client}, rcpt, Verdict{})
	switch {
	case v.Matched:
		return v
	case client.Unmap().IsLoopback():
		return Verdict{Allow: true, Rule: "no RelayRule matched: allow, the client is loopback"}
	case a.IsProtected(rcpt):
		return Verdict{Allow: true, Rule: "no RelayRule matched: allow, the recipient's domain is protected"}
	}
	return Verdict{Rule: "no RelayRule matched: deny, the recipient's domain is not protected"}
}

// IsProtected reports whether the domain of the address rcpt (the part
// after the last "@", without a trailing dot) matches a ProtectedDomains
// mask. An address without a domain is not protected.
func (a *Access) IsProtected(rcpt string) bool {
	rcpt = bare(rcpt)
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 {
		return false
	}
	domain := strings.TrimSuffix(rcpt[at+1:], ".")
	if domain == "" {
		return false
	}
	for _, m := range a.ProtectedDomains {
		if mask.Match(m, domain) {
			return true
		}
	}
	return false
}

// decide returns the verdict of the first rule matching, else def.
func decide(rules []Rule, f Facts, rcpt string, def Verdict) Verdict {
	rcpt = bare(rcpt)
	for i := range rules {
		r := &rules[i]
		if r.holds(f) && mask.Match(r.Rcpt, rcpt) {
			return Verdict{Allow: r.Allow, Matched: true, Rule: r.Text, Pos: r.Pos}
		}
	}
	return def
}

// holds reports whether the rule's condition is true of f.
func (r *Rule) holds(f Facts) bool {
	heloHasIP := f.HeloHasIP || f.HeloSameIP
	switch r.Cond {
	case CondAny:
		return true
	case CondInDNSBL:
		return f.DNSBLScore >= DNSBLThreshold
	case CondOutDNSBL:
		return f.DNSBLScore < DNSBLThreshold
	case CondHasName:
		return f.HasName
	case CondNoName:
		return !f.HasName
	case CondNet:
		return f.ClientIP.IsValid() && r.Net.Contains(f.ClientIP.Unmap().WithZone(""))
	case CondHasIP:
		return r.pick(heloHasIP, f.MailFromHasIP)
	case CondNoIP:
		return !r.pick(heloHasIP, f.MailFromHasIP)
	case CondSameIP:
		return f.HeloSameIP
	case CondDiffIP:
		return heloHasIP && !f.HeloSameIP
	case CondHasMX:
		return f.MailFromHasMX
	case CondNoMX:
		return !f.MailFromHasMX
	}
	return false
}

// pick chooses the HELO or the MAIL FROM fact: has_ip and no_ip mean the
// name the rule's own stage is about.
func (r *Rule) pick(helo, mailfrom bool) bool {
	if r.Stage == StageHelo {
		return helo
	}
	return mailfrom
}

// bare strips the angle brackets of an address as written in RCPT TO, so
// that callers may pass either form; masks are written without them.
func bare(addr string) string {
	return strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
}
