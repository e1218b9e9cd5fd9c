package dnsfacts_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/antispam/resolver"
	"github.com/mailgw/mailgw/internal/dnstest"
)

// zone is what the test server knows: three clients with a confirmed, a
// lying and a failing reverse name, two DNSBLs of which one is broken, and
// HELO and sender domains of every kind.
var zone = []string{
	"1.0.0.127.in-addr.arpa. 60 IN PTR good.test.",
	"good.test. 60 IN A 127.0.0.1",
	"2.0.0.127.in-addr.arpa. 60 IN PTR liar.test.",
	"liar.test. 60 IN A 10.9.9.9",
	"5.0.0.127.in-addr.arpa. 60 IN PTR broken.test.",
	"1.0.0.127.bl.test. 60 IN A 127.0.0.2",
	"2.0.0.127.bl.test. 60 IN A 127.0.0.2",
	"other.test. 60 IN A 10.0.0.1",
	"mx.test. 60 IN MX 10 mail.mx.test.",
	"mx.test. 60 IN A 10.0.0.2",
	"nomx.test. 60 IN A 10.0.0.3",
	"onlymx.test. 60 IN MX 10 mail.mx.test.",
}

func lookup(t *testing.T, server string) dnsfacts.Lookup {
	t.Helper()
	acc := &access.Access{
		ConnectRules: []access.Rule{{}}, HeloRules: []access.Rule{{}}, MailfromRules: []access.Rule{{}},
		DNSBL: []access.DNSBL{{Zone: "bl.test", Rating: 60}, {Zone: "broken-bl.test", Rating: 60}},
	}
	return dnsfacts.Lookup{Access: acc, Resolver: resolver.New(resolver.Options{Servers: []string{server},
		NetworkTimeout: 200 * time.Millisecond, ResolveTimeout: 500 * time.Millisecond})}
}

func startZone(t *testing.T) *dnstest.Server {
	s := dnstest.Start(t, zone...)
	s.Fail("4.0.0.127.in-addr.arpa.", "broken.test.", "fail.test.", "1.0.0.127.broken-bl.test.", "2.0.0.127.broken-bl.test.")
	return s
}

func TestClient(t *testing.T) {
	l := lookup(t, startZone(t).Addr)
	tests := []struct {
		ip         string
		host       string
		score      int
		unanswered int
		outage     bool
	}{
		{ip: "127.0.0.1", host: "good.test", score: 60, unanswered: 1},
		{ip: "::ffff:127.0.0.2", score: 60, unanswered: 1}, // PTR does not confirm
		{ip: "127.0.0.3"},               // no PTR
		{ip: "127.0.0.4", outage: true}, // PTR SERVFAIL
		{ip: "127.0.0.5", outage: true}, // the PTR name's A SERVFAIL
	}
	for _, tt := range tests {
		f := access.Facts{ClientIP: netip.MustParseAddr(tt.ip)}
		c, err := l.Client(context.Background(), &f)
		if got := errors.Is(err, dnsfacts.ErrOutage); got != tt.outage {
			t.Errorf("%s: error %v, want outage %v", tt.ip, err, tt.outage)
			continue
		}
		if tt.outage {
			continue
		}
		if c.Host != tt.host || f.HasName != (tt.host != "") || f.DNSBLScore != tt.score || len(c.Unanswered) != tt.unanswered {
			t.Errorf("%s: host %q, facts %+v, unanswered %v; want host %q score %d, %d unanswered", tt.ip, c.Host, f, c.Unanswered, tt.host, tt.score, tt.unanswered)
		}
	}
}

func TestHeloAndMailfrom(t *testing.T) {
	l := lookup(t, startZone(t).Addr)
	client := netip.MustParseAddr("10.0.0.1")
	helos := []struct {
		name          string
		hasIP, sameIP bool
		outage        bool
	}{
		{name: "other.test", hasIP: true, sameIP: true},
		{name: "good.test", hasIP: true},
		{name: "nx.test"},
		{name: "[10.0.0.1]", hasIP: true, sameIP: true},
		{name: "[IPv6:2001:db8::1]", hasIP: true},
		{name: "fail.test", outage: true},
	}
	for _, tt := range helos {
		f := access.Facts{ClientIP: client}
		err := l.Helo(context.Background(), &f, tt.name)
		if errors.Is(err, dnsfacts.ErrOutage) != tt.outage || (!tt.outage && (f.HeloHasIP != tt.hasIP || f.HeloSameIP != tt.sameIP)) {
			t.Errorf("HELO %s: facts %+v, error %v; want has_ip %v same_ip %v outage %v", tt.name, f, err, tt.hasIP, tt.sameIP, tt.outage)
		}
	}
	froms := []struct {
		from         string
		hasIP, hasMX bool
		outage       bool
	}{
		{from: "a@mx.test", hasIP: true, hasMX: true},
		{from: "a@nomx.test", hasIP: true},
		{from: "a@onlymx.test", hasMX: true},
		{from: "a@nx.test"},
		{from: ""},
		{from: "a@fail.test", outage: true},
	}
	for _, tt := range froms {
		f := access.Facts{ClientIP: client}
		err := l.Mailfrom(context.Background(), &f, tt.from)
		if errors.Is(err, dnsfacts.ErrOutage) != tt.outage || (!tt.outage && (f.MailFromHasIP != tt.hasIP || f.MailFromHasMX != tt.hasMX)) {
			t.Errorf("MAIL FROM %q: facts %+v, error %v; want has_ip %v has_mx %v outage %v", tt.from, f, err, tt.hasIP, tt.hasMX, tt.outage)
		}
	}
}

// TestDeadServer: a server that never answers costs about the resolve
// timeout per stage, and is an outage, never a fact.
func TestDeadServer(t *testing.T) {
	l := lookup(t, dnstest.Silent(t))
	f := access.Facts{ClientIP: netip.MustParseAddr("127.0.0.1")}
	start := time.Now()
	_, err := l.Client(context.Background(), &f)
	if !errors.Is(err, dnsfacts.ErrOutage) || !strings.Contains(err.Error(), "in-addr.arpa") {
		t.Errorf("Client: %v, want an outage naming the PTR query", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Client took %v with a dead server", d)
	}
}

// TestNoRulesNoLookups: without rules of a stage nothing is asked.
func TestNoRulesNoLookups(t *testing.T) {
	s := startZone(t)
	l := dnsfacts.Lookup{Access: &access.Access{}, Resolver: resolver.New(resolver.Options{Servers: []string{s.Addr}})}
	f := access.Facts{ClientIP: netip.MustParseAddr("127.0.0.1")}
	if _, err := l.Client(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	if err := l.Helo(context.Background(), &f, "good.test"); err != nil {
		t.Fatal(err)
	}
	if err := l.Mailfrom(context.Background(), &f, "a@mx.test"); err != nil {
		t.Fatal(err)
	}
	if n := s.Queries(); n != 0 || f.HasName || f.HeloHasIP || f.MailFromHasMX {
		t.Errorf("%d queries, facts %+v; want none", n, f)
	}
}
