package milter

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mailgw/mailgw/config"
)

// Section is the configuration section this package owns.
const Section = "mailgw.milter"

// Split modes: how a message whose recipients fall into several policy
// groups is carried out.
const (
	SplitReinject = "reinject" // other groups' variants are re-injected over SMTP
	SplitDefer    = "defer"    // other groups' recipients are deferred (tempfailed) to retry alone
)

// Schema describes [mailgw.milter].
func Schema() []config.SectionSchema {
	return []config.SectionSchema{{
		Name: Section,
		Doc:  "The milter front-end (mailgw-milter): where it listens and how it carries out decisions that differ between recipients.",
		Params: []config.Param{
			{Name: "ListenOn", Kind: config.String, Default: "inet:127.0.0.1:8891", Doc: "The socket the MTA connects to, in MTA syntax: " +
				"`inet:HOST:PORT`, `inet6:[ADDR]:PORT` or `unix:/PATH` (as in Postfix smtpd_milters and Sendmail INPUT_MAIL_FILTER)."},
			{Name: "SocketMode", Kind: config.String, Default: "0660", Doc: "Permissions (octal) of a `unix:` socket, so that the MTA's user can connect."},
			{Name: "Split", Kind: config.Enum, Default: SplitReinject, Enum: []string{SplitReinject, SplitDefer},
				Doc: "When recipients belong to several policy groups: `reinject` delivers the first group's variant in the session and re-injects the others to ReinjectAddress; " +
					"`defer` tempfails the other groups' recipients so that they come back alone."},
			{Name: "ReinjectAddress", Kind: config.String, Default: "127.0.0.1:10026", Doc: "`HOST:PORT` of an MTA service that accepts re-injected group variants without running the milter again."},
		},
	}}
}

// Settings is the decoded [mailgw.milter] section.
type Settings struct {
	Network, Address string // for net.Listen: "tcp"/"tcp4"/"tcp6"/"unix"
	SocketMode       uint32
	Split            string
	ReinjectAddress  string
}

// Defaults are the settings of an empty section.
func Defaults() Settings {
	return Settings{Network: "tcp4", Address: "127.0.0.1:8891", SocketMode: 0o660, Split: SplitReinject,
		ReinjectAddress: "127.0.0.1:10026"}
}

// FromConfig decodes [mailgw.milter], reporting every bad value at its
// position. A configuration loaded without this package's Schema (the
// section is not yet registered in package gateway) gives Defaults.
func FromConfig(c *config.Config) (Settings, config.ErrorList) {
	s := Defaults()
	if _, ok := c.Schema().Lookup(Section); !ok {
		return s, nil
	}
	var errs config.ErrorList
	v := last(c.List(Section, "ListenOn"))
	var err error
	if s.Network, s.Address, err = ParseListen(v.Text); err != nil {
		errs.Add(v.Pos, "ListenOn %q: %v", v.Text, err)
	}
	v = last(c.List(Section, "SocketMode"))
	mode, err := strconv.ParseUint(v.Text, 8, 32)
	if err != nil || mode > 0o777 {
		errs.Add(v.Pos, "SocketMode %q: want octal permissions such as 0660", v.Text)
	}
	s.SocketMode = uint32(mode)
	s.Split = c.String(Section, "Split")
	v = last(c.List(Section, "ReinjectAddress"))
	if _, _, err := net.SplitHostPort(v.Text); err != nil {
		errs.Add(v.Pos, "ReinjectAddress %q: want HOST:PORT", v.Text)
	}
	s.ReinjectAddress = v.Text
	return s, errs
}

func last(vals []config.Value) config.Value {
	if len(vals) == 0 {
		return config.Value{}
	}
	return vals[len(vals)-1]
}

// ParseListen turns the MTA's socket syntax into net.Listen arguments.
// Sendmail also writes inet sockets as `inet:PORT@HOST`; both are accepted.
func ParseListen(spec string) (network, address string, err error) {
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
