package service

import (
	"fmt"
	"net"
	"os/user"
	"strconv"
	"strings"

	"github.com/mailgw/mailgw/config"
)

// MilterSection configures the milter front-end (mailgw-milter).
const MilterSection = "mailgw.milter"

// Split modes: how a message whose recipients fall into several policy
// groups is carried out.
const (
	SplitReinject = "reinject" // other groups' variants are re-injected over SMTP
	SplitDefer    = "defer"    // other groups' recipients are deferred (tempfailed) to retry alone
)

// milterSchema describes [mailgw.milter].
func milterSchema() config.SectionSchema {
	return config.SectionSchema{
		Name: MilterSection,
		Doc:  "The milter front-end (mailgw-milter): where it listens and how it carries out decisions that differ between recipients.",
		Params: []config.Param{
			{Name: "ListenOn", Kind: config.String, Default: "inet:127.0.0.1:8891", Doc: "The socket the MTA connects to, in MTA syntax: " +
				"`inet:HOST:PORT`, `inet6:[ADDR]:PORT` or `unix:/PATH` (as in Postfix smtpd_milters and Sendmail INPUT_MAIL_FILTER)."},
			{Name: "SocketMode", Kind: config.String, Default: "0660", Doc: "Permissions (octal) of a `unix:` socket, so that the MTA's user can connect."},
			{Name: "Split", Kind: config.Enum, Default: SplitReinject, Enum: []string{SplitReinject, SplitDefer},
				Doc: "When recipients belong to several policy groups: `reinject` delivers the first group's variant in the session and re-injects the others to ReinjectAddress; " +
					"`defer` tempfails the other groups' recipients so that they come back alone."},
			{Name: "ReinjectAddress", Kind: config.String, Default: "127.0.0.1:10026", Doc: "`HOST:PORT` of an MTA service that accepts re-injected group variants without running the milter again."},
			{Name: "SocketOwner", Kind: config.String, Default: "", Doc: "`USER` or `USER:GROUP` (names or numeric ids) to own a `unix:` socket; empty keeps the daemon's own."},
			{Name: "NotifyAddress", Kind: config.String, Default: "127.0.0.1:10026", Doc: "`HOST:PORT` where notifications (NotifyAdmin, NotifyRecipient, NotifySender) are submitted over SMTP; " +
				"the re-injection service fits, since notices need no filtering."},
			{Name: "HoldQuarantined", Kind: config.Bool, Default: "no", Doc: "A message blocked and quarantined is also put on hold in the MTA (Postfix hold queue, Sendmail quarantine) instead of being discarded."},
			{Name: "OnInternalError", Kind: config.Enum, Default: "tempfail", Enum: []string{"tempfail", "accept"},
				Doc: "What the MTA is told when filtering fails internally (a panic, a timeout, a quarantine copy that could not be stored): " +
					"`tempfail` (4xx, the client retries) or `accept` the message unchanged (fail open)."},
		},
	}
}

// Milter is the decoded [mailgw.milter] section.
type Milter struct {
	Network, Address string // for net.Listen: "tcp"/"tcp4"/"tcp6"/"unix"
	SocketMode       uint32
	Split            string
	ReinjectAddress  string
	NotifyAddress    string
	// SocketOwner is the SocketOwner value as written; when it is set,
	// SocketUID and SocketGID own a unix socket (-1 keeps that id).
	SocketOwner          string
	SocketUID, SocketGID int
	HoldQuarantined      bool
	FailOpen             bool
}

// MilterDefaults are the settings of an empty section.
func MilterDefaults() Milter {
	return Milter{Network: "tcp4", Address: "127.0.0.1:8891", SocketMode: 0o660, Split: SplitReinject,
		ReinjectAddress: "127.0.0.1:10026", NotifyAddress: "127.0.0.1:10026", SocketUID: -1, SocketGID: -1}
}

// milterFromConfig decodes [mailgw.milter], reporting every bad value at
// its position.
func milterFromConfig(c *config.Config, errs *config.ErrorList) Milter {
	s := MilterDefaults()
	v := lastValue(c.List(MilterSection, "ListenOn"))
	var err error
	if s.Network, s.Address, err = ParseMilterListen(v.Text); err != nil {
		errs.Add(v.Pos, "ListenOn %q: %v", v.Text, err)
	}
	v = lastValue(c.List(MilterSection, "SocketMode"))
	mode, err := strconv.ParseUint(v.Text, 8, 32)
	if err != nil || mode > 0o777 {
		errs.Add(v.Pos, "SocketMode %q: want octal permissions such as 0660", v.Text)
	}
	s.SocketMode = uint32(mode)
	s.Split = c.String(MilterSection, "Split")
	v = lastValue(c.List(MilterSection, "ReinjectAddress"))
	if _, _, err := net.SplitHostPort(v.Text); err != nil {
		errs.Add(v.Pos, "ReinjectAddress %q: want HOST:PORT", v.Text)
	}
	s.ReinjectAddress = v.Text
	v = lastValue(c.List(MilterSection, "NotifyAddress"))
	if _, _, err := net.SplitHostPort(v.Text); err != nil {
		errs.Add(v.Pos, "NotifyAddress %q: want HOST:PORT", v.Text)
	}
	s.NotifyAddress = v.Text
	if v = lastValue(c.List(MilterSection, "SocketOwner")); strings.TrimSpace(v.Text) != "" {
		s.SocketOwner = strings.TrimSpace(v.Text)
		if s.SocketUID, s.SocketGID, err = parseOwner(v.Text); err != nil {
			errs.Add(v.Pos, "SocketOwner %q: %v", v.Text, err)
		}
	}
	s.HoldQuarantined = c.Bool(MilterSection, "HoldQuarantined")
	s.FailOpen = c.String(MilterSection, "OnInternalError") == "accept"
	return s
}

// parseOwner resolves USER[:GROUP] to ids; a missing group is -1 (kept).
// Names are looked up at load, so that a typo is a configuration error
// rather than a failed start.
func parseOwner(spec string) (uid, gid int, err error) {
	u, g, _ := strings.Cut(strings.TrimSpace(spec), ":")
	if uid, err = lookupID(u, func(n string) (string, error) {
		usr, err := user.Lookup(n)
		if err != nil {
			return "", err
		}
		return usr.Uid, nil
	}); err != nil {
		return -1, -1, err
	}
	gid = -1
	if g != "" {
		if gid, err = lookupID(g, func(n string) (string, error) {
			grp, err := user.LookupGroup(n)
			if err != nil {
				return "", err
			}
			return grp.Gid, nil
		}); err != nil {
			return -1, -1, err
		}
	}
	return uid, gid, nil
}

// lookupID takes a numeric id as it is and resolves a name with lookup.
func lookupID(name string, lookup func(string) (string, error)) (int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	id, err := lookup(name)
	if err != nil {
		return -1, err
	}
	return strconv.Atoi(id)
}

func lastValue(vals []config.Value) config.Value {
	if len(vals) == 0 {
		return config.Value{}
	}
	return vals[len(vals)-1]
}

// ParseMilterListen turns the MTA's socket syntax into net.Listen arguments.
// Sendmail also writes inet sockets as `inet:PORT@HOST`; both are accepted.
func ParseMilterListen(spec string) (network, address string, err error) {
	kind, rest, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok || rest == "" {
		return "", "", fmt.Errorf("want inet:HOST:PORT, inet6:[ADDR]:PORT or unix:/PATH")
	}
	switch strings.ToLower(kind) {
	case "unix", "local":
		if !strings.HasPrefix(rest, "/") {
			return "", "", fmt.Errorf("the socket path must be absolute")
		}
		return "unix", rest, nil
	case "inet", "inet6":
		network = "tcp4"
		if strings.EqualFold(kind, "inet6") {
			network = "tcp6"
		}
		if port, host, ok := strings.Cut(rest, "@"); ok {
			rest = net.JoinHostPort(strings.Trim(host, "[]"), port)
		}
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return "", "", err
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("bad port %q", port)
		}
		return network, net.JoinHostPort(host, port), nil
	}
	return "", "", fmt.Errorf("unknown socket type %q", kind)
}
