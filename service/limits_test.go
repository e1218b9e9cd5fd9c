package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/service"
)

// param is one row of config-facts.md: section, name, unit, range, default,
// and how to read the decoded value back in the file's unit.
type param struct {
	section, name, unit string
	min, max, def       int64
	get                 func(*service.Service) int64
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// factsTable is config-facts.md's [mailgw.limits] and [mailgw.timeouts],
// copied by hand, plus the guide's DNS timeouts with mailgw's own choices.
func factsTable() []param {
	const L, T = service.LimitsSection, service.TimeoutsSection
	lim := func(f func(service.Limits) int64) func(*service.Service) int64 {
		return func(s *service.Service) int64 { return f(s.Limits) }
	}
	tmo := func(f func(service.Timeouts) time.Duration) func(*service.Service) int64 {
		return func(s *service.Service) int64 { return secs(f(s.Timeouts)) }
	}
	return []param{
		{L, "AntiviralSessions", "", 10, 1024, 10, lim(func(l service.Limits) int64 { return int64(l.AntiviralSessions) })},
		{L, "IncomingSessions", "", 1, 1024, 100, lim(func(l service.Limits) int64 { return int64(l.IncomingSessions) })},
		{L, "OutgoingSessions", "", 1, 1024, 20, lim(func(l service.Limits) int64 { return int64(l.OutgoingSessions) })},
		{L, "MaximalIncomingHops", "", 1, 100, 20, lim(func(l service.Limits) int64 { return int64(l.MaximalIncomingHops) })},
		{L, "MaximalIncomingMessageSize", "KB", 64, 204800, 10240, lim(func(l service.Limits) int64 { return l.MaximalIncomingMessageSize / 1024 })},
		{L, "MaximalIncomingMessagesPerSession", "", 1, 1024, 100, lim(func(l service.Limits) int64 { return int64(l.MaximalIncomingMessagesPerSession) })},
		{L, "MaximalIncomingRcptsPerMessage", "", 1, 1024, 100, lim(func(l service.Limits) int64 { return int64(l.MaximalIncomingRcptsPerMessage) })},
		{L, "MaximalIncomingSessionSize", "KB", 64, 2048000, 10240, lim(func(l service.Limits) int64 { return l.MaximalIncomingSessionSize / 1024 })},
		{L, "MaximalIncomingSessionsPerIP", "", 1, 1024, 4, lim(func(l service.Limits) int64 { return int64(l.MaximalIncomingSessionsPerIP) })},
		{L, "MaximalOutgoingSessionsPerHost", "", 1, 1024, 4, lim(func(l service.Limits) int64 { return int64(l.MaximalOutgoingSessionsPerHost) })},
		{L, "MinimalQueueFreeSpaceSize", "MB", 0, 1000000, 0, lim(func(l service.Limits) int64 { return l.MinimalQueueFreeSpaceSize / (1024 * 1024) })},

		{T, "MaximalBackoffTime", "seconds", 60, 64800, 21600, tmo(func(t service.Timeouts) time.Duration { return t.MaximalBackoffTime })},
		{T, "MinimalBackoffTime", "seconds", 64, 64800, 1800, tmo(func(t service.Timeouts) time.Duration { return t.MinimalBackoffTime })},
		{T, "MaximalQueueLifetime", "days", 1, 14, 5, func(s *service.Service) int64 { return int64(s.Timeouts.MaximalQueueLifetime / (24 * time.Hour)) }},
		{T, "ReadTimeout", "seconds", 1, 1200, 120, tmo(func(t service.Timeouts) time.Duration { return t.ReadTimeout })},
		{T, "WriteTimeout", "seconds", 1, 1200, 120, tmo(func(t service.Timeouts) time.Duration { return t.WriteTimeout })},
		{T, "ReceivingCommandTimeout", "seconds", 1, 1200, 300, tmo(func(t service.Timeouts) time.Duration { return t.ReceivingCommandTimeout })},
		{T, "ReceivingDataInitiationTimeout", "seconds", 1, 2400, 600, tmo(func(t service.Timeouts) time.Duration { return t.ReceivingDataInitiationTimeout })},
		{T, "ReceivingDataTerminationTimeout", "seconds", 1, 7200, 300, tmo(func(t service.Timeouts) time.Duration { return t.ReceivingDataTerminationTimeout })},
		{T, "SendingInitialTimeout", "seconds", 1, 1200, 300, tmo(func(t service.Timeouts) time.Duration { return t.SendingInitialTimeout })},
		{T, "SendingHelloTimeout", "seconds", 1, 1200, 300, tmo(func(t service.Timeouts) time.Duration { return t.SendingHelloTimeout })},
		{T, "SendingMailTimeout", "seconds", 1, 1200, 300, tmo(func(t service.Timeouts) time.Duration { return t.SendingMailTimeout })},
		{T, "SendingRcptTimeout", "seconds", 1, 1200, 300, tmo(func(t service.Timeouts) time.Duration { return t.SendingRcptTimeout })},
		{T, "SendingQuitTimeout", "seconds", 1, 1200, 300, tmo(func(t service.Timeouts) time.Duration { return t.SendingQuitTimeout })},
		{T, "SendingDataInitiationTimeout", "seconds", 1, 2400, 600, tmo(func(t service.Timeouts) time.Duration { return t.SendingDataInitiationTimeout })},
		{T, "SendingDataTerminationTimeout", "seconds", 1, 7200, 300, tmo(func(t service.Timeouts) time.Duration { return t.SendingDataTerminationTimeout })},
		// config-facts gives no default; 300 is mailgw's choice.
		{T, "ScanTimeout", "seconds", 0, 3600, 300, tmo(func(t service.Timeouts) time.Duration { return t.ScanTimeout })},
		// The guide names these without values; mailgw's choices.
		{T, "DNSNetworkTimeout", "seconds", 1, 1200, 10, tmo(func(t service.Timeouts) time.Duration { return t.DNSNetworkTimeout })},
		{T, "DNSResolveTimeout", "seconds", 1, 1200, 30, tmo(func(t service.Timeouts) time.Duration { return t.DNSResolveTimeout })},
		{T, "DNSCacheMaximalTTL", "seconds", 0, 259200, 43200, tmo(func(t service.Timeouts) time.Duration { return t.DNSCacheMaximalTTL })},
		{T, "UnreachableCacheTTL", "seconds", 0, 3600, 600, tmo(func(t service.Timeouts) time.Duration { return t.UnreachableCacheTTL })},
	}
}

// Every limit and timeout has config-facts.md's range, unit and default in
// the schema, decodes its default, accepts both ends of its range and
// refuses one past each end.
func TestLimitsAndTimeoutsMatchFacts(t *testing.T) {
	table := factsTable()
	schema := schema()
	defaults := load(t, "")
	for _, p := range table {
		ss, _ := schema.Lookup(p.section)
		sp, ok := ss.Param(p.name)
		if !ok {
			t.Errorf("[%s] %s: not in the schema", p.section, p.name)
			continue
		}
		if sp.Kind != config.Int || sp.Min != p.min || sp.Max != p.max || sp.Default != fmt.Sprint(p.def) || sp.Unit != p.unit || sp.Doc == "" {
			t.Errorf("[%s] %s: schema %+v, want %d–%d %s default %d", p.section, p.name, *sp, p.min, p.max, p.unit, p.def)
		}
		if got := p.get(defaults); got != p.def {
			t.Errorf("%s default decodes to %d, want %d", p.name, got, p.def)
		}
		for _, n := range []int64{p.min, p.max} {
			c := parse(t, fmt.Sprintf("[%s]\n%s=%d\n", p.section, p.name, n))
			// Contradictions with other parameters' defaults are tested
			// elsewhere; here only the value counts.
			if s, _ := service.FromConfig(c); p.get(s) != n {
				t.Errorf("%s=%d decodes to %d", p.name, n, p.get(s))
			}
		}
		for _, n := range []int64{p.min - 1, p.max + 1} {
			text := fmt.Sprintf("[%s]\n%s=%d\n", p.section, p.name, n)
			if _, err := config.Parse("mailgw.conf", []byte(text), schema, config.Options{}); err == nil {
				t.Errorf("%s=%d accepted", p.name, n)
			}
		}
	}
}

// The table covers the two sections completely.
func TestFactsTableComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range factsTable() {
		seen[p.section+"/"+p.name] = true
	}
	for _, sec := range []string{service.LimitsSection, service.TimeoutsSection} {
		ss, _ := schema().Lookup(sec)
		for _, sp := range ss.Params {
			if !seen[sec+"/"+sp.Name] {
				t.Errorf("[%s] %s is not in the table", sec, sp.Name)
			}
		}
	}
}

func TestUnitsConverted(t *testing.T) {
	s := load(t, lines("[mailgw.limits]", "MaximalIncomingMessageSize=20480", "MaximalIncomingSessionSize=40960", "MinimalQueueFreeSpaceSize=100",
		"[mailgw.timeouts]", "MaximalQueueLifetime=2", "ReadTimeout=90"))
	if s.Limits.MaximalIncomingMessageSize != 20<<20 || s.Limits.MaximalIncomingSessionSize != 40<<20 || s.Limits.MinimalQueueFreeSpaceSize != 100<<20 {
		t.Errorf("sizes %+v", s.Limits)
	}
	if s.Timeouts.MaximalQueueLifetime != 48*time.Hour || s.Timeouts.ReadTimeout != 90*time.Second {
		t.Errorf("timeouts %+v", s.Timeouts)
	}
}

// Parameters that contradict each other are reported at the line the
// administrator wrote, all at once.
func TestContradictions(t *testing.T) {
	c := parse(t, lines(
		"[mailgw.limits]",
		"MaximalIncomingMessageSize=20480", // 2: above the session default 10240
		"[mailgw.timeouts]",
		"MaximalBackoffTime=600",   // 4: below MinimalBackoffTime 1800
		"DNSResolveTimeout=5",      // 5: below DNSNetworkTimeout 10
		"UnreachableCacheTTL=1800", // 6: not below MinimalBackoffTime 1800
	))
	_, errs := service.FromConfig(c)
	if got := errorLines(errs); fmt.Sprint(got) != "[2 4 5 6]" {
		t.Errorf("error lines %v, want [2 4 5 6]:\n%v", got, errs)
	}
	// Setting the other side of each pair instead is fine.
	load(t, lines("[mailgw.limits]", "MaximalIncomingMessageSize=20480", "MaximalIncomingSessionSize=20480",
		"[mailgw.timeouts]", "MinimalBackoffTime=600", "MaximalBackoffTime=600", "UnreachableCacheTTL=599", "DNSNetworkTimeout=5", "DNSResolveTimeout=5"))
}
