package relay_test

import (
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/dnstest"
	"github.com/mailgw/mailgw/relay"
)

// TestAccessRules: ConnectRule, HeloRule and MailfromRule, each decided
// by facts looked up in DNS (a miekg/dns server on loopback), first
// match wins.
func TestAccessRules(t *testing.T) {
	res := &relay.Resolver{Server: startDNS(t), Query: time.Second, Total: 2 * time.Second}
	dead := &relay.Resolver{Server: dnstest.Silent(t), Query: 100 * time.Millisecond, Total: 300 * time.Millisecond}
	for _, c := range []struct {
		name, rules string
		helo, from  string
		ehlo, rcpt  string
		dead        bool // the DNS server never answers
	}{
		{"connect in_dnsbl", "DNSBlackList=bl.test\nConnectRule=deny from in_dnsbl to *\n", "client.test", "alice@good.test", "550 5.7.1 Access denied", "", false},
		{"connect has_name allowed first", "DNSBlackList=bl.test\nConnectRule=allow from has_name\nConnectRule=deny from in_dnsbl\n", "client.test", "alice@good.test", "250", "250", false},
		{"connect rule for one recipient", "ConnectRule=deny from has_name to *@example.com\n", "client.test", "alice@good.test", "250", "550 5.7.1", false},
		{"helo no_ip", "HeloRule=deny from no_ip\n", "client.test", "alice@good.test", "250", "550 5.7.1", false},
		{"helo same_ip", "HeloRule=allow from same_ip\nHeloRule=deny from any\n", "localhost.test", "alice@good.test", "250", "250", false},
		{"mailfrom no_mx", "MailfromRule=deny from no_mx\n", "client.test", "alice@nowhere.test", "250", "550 5.7.1", false},
		{"mailfrom has_mx", "MailfromRule=deny from no_mx\n", "client.test", "alice@good.test", "250", "250", false},
		// An outage is never a fact: no_name or no_mx must not refuse
		// permanently because the DNS server is down.
		{"connect, DNS down", "ConnectRule=deny from no_name\n", "client.test", "alice@good.test", "250", "451 4.4.3", true},
		{"helo, DNS down", "HeloRule=deny from no_ip\n", "client.test", "alice@good.test", "250", "451 4.4.3", true},
		{"mailfrom, DNS down", "MailfromRule=deny from no_mx\n", "client.test", "alice@good.test", "250", "451 4.4.3", true},
		{"no rules, DNS down", "", "client.test", "alice@good.test", "250", "250", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := relay.Options{Resolver: res}
			if c.dead {
				opts.Resolver = dead
			}
			r := start(t, setup{conf: "[mailgw.access]\n" + c.rules, opts: opts})
			cl := dial(t, r.addr)
			cl.reply()
			if got := cl.send("EHLO " + c.helo + "\r\n"); got[:len(c.ehlo)] != c.ehlo {
				t.Fatalf("EHLO: %q, want %q", got, c.ehlo)
			}
			if c.rcpt == "" {
				return
			}
			cl.expect("MAIL FROM:<"+c.from+">\r\n", "250 ")
			cl.expect("RCPT TO:<bob@example.com>\r\n", c.rcpt)
		})
	}
}
