package relay_test

import (
	"strings"
	"testing"
	"time"
)

// TestLimits: every [mailgw.limits] of the receiving side refuses with
// its own code once exceeded.
func TestLimits(t *testing.T) {
	r := start(t, setup{conf: `[mailgw.limits]
MaximalIncomingRcptsPerMessage=2
MaximalIncomingMessageSize=64
MaximalIncomingSessionSize=100
MaximalIncomingMessagesPerSession=2
MaximalIncomingSessionsPerIP=2
MaximalIncomingHops=3
`})
	c := dial(t, r.addr)
	c.hello()
	c.expect("MAIL FROM:<alice@example.org> SIZE=999999\r\n", "552 5.3.4 ")
	c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
	c.expect("RCPT TO:<a@example.com>\r\n", "250 ")
	c.expect("RCPT TO:<b@example.com>\r\n", "250 ")
	c.expect("RCPT TO:<c@example.com>\r\n", "452 4.5.3 ")
	c.expect("DATA\r\n", "354 ")
	c.expect("Subject: big\r\n\r\n"+strings.Repeat("0123456789abcdef\r\n", 4000)+".\r\n", "552 5.3.4 ")

	// Hops: three Received fields already is a loop at MaximalIncomingHops=3.
	c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
	c.expect("RCPT TO:<a@example.com>\r\n", "250 ")
	c.expect("DATA\r\n", "354 ")
	c.expect(strings.Repeat("Received: from x by y; Mon, 7 Dec 2026 01:00:00 +0000\r\n", 3)+"Subject: loop\r\n\r\nx\r\n.\r\n", "554 5.4.6 ")

	// Two messages (the refused ones count too) were already sent in this session.
	c.expect("MAIL FROM:<alice@example.org>\r\n", "451 4.7.0 ")

	// Per-IP sessions: c is one, a second fits, a third gets 421.
	c2 := dial(t, r.addr)
	c2.hello()
	c3 := dial(t, r.addr)
	if got := c3.reply(); !strings.HasPrefix(got, "421 4.7.0 ") {
		t.Errorf("third session from one IP: %q, want 421 4.7.0", got)
	}
	// The session size limit (100 KB) is over in c2 after two 60 KB messages.
	body := "Subject: s\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 3400) + ".\r\n"
	for i, want := range []string{"250 ", "552 5.3.4 "} {
		c2.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
		c2.expect("RCPT TO:<a@example.com>\r\n", "250 ")
		c2.expect("DATA\r\n", "354 ")
		if got := c2.send(body); !strings.HasPrefix(got, want) {
			t.Errorf("message %d of the session: %q, want %q", i+1, got, want)
		}
	}
}

// TestQueueFreeSpace: below MinimalQueueFreeSpaceSize new mail gets a
// temporary 452 4.3.1 at MAIL FROM.
func TestQueueFreeSpace(t *testing.T) {
	r := start(t, setup{conf: "[mailgw.limits]\nMinimalQueueFreeSpaceSize=1000000\n"})
	c := dial(t, r.addr)
	c.hello()
	c.expect("MAIL FROM:<alice@example.org>\r\n", "452 4.3.1 ")
}

// TestReceivingTimeouts: a client silent for longer than
// ReceivingCommandTimeout, or stalling inside DATA for longer than
// ReceivingDataTerminationTimeout, is disconnected with 421 4.4.2.
func TestReceivingTimeouts(t *testing.T) {
	r := start(t, setup{conf: "[mailgw.timeouts]\nReceivingCommandTimeout=1\nReceivingDataTerminationTimeout=2\n"})
	c := dial(t, r.addr)
	c.hello()
	began := time.Now()
	if got := c.reply(); !strings.HasPrefix(got, "421 4.4.2 ") {
		t.Errorf("idle client: %q, want 421 4.4.2", got)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("idle client cut off after %v, want about 1 s", d)
	}

	c = dial(t, r.addr)
	c.hello()
	c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
	c.expect("RCPT TO:<a@example.com>\r\n", "250 ")
	c.expect("DATA\r\n", "354 ")
	// Trickle a line every 500 ms: each read is quick, the whole is not.
	began = time.Now()
	for i := 0; i < 20; i++ {
		if _, err := c.nc.Write([]byte("x\r\n")); err != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
		if time.Since(began) > 3*time.Second {
			break
		}
	}
	if got := c.reply(); !strings.HasPrefix(got, "451 4.4.2 ") {
		t.Errorf("stalled DATA: %q, want 451 4.4.2", got)
	}
}
