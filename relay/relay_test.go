package relay_test

import (
	"bytes"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDeploymentDMZSwaks is the guide's deployment 2.3.1 end to end with
// swaks as the client: the relay accepts for the protected domain and
// forwards to the MTA "on port 1025" (the sink), adding a Received field
// with the queue id.
func TestDeploymentDMZSwaks(t *testing.T) {
	r := start(t, setup{})
	out, err := exec.Command("swaks", "--server", r.addr, "--from", "alice@example.org", "--to", "bob@example.com",
		"--ehlo", "client.test", "--header", "Message-ID: <swaks-1@test>", "--body", "Hello from swaks").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	for _, want := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN", "SIZE 10485760", "SMTPUTF8"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("EHLO does not offer %s:\n%s", want, out)
		}
	}
	m := r.sink.Next(t, 10*time.Second)
	if m.From != "alice@example.org" || len(m.Rcpts) != 1 || m.Rcpts[0] != "bob@example.com" {
		t.Errorf("envelope %s -> %v", m.From, m.Rcpts)
	}
	data := string(m.Data)
	if !strings.HasPrefix(data, "Received: from client.test ([127.0.0.1])\r\n\tby relay.test (mailgw) with ESMTP id ") ||
		!strings.Contains(data, "swaks-1@test") || !strings.Contains(data, "Hello from swaks") {
		t.Errorf("delivered message:\n%s", data)
	}
	waitEmpty(t, r)
}

// TestSmtpSource sends 40 messages over 4 parallel sessions with
// Postfix's smtp-source, each to two recipients.
func TestSmtpSource(t *testing.T) {
	// smtp-source opens the next session as soon as one ends, before the
	// relay has seen the close: leave room above its 4.
	r := start(t, setup{conf: "[mailgw.limits]\nMaximalIncomingSessionsPerIP=8\n"})
	out, err := exec.Command("/usr/sbin/smtp-source", "-s", "4", "-m", "40", "-r", "2", "-l", "2048",
		"-f", "alice@example.org", "-t", "bob@example.com", "-M", "client.test", r.addr).CombinedOutput()
	if err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	rcpts := 0
	for i := 0; i < 40; i++ {
		rcpts += len(r.sink.Next(t, 20*time.Second).Rcpts)
	}
	if rcpts != 80 {
		t.Errorf("%d recipients delivered, want 80", rcpts)
	}
	waitEmpty(t, r)
}

// TestOpenRelayRefused: a client that is not on loopback may send to the
// protected domain only, with the default (empty) RelayRule list; the
// refusal happens at RCPT, before any data.
func TestOpenRelayRefused(t *testing.T) {
	r := start(t, setup{ln: fromWAN})
	c := dial(t, r.addr)
	c.hello()
	c.expect("MAIL FROM:<spammer@example.net>\r\n", "250 ")
	c.expect("RCPT TO:<victim@elsewhere.test>\r\n", "554 5.7.1 ")
	c.expect("RCPT TO:<victim@example.com.elsewhere.test>\r\n", "554 5.7.1 ")
	c.expect("RCPT TO:<\"victim@elsewhere.test\"@example.com>\r\n", "250 ") // local part of a protected domain
	c.expect("RCPT TO:<bob@example.com>\r\n", "250 ")
	c.expect("QUIT\r\n", "221 ")

	r2 := start(t, setup{ln: fromWAN, conf: "[mailgw.access]\nRelayRule=deny from 203.0.113.0/24 to *@example.com\n"})
	c = dial(t, r2.addr)
	c.hello()
	c.expect("MAIL FROM:<spammer@example.net>\r\n", "250 ")
	c.expect("RCPT TO:<bob@example.com>\r\n", "554 5.7.1 ")
}

func fromWAN(ln net.Listener) net.Listener {
	return fromAddr{ln, netip.MustParseAddr("203.0.113.7")}
}

// TestSmugglingRefused: every bare CR / bare LF form of the SMTP
// smuggling attack is refused with 550 5.6.0, the session stays usable
// and nothing is delivered.
func TestSmugglingRefused(t *testing.T) {
	r := start(t, setup{})
	c := dial(t, r.addr)
	c.hello()
	for _, body := range []string{
		"Subject: a\r\n\r\nx\n.\nMAIL FROM:<evil@example.net>\r\n",
		"Subject: a\r\n\r\nx\n.\r\nRCPT TO:<x@example.com>\r\n",
		"Subject: a\r\n\r\nx\r.\r\nDATA\r\n",
		"Subject: a\nTo: bob@example.com\r\n\r\nbare LF in the header\r\n",
	} {
		c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
		c.expect("RCPT TO:<bob@example.com>\r\n", "250 ")
		c.expect("DATA\r\n", "354 ")
		c.expect(body+".\r\n", "550 5.6.0 ")
	}
	c.expect("NOOP\r\n", "250 ")
	r.sink.None(t, 300*time.Millisecond)

	// go-smtp's reader drops a "." and CR at the start of a line when no
	// LF follows, so this form never reaches our check: what is sent on
	// holds no bare CR either.
	c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
	c.expect("RCPT TO:<bob@example.com>\r\n", "250 ")
	c.expect("DATA\r\n", "354 ")
	c.expect("Subject: a\r\n\r\nx\r\n.\rQUIT\r\n.\r\n", "250 ")
	m := r.sink.Next(t, 10*time.Second)
	if i := bytes.IndexByte(bytes.ReplaceAll(m.Data, []byte("\r\n"), nil), '\r'); i >= 0 {
		t.Errorf("a bare CR was sent on:\n%q", m.Data)
	}
}

// TestLongLines: a 100 000-byte line, far past go-smtp's default of 2000,
// is received and delivered unchanged.
func TestLongLines(t *testing.T) {
	r := start(t, setup{})
	c := dial(t, r.addr)
	c.hello()
	long := strings.Repeat("x", 100000)
	c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
	c.expect("RCPT TO:<bob@example.com>\r\n", "250 ")
	c.expect("DATA\r\n", "354 ")
	c.expect("X-Long: "+long+"\r\nSubject: long\r\n\r\n"+long+"\r\n.\r\n", "250 ")
	if m := r.sink.Next(t, 10*time.Second); !bytes.Contains(m.Data, []byte("\r\n\r\n"+long+"\r\n")) {
		t.Error("the long line did not arrive intact")
	}
}

// waitEmpty waits until the queue holds nothing: every message that got
// a 250 was delivered or bounced.
func waitEmpty(t *testing.T, r *testRelay) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		es, err := r.q.List()
		if err == nil && len(es) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not empty: %v %v", es, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
