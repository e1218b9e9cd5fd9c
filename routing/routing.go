package routing

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"

	"github.com/mailgw/mailgw/mask"

	"github.com/mailgw/mailgw/config"
)

// Kind is how a message is delivered.
type Kind int

const (
	RecipientMX Kind = iota // to the MX hosts of the recipient's own domain (no rule matched)
	MX                      // to the MX hosts of the domain in Route.Host
	Host                    // straight to Route.Host:Route.Port, no MX lookup
)

func (k Kind) String() string {
	switch k {
	case RecipientMX:
		return "recipient-mx"
	case MX:
		return "mx"
	case Host:
		return "host"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// DefaultPort is the SMTP port used when a route names none.
const DefaultPort = 25

// Route says where to deliver one recipient.
type Route struct {
	Kind Kind
	// Host is the host name or IP address for Host (IPv6 without
	// brackets), the domain whose MX to use for MX, and the recipient's
	// domain for RecipientMX.
	Host string
	Port int        // always set; DefaultPort unless a Host route names one
	Rule string     // the ForwardRoute as written; "" for RecipientMX
	Pos  config.Pos // where it was written; zero for RecipientMX
}

// Rule is one ForwardRoute: recipients matching Mask go to Route.
type Rule struct {
	Mask  string
	Route Route
}

// Routes is the decoded routing table, read-only after FromConfig.
type Routes struct {
	Rules []Rule
}

// Route returns the route of the first rule whose mask matches rcpt (the
// whole address; angle brackets are ignored), else RecipientMX with the
// recipient's domain.
func (r *Routes) Route(rcpt string) Route {
	rcpt = strings.TrimSuffix(strings.TrimPrefix(rcpt, "<"), ">")
	for _, rule := range r.Rules {
		if mask.Match(rule.Mask, rcpt) {
			return rule.Route
		}
	}
	domain := ""
	if at := strings.LastIndexByte(rcpt, '@'); at >= 0 {
		domain = strings.TrimSuffix(rcpt[at+1:], ".")
	}
	return Route{Kind: RecipientMX, Host: domain, Port: DefaultPort}
}

// ParseRoute parses a ForwardRoute value (see the package documentation).
// The Pos of the result is zero; the error says what is wrong, not where.
func ParseRoute(text string) (Rule, error) {
	text = strings.TrimSpace(text)
	var m, dest string
	if i := strings.IndexByte(text, '['); i >= 0 {
		// The guide writes both "MASK [host:port]" and "MASK[host:port]".
		m, dest = strings.TrimSpace(text[:i]), text[i:]
	} else {
		f := strings.Fields(text)
		if len(f) != 2 {
			return Rule{}, errors.New("want MASK DOMAIN, MASK [HOST] or MASK [HOST:PORT]")
		}
		m, dest = f[0], f[1]
	}
	if m == "" {
		return Rule{}, errors.New("missing recipient mask before the destination")
	}
	if err := mask.CheckAddress(m); err != nil {
		return Rule{}, err
	}
	rt, err := parseDest(dest)
	rt.Rule = text
	return Rule{Mask: m, Route: rt}, err
}

// parseDest parses what follows the mask: "[...]" or a domain.
func parseDest(dest string) (Route, error) {
	if !strings.HasPrefix(dest, "[") {
		if strings.Contains(dest, ":") {
			return Route{}, fmt.Errorf("%q: a port needs brackets, as in [host:port]", dest)
		}
		if err := mask.CheckDomain(dest); err != nil {
			return Route{}, err
		}
		return Route{Kind: MX, Host: strings.TrimSuffix(dest, "."), Port: DefaultPort}, nil
	}
	end := strings.LastIndexByte(dest, ']')
	if end < 0 {
		return Route{}, fmt.Errorf("%q: missing closing ]", dest)
	}
	if rest := strings.TrimSpace(dest[end+1:]); rest != "" {
		return Route{}, fmt.Errorf("unexpected %q after ]", rest)
	}
	// Host names and ports never hold spaces, so spaces inside the
	// brackets (the guide's "[ localhost :1025]") can only be noise.
	inner := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, dest[1:end])
	host, port, err := splitHostPort(inner)
	if err != nil {
		return Route{}, err
	}
	return Route{Kind: Host, Host: host, Port: port}, nil
}

// splitHostPort parses the inside of the brackets: host, host:port, an
// IPv6 address, or [IPv6]:port. A bare IPv6 address never carries a port
// ("::1:25" is an address), hence the inner brackets.
func splitHostPort(s string) (string, int, error) {
	switch {
	case s == "":
		return "", 0, errors.New("empty [] destination")
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("%q: missing ] after the IPv6 address", s)
		}
		host, rest := s[1:end], s[end+1:]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", 0, fmt.Errorf("%q: only an IPv6 address goes inside inner brackets", host)
		}
		if rest == "" {
			return host, DefaultPort, nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", 0, fmt.Errorf("unexpected %q after [%s]", rest, host)
		}
		port, err := parsePort(rest[1:])
		return host, port, err
	case strings.Count(s, ":") > 1:
		if a, err := netip.ParseAddr(s); err != nil || !a.Is6() {
			return "", 0, fmt.Errorf("%q is not an IPv6 address; write [[IPv6]:port] to give a port", s)
		}
		return s, DefaultPort, nil
	}
	host, portText, hasPort := strings.Cut(s, ":")
	if err := mask.CheckDomain(host); err != nil {
		return "", 0, err
	}
	host = strings.TrimSuffix(host, ".")
	if !hasPort {
		return host, DefaultPort, nil
	}
	port, err := parsePort(portText)
	return host, port, err
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || s[0] == '+' {
		return 0, fmt.Errorf("port %q: want a number from 1 to 65535", s)
	}
	return n, nil
}
