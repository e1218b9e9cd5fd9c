package access

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailgw/mailgw/mask"

	"github.com/mailgw/mailgw/config"
)

// Stage is the point of the SMTP dialogue a rule list is consulted at; each
// has its own parameter and its own conditions.
type Stage int

const (
	StageConnect  Stage = iota // ConnectRule: the client connected
	StageHelo                  // HeloRule: HELO/EHLO
	StageMailfrom              // MailfromRule: MAIL FROM
	StageRelay                 // RelayRule: may the client send to this recipient at all
)

// Param is the configuration key holding the rules of the stage.
func (s Stage) Param() string {
	switch s {
	case StageConnect:
		return "ConnectRule"
	case StageHelo:
		return "HeloRule"
	case StageMailfrom:
		return "MailfromRule"
	case StageRelay:
		return "RelayRule"
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// Cond is the "from" part of a rule: what must be true of the client.
type Cond int

const (
	CondAny      Cond = iota // any: always
	CondInDNSBL              // in_dnsbl: DNSBL score >= DNSBLThreshold
	CondOutDNSBL             // out_dnsbl: DNSBL score < DNSBLThreshold
	CondHasName              // has_name: the client IP has a host name
	CondNoName               // no_name
	CondNet                  // [ip] ADDR[/NN|/MASK]: the client IP is in Rule.Net
	CondHasIP                // has_ip: the HELO name / MAIL FROM domain resolves
	CondNoIP                 // no_ip
	CondSameIP               // same_ip: the HELO name resolves to the client IP
	CondDiffIP               // diff_ip: the HELO name resolves, but not to the client IP
	CondHasMX                // has_mx: the MAIL FROM domain has an MX record
	CondNoMX                 // no_mx
)

// String is the keyword of the condition as written in a rule.
func (c Cond) String() string {
	switch c {
	case CondAny:
		return "any"
	case CondInDNSBL:
		return "in_dnsbl"
	case CondOutDNSBL:
		return "out_dnsbl"
	case CondHasName:
		return "has_name"
	case CondNoName:
		return "no_name"
	case CondNet:
		return "ip"
	case CondHasIP:
		return "has_ip"
	case CondNoIP:
		return "no_ip"
	case CondSameIP:
		return "same_ip"
	case CondDiffIP:
		return "diff_ip"
	case CondHasMX:
		return "has_mx"
	case CondNoMX:
		return "no_mx"
	}
	return fmt.Sprintf("Cond(%d)", int(c))
}

// keywords are the keyword conditions a stage accepts. It is a function, not
// a table, so that nothing at package level can be changed.
func (s Stage) keywords() []Cond {
	switch s {
	case StageConnect:
		return []Cond{CondInDNSBL, CondOutDNSBL, CondHasName, CondNoName, CondAny}
	case StageHelo:
		return []Cond{CondHasIP, CondNoIP, CondSameIP, CondDiffIP, CondAny}
	case StageMailfrom:
		return []Cond{CondHasIP, CondNoIP, CondHasMX, CondNoMX, CondAny}
	case StageRelay:
		return []Cond{CondAny}
	}
	return nil
}

// takesNet reports whether address conditions make sense at the stage: only
// the client's address is known, and it is known from the connection on.
func (s Stage) takesNet() bool { return s == StageConnect || s == StageRelay }

// Rule is one parsed rule.
type Rule struct {
	Stage Stage
	Allow bool         // allow or deny
	Cond  Cond         //
	Net   netip.Prefix // the network of a CondNet rule, host bits cleared
	Rcpt  string       // recipient mask; "*" when the rule has no "to" part
	Text  string       // the rule as written, for logs and verdicts
	Pos   config.Pos   // where it was written
}

// ParseRule parses the text of a rule of the stage (see the package
// documentation for the syntax). The returned Rule has no Pos; the error
// says what is wrong without saying where.
func ParseRule(stage Stage, text string) (Rule, error) {
	r := Rule{Stage: stage, Text: strings.TrimSpace(text), Rcpt: "*"}
	words := strings.Fields(text)
	if len(words) == 0 {
		return r, errors.New("empty rule")
	}
	switch strings.ToLower(words[0]) {
	case "allow":
		r.Allow = true
	case "deny":
	default:
		return r, fmt.Errorf("a rule starts with allow or deny, not %q", words[0])
	}
	if len(words) < 2 || !strings.EqualFold(words[1], "from") && !strings.EqualFold(words[1], "for") {
		return r, fmt.Errorf("%q must be followed by from (or for) and a condition", words[0])
	}
	cond := words[2:]
	for i, w := range cond {
		if strings.EqualFold(w, "to") {
			if len(cond) != i+2 {
				return r, errors.New("\"to\" must be followed by exactly one recipient mask")
			}
			r.Rcpt = cond[i+1]
			if err := mask.CheckAddress(r.Rcpt); err != nil {
				return r, err
			}
			cond = cond[:i]
			break
		}
	}
	var err error
	r.Cond, r.Net, err = parseCond(stage, cond)
	return r, err
}

// parseCond parses the words between from and to.
func parseCond(stage Stage, words []string) (Cond, netip.Prefix, error) {
	switch {
	case len(words) == 0:
		return 0, netip.Prefix{}, fmt.Errorf("missing condition after from; %s", condHelp(stage))
	case strings.EqualFold(words[0], "ip"):
		if !stage.takesNet() {
			return 0, netip.Prefix{}, fmt.Errorf("%s cannot test the client address; %s", stage.Param(), condHelp(stage))
		}
		if len(words) != 2 {
			return 0, netip.Prefix{}, errors.New("\"ip\" must be followed by one address or network, as in ip 10.0.0.0/8")
		}
		n, err := ParseNet(words[1])
		return CondNet, n, err
	case len(words) > 1:
		return 0, netip.Prefix{}, fmt.Errorf("condition %q has more than one word; %s", strings.Join(words, " "), condHelp(stage))
	}
	for _, c := range stage.keywords() {
		if strings.EqualFold(words[0], c.String()) {
			return c, netip.Prefix{}, nil
		}
	}
	if stage.takesNet() && looksLikeNet(words[0]) {
		n, err := ParseNet(words[0])
		return CondNet, n, err
	}
	return 0, netip.Prefix{}, fmt.Errorf("unknown condition %q; %s", words[0], condHelp(stage))
}

// condHelp lists what a stage accepts, for error messages.
func condHelp(stage Stage) string {
	var names []string
	for _, c := range stage.keywords() {
		names = append(names, c.String())
	}
	if stage.takesNet() {
		names = append(names, "an address or network (A.B.C.D, A.B.C.D/NN, A.B.C.D/M.M.M.M, IPv6[/NN]), optionally after \"ip\"")
	}
	return stage.Param() + " takes " + strings.Join(names, ", ")
}

// looksLikeNet tells an address that failed to parse ("10.0.0.256") from a
// misspelt keyword ("has_nmae"), so each gets the more helpful message.
func looksLikeNet(w string) bool {
	return strings.ContainsAny(w, ".:/") || w != "" && w[0] >= '0' && w[0] <= '9'
}

// ParseNet parses an address condition: A.B.C.D, A.B.C.D/NN,
// A.B.C.D/M.M.M.M (a contiguous netmask), an IPv6 address or IPv6/NN. A
// single address is a network of one. Host bits are cleared, as Postfix
// does for mynetworks: 10.1.2.3/16 means 10.1.0.0/16.
func ParseNet(s string) (netip.Prefix, error) {
	addrText, maskText, hasMask := strings.Cut(s, "/")
	addr, err := netip.ParseAddr(addrText)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address", addrText)
	}
	if addr.Zone() != "" || addr.Is4In6() {
		// Client addresses are compared unmapped and without zone, so such a
		// rule could never match.
		return netip.Prefix{}, fmt.Errorf("%q: write IPv4 addresses as A.B.C.D and IPv6 addresses without a zone", addrText)
	}
	if !hasMask {
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	n, err := prefixLen(addr, maskText)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(addr, n).Masked(), nil
}

// prefixLen reads the part after "/": a length, or an IPv4 netmask.
func prefixLen(addr netip.Addr, mask string) (int, error) {
	if mask != "" && len(mask) <= 3 && strings.Trim(mask, "0123456789") == "" {
		n, _ := strconv.Atoi(mask)
		if n > addr.BitLen() {
			return 0, fmt.Errorf("prefix length /%d is longer than %d", n, addr.BitLen())
		}
		return n, nil
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() || !addr.Is4() {
		return 0, fmt.Errorf("%q is neither a prefix length nor an IPv4 netmask", mask)
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := bits.LeadingZeros32(^v)
	if v != ^uint32(0)<<(32-ones) {
		return 0, fmt.Errorf("netmask %s is not contiguous", mask)
	}
	return ones, nil
}
