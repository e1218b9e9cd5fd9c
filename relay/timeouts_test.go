package relay_test

import (
	"net"
	"strings"
	"testing"
	"time"
)

// mute is a next hop that accepts connections and never says anything.
func mute(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

// TestSendingInitialTimeout: a next hop that never greets costs one
// SendingInitialTimeout per attempt; the message stays queued for a
// retry with the timeout as its last error, neither lost nor bounced.
func TestSendingInitialTimeout(t *testing.T) {
	hop := mute(t)
	r := start(t, setup{conf: "[mailgw.forward]\nForwardRoute=*@slow.test [" + hop + "]\n[mailgw.timeouts]\nSendingInitialTimeout=1\nSendingHelloTimeout=1\n"})
	start := time.Now()
	sendOne(t, r.addr, []string{"bob@slow.test"}, "Subject: slow\r\n\r\nx\r\n", "250 ")
	for {
		es, err := r.q.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 {
			t.Fatalf("%d messages queued, want the one, still there", len(es))
		}
		if es[0].Attempts > 0 {
			if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
				t.Errorf("attempt ended after %v, want about SendingInitialTimeout (1 s)", d)
			}
			if !strings.Contains(strings.ToLower(es[0].LastError), "timeout") {
				t.Errorf("last error %q does not name the timeout", es[0].LastError)
			}
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no attempt ended within 10 s: %+v", es[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.sink.None(t, 100*time.Millisecond)
}
