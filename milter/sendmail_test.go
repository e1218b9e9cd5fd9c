package milter_test

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/milter/postfixtest"
	"github.com/mailgw/mailgw/milter/sendmailtest"
)

// TestThroughSendmail runs the Postfix cases that need no re-injection
// through a real Sendmail, whose milter client differs (protocol
// version, macros, header and body handling).
func TestThroughSendmail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Sendmail")
	}
	sink := postfixtest.StartSink(t)
	addr, rec := startFilterMilter(t, milter.Options{})
	sm := sendmailtest.Start(t, sendmailtest.Options{Milter: addr, RelayHost: sink.Addr})
	defer func() {
		if t.Failed() {
			t.Logf("Sendmail output:\n%s", sm.Log())
			out, _ := exec.Command("sh", "-c", "ls -la "+sm.Dir+"/queue; cat "+sm.Dir+"/queue/qf* "+sm.Dir+"/queue/df*").CombinedOutput()
			t.Logf("queue:\n%s", out)
		}
	}()

	t.Run("clean", func(t *testing.T) {
		mustSend(t, sm.SMTPAddr, "bob@example.com", postfixMsg("bob@example.com", "clean", "just data"))
		got := sink.Next(t, 30*time.Second)
		for _, want := range []string{"X-SpamTest-", "X-MailGW-"} {
			if !bytes.Contains(got.Data, []byte(want)) {
				t.Errorf("delivered message lacks %q:\n%s", want, got.Data)
			}
		}
		sameApartFromAdded(t, postfixMsg("bob@example.com", "clean", "just data"), got.Data)
		rec.check(t, got.Data)
	})
	t.Run("infected attachment removed", func(t *testing.T) {
		mustSend(t, sm.SMTPAddr, "bob@example.com", postfixMsg("bob@example.com", "virus", eicar()))
		got := sink.Next(t, 30*time.Second)
		rec.check(t, got.Data)
		if bytes.Contains(got.Data, []byte("EICAR-STANDARD")) || !bytes.Contains(got.Data, []byte("hello from the test")) {
			t.Errorf("delivered message still carries the virus or lost its text:\n%s", got.Data)
		}
		if !bytes.Contains(got.Data, []byte("X-MailGW-AV-Status: infected")) {
			t.Errorf("no X-MailGW-AV-Status: infected:\n%s", got.Data)
		}
	})
	t.Run("blocked with 550", func(t *testing.T) {
		err := smtpSend(t, sm.SMTPAddr, []string{"carol@block.test"}, postfixMsg("carol@block.test", "virus", eicar()))
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, "Refused by policy") {
			t.Fatalf("got %v, want 550 5.7.1 Refused by policy", err)
		}
		sink.None(t, 2*time.Second)
	})
	gtubeCases(t, sm.SMTPAddr, sink, rec)
}
