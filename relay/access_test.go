package relay_test

import (
	"testing"
	"time"

	"github.com/mailgw/mailgw/relay"
)

// TestAccessRules: ConnectRule, HeloRule and MailfromRule, each decided
// by facts looked up in DNS (a miekg/dns server on loopback), first
// match wins.
func TestAccessRules(t *testing.T) {
	dnsAddr := startDNS(t)
	res := &relay.Resolver{Server: dnsAddr, Query: time.Second, Total: 2 * time.Second}
	for _, c := range []struct {
		name, rules string
		helo, from  string
		ehlo, rcpt  string
	}{
		{"connect in_dnsbl", "DNSBlackList=bl.test\nConnectRule=deny from in_dnsbl to *\n", "client.test", "alice@good.test", "550 5.7.1 Access denied", ""},
		{"connect has_name allowed first", "DNSBlackList=bl.test\nConnectRule=allow from has_name\nConnectRule=deny from in_dnsbl\n", "client.test", "alice@good.test", "250", "250"},
		{"connect rule for one recipient", "ConnectRule=deny from has_name to *@example.com\n", "client.test", "alice@good.test", "250", "550 5.7.1"},
		{"helo no_ip", "HeloRule=deny from no_ip\n", "client.test", "alice@good.test", "250", "550 5.7.1"},
		{"helo same_ip", "HeloRule=allow from same_ip\nHeloRule=deny from any\n", "localhost.test", "alice@good.test", "250", "250"},
		{"mailfrom no_mx", "MailfromRule=deny from no_mx\n", "client.test", "alice@nowhere.test", "250", "550 5.7.1"},
		{"mailfrom has_mx", "MailfromRule=deny from no_mx\n", "client.test", "alice@good.test", "250", "250"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := start(t, setup{conf: "[mailgw.access]\n" + c.rules, opts: relay.Options{Resolver: res}})
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
