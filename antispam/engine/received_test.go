package engine

import (
	"net/netip"
	"testing"
)

func TestReceivedIP(t *testing.T) {
	tests := []struct {
		field string
		want  string
	}{
		{"from mx.example.com (mx.example.com [192.0.2.7]) by gw.example.org with ESMTP id 1", "192.0.2.7"},
		{"from [198.51.100.3] (helo=x) by a.b", "198.51.100.3"},
		{"from host (host [IPv6:2001:db8::1]) by x", "2001:db8::1"},
		{"from localhost by x (Postfix) [192.0.2.9]", ""},
		{"by x.example with LMTP", ""},
		{"from x ([garbage] [203.0.113.5])", "203.0.113.5"},
		{"from x ([::ffff:192.0.2.1])", "192.0.2.1"},
		{"from x [192.0.2.1", ""},
	}
	for _, tc := range tests {
		got, ok := ReceivedIP(tc.field)
		if tc.want == "" {
			if ok {
				t.Errorf("%q: got %v, want none", tc.field, got)
			}
			continue
		}
		if !ok || got != netip.MustParseAddr(tc.want) {
			t.Errorf("%q: got %v %v, want %s", tc.field, got, ok, tc.want)
		}
	}
}

func TestRelayIPsSkipsPrivateAndClient(t *testing.T) {
	fields := []string{
		"from a ([192.0.2.1]) by b", "from c ([10.0.0.1]) by d", "from e ([192.0.2.1]) by f",
		"from g ([198.51.100.2]) by h", "from i ([127.0.0.1]) by j", "from k ([100.64.1.1]) by l",
	}
	got := relayIPs(fields, netip.MustParseAddr("198.51.100.2"))
	if len(got) != 1 || got[0] != netip.MustParseAddr("192.0.2.1") {
		t.Fatalf("relayIPs = %v", got)
	}
}

func FuzzReceivedIP(f *testing.F) {
	f.Add("from mx.example.com (mx.example.com [192.0.2.7]) by gw")
	f.Add("from x ([IPv6:2001:db8::1]) by y")
	f.Add("from [[[]]] by")
	f.Fuzz(func(t *testing.T, s string) {
		ip, ok := ReceivedIP(s)
		if ok && !ip.IsValid() {
			t.Fatalf("ok with invalid address for %q", s)
		}
		if ok && ip.Is4In6() {
			t.Fatalf("mapped address not unmapped for %q", s)
		}
	})
}
