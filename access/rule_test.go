package access_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/mask"

	"github.com/mailgw/mailgw/access"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		stage access.Stage
		text  string
		allow bool
		cond  access.Cond
		net   string // CondNet only
		rcpt  string
		err   string // substring; "" for success
	}{
		// The guide, 5.2.3.
		{access.StageConnect, "deny for ip 10.10.138.99", false, access.CondNet, "10.10.138.99/32", "*", ""},
		// config-facts.md, every condition of every rule.
		{access.StageConnect, "deny from in_dnsbl to *", false, access.CondInDNSBL, "", "*", ""},
		{access.StageConnect, "allow from out_dnsbl to *", true, access.CondOutDNSBL, "", "*", ""},
		{access.StageConnect, "allow from has_name to *@example.com", true, access.CondHasName, "", "*@example.com", ""},
		{access.StageConnect, "deny from no_name to *", false, access.CondNoName, "", "*", ""},
		{access.StageConnect, "allow from any to *", true, access.CondAny, "", "*", ""},
		{access.StageHelo, "allow from has_ip to *", true, access.CondHasIP, "", "*", ""},
		{access.StageHelo, "deny from no_ip to *", false, access.CondNoIP, "", "*", ""},
		{access.StageHelo, "allow from same_ip to *", true, access.CondSameIP, "", "*", ""},
		{access.StageHelo, "deny from diff_ip to *", false, access.CondDiffIP, "", "*", ""},
		{access.StageHelo, "allow from any to *", true, access.CondAny, "", "*", ""},
		{access.StageMailfrom, "allow from has_ip to *", true, access.CondHasIP, "", "*", ""},
		{access.StageMailfrom, "deny from no_ip to *", false, access.CondNoIP, "", "*", ""},
		{access.StageMailfrom, "allow from has_mx to *", true, access.CondHasMX, "", "*", ""},
		{access.StageMailfrom, "deny from no_mx to *", false, access.CondNoMX, "", "*", ""},
		{access.StageMailfrom, "allow from any", true, access.CondAny, "", "*", ""},
		{access.StageRelay, "allow from 192.168.0.0/16 to *", true, access.CondNet, "192.168.0.0/16", "*", ""},
		{access.StageRelay, "allow from any to *@mydomain.com", true, access.CondAny, "", "*@mydomain.com", ""},
		{access.StageRelay, "deny from any to *", false, access.CondAny, "", "*", ""},
		// The guide, 3.4: <x.x.x.x>, <x.x.x.x/y.y.y.y>, <x.x.x.x/y>.
		{access.StageRelay, "allow from 10.1.2.3 to *", true, access.CondNet, "10.1.2.3/32", "*", ""},
		{access.StageRelay, "allow from 10.1.0.0/255.255.0.0 to *", true, access.CondNet, "10.1.0.0/16", "*", ""},
		{access.StageRelay, "allow from 10.1.2.3/16 to *", true, access.CondNet, "10.1.0.0/16", "*", ""},
		{access.StageRelay, "allow from ip 2001:db8::/32 to *", true, access.CondNet, "2001:db8::/32", "*", ""},
		{access.StageConnect, "deny for ip 10.0.0.0/8", false, access.CondNet, "10.0.0.0/8", "*", ""},
		{access.StageConnect, "deny for ip 10.0.0.0/255.0.0.0", false, access.CondNet, "10.0.0.0/8", "*", ""},
		{access.StageConnect, "deny for ip 2001:db8::1", false, access.CondNet, "2001:db8::1/128", "*", ""},
		{access.StageConnect, "deny from ip ::/0", false, access.CondNet, "::/0", "*", ""},
		{access.StageConnect, "DENY FROM IN_DNSBL TO *", false, access.CondInDNSBL, "", "*", ""},
		{access.StageConnect, "  allow   from  any  to  *@Example.com ", true, access.CondAny, "", "*@Example.com", ""},
		// Mistakes.
		{access.StageConnect, "", false, 0, "", "", "empty rule"},
		{access.StageConnect, "reject from any", false, 0, "", "", "allow or deny"},
		{access.StageConnect, "deny", false, 0, "", "", "from (or for)"},
		{access.StageConnect, "deny any to *", false, 0, "", "", "from (or for)"},
		{access.StageConnect, "deny from", false, 0, "", "", "missing condition"},
		{access.StageConnect, "deny from to *", false, 0, "", "", "missing condition"},
		{access.StageConnect, "deny from has_nmae", false, 0, "", "", "unknown condition"},
		{access.StageConnect, "deny from any to", false, 0, "", "", "exactly one recipient mask"},
		{access.StageConnect, "deny from any to a b", false, 0, "", "", "exactly one recipient mask"},
		{access.StageConnect, "deny from any to <a@b>", false, 0, "", "", "angle brackets"},
		{access.StageConnect, "deny from has_name no_name", false, 0, "", "", "more than one word"},
		{access.StageConnect, "deny from ip", false, 0, "", "", "one address"},
		{access.StageConnect, "deny from ip 10.0.0.256", false, 0, "", "", "not an IP address"},
		{access.StageConnect, "deny from 10.0.0.256", false, 0, "", "", "not an IP address"},
		{access.StageConnect, "deny from ip 10.0.0.0/33", false, 0, "", "", "longer than 32"},
		{access.StageConnect, "deny from ip 10.0.0.0/255.0.255.0", false, 0, "", "", "not contiguous"},
		{access.StageConnect, "deny from ip 2001:db8::/255.0.0.0", false, 0, "", "", "IPv4 netmask"},
		{access.StageConnect, "deny from ip ::ffff:10.0.0.1", false, 0, "", "", "A.B.C.D"},
		{access.StageConnect, "deny from ip fe80::1%eth0", false, 0, "", "", "zone"},
		{access.StageHelo, "deny from in_dnsbl", false, 0, "", "", "unknown condition"},
		{access.StageHelo, "deny from ip 10.0.0.1", false, 0, "", "", "cannot test the client address"},
		{access.StageHelo, "deny from 10.0.0.1", false, 0, "", "", "unknown condition"},
		{access.StageMailfrom, "deny from same_ip", false, 0, "", "", "unknown condition"},
		{access.StageRelay, "allow from has_name to *", false, 0, "", "", "unknown condition"},
	}
	for _, tt := range tests {
		r, err := access.ParseRule(tt.stage, tt.text)
		name := tt.stage.Param() + "=" + tt.text
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one containing %q", name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Allow != tt.allow || r.Cond != tt.cond || r.Rcpt != tt.rcpt {
			t.Errorf("%s: got allow=%v cond=%v rcpt=%q, want %v %v %q", name, r.Allow, r.Cond, r.Rcpt, tt.allow, tt.cond, tt.rcpt)
		}
		if tt.net != "" && r.Net != netip.MustParsePrefix(tt.net) {
			t.Errorf("%s: net %v, want %s", name, r.Net, tt.net)
		}
	}
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		"deny for ip 10.10.138.99", "allow from 192.168.0.0/255.255.0.0 to *@x", "deny from in_dnsbl to *",
		"allow from ip 2001:db8::/32", "deny from same_ip to a?b*", "allow from any to", "deny from ip 1.2.3.4/0.0.0.0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for stage := access.StageConnect; stage <= access.StageRelay; stage++ {
			r, err := access.ParseRule(stage, text)
			if err != nil {
				continue
			}
			if r.Rcpt == "" || mask.CheckAddress(r.Rcpt) != nil {
				t.Fatalf("%s %q: accepted bad mask %q", stage.Param(), text, r.Rcpt)
			}
			if (r.Cond == access.CondNet) != r.Net.IsValid() {
				t.Fatalf("%s %q: cond %v with net %v", stage.Param(), text, r.Cond, r.Net)
			}
			// Evaluating what was accepted must not panic either.
			a := &access.Access{ConnectRules: []access.Rule{r}, HeloRules: []access.Rule{r}, MailfromRules: []access.Rule{r}, RelayRules: []access.Rule{r}}
			f := access.Facts{ClientIP: netip.MustParseAddr("10.10.138.99")}
			a.Connect(f, "a@b")
			a.Helo(f, "a@b")
			a.Mailfrom(f, "a@b")
			a.Relay(f.ClientIP, "a@b")
		}
	})
}
