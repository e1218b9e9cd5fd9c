package milter_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/dnstest"
	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/milter/postfixtest"
	"github.com/mailgw/mailgw/policy"
	"github.com/mailgw/mailgw/service"
)

const postfixConf = `[mailgw.policy]
CheckAV=true
ActionInfected=remove
BlockMessage=
MarkSubject=spam

[mailgw.group:spamblockers]
Recipients=*@spamblock.test
BlockMessage=as/spam
BlockReply=550 5.7.1 Spam refused

[mailgw.group:blockers]
Recipients=*@block.test
BlockMessage=av/infected
BlockReply=550 5.7.1 Refused by policy

[mailgw.group:others]
Recipients=*@other.test
ActionInfected=pass
`

// eicar builds the EICAR test file at run time from two pieces, so that no
// test virus is stored in the repository.
func eicar() string {
	return `X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*"
}

func postfixMsg(to, subject, attachment string) []byte {
	return []byte("From: alice@example.org\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"BND\"\r\n\r\n" +
		"--BND\r\nContent-Type: text/plain\r\n\r\nhello from the test\r\n" +
		"--BND\r\nContent-Type: application/octet-stream; name=\"eicar.com\"\r\n" +
		"Content-Disposition: attachment; filename=\"eicar.com\"\r\n\r\n" + attachment + "\r\n--BND--\r\n")
}

// startFilterMilter serves the real pipeline (the core mailgw-milter
// builds: the anti-spam engine and the built-in anti-virus engine) on a
// free port, logging to the test.
// opts.Logger is set here, and under service.SplitDefer opts.GroupOf.
// The returned applied gives what Decision.Apply makes of each message.
func startFilterMilter(t *testing.T, opts milter.Options) (string, *applied) {
	t.Helper()
	gw, err := gateway.Parse("mailgw.conf", []byte(postfixConf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	core, _, err := gw.Core(log, "test")
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = log
	if opts.Split == service.SplitDefer {
		opts.GroupOf = func(s policy.Sender, rcpt string) string { return gw.Policy.GroupFor(s, rcpt).Name }
	}
	rec := &applied{Processor: core}
	srv := milter.NewServer(rec, opts)
	return serve(t, srv, "127.0.0.1:0"), rec
}

// gtubeCases: GTUBE through the MTA at mta is marked in the status
// header and the subject for the default group, and refused with the
// group's 550 for spamblock.test.
func gtubeCases(t *testing.T, mta string, sink *postfixtest.Sink, rec *applied) {
	t.Run("GTUBE marked", func(t *testing.T) {
		mustSend(t, mta, "bob@example.com", gtubeMsg("bob@example.com"))
		got := sink.Next(t, 30*time.Second)
		rec.check(t, got.Data)
		if !bytes.Contains(got.Data, []byte("\r\nX-SpamTest-Info: GTUBE")) || !bytes.Contains(got.Data, []byte("\r\n\t")) {
			t.Errorf("no folded X-SpamTest-Info with the rules that fired:\n%s", got.Data)
		}
		if !bytes.Contains(got.Data, []byte("\r\nX-SpamTest-Status-Extended: spam\r\n")) ||
			!bytes.Contains(got.Data, []byte("\r\nSubject: [!!SPAM] gtube\r\n")) {
			t.Errorf("GTUBE not marked as spam in status and subject:\n%s", got.Data)
		}
	})
	t.Run("GTUBE blocked with 550", func(t *testing.T) {
		err := smtpSend(t, mta, []string{"dave@spamblock.test"}, gtubeMsg("dave@spamblock.test"))
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, "Spam refused") {
			t.Fatalf("got %v, want 550 5.7.1 Spam refused", err)
		}
		sink.None(t, 2*time.Second)
	})
}

// gtubeMsg is a plain message carrying the GTUBE test string (built at run
// time, like eicar).
func gtubeMsg(to string) []byte {
	return []byte("From: alice@example.org\r\nTo: " + to + "\r\nSubject: gtube\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*" +
		"GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestThroughPostfix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	sink := postfixtest.StartSink(t)
	reinject := peer.FreePort(t)
	dns := dnstest.Start(t, "example.org. 60 IN MX 10 mx.example.org.")
	addr, rec := startFilterMilter(t, milter.Options{
		Reinject: milter.SMTPReinjector{Address: reinject, Timeout: 10 * time.Second},
		Access:   accessLookup(t, dns.Addr, "MailfromRule=deny from no_mx\n")})
	pf := postfixtest.Start(t, postfixtest.Options{Milter: "inet:" + addr, RelayHost: sink.Addr, Reinject: reinject})
	defer func() {
		if t.Failed() {
			t.Logf("Postfix log:\n%s", pf.Log())
		}
	}()

	t.Run("clean", func(t *testing.T) {
		mustSend(t, pf.SMTPAddr, "bob@example.com", postfixMsg("bob@example.com", "clean", "just data"))
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
		mustSend(t, pf.SMTPAddr, "bob@example.com", postfixMsg("bob@example.com", "virus", eicar()))
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
		err := smtpSend(t, pf.SMTPAddr, []string{"carol@block.test"}, postfixMsg("carol@block.test", "virus", eicar()))
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, "Refused by policy") {
			t.Fatalf("got %v, want 550 5.7.1 Refused by policy", err)
		}
		sink.None(t, 2*time.Second)
	})
	gtubeCases(t, pf.SMTPAddr, sink, rec)
	t.Run("MailfromRule at MAIL FROM", func(t *testing.T) {
		c, err := smtp.Dial(pf.SMTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var se *smtp.SMTPError
		if err := c.Mail("alice@nowhere.test", nil); !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, "Access denied") {
			t.Fatalf("MAIL FROM a domain without MX: %v, want 550 5.7.1 Access denied", err)
		}
	})
	t.Run("split into group variants", func(t *testing.T) {
		mustSendTo(t, pf.SMTPAddr, []string{"bob@example.com", "eve@other.test"}, postfixMsg("bob@example.com, eve@other.test", "split", eicar()))
		byRcpt := map[string][]byte{}
		for range 2 {
			m := sink.Next(t, 30*time.Second)
			if len(m.Rcpts) != 1 {
				t.Fatalf("a variant went to %v, want one recipient each", m.Rcpts)
			}
			byRcpt[m.Rcpts[0]] = m.Data
		}
		bob, eve := byRcpt["bob@example.com"], byRcpt["eve@other.test"]
		if bytes.Contains(bob, []byte("EICAR-STANDARD")) || !bytes.Contains(bob, []byte("X-SpamTest-Group-ID: policy")) {
			t.Errorf("bob's variant:\n%s", bob)
		}
		if !bytes.Contains(eve, []byte("EICAR-STANDARD")) || !bytes.Contains(eve, []byte("X-SpamTest-Group-ID: others")) {
			t.Errorf("eve's variant:\n%s", eve)
		}
	})
}

// Under Split=defer Postfix passes the milter's 452 for the second group's
// recipient to the client, which delivers it in a second transaction.
func TestDeferThroughPostfix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	sink := postfixtest.StartSink(t)
	addr, _ := startFilterMilter(t, milter.Options{Split: service.SplitDefer})
	pf := postfixtest.Start(t, postfixtest.Options{Milter: "inet:" + addr,
		RelayHost: sink.Addr})
	defer func() {
		if t.Failed() {
			t.Logf("Postfix log:\n%s", pf.Log())
		}
	}()
	c, err := smtp.Dial(pf.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	msg := postfixMsg("bob@example.com, eve@other.test", "defer", eicar())
	if err := transaction(c, []string{"bob@example.com", "eve@other.test"}, msg); err != nil {
		t.Fatal(err)
	}
	if err := transaction(c, []string{"eve@other.test"}, msg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ rcpt, group string }{{"bob@example.com", "policy"}, {"eve@other.test", "others"}} {
		m := sink.Next(t, 30*time.Second)
		if len(m.Rcpts) != 1 || m.Rcpts[0] != want.rcpt || !bytes.Contains(m.Data, []byte("X-SpamTest-Group-ID: "+want.group)) {
			t.Errorf("got a message for %v, want %s's variant:\n%s", m.Rcpts, want.rcpt, m.Data)
		}
	}
}

// transaction sends msg to the recipients Postfix accepts; every other
// recipient must get the milter's 452 4.5.3.
func transaction(c *smtp.Client, rcpts []string, msg []byte) error {
	if err := c.Mail("alice@example.org", nil); err != nil {
		return err
	}
	for i, r := range rcpts {
		err := c.Rcpt(r, nil)
		var se *smtp.SMTPError
		switch {
		case i == 0 && err != nil:
			return err
		case i > 0 && (!errors.As(err, &se) || se.Code != 452 || se.EnhancedCode != smtp.EnhancedCode{4, 5, 3}):
			return fmt.Errorf("RCPT %s: got %v, want 452 4.5.3", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

func mustSend(t *testing.T, addr, rcpt string, msg []byte) {
	t.Helper()
	mustSendTo(t, addr, []string{rcpt}, msg)
}

func mustSendTo(t *testing.T, addr string, rcpts []string, msg []byte) {
	t.Helper()
	if err := smtpSend(t, addr, rcpts, msg); err != nil {
		t.Fatal(err)
	}
}

func smtpSend(t *testing.T, addr string, rcpts []string, msg []byte) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	return c.SendMail("alice@example.org", rcpts, bytes.NewReader(msg))
}

// sameApartFromAdded checks that got is sent with only header fields added:
// ours (X-SpamTest-*, X-MailGW-*) and the MTA's trace and missing fields
// (Received, Date, Message-ID). The body must be byte for byte the same.
func sameApartFromAdded(t *testing.T, sent, got []byte) {
	t.Helper()
	sh, sb, _ := bytes.Cut(sent, []byte("\r\n\r\n"))
	gh, gb, _ := bytes.Cut(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), []byte("\n\n"))
	if want := bytes.ReplaceAll(sb, []byte("\r\n"), []byte("\n")); !bytes.Equal(gb, want) {
		t.Errorf("body changed:\n got %q\nwant %q", gb, want)
	}
	var kept []string
	for _, f := range fields(string(gh)) {
		name := strings.ToLower(f[:strings.IndexByte(f, ':')])
		switch {
		case strings.HasPrefix(name, "x-spamtest-"), strings.HasPrefix(name, "x-mailgw-"),
			name == "received", name == "date", name == "message-id":
			continue
		}
		kept = append(kept, f)
	}
	if want := fields(strings.ReplaceAll(string(sh), "\r\n", "\n")); strings.Join(kept, "\n") != strings.Join(want, "\n") {
		t.Errorf("header fields changed:\n got %q\nwant %q", kept, want)
	}
}

// fields splits an LF header block into unfolded fields.
func fields(h string) []string {
	var out []string
	for _, line := range strings.Split(h, "\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(out) > 0 {
			out[len(out)-1] += "\n" + line
			continue
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}
