package postfixtest

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestSinkCounts: both kinds of sink count what they accepted; the
// counting one hands nothing to Next.
func TestSinkCounts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *Sink
		next  bool
	}{
		{"keeping", StartSink, true},
		{"counting", func(t testing.TB) *Sink { return StartCountingSink(t, nil) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.start(t)
			for i := 0; i < 3; i++ {
				send(t, s.Addr)
				if tc.next {
					if m := s.Next(t, 5*time.Second); m.From != "a@example.org" {
						t.Errorf("message from %q", m.From)
					}
				}
			}
			s.WaitCount(t, 3, 5*time.Second)
			if n := s.Count(); n != 3 {
				t.Errorf("Count %d, want 3", n)
			}
			if !tc.next {
				s.None(t, 50*time.Millisecond)
			}
		})
	}
}

func send(t *testing.T, addr string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.org", []string{"b@example.com"}, strings.NewReader("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}
