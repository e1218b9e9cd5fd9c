package quarantine

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/mask"
)

// Section is the section owned by this package. The stores' directories
// are not in it: the quarantines are group parameters (AVQuarantinePath,
// ASQuarantinePath, package policy) and the archives are in
// [mailgw.archive] (package service).
const Section = "mailgw.quarantine"

// Settings is [mailgw.quarantine].
type Settings struct {
	Retention   time.Duration // how long stored messages are kept; 0: forever
	ReleaseHost string        // next hop of released messages, host:port
	ReleaseHelo string        // EHLO name used when releasing
	// ReleaseVia is ViaSMTP (to ReleaseHost) or ViaQueue (into
	// the relay's queue directory ReleaseQueue).
	ReleaseVia   string
	ReleaseQueue string // set by the program that knows the relay's queue, with ReleaseVia=queue
}

// Values of ReleaseVia.
const (
	ViaSMTP  = "smtp"
	ViaQueue = "queue"
)

// DefaultSettings are the settings of an empty [mailgw.quarantine]; they
// must agree with Schema's defaults (a test checks).
func DefaultSettings() Settings {
	return Settings{Retention: 30 * 24 * time.Hour, ReleaseHost: "127.0.0.1:25", ReleaseHelo: "localhost", ReleaseVia: ViaSMTP}
}

// Schema describes [mailgw.quarantine].
func Schema() []config.SectionSchema {
	return []config.SectionSchema{{Name: Section,
		Doc: "How long the quarantines and archives keep messages, and where released messages go (mailgw-maila --send-id).",
		Params: []config.Param{
			{Name: "Retention", Kind: config.Int, Unit: "days", Min: 0, Max: 36500, Default: "30",
				Doc: "Messages older than this are removed from the quarantines and archives the configuration names; mailgw-milter and mailgw-relay check at start and hourly. 0 keeps them forever."},
			{Name: "ReleaseHost", Kind: config.String, Default: "127.0.0.1:25",
				Doc: "Next hop, `host:port`, to which released messages are sent by SMTP with their original envelope, usually the local MTA. Plain SMTP: use a trusted network."},
			{Name: "ReleaseVia", Kind: config.Enum, Enum: []string{ViaSMTP, ViaQueue}, Default: ViaSMTP,
				Doc: "How released messages leave: `smtp` sends them to ReleaseHost (milter mode: the local MTA); `queue` puts them into mailgw-relay's queue ([mailgw.relay] QueueDirectory), which delivers them by its routes without filtering them again."},
			{Name: "ReleaseHelo", Kind: config.String, Default: "localhost",
				Doc: "Name given in EHLO when releasing messages: a domain name or an address literal such as `[192.0.2.1]`."},
		}}}
}

// FromConfig reads [mailgw.quarantine].
func FromConfig(c *config.Config) (Settings, config.ErrorList) {
	var errs config.ErrorList
	s := Settings{
		Retention:   time.Duration(c.Int(Section, "Retention")) * 24 * time.Hour,
		ReleaseHost: strings.TrimSpace(c.String(Section, "ReleaseHost")),
		ReleaseHelo: strings.TrimSpace(c.String(Section, "ReleaseHelo")),
		ReleaseVia:  c.String(Section, "ReleaseVia"),
	}
	if err := CheckHostPort(s.ReleaseHost); err != nil {
		errs.Add(pos(c, "ReleaseHost"), "ReleaseHost: %v", err)
	}
	if err := CheckHelo(s.ReleaseHelo); err != nil {
		errs.Add(pos(c, "ReleaseHelo"), "ReleaseHelo: %v", err)
	}
	return s, errs
}

// pos is where key was set, or its default.
func pos(c *config.Config, key string) config.Pos {
	if vals := c.Values(Section, key); len(vals) > 0 {
		return vals[len(vals)-1].Pos
	}
	return config.Pos{File: fmt.Sprintf("default of [%s] %s", Section, key)}
}

// CheckHostPort reports why s is not host:port with a port number.
func CheckHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q: want host:port, such as 127.0.0.1:25 or [::1]:25", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, port)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if err := mask.CheckDomain(host); err != nil {
		return fmt.Errorf("%q: %v", s, err)
	}
	return nil
}

// CheckHelo reports why s cannot be given in EHLO: it must be a domain
// name or an address literal (RFC 5321 §4.1.3).
func CheckHelo(s string) error {
	lit, ok := strings.CutPrefix(s, "[")
	if !ok {
		return mask.CheckDomain(s)
	}
	lit, ok = strings.CutSuffix(lit, "]")
	if v6, isV6 := strings.CutPrefix(lit, "IPv6:"); isV6 {
		lit = v6
	}
	if a, err := netip.ParseAddr(lit); !ok || err != nil || a.Zone() != "" {
		return fmt.Errorf("%q is not an address literal such as [192.0.2.1] or [IPv6:2001:db8::1]", s)
	}
	return nil
}
