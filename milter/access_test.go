package milter_test

import (
	"fmt"
	"strings"
	"testing"

	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/dnstest"
	"github.com/mailgw/mailgw/milter"
)

// accessZone: the client 192.0.2.7 has a confirmed name and is listed by
// bl.test; helo.example.net is its address, other.test is not; good.test
// has an MX, nowhere.test nothing; 192.0.2.8's PTR server fails.
var accessZone = []string{
	"7.2.0.192.in-addr.arpa. 60 IN PTR client.example.net.",
	"client.example.net. 60 IN A 192.0.2.7",
	"helo.example.net. 60 IN A 192.0.2.7",
	"other.test. 60 IN A 10.0.0.1",
	"good.test. 60 IN MX 10 mx.good.test.",
	"good.test. 60 IN A 10.0.0.2",
	"7.2.0.192.bl.test. 60 IN A 127.0.0.2",
}

// accessLookup is what mailgw-milter builds from rules, with its DNS
// server pointed at dns.
func accessLookup(t *testing.T, dns, rules string) func() dnsfacts.Lookup {
	t.Helper()
	conf := fmt.Sprintf("[mailgw.policy]\n[mailgw.relay]\nDNSServer=%s\n[mailgw.timeouts]\nDNSResolveTimeout=1\nDNSNetworkTimeout=1\n[mailgw.access]\n%s", dns, rules)
	gw, err := gateway.Parse("mailgw.conf", []byte(conf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := gw.AccessLookup()
	return func() dnsfacts.Lookup { return l }
}

// step is one milter command and the reply it must get: "" continue,
// else the reply's first words.
type step struct {
	cmd, arg, want string
}

// TestAccessStages: ConnectRule, HeloRule and MailfromRule at their own
// stage, rules with a recipient mask and DNS outages at RCPT, and the
// facts of the connection still there for its second message (go-milter
// forgets them after a verdict).
func TestAccessStages(t *testing.T) {
	srv := dnstest.Start(t, accessZone...)
	srv.Fail("8.2.0.192.in-addr.arpa.")
	const denied, dnsDown = "550 5.7.1 Access denied", "451 4.4.3"
	tests := []struct {
		name, rules string
		steps       []step
	}{
		{"connect has_name", "ConnectRule=deny from has_name\n",
			[]step{{"conn", "192.0.2.7", denied}}},
		{"connect in_dnsbl", "DNSBlackList=bl.test\nConnectRule=deny from in_dnsbl\n",
			[]step{{"conn", "192.0.2.7", denied}}},
		{"connect no_name for one domain", "ConnectRule=deny from has_name to *@example.com\n",
			[]step{{"conn", "192.0.2.7", ""}, {"helo", "helo.example.net", ""}, {"mail", "a@good.test", ""},
				{"rcpt", "bob@example.com", denied}, {"rcpt", "eve@other.test", ""}}},
		{"helo diff_ip", "HeloRule=deny from diff_ip\n",
			[]step{{"conn", "192.0.2.7", ""}, {"helo", "other.test", denied}}},
		{"helo same_ip", "HeloRule=allow from same_ip\nHeloRule=deny from any\n",
			[]step{{"conn", "192.0.2.7", ""}, {"helo", "helo.example.net", ""}, {"mail", "a@good.test", ""}, {"rcpt", "b@example.com", ""}}},
		{"mailfrom no_mx", "MailfromRule=deny from no_mx\n",
			[]step{{"conn", "192.0.2.7", ""}, {"helo", "helo.example.net", ""}, {"mail", "a@nowhere.test", denied},
				{"mail", "", ""}, {"rcpt", "b@example.com", ""}, {"mail", "a@good.test", ""}, {"rcpt", "b@example.com", ""}}},
		{"connect, PTR server failing", "ConnectRule=deny from no_name\n",
			[]step{{"conn", "192.0.2.8", ""}, {"helo", "helo.example.net", ""}, {"mail", "a@good.test", ""}, {"rcpt", "b@example.com", dnsDown}}},
		{"no rules", "",
			[]step{{"conn", "192.0.2.8", ""}, {"helo", "nx.test", ""}, {"mail", "a@nowhere.test", ""}, {"rcpt", "b@example.com", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := startServer(t, milter.Options{Access: accessLookup(t, srv.Addr, tt.rules)})
			runSteps(t, addr, tt.steps)
		})
	}
	t.Run("second message keeps the connection's facts", func(t *testing.T) {
		_, addr := startServer(t, milter.Options{Access: accessLookup(t, srv.Addr, "ConnectRule=deny from has_name to *@example.com\n")})
		s := session(t, addr)
		for i := range 2 {
			mustContinue(t)(s.Mail("<a@good.test>", nil))
			act, err := s.Rcpt("<bob@example.com>", nil)
			if err != nil || act.Code != gomilter.ActReplyCode || act.SMTPCode != 550 {
				t.Fatalf("message %d: RCPT %+v %v, want 550", i+1, act, err)
			}
			mustContinue(t)(s.Rcpt("<eve@other.test>", nil))
			if _, act := finish(t, s, "m"); act.Code != gomilter.ActContinue {
				t.Fatalf("message %d: %+v", i+1, act)
			}
		}
	})
}

func runSteps(t *testing.T, addr string, steps []step) {
	t.Helper()
	c := gomilter.NewClientWithOptions("tcp", addr, gomilter.ClientOptions{ActionMask: milter.Actions})
	s, err := c.Session()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, st := range steps {
		var act *gomilter.Action
		switch st.cmd {
		case "conn":
			act, err = s.Conn("client.example.net", gomilter.FamilyInet, 4567, st.arg)
		case "helo":
			act, err = s.Helo(st.arg)
		case "mail":
			act, err = s.Mail("<"+st.arg+">", nil)
		case "rcpt":
			act, err = s.Rcpt("<"+st.arg+">", nil)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", st.cmd, st.arg, err)
		}
		got := ""
		if act.Code != gomilter.ActContinue {
			got = fmt.Sprintf("%d %s", act.SMTPCode, act.SMTPText)
		}
		if !strings.HasPrefix(got, st.want) || (st.want == "") != (got == "") {
			t.Fatalf("%s %s: reply %q, want %q", st.cmd, st.arg, got, st.want)
		}
		if got != "" && st.cmd != "rcpt" && st.cmd != "mail" {
			return // the MTA ends the session
		}
	}
}
