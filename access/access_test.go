package access_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/config"
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// The guide, 5.2.3: the black list is "ConnectRule=deny for ip
// 10.10.138.99"; every other client is still welcome.
func TestGuideBlackList(t *testing.T) {
	a := load(t, lines("[mailgw.access]", "", "ConnectRule=deny for ip 10.10.138.99"))
	v := a.Connect(access.Facts{ClientIP: ip("10.10.138.99")}, "")
	want := access.Verdict{Allow: false, Matched: true, Rule: "deny for ip 10.10.138.99", Pos: config.Pos{File: "mailgw.conf", Line: 3}}
	if v != want {
		t.Errorf("blacklisted host: %+v, want %+v", v, want)
	}
	if v := a.Connect(access.Facts{ClientIP: ip("::ffff:10.10.138.99")}, "a@b"); v.Allow {
		t.Errorf("blacklisted host over IPv4-mapped IPv6 allowed: %+v", v)
	}
	for _, other := range []string{"10.10.138.98", "10.10.0.1", "2001:db8::1"} {
		if v := a.Connect(access.Facts{ClientIP: ip(other)}, "a@b"); !v.Allow || v.Matched {
			t.Errorf("%s: %+v, want the default allow", other, v)
		}
	}
}

// config-facts.md's RelayRule example.
func TestRelayRulesFirstMatchWins(t *testing.T) {
	a := load(t, lines("[mailgw.access]",
		"RelayRule=allow from 192.168.0.0/16 to *",
		"RelayRule=allow from any to *@mydomain.com",
		"RelayRule=deny from any to *"))
	tests := []struct {
		client, rcpt string
		allow        bool
		line         int
	}{
		{"192.168.3.4", "someone@elsewhere.org", true, 2},
		{"8.8.8.8", "user@mydomain.com", true, 3},
		{"8.8.8.8", "<User@MyDomain.COM>", true, 3},
		{"8.8.8.8", "user@sub.mydomain.com", false, 4},
		{"8.8.8.8", "someone@elsewhere.org", false, 4},
		{"127.0.0.1", "someone@elsewhere.org", false, 4}, // an explicit rule beats the loopback default
	}
	for _, tt := range tests {
		v := a.Relay(ip(tt.client), tt.rcpt)
		if v.Allow != tt.allow || !v.Matched || v.Pos.Line != tt.line {
			t.Errorf("Relay(%s, %s) = %+v, want allow=%v by line %d", tt.client, tt.rcpt, v, tt.allow, tt.line)
		}
	}
}

// Without RelayRules only protected domains and loopback clients relay.
func TestRelayDefault(t *testing.T) {
	a := load(t, lines(
		"[mailgw.network]", "ProtectedDomains=example.com, *.example.net",
		"[mailgw.forward]", "ProtectedDomains=example.org"))
	tests := []struct {
		client, rcpt string
		allow        bool
	}{
		{"8.8.8.8", "user@example.com", true},
		{"8.8.8.8", "user@EXAMPLE.COM.", true},
		{"8.8.8.8", "user@mx.example.net", true},
		{"8.8.8.8", "user@example.net", false},
		{"8.8.8.8", "user@example.org", true}, // the [mailgw.forward] synonym
		{"8.8.8.8", "user@example.com.evil.org", false},
		{"8.8.8.8", "user@gmail.com", false},
		{"8.8.8.8", "postmaster", false},
		{"8.8.8.8", "", false},
		{"192.168.1.1", "user@gmail.com", false}, // private is not trusted by default
		{"127.0.0.1", "user@gmail.com", true},
		{"127.1.2.3", "user@gmail.com", true},
		{"::1", "user@gmail.com", true},
		{"::ffff:127.0.0.1", "user@gmail.com", true},
	}
	for _, tt := range tests {
		v := a.Relay(ip(tt.client), tt.rcpt)
		if v.Allow != tt.allow || v.Matched || v.Rule == "" {
			t.Errorf("Relay(%s, %q) = %+v, want unmatched allow=%v with a reason", tt.client, tt.rcpt, v, tt.allow)
		}
	}
	if v := (&access.Access{}).Relay(netip.Addr{}, "user@example.com"); v.Allow {
		t.Errorf("empty configuration relays: %+v", v)
	}
}

func TestConnectConditions(t *testing.T) {
	a := load(t, lines("[mailgw.access]",
		"DNSBlackList=zen.spamhaus.org:60",
		"DNSBlackList=bl.spamcop.net 40",
		"ConnectRule=allow from ip 10.0.0.0/8 to *",
		"ConnectRule=deny from in_dnsbl to *",
		"ConnectRule=deny from no_name to *@strict.example.com",
		"ConnectRule=allow from any to *"))
	tests := []struct {
		name string
		f    access.Facts
		rcpt string
		line int
	}{
		{"local network first", access.Facts{ClientIP: ip("10.1.1.1"), DNSBLScore: 100}, "a@b", 4},
		{"score reaches 100", access.Facts{ClientIP: ip("1.2.3.4"), DNSBLScore: 100}, "a@b", 5},
		{"score above 100", access.Facts{ClientIP: ip("1.2.3.4"), DNSBLScore: 160}, "a@b", 5},
		{"score below 100", access.Facts{ClientIP: ip("1.2.3.4"), DNSBLScore: 99, HasName: true}, "a@strict.example.com", 7},
		{"no name, strict domain", access.Facts{ClientIP: ip("1.2.3.4")}, "a@strict.example.com", 6},
		{"no name, other domain", access.Facts{ClientIP: ip("1.2.3.4")}, "a@other.com", 7},
		{"at connect time", access.Facts{ClientIP: ip("1.2.3.4")}, "", 7},
	}
	for _, tt := range tests {
		if v := a.Connect(tt.f, tt.rcpt); v.Pos.Line != tt.line {
			t.Errorf("%s: %+v, want the rule of line %d", tt.name, v, tt.line)
		}
	}
	if got := len(a.DNSBL); got != 2 || a.DNSBL[0].Rating+a.DNSBL[1].Rating != 100 {
		t.Errorf("DNSBL = %+v", a.DNSBL)
	}
}

func TestHeloAndMailfromConditions(t *testing.T) {
	a := load(t, lines("[mailgw.access]",
		"HeloRule=allow from same_ip",
		"HeloRule=deny from diff_ip",
		"HeloRule=deny from no_ip",
		"MailfromRule=deny from no_mx to *@strict.example.com",
		"MailfromRule=allow from has_ip",
		"MailfromRule=deny from any"))
	helo := []struct {
		f     access.Facts
		allow bool
		line  int
	}{
		{access.Facts{HeloHasIP: true, HeloSameIP: true}, true, 2},
		{access.Facts{HeloSameIP: true}, true, 2}, // same_ip implies has_ip
		{access.Facts{HeloHasIP: true}, false, 3},
		{access.Facts{}, false, 4},
	}
	for _, tt := range helo {
		if v := a.Helo(tt.f, "a@b"); v.Allow != tt.allow || v.Pos.Line != tt.line {
			t.Errorf("Helo(%+v) = %+v, want allow=%v line %d", tt.f, v, tt.allow, tt.line)
		}
	}
	mail := []struct {
		f     access.Facts
		rcpt  string
		allow bool
		line  int
	}{
		{access.Facts{MailFromHasIP: true}, "a@strict.example.com", false, 5},
		{access.Facts{MailFromHasIP: true, MailFromHasMX: true}, "a@strict.example.com", true, 6},
		{access.Facts{MailFromHasIP: true}, "a@other.com", true, 6},
		{access.Facts{HeloHasIP: true}, "a@other.com", false, 7}, // the HELO facts do not count here
	}
	for _, tt := range mail {
		if v := a.Mailfrom(tt.f, tt.rcpt); v.Allow != tt.allow || v.Pos.Line != tt.line {
			t.Errorf("Mailfrom(%+v, %s) = %+v, want allow=%v line %d", tt.f, tt.rcpt, v, tt.allow, tt.line)
		}
	}
}

func TestDefaultsAllow(t *testing.T) {
	a := load(t, "")
	f := access.Facts{ClientIP: ip("1.2.3.4"), DNSBLScore: 500}
	for name, v := range map[string]access.Verdict{
		"Connect": a.Connect(f, "a@b"), "Helo": a.Helo(f, "a@b"), "Mailfrom": a.Mailfrom(f, "a@b"),
	} {
		if !v.Allow || v.Matched || v.Rule == "" {
			t.Errorf("%s default = %+v, want an unmatched allow with a reason", name, v)
		}
	}
}

func TestParseDNSBL(t *testing.T) {
	tests := []struct {
		text   string
		zone   string
		rating int
		err    bool
	}{
		{"zen.spamhaus.org", "zen.spamhaus.org", 100, false},
		{"zen.spamhaus.org:100", "zen.spamhaus.org", 100, false},
		{"Zen.Spamhaus.ORG.:35", "zen.spamhaus.org", 35, false},
		{"bl.spamcop.net 50", "bl.spamcop.net", 50, false},
		{"bl.spamcop.net : 1", "bl.spamcop.net", 1, false},
		{"bl.spamcop.net:0", "", 0, true},
		{"bl.spamcop.net:101", "", 0, true},
		{"bl.spamcop.net:high", "", 0, true},
		{"bl.spamcop.net:", "", 0, true},
		{"bl.spamcop.net 50 60", "", 0, true},
		{"bad..zone:50", "", 0, true},
		{":50", "", 0, true},
	}
	for _, tt := range tests {
		d, err := access.ParseDNSBL(tt.text)
		if (err != nil) != tt.err || d.Zone != tt.zone || d.Rating != tt.rating {
			t.Errorf("ParseDNSBL(%q) = %+v, %v", tt.text, d, err)
		}
	}
}

// Every mistake is reported, each at its own line, in one pass.
func TestAllErrorsWithPositions(t *testing.T) {
	_, errs := loadErrs(t, lines(
		"[mailgw.access]",
		"ConnectRule=deny from ip 10.0.0.300",      // 2
		"ConnectRule=deny from in_dnsbl",           // 3: no DNSBlackList
		"HeloRule=deny from in_dnsbl",              // 4
		"MailfromRule=maybe from any",              // 5
		"RelayRule=allow from any to",              // 6
		"RelayRule=allow from 10.0.0.0/8 to *",     // 7: fine
		"DNSBlackList=bad..zone",                   // 8
		"[mailgw.network]",                         // 9
		"ProtectedDomains=*",                       // 10
		"ProtectedDomains=*@example.com",           // 11
		"[mailgw.forward]",                         // 12
		"ProtectedDomains=example.com, any, *.org", // 13
	))
	wantLines := []int{2, 3, 4, 5, 6, 8, 10, 11, 13}
	var got []int
	for _, e := range errs {
		if e.Pos.File != "mailgw.conf" {
			t.Errorf("error without file: %v", e)
		}
		got = append(got, e.Pos.Line)
	}
	if len(errs.Err().(config.ErrorList)) != len(wantLines) || !equalSorted(errs, wantLines) {
		t.Errorf("error lines %v, want %v:\n%v", got, wantLines, errs)
	}
	if !strings.Contains(errs.Error(), "mailgw.conf:2: ConnectRule") {
		t.Errorf("errors do not read file:line: key: %v", errs)
	}
}

func equalSorted(errs config.ErrorList, want []int) bool {
	sorted := errs.Err().(config.ErrorList)
	for i, e := range sorted {
		if e.Pos.Line != want[i] {
			return false
		}
	}
	return true
}

// Rules may come from a file: list (expanded by the loader); their
// positions, good and bad, are the list file's lines.
func TestRulesFromListFile(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "blacklist")
	if err := os.WriteFile(list, []byte("# spammers\ndeny for ip 10.10.138.99\ndeny for ip 10.10.138.0/24\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := load(t, lines("[mailgw.access]", "ConnectRule=file:"+list, "ConnectRule=allow from any"))
	if len(a.ConnectRules) != 3 {
		t.Fatalf("rules %+v", a.ConnectRules)
	}
	v := a.Connect(access.Facts{ClientIP: ip("10.10.138.5")}, "")
	if v.Allow || v.Pos != (config.Pos{File: list, Line: 3}) {
		t.Errorf("verdict %+v, want deny by %s:3", v, list)
	}

	if err := os.WriteFile(list, []byte("deny for ip 10.10.138.99\ndeny for ip 10.10.138.0/40\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs := loadErrs(t, lines("[mailgw.access]", "ConnectRule=file:"+list))
	if len(errs) != 1 || errs[0].Pos != (config.Pos{File: list, Line: 2}) {
		t.Errorf("errors %v, want one at %s:2", errs, list)
	}
}

// An empty value is no rule, so that an override can empty a list.
func TestEmptyValueClearsList(t *testing.T) {
	c, err := config.Parse("mailgw.conf", []byte(lines("[mailgw.access]", "RelayRule=allow from any to *")), schema(),
		config.Options{Overrides: []string{"mailgw.access.RelayRule="}})
	if err != nil {
		t.Fatal(err)
	}
	a, errs := access.FromConfig(c)
	if len(errs) > 0 || len(a.RelayRules) != 0 {
		t.Errorf("rules %+v, errors %v", a.RelayRules, errs)
	}
	if a.Relay(ip("8.8.8.8"), "a@gmail.com").Allow {
		t.Error("open relay after clearing the rules")
	}
}

func TestDuplicateDNSBL(t *testing.T) {
	_, errs := loadErrs(t, lines("[mailgw.access]", "DNSBlackList=zen.spamhaus.org:50", "DNSBlackList=ZEN.spamhaus.org:50"))
	if len(errs) != 1 || errs[0].Pos.Line != 3 || !strings.Contains(errs[0].Msg, "mailgw.conf:2") {
		t.Errorf("errors %v, want one at line 3 naming line 2", errs)
	}
}

// TestRecipient: the first of ConnectRule, HeloRule and MailfromRule that
// denies decides; MailfromRule is not asked for the null sender.
func TestRecipient(t *testing.T) {
	a := load(t, lines("[mailgw.access]", "ConnectRule=deny from no_name to *@a.example",
		"HeloRule=deny from no_ip to *@b.example", "MailfromRule=deny from no_mx"))
	for _, tt := range []struct {
		f         access.Facts
		from, to  string
		allow     bool
		ruleMatch string
	}{
		{access.Facts{HasName: true, HeloHasIP: true, MailFromHasMX: true}, "x@y.example", "u@a.example", true, ""},
		{access.Facts{HeloHasIP: true, MailFromHasMX: true}, "x@y.example", "u@a.example", false, "no_name"},
		{access.Facts{HasName: true, MailFromHasMX: true}, "x@y.example", "u@b.example", false, "no_ip"},
		{access.Facts{HasName: true, HeloHasIP: true}, "x@y.example", "u@c.example", false, "no_mx"},
		{access.Facts{HasName: true, HeloHasIP: true}, "", "u@c.example", true, ""},
	} {
		v := a.Recipient(tt.f, tt.from, tt.to)
		if v.Allow != tt.allow || !strings.Contains(v.Rule, tt.ruleMatch) {
			t.Errorf("Recipient(%+v, %q, %q) = %+v, want allow %v by a rule with %q", tt.f, tt.from, tt.to, v, tt.allow, tt.ruleMatch)
		}
	}
}
