package resolver_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mailgw/mailgw/antispam/resolver"
	"github.com/mailgw/mailgw/internal/dnstest"
)

func TestLookups(t *testing.T) {
	srv := dnstest.Start(t,
		"host.test. 300 IN A 192.0.2.1",
		"host.test. 300 IN AAAA 2001:db8::1",
		"host.test. 300 IN TXT \"v=spf1 \" \"-all\"",
		"host.test. 300 IN MX 10 mx.host.test.",
		"1.2.0.192.in-addr.arpa. 300 IN PTR host.test.",
		"empty.test. 300 IN TXT \"x\"",
	)
	r := resolver.New(resolver.Options{Servers: []string{srv.Addr}, NetworkTimeout: time.Second, ResolveTimeout: 2 * time.Second, MaxTTL: time.Hour})
	ctx := context.Background()
	if a, err := r.LookupA(ctx, "HOST.test"); err != nil || len(a) != 1 || a[0] != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("A: %v %v", a, err)
	}
	if ips, err := r.LookupIPAddr(ctx, "host.test"); err != nil || len(ips) != 2 {
		t.Errorf("IPAddr: %v %v", ips, err)
	}
	if txt, err := r.LookupTXT(ctx, "host.test"); err != nil || len(txt) != 1 || txt[0] != "v=spf1 -all" {
		t.Errorf("TXT: %q %v", txt, err)
	}
	if mx, err := r.LookupMX(ctx, "host.test"); err != nil || len(mx) != 1 || mx[0].Host != "mx.host.test." || mx[0].Pref != 10 {
		t.Errorf("MX: %v %v", mx, err)
	}
	if names, err := r.LookupAddr(ctx, "192.0.2.1"); err != nil || len(names) != 1 || names[0] != "host.test." {
		t.Errorf("PTR: %v %v", names, err)
	}
	for _, name := range []string{"nowhere.test", "empty.test"} { // NXDOMAIN, NODATA
		_, err := r.LookupA(ctx, name)
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound || de.IsTemporary {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Answers, negative ones too, come from the cache the second time.
	before := srv.Queries()
	r.LookupA(ctx, "host.test")
	r.LookupA(ctx, "nowhere.test")
	if n := srv.Queries() - before; n != 0 {
		t.Errorf("%d queries for cached names", n)
	}
	// Without a cache every lookup asks.
	nc := resolver.New(resolver.Options{Servers: []string{srv.Addr}})
	nc.LookupA(ctx, "host.test")
	nc.LookupA(ctx, "host.test")
	if n := srv.Queries() - before; n != 2 {
		t.Errorf("no cache: %d queries, want 2", n)
	}
}

// TestDeadServer: a server that never answers costs at most the resolve
// timeout, and the error says it is an outage.
func TestDeadServer(t *testing.T) {
	dead := dnstest.Silent(t)
	r := resolver.New(resolver.Options{Servers: []string{dead}, NetworkTimeout: 200 * time.Millisecond, ResolveTimeout: 500 * time.Millisecond})
	start := time.Now()
	_, err := r.LookupA(context.Background(), "host.test")
	took := time.Since(start)
	var de *net.DNSError
	if !errors.As(err, &de) || de.IsNotFound || !de.IsTemporary || !de.IsTimeout {
		t.Errorf("err = %#v", err)
	}
	if took > 1500*time.Millisecond {
		t.Errorf("took %v, bound 500ms", took)
	}
}

func TestServerAddress(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1:53", "127.0.0.1:5353": "127.0.0.1:5353", "::1": "[::1]:53", "[::1]:54": "[::1]:54"} {
		if got := resolver.ServerAddress(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
