package service

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailgw/mailgw/mask"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/config"
)

// Service is the decoded daemon-wide configuration.
type Service struct {
	Network  Network
	Limits   Limits
	Timeouts Timeouts
	Archive  Archive
	Updater  Updater
	Milter   Milter
	Relay    Relay
}

// Listen is one ListenOn address, with where it was written so that a
// failing bind can name the line.
type Listen struct {
	Addr netip.AddrPort
	Pos  config.Pos
}

// Network is [mailgw.network].
type Network struct {
	ListenOn   []Listen
	Hostname   string
	Postmaster string
	// ProtectedDomains are the masks of [mailgw.network] and
	// [mailgw.forward]; package access checks them and reports their errors.
	ProtectedDomains []string
}

// Limits is [mailgw.limits]; sizes are converted to bytes.
type Limits struct {
	AntiviralSessions                 int
	IncomingSessions                  int
	OutgoingSessions                  int
	MaximalIncomingHops               int
	MaximalIncomingMessageSize        int64 // bytes
	MaximalIncomingMessagesPerSession int
	MaximalIncomingRcptsPerMessage    int
	MaximalIncomingSessionSize        int64 // bytes
	MaximalIncomingSessionsPerIP      int
	MaximalOutgoingSessionsPerHost    int
	MinimalQueueFreeSpaceSize         int64 // bytes; 0: no check
}

// Timeouts is [mailgw.timeouts].
type Timeouts struct {
	MaximalBackoffTime              time.Duration
	MinimalBackoffTime              time.Duration
	MaximalQueueLifetime            time.Duration
	ReadTimeout                     time.Duration
	WriteTimeout                    time.Duration
	ReceivingCommandTimeout         time.Duration
	ReceivingDataInitiationTimeout  time.Duration
	ReceivingDataTerminationTimeout time.Duration
	SendingInitialTimeout           time.Duration
	SendingHelloTimeout             time.Duration
	SendingMailTimeout              time.Duration
	SendingRcptTimeout              time.Duration
	SendingDataInitiationTimeout    time.Duration
	SendingDataTerminationTimeout   time.Duration
	SendingQuitTimeout              time.Duration
	ScanTimeout                     time.Duration // 0: no limit
	DNSNetworkTimeout               time.Duration
	DNSResolveTimeout               time.Duration
	DNSCacheMaximalTTL              time.Duration // 0: no cache
	UnreachableCacheTTL             time.Duration // 0: not remembered
}

// Archive is [mailgw.archive]; empty paths mean no archiving.
type Archive struct {
	IncomingArchivePath string
	OutgoingArchivePath string
	IncomingBcc         []string
}

// Updater is [updater.options] and [updater.report], for the future
// updater program.
type Updater struct {
	KeepSilent                bool
	UpdateServerURL           string
	UseUpdateServerURL        bool
	UseUpdateServerURLOnly    bool
	PostUpdateCmd             string
	ProxyAddress              string
	UpdateComponentsList      []string // empty: every component
	RetranslateComponentsList []string // empty: those of UpdateComponentsList
	ReportAppend              bool
	ReportLevel               int
	ReportFileName            string // empty: system log
}

// FromConfig decodes the daemon-wide sections. The loader has already
// checked types and ranges; this adds what it cannot know (address syntax,
// absolute paths, parameters that contradict each other) and reports all
// of it, each at its value's position.
func FromConfig(c *config.Config) (*Service, config.ErrorList) {
	var errs config.ErrorList
	s := &Service{
		Network:  network(c, &errs),
		Limits:   limits(c, &errs),
		Timeouts: timeouts(c, &errs),
		Archive:  archive(c, &errs),
		Updater:  updater(c, &errs),
		Milter:   milterFromConfig(c, &errs),
		Relay:    relayFromConfig(c, &errs),
	}
	return s, errs
}

func network(c *config.Config, errs *config.ErrorList) Network {
	n := Network{
		ListenOn:   listenOn(c, errs),
		Hostname:   strings.TrimSuffix(c.String(NetworkSection, "Hostname"), "."),
		Postmaster: c.String(NetworkSection, "Postmaster"),
	}
	if err := mask.CheckDomain(n.Hostname); err != nil {
		errs.Add(pos(c, NetworkSection, "Hostname"), "Hostname: %v", err)
	}
	if err := checkAddress(n.Postmaster); err != nil {
		errs.Add(pos(c, NetworkSection, "Postmaster"), "Postmaster: %v", err)
	}
	// Errors in the masks are access's to report: it owns their meaning.
	n.ProtectedDomains, _ = access.ProtectedDomains(c)
	return n
}

// listenOn parses ListenOn, refusing duplicates: the second bind would fail
// at start-up, far from the line that caused it. "ListenOn=" (one empty
// value) gives no address, for a milter-only installation.
func listenOn(c *config.Config, errs *config.ErrorList) []Listen {
	var out []Listen
	seen := map[netip.AddrPort]config.Pos{}
	for _, v := range c.List(NetworkSection, "ListenOn") {
		text := strings.TrimSpace(v.Text)
		if text == "" {
			continue
		}
		ap, err := netip.ParseAddrPort(text)
		switch {
		case err != nil:
			errs.Add(v.Pos, "ListenOn %q: want IP:PORT, such as 0.0.0.0:25 or [::]:25", v.Text)
			continue
		case ap.Port() == 0:
			errs.Add(v.Pos, "ListenOn %q: port 0 is not a port to listen on", v.Text)
			continue
		}
		if at, dup := seen[ap]; dup {
			errs.Add(v.Pos, "ListenOn %q: already listed at %s", v.Text, at)
			continue
		}
		seen[ap] = v.Pos
		out = append(out, Listen{Addr: ap, Pos: v.Pos})
	}
	return out
}

// checkAddress accepts a plain address local@domain, as used in envelopes:
// no display name, no angle brackets, no spaces.
func checkAddress(addr string) error {
	at := strings.LastIndexByte(addr, '@')
	switch {
	case addr == "":
		return fmt.Errorf("empty address")
	case at <= 0:
		return fmt.Errorf("%q is not an address local@domain", addr)
	case strings.ContainsAny(addr, " \t<>,\"()"):
		return fmt.Errorf("%q: write a plain address local@domain, without name, quotes or brackets", addr)
	}
	if err := mask.CheckDomain(addr[at+1:]); err != nil {
		return fmt.Errorf("%q: %v", addr, err)
	}
	return nil
}

// pos is where key was set, or "default" when it was not: contradictions
// between parameters are reported at a line the administrator wrote.
func pos(c *config.Config, section, key string) config.Pos {
	if vals := c.Values(section, key); len(vals) > 0 {
		return vals[len(vals)-1].Pos
	}
	return config.Pos{File: fmt.Sprintf("default of [%s] %s", section, key)}
}

// posOfEither is the position of the first of two keys that was set.
func posOfEither(c *config.Config, section, a, b string) config.Pos {
	if c.Has(section, a) {
		return pos(c, section, a)
	}
	return pos(c, section, b)
}

// checkPath accepts "" (off) or an absolute path: the daemon does not run
// in the directory of its configuration file.
func checkPath(c *config.Config, section, key string, errs *config.ErrorList) string {
	p := c.String(section, key)
	if p != "" && !filepath.IsAbs(p) {
		errs.Add(pos(c, section, key), "%s %q: want an absolute path", key, p)
	}
	return p
}

const (
	kb = 1024
	mb = 1024 * kb
)

func limits(c *config.Config, errs *config.ErrorList) Limits {
	n := func(key string) int { return int(c.Int(LimitsSection, key)) }
	l := Limits{
		AntiviralSessions:                 n("AntiviralSessions"),
		IncomingSessions:                  n("IncomingSessions"),
		OutgoingSessions:                  n("OutgoingSessions"),
		MaximalIncomingHops:               n("MaximalIncomingHops"),
		MaximalIncomingMessageSize:        c.Int(LimitsSection, "MaximalIncomingMessageSize") * kb,
		MaximalIncomingMessagesPerSession: n("MaximalIncomingMessagesPerSession"),
		MaximalIncomingRcptsPerMessage:    n("MaximalIncomingRcptsPerMessage"),
		MaximalIncomingSessionSize:        c.Int(LimitsSection, "MaximalIncomingSessionSize") * kb,
		MaximalIncomingSessionsPerIP:      n("MaximalIncomingSessionsPerIP"),
		MaximalOutgoingSessionsPerHost:    n("MaximalOutgoingSessionsPerHost"),
		MinimalQueueFreeSpaceSize:         c.Int(LimitsSection, "MinimalQueueFreeSpaceSize") * mb,
	}
	// A message larger than the session limit could never be received, so
	// the larger message limit would be a promise the gateway breaks.
	if l.MaximalIncomingMessageSize > l.MaximalIncomingSessionSize {
		errs.Add(posOfEither(c, LimitsSection, "MaximalIncomingMessageSize", "MaximalIncomingSessionSize"),
			"MaximalIncomingMessageSize (%d KB) exceeds MaximalIncomingSessionSize (%d KB)",
			l.MaximalIncomingMessageSize/kb, l.MaximalIncomingSessionSize/kb)
	}
	return l
}

func timeouts(c *config.Config, errs *config.ErrorList) Timeouts {
	sec := func(key string) time.Duration { return time.Duration(c.Int(TimeoutsSection, key)) * time.Second }
	t := Timeouts{
		MaximalBackoffTime:              sec("MaximalBackoffTime"),
		MinimalBackoffTime:              sec("MinimalBackoffTime"),
		MaximalQueueLifetime:            time.Duration(c.Int(TimeoutsSection, "MaximalQueueLifetime")) * 24 * time.Hour,
		ReadTimeout:                     sec("ReadTimeout"),
		WriteTimeout:                    sec("WriteTimeout"),
		ReceivingCommandTimeout:         sec("ReceivingCommandTimeout"),
		ReceivingDataInitiationTimeout:  sec("ReceivingDataInitiationTimeout"),
		ReceivingDataTerminationTimeout: sec("ReceivingDataTerminationTimeout"),
		SendingInitialTimeout:           sec("SendingInitialTimeout"),
		SendingHelloTimeout:             sec("SendingHelloTimeout"),
		SendingMailTimeout:              sec("SendingMailTimeout"),
		SendingRcptTimeout:              sec("SendingRcptTimeout"),
		SendingDataInitiationTimeout:    sec("SendingDataInitiationTimeout"),
		SendingDataTerminationTimeout:   sec("SendingDataTerminationTimeout"),
		SendingQuitTimeout:              sec("SendingQuitTimeout"),
		ScanTimeout:                     sec("ScanTimeout"),
		DNSNetworkTimeout:               sec("DNSNetworkTimeout"),
		DNSResolveTimeout:               sec("DNSResolveTimeout"),
		DNSCacheMaximalTTL:              sec("DNSCacheMaximalTTL"),
		UnreachableCacheTTL:             sec("UnreachableCacheTTL"),
	}
	checkOrder(c, errs, "MinimalBackoffTime", t.MinimalBackoffTime, "MaximalBackoffTime", t.MaximalBackoffTime, false)
	checkOrder(c, errs, "DNSNetworkTimeout", t.DNSNetworkTimeout, "DNSResolveTimeout", t.DNSResolveTimeout, false)
	// A host still marked unreachable at the next retry would be skipped
	// again, so a message could expire without a real attempt.
	checkOrder(c, errs, "UnreachableCacheTTL", t.UnreachableCacheTTL, "MinimalBackoffTime", t.MinimalBackoffTime, true)
	return t
}

// checkOrder reports lowKey's value exceeding highKey's (or equalling it,
// when strict) in [mailgw.timeouts].
func checkOrder(c *config.Config, errs *config.ErrorList, lowKey string, low time.Duration, highKey string, high time.Duration, strict bool) {
	if low < high || !strict && low == high {
		return
	}
	rel := "must not exceed"
	if strict {
		rel = "must be below"
	}
	errs.Add(posOfEither(c, TimeoutsSection, lowKey, highKey), "%s (%v) %s %s (%v)", lowKey, low, rel, highKey, high)
}

func archive(c *config.Config, errs *config.ErrorList) Archive {
	a := Archive{
		IncomingArchivePath: checkPath(c, ArchiveSection, "IncomingArchivePath", errs),
		OutgoingArchivePath: checkPath(c, ArchiveSection, "OutgoingArchivePath", errs),
	}
	for _, v := range c.List(ArchiveSection, "IncomingBcc") {
		addr := strings.TrimSpace(v.Text)
		if addr == "" {
			continue
		}
		if err := checkAddress(addr); err != nil {
			errs.Add(v.Pos, "IncomingBcc: %v", err)
			continue
		}
		a.IncomingBcc = append(a.IncomingBcc, addr)
	}
	return a
}
