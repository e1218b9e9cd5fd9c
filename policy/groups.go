package policy

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/mask"
)

// Sender is what group matching knows about who sends a message.
type Sender struct {
	Address string     // envelope sender; "" for the null sender <>
	IP      netip.Addr // client IP; invalid when unknown (mailgw scan without --ip)
	Host    string     // client's forward-confirmed reverse name; "" when none
}

// Group is one policy group: who it covers and its rules.
type Group struct {
	Name       string
	Pos        config.Pos
	senders    *matcherList // nil: the key was absent, everyone matches
	recipients *matcherList
	Params     Params
}

// Policy is the whole decision table: the groups in file order and the
// default group.
type Policy struct {
	Default *Group
	Groups  []*Group
}

// Copy is one virtual copy of a message: the recipients that one group handles.
type Copy struct {
	Group      *Group
	Recipients []string
}

// FromConfig builds the policy from a loaded configuration. All problems are
// returned together.
func FromConfig(c *config.Config) (*Policy, config.ErrorList) {
	var errs config.ErrorList
	nets := decodeNetlists(c, &errs)
	p := &Policy{Default: &Group{Name: DefaultGroupID, Params: decodeParams(c, PolicySection, &errs)}}
	for _, sec := range c.SectionsMatching(GroupPrefix + "*") {
		g := &Group{Name: sec.Name[len(GroupPrefix):], Pos: sec.Pos}
		if !c.Has(sec.Name, "Senders") && !c.Has(sec.Name, "Recipients") {
			errs.Add(sec.Pos, "[%s]: at least one of Senders and Recipients must be set", sec.Name)
		}
		if c.Has(sec.Name, "Senders") {
			g.senders = parseSenders(c.Values(sec.Name, "Senders"), nets, &errs)
		}
		if c.Has(sec.Name, "Recipients") {
			g.recipients = parseRecipients(c.Values(sec.Name, "Recipients"), &errs)
		}
		g.Params = decodeParams(c, sec.Name, &errs)
		p.Groups = append(p.Groups, g)
	}
	if err := errs.Err(); err != nil {
		return p, err.(config.ErrorList)
	}
	return p, nil
}

// GroupFor returns the first group whose Senders and Recipients both match
// the pair (guide 4.1), or the default group.
func (p *Policy) GroupFor(s Sender, rcpt string) *Group {
	for _, g := range p.Groups {
		if g.matchesSender(s) && g.matchesRecipient(rcpt) {
			return g
		}
	}
	return p.Default
}

// Split divides the recipients into one copy per group, in the order in
// which each group first appears among the recipients.
func (p *Policy) Split(s Sender, rcpts []string) []Copy {
	var copies []Copy
	index := map[*Group]int{}
	for _, r := range rcpts {
		g := p.GroupFor(s, r)
		i, ok := index[g]
		if !ok {
			i = len(copies)
			index[g] = i
			copies = append(copies, Copy{Group: g})
		}
		copies[i].Recipients = append(copies[i].Recipients, r)
	}
	return copies
}

func (g *Group) matchesSender(s Sender) bool {
	return g.senders == nil || g.senders.matchSender(s)
}

func (g *Group) matchesRecipient(r string) bool {
	return g.recipients == nil || g.recipients.matchAddress(r)
}

// matcherList is the parsed value of Senders or Recipients. An empty list
// (the key written with no value) matches nothing.
type matcherList struct {
	addrs    []string       // address masks
	prefixes []netip.Prefix // ip and network entries
	hosts    []string       // host name masks
}

func (m *matcherList) matchAddress(addr string) bool {
	for _, a := range m.addrs {
		if mask.Match(a, addr) {
			return true
		}
	}
	return false
}

func (m *matcherList) matchSender(s Sender) bool {
	if m.matchAddress(s.Address) {
		return true
	}
	if s.IP.IsValid() {
		ip := s.IP.Unmap()
		for _, p := range m.prefixes {
			if p.Contains(ip) {
				return true
			}
		}
	}
	if s.Host != "" {
		host := strings.TrimSuffix(s.Host, ".")
		for _, h := range m.hosts {
			if mask.Match(h, host) {
				return true
			}
		}
	}
	return false
}

func parseSenders(vals []config.Value, nets map[string][]netip.Prefix, errs *config.ErrorList) *matcherList {
	m := &matcherList{}
	for _, v := range vals {
		kind, arg, _ := strings.Cut(strings.TrimSpace(v.Text), " ")
		arg = strings.TrimSpace(arg)
		switch strings.ToLower(kind) {
		case "":
		case "ip":
			p, err := ParsePrefix(arg)
			if err != nil {
				errs.Add(v.Pos, "Senders: %v", err)
				continue
			}
			m.prefixes = append(m.prefixes, p)
		case "host":
			if arg == "" || strings.ContainsAny(arg, " @") {
				errs.Add(v.Pos, "Senders: host wants one host name or mask, got %q", arg)
				continue
			}
			m.hosts = append(m.hosts, strings.TrimSuffix(arg, "."))
		case "network":
			list, ok := nets[strings.ToLower(arg)]
			if !ok {
				errs.Add(v.Pos, "Senders: network %q is not defined by a [%s%s] section", arg, NetlistPrefix, arg)
				continue
			}
			m.prefixes = append(m.prefixes, list...)
		default:
			if err := checkMask(v.Text); err != nil {
				errs.Add(v.Pos, "Senders: %v", err)
				continue
			}
			m.addrs = append(m.addrs, strings.TrimSpace(v.Text))
		}
	}
	return m
}

func parseRecipients(vals []config.Value, errs *config.ErrorList) *matcherList {
	m := &matcherList{}
	for _, v := range vals {
		t := strings.TrimSpace(v.Text)
		if t == "" {
			continue
		}
		if err := checkMask(t); err != nil {
			errs.Add(v.Pos, "Recipients: %v", err)
			continue
		}
		m.addrs = append(m.addrs, t)
	}
	return m
}

func checkMask(mask string) error {
	mask = strings.TrimSpace(mask)
	if strings.ContainsAny(mask, " \t<>") {
		return fmt.Errorf("%q is not an address mask (write ip, host or network before other kinds of entry)", mask)
	}
	return nil
}

// decodeNetlists reads every [mailgw.netlist:NAME] section.
func decodeNetlists(c *config.Config, errs *config.ErrorList) map[string][]netip.Prefix {
	nets := map[string][]netip.Prefix{}
	for _, sec := range c.SectionsMatching(NetlistPrefix + "*") {
		name := strings.ToLower(sec.Name[len(NetlistPrefix):])
		for _, v := range c.Values(sec.Name, "Network") {
			if strings.TrimSpace(v.Text) == "" {
				continue
			}
			p, err := ParsePrefix(v.Text)
			if err != nil {
				errs.Add(v.Pos, "Network: %v", err)
				continue
			}
			nets[name] = append(nets[name], p)
		}
		if _, ok := nets[name]; !ok {
			nets[name] = nil
		}
	}
	return nets
}

// ParsePrefix reads A.B.C.D, A.B.C.D/NN, A.B.C.D/M.M.M.M (a contiguous
// netmask), IPv6 and IPv6/NN.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	addr, mask, hasMask := strings.Cut(s, "/")
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address", addr)
	}
	ip = ip.Unmap()
	bits := ip.BitLen()
	if hasMask {
		bits, err = maskBits(mask, ip.Is4())
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: %v", s, err)
		}
	}
	return ip.Prefix(bits)
}

func maskBits(mask string, v4 bool) (int, error) {
	if m, err := netip.ParseAddr(mask); err == nil && m.Is4() && v4 {
		b := m.As4()
		n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		ones := 0
		for n&0x80000000 != 0 {
			ones++
			n <<= 1
		}
		if n != 0 {
			return 0, fmt.Errorf("netmask %s is not contiguous", mask)
		}
		return ones, nil
	}
	var bits int
	if _, err := fmt.Sscanf(mask, "%d", &bits); err != nil || fmt.Sprint(bits) != mask {
		return 0, fmt.Errorf("bad prefix length %q", mask)
	}
	if max := map[bool]int{true: 32, false: 128}[v4]; bits < 0 || bits > max {
		return 0, fmt.Errorf("prefix length %d out of range 0–%d", bits, max)
	}
	return bits, nil
}
