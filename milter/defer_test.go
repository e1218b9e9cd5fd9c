package milter_test

import (
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/policy"
	"github.com/mailgw/mailgw/service"
)

// groupOf resolves groups with the policy of conf, as mailgw-milter does.
func groupOf(t *testing.T, conf string) func(policy.Sender, string) string {
	t.Helper()
	gw, err := gateway.Parse("mailgw.conf", []byte(conf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return func(s policy.Sender, rcpt string) string { return gw.Policy.GroupFor(s, rcpt).Name }
}

func checkDeferred(t *testing.T, act *gomilter.Action, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if act.Code != gomilter.ActReplyCode || act.SMTPCode != 452 || !strings.HasPrefix(act.SMTPText, "4.5.3 ") {
		t.Fatalf("action %+v, want a 452 4.5.3 reply", act)
	}
}

func TestSplitDeferAtRcpt(t *testing.T) {
	rec, addr := startServer(t, milter.Options{Split: service.SplitDefer, GroupOf: groupOf(t, testConf)})
	s := session(t, addr)
	mustContinue(t)(s.Mail("<alice@example.org>", nil))
	mustContinue(t)(s.Rcpt("<bob@example.com>", nil))
	act, err := s.Rcpt("<eve@other.test>", nil)
	checkDeferred(t, act, err)
	// A later recipient of the first group is still welcome.
	mustContinue(t)(s.Rcpt("<carol@example.com>", nil))
	mods, act := finish(t, s, "first")
	if act.Code != gomilter.ActContinue || !hasHeader(mods, "X-SpamTest-Status") {
		t.Fatalf("first transaction: action %+v, mods %+v", act, mods)
	}
	// The deferred recipient comes back alone and opens its own group.
	mods, act = send(t, s, "eve@other.test", "second", mime("clean"))
	if act.Code != gomilter.ActContinue || !hasHeader(mods, "X-SpamTest-Status") {
		t.Fatalf("second transaction: action %+v, mods %+v", act, mods)
	}
	if len(rec.envs) != 2 || strings.Join(rec.envs[0].Rcpts, ",") != "bob@example.com,carol@example.com" ||
		strings.Join(rec.envs[1].Rcpts, ",") != "eve@other.test" {
		t.Fatalf("filter saw %+v, want bob+carol, then eve", rec.envs)
	}
}

// Without a group resolver, defer cannot keep groups apart at RCPT time;
// a message that spans groups must then come back later, not be split.
func TestSplitDeferWithoutGroupOfTempfails(t *testing.T) {
	_, addr := startServer(t, milter.Options{Split: service.SplitDefer})
	s := session(t, addr)
	_, act := send(t, s, "bob@example.com,eve@other.test", "split", mime("clean"))
	checkTempfail(t, act)
}

// finish sends the header and a clean body of a transaction whose
// envelope is already sent.
func finish(t *testing.T, s *gomilter.ClientSession, subject string) ([]gomilter.ModifyAction, *gomilter.Action) {
	t.Helper()
	var h textproto.Header
	h.Add("Subject", subject)
	h.Add("From", "alice@example.org")
	h.Add("MIME-Version", "1.0")
	h.Add("Content-Type", `multipart/mixed; boundary="BND"`)
	mustContinue(t)(s.Header(h))
	mods, act, err := s.BodyReadFrom(strings.NewReader(mime("clean")))
	if err != nil {
		t.Fatal(err)
	}
	return mods, act
}
