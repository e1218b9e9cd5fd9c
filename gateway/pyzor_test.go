package gateway

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/internal/pyzortest"
)

// TestPyzorDigestCheck runs the engine the gateway builds against a real
// pyzord: a message reported PyzorMinCount times is PYZOR_LISTED, one
// reported less is not, the group switches turn the check off, and a
// server that stops answering gives PYZOR_TEMPFAIL within PyzorTimeout.
func TestPyzorDigestCheck(t *testing.T) {
	srv := pyzortest.Start(t)
	gw := loadGuide(t, `[mailgw.antispam]
PyzorServer=`+srv.Addr+`
PyzorMinCount=2
PyzorTimeout=1
BayesStore=none
[mailgw.policy]
SpamRateLimit=standard
[mailgw.group:nodns]
Senders=ip 10.20.0.0/16
SpamUseDNS=no
[mailgw.group:nopyzor]
Senders=ip 10.30.0.0/16
SpamCheckPyzor=no
`)
	f := gw.Filter(filter.Options{Spam: gw.SpamChecker(quiet()), Virus: fake.Virus{}, Version: "test", Logger: quiet()})
	listed := mkMsg("offer", "", "Cheap watches for everyone, order today and save a lot of money.\r\nOur offer ends on Friday, write back now.")
	once := mkMsg("offer", "", "A message reported only once to the digest server, below the count.\r\nIt stays unlisted.")
	srv.Pyzor(t, "report", listed)
	srv.Pyzor(t, "report", listed)
	srv.Pyzor(t, "report", once)

	info := func(t *testing.T, ip string, msg []byte) string {
		t.Helper()
		env := &filter.Envelope{From: "alice@example.org", Rcpts: []string{"bob@example.com"}, ClientIP: netip.MustParseAddr(ip)}
		res := f.Process(context.Background(), env, msg)
		if len(res.Decisions) != 1 {
			t.Fatalf("decisions %+v", res.Decisions)
		}
		out, err := res.Decisions[0].Apply(res.Message)
		if err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(string(out), "\r\n\r\n")
		return head
	}
	for _, c := range []struct {
		name, ip string
		msg      []byte
		has      []string
		hasNot   []string
	}{
		{"reported twice", "10.10.0.1", listed, []string{"PYZOR_LISTED", "reported 2 times", "X-SpamTest-Method: digest"}, nil},
		{"reported once", "10.10.0.1", once, nil, []string{"PYZOR_"}},
		{"SpamUseDNS=no", "10.20.0.1", listed, nil, []string{"PYZOR_"}},
		{"SpamCheckPyzor=no", "10.30.0.1", listed, nil, []string{"PYZOR_"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			head := info(t, c.ip, c.msg)
			for _, s := range c.has {
				if !strings.Contains(head, s) {
					t.Errorf("header lacks %q:\n%s", s, head)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(head, s) {
					t.Errorf("header has %q:\n%s", s, head)
				}
			}
		})
	}
	t.Run("server gone", func(t *testing.T) {
		srv.Stop()
		start := time.Now()
		head := info(t, "10.10.0.1", listed)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("a dead Pyzor server took %v (PyzorTimeout=1)", took)
		}
		if !strings.Contains(head, "PYZOR_TEMPFAIL") || strings.Contains(head, "PYZOR_LISTED") {
			t.Errorf("want PYZOR_TEMPFAIL:\n%s", head)
		}
	})
}

func TestPyzorServerSyntax(t *testing.T) {
	for _, c := range []struct {
		value string
		ok    bool
	}{
		{"public.pyzor.org:24441", true},
		{"127.0.0.1:24441", true},
		{"[::1]:24441", true},
		{"public.pyzor.org", false},
		{"public.pyzor.org:", false},
	} {
		_, err := Parse("mailgw.conf", []byte("[mailgw.policy]\n[mailgw.antispam]\nPyzorServer="+c.value+"\n"), config.Options{})
		if (err == nil) != c.ok || err != nil && !strings.Contains(err.Error(), "PyzorServer") {
			t.Errorf("PyzorServer=%s: %v", c.value, err)
		}
	}
}

// TestPyzorSilentServer: a Pyzor server that never answers costs the
// message PyzorTimeout, then the message is scored without the digest
// (PYZOR_TEMPFAIL) and delivered, never lost or held.
func TestPyzorSilentServer(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	gw := loadGuide(t, "[mailgw.antispam]\nPyzorServer="+silent.LocalAddr().String()+"\nPyzorTimeout=1\nBayesStore=none\n[mailgw.policy]\n")
	f := gw.Filter(filter.Options{Spam: gw.SpamChecker(quiet()), Virus: fake.Virus{}, Version: "test", Logger: quiet()})
	env := &filter.Envelope{From: "alice@example.org", Rcpts: []string{"bob@example.com"}, ClientIP: netip.MustParseAddr("10.1.2.3")}
	start := time.Now()
	res := f.Process(context.Background(), env, mkMsg("hello", "", "Nothing special in this message body at all."))
	took := time.Since(start)
	if took < 900*time.Millisecond || took > 2500*time.Millisecond {
		t.Errorf("took %v, want about PyzorTimeout=1s", took)
	}
	if len(res.Decisions) != 1 || res.Decisions[0].Disposition != decision.Deliver {
		t.Fatalf("decisions %+v", res.Decisions)
	}
	out, err := res.Decisions[0].Apply(res.Message)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "PYZOR_TEMPFAIL") {
		t.Errorf("no PYZOR_TEMPFAIL:\n%s", out)
	}
}
