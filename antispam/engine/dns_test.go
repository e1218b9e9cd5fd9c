package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/antispam/resolver"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/dnstest"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// testZones serve the DNSBL, SURBL, SPF and PTR cases of the DNS tests.
var testZones = []string{
	// DNSBL: 192.0.2.99 in both lists (60+50), 192.0.2.50 in one, relay 198.51.100.7 in one.
	"99.2.0.192.bl.test. 60 IN A 127.0.0.2", "99.2.0.192.bl2.test. 60 IN A 127.0.0.4",
	"50.2.0.192.bl.test. 60 IN A 127.0.0.2", "7.100.51.198.bl.test. 60 IN A 127.0.0.2",
	"77.2.0.192.bl.test. 60 IN A 127.255.255.254", // an error code, not a listing
	// PTR: .10 confirmed, .11 none, .12 pointing at a name that does not resolve back.
	"10.2.0.192.in-addr.arpa. 60 IN PTR mail.good.test.", "mail.good.test. 60 IN A 192.0.2.10",
	"12.2.0.192.in-addr.arpa. 60 IN PTR liar.test.", "liar.test. 60 IN A 203.0.113.1",
	"50.2.0.192.in-addr.arpa. 60 IN PTR mail.good.test.",
	// SPF.
	"good.test. 60 IN TXT \"v=spf1 ip4:192.0.2.10 -all\"", "soft.test. 60 IN TXT \"v=spf1 ~all\"",
	// URI lists: a domain, an IP literal, and SURBL's "blocked" answer.
	"spamsite.test.uribl.test. 60 IN A 127.0.0.2", "5.2.0.192.uribl.test. 60 IN A 127.0.0.2",
	"blocked.test.uribl.test. 60 IN A 127.0.0.1",
}

func dnsGateway(t *testing.T, srv *dnstest.Server, lines ...string) *gateway.Gateway {
	t.Helper()
	return load(t, append(lines, "[mailgw.access]", "DNSBlackList=bl.test:60, bl2.test 50",
		"[mailgw.antispam]", "BayesStore=none", "Resolver="+srv.Addr, "URIBlackList=uribl.test")...)
}

func TestDNSChecks(t *testing.T) {
	srv := dnstest.Start(t, testZones...)
	gw := dnsGateway(t, srv)
	e := gw.SpamChecker(quiet())
	p := &gw.Policy.Default.Params
	relayed := "Received: from relay (relay [198.51.100.7]) by mx.example.com\n" + hamHeaders + hamBody
	links := hamHeaders + "MIME-Version: 1.0\nContent-Type: text/html\n\n<p>See <a href=\"http://www.spamsite.test/buy\">this</a>, " +
		"<a href=\"http://192.0.2.5/x\">that</a> and <a href=\"https://blocked.test/\">ok</a></p>\n"
	tests := []struct {
		name, from, ip, raw string
		want                []string
		not                 []string
		status              policy.ASStatus
	}{
		{"blacklisted", "alice@example.org", "192.0.2.99", hamHeaders + hamBody, []string{antispam.RuleDNSBL, antispam.RuleRDNSNone}, nil, policy.ASBlacklisted},
		{"listed once", "alice@example.org", "192.0.2.50", hamHeaders + hamBody, []string{antispam.RuleDNSBL, antispam.RuleRDNSMismatch}, []string{antispam.RuleRDNSNone}, policy.ASNotDetected},
		{"error code", "alice@example.org", "192.0.2.77", hamHeaders + hamBody, nil, []string{antispam.RuleDNSBL}, policy.ASNotDetected},
		{"relay", "alice@example.org", "192.0.2.10", relayed, []string{antispam.RuleRelayDNSBL}, []string{antispam.RuleDNSBL, antispam.RuleRDNSNone, antispam.RuleRDNSMismatch}, policy.ASNotDetected},
		{"rdns mismatch", "alice@example.org", "192.0.2.12", hamHeaders + hamBody, []string{antispam.RuleRDNSMismatch}, []string{antispam.RuleRDNSNone}, policy.ASNotDetected},
		{"spf pass", "alice@good.test", "192.0.2.10", hamHeaders + hamBody, []string{antispam.RuleSPFPass}, []string{antispam.RuleSPFFail}, policy.ASNotDetected},
		{"spf fail", "alice@good.test", "192.0.2.11", hamHeaders + hamBody, []string{antispam.RuleSPFFail}, []string{antispam.RuleSPFPass}, policy.ASNotDetected},
		{"spf softfail", "alice@soft.test", "192.0.2.10", hamHeaders + hamBody, []string{antispam.RuleSPFSoftFail}, nil, policy.ASNotDetected},
		{"surbl", "alice@example.org", "192.0.2.10", links, []string{antispam.RuleSURBL}, []string{antispam.RuleDNSTempfail}, policy.ASSpam},
		{"private client", "alice@good.test", "10.1.2.3", hamHeaders + hamBody, nil, []string{antispam.RuleRDNSNone, antispam.RuleSPFFail, antispam.RuleDNSBL}, policy.ASNotDetected},
	}
	for _, tc := range tests {
		r := checkWith(t, e, p, env(tc.from, tc.ip, "bob@example.com"), tc.raw)
		for _, w := range tc.want {
			if !fired(r, w) {
				t.Errorf("%s: %s did not fire: %+v", tc.name, w, r.Rules)
			}
		}
		for _, n := range tc.not {
			if fired(r, n) {
				t.Errorf("%s: %s fired: %+v", tc.name, n, r.Rules)
			}
		}
		if r.Status != tc.status || fired(r, antispam.RuleDNSTempfail) {
			t.Errorf("%s: status %s, want %s: %+v", tc.name, r.Status, tc.status, r.Rules)
		}
	}
	// The SURBL reason names both listed targets and not the blocked answer.
	r := checkWith(t, e, p, env("alice@example.org", "192.0.2.10", "bob@example.com"), links)
	for _, rule := range r.Rules {
		if rule.Name == antispam.RuleSURBL && (!strings.Contains(rule.Reason, "spamsite.test") || !strings.Contains(rule.Reason, "192.0.2.5") || strings.Contains(rule.Reason, "blocked")) {
			t.Errorf("SURBL reason %q", rule.Reason)
		}
	}
}

// TestUseDNSSwitchesAll: SpamUseDNS=false turns every DNS check off, and
// each check has its own switch.
func TestUseDNSSwitchesAll(t *testing.T) {
	srv := dnstest.Start(t, testZones...)
	for _, line := range []string{"SpamUseDNS=false", "SpamCheckDNSBL=false"} {
		gw := dnsGateway(t, srv, line)
		before := srv.Queries()
		r := checkWith(t, gw.SpamChecker(quiet()), &gw.Policy.Default.Params, env("alice@good.test", "192.0.2.99", "bob@example.com"), hamHeaders+hamBody)
		if r.Status == policy.ASBlacklisted || fired(r, antispam.RuleDNSBL) {
			t.Errorf("%s: %+v", line, r)
		}
		if q := srv.Queries() - before; line == "SpamUseDNS=false" && q != 0 {
			t.Errorf("%s: %d queries", line, q)
		} else if line != "SpamUseDNS=false" && (!fired(r, antispam.RuleRDNSNone) || !fired(r, antispam.RuleSPFFail)) {
			t.Errorf("%s: other checks did not run: %v", line, ruleNames(r))
		}
	}
}

// TestDeadDNS: with a DNS server that never answers, the check takes at
// most about one resolve timeout, the message is not lost (no error, a
// verdict from the other checks), and the outage is reported.
func TestDeadDNS(t *testing.T) {
	gw := load(t, "[mailgw.access]", "DNSBlackList=bl.test, bl2.test", "[mailgw.antispam]", "BayesStore=none", "URIBlackList=uribl.test")
	res := resolver.New(resolver.Options{Servers: []string{dnstest.Silent(t)}, NetworkTimeout: 300 * time.Millisecond, ResolveTimeout: 600 * time.Millisecond})
	e := engine.New(engine.Options{Settings: gw.AntiSpam, DNSBL: gw.Access.DNSBL, Resolver: res, Logger: quiet(), DNSTimeout: 600 * time.Millisecond})
	// Five relays are looked up one after another: without the bound of
	// DNSTimeout they would cost five timeouts.
	raw := "Received: from r ([198.51.100.7]) by x\nReceived: from r ([198.51.100.8]) by x\nReceived: from r ([198.51.100.9]) by x\n" +
		"Received: from r ([198.51.100.10]) by x\nReceived: from r ([198.51.100.11]) by x\n" + hamHeaders + "\nSee http://www.example.net/ and " + gtube() + "\n"
	msg := mimetree.Parse([]byte(raw), mimetree.Limits{})
	start := time.Now()
	r, err := e.CheckSpam(context.Background(), env("alice@good.test", "192.0.2.99", "bob@example.com"), msg, &gw.Policy.Default.Params)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("CheckSpam: %v", err)
	}
	if took > 1200*time.Millisecond {
		t.Errorf("took %v with a 600ms resolve timeout", took)
	}
	if !fired(r, antispam.RuleDNSTempfail) || r.Status != policy.ASSpam || !fired(r, antispam.RuleGTUBE) {
		t.Errorf("got %s %+v", r.Status, r.Rules)
	}
	// A caller's deadline shorter than the resolve timeout wins: the
	// check ends with it, as an error (the filter's FailureAction applies)
	// or with the outage reported.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	r, err = e.CheckSpam(ctx, env("alice@good.test", "192.0.2.98", "bob@example.com"), msg, &gw.Policy.Default.Params)
	if took := time.Since(start); took > time.Second || (err == nil && !fired(r, antispam.RuleDNSTempfail)) {
		t.Errorf("ctx deadline: %v %+v after %v", err, r, took)
	}
}
