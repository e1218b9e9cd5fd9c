package postfixtest

import (
	"bytes"
	"io"
	"log"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one message the Sink received.
type Message struct {
	From  string
	Rcpts []string
	Data  []byte
}

// Sink is an SMTP server that accepts every message and hands it to the
// test: the next hop Postfix delivers to.
type Sink struct {
	Addr     string
	messages chan Message
	rcpt     func(to string) error
	delay    time.Duration // before each DATA reply
	// active and peak count SMTP sessions open at the same time.
	active, peak atomic.Int32
	discard      bool // count only: benchmarks load it with thousands
	idle         time.Duration
	received     atomic.Int64 // messages whose DATA got 250
	sessions     atomic.Int64 // connections accepted
}

// SinkOptions configure StartSinkWith.
type SinkOptions struct {
	// Rcpt is the verdict on each RCPT TO, as for StartSinkFunc.
	Rcpt func(to string) error
	// Count drops every message and only counts it, as StartCountingSink.
	Count bool
	// IdleTimeout is how long the sink waits for a client's next command
	// before it closes the connection; 0 is 30 s.
	IdleTimeout time.Duration
}

// StartSinkWith is a Sink with every option.
func StartSinkWith(t testing.TB, o SinkOptions) *Sink {
	t.Helper()
	s := &Sink{rcpt: o.Rcpt, discard: o.Count, idle: o.IdleTimeout}
	if !o.Count {
		s.messages = make(chan Message, 100)
	}
	return startSink(t, s)
}

// StartSink listens on a free loopback port until the test ends.
func StartSink(t testing.TB) *Sink {
	t.Helper()
	return StartSinkFunc(t, nil)
}

// StartSinkFunc is StartSink with a verdict on each RCPT TO: rcpt returns
// nil to accept, or the *smtp.SMTPError to answer; nil accepts all.
func StartSinkFunc(t testing.TB, rcpt func(to string) error) *Sink {
	t.Helper()
	return StartSinkWith(t, SinkOptions{Rcpt: rcpt})
}

// StartCountingSink is a Sink for load: it reads every message, drops it
// and counts it (Count, WaitCount); Next never returns one. rcpt is as
// for StartSinkFunc; nil accepts all.
func StartCountingSink(t testing.TB, rcpt func(to string) error) *Sink {
	t.Helper()
	return StartSinkWith(t, SinkOptions{Rcpt: rcpt, Count: true})
}

// StartSlowSink is StartSink with a pause of delay before each reply to
// DATA, so that a client's sessions overlap and PeakSessions shows how
// many it opens at once.
func StartSlowSink(t testing.TB, delay time.Duration) *Sink {
	t.Helper()
	return startSink(t, &Sink{delay: delay, messages: make(chan Message, 100)})
}

// PeakSessions is the largest number of sessions that were open at the
// same time.
func (s *Sink) PeakSessions() int { return int(s.peak.Load()) }

func startSink(t testing.TB, s *Sink) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.sessions.Add(1)
		n := s.active.Add(1)
		for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
		}
		return &sinkSession{sink: s}, nil
	}))
	srv.Domain = "sink.test"
	// Real mail has lines longer than go-smtp's default limit of 2000.
	srv.MaxLineLength = 1 << 20
	// Postfix's SMTP client drops cached connections without QUIT;
	// go-smtp would log each as an error.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	if s.idle > 0 {
		srv.ReadTimeout = s.idle
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Next waits for the next message; it fails the test after timeout.
func (s *Sink) Next(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	select {
	case m := <-s.messages:
		return m
	case <-time.After(timeout):
		t.Fatalf("postfixtest: no message reached the sink within %v", timeout)
		return Message{}
	}
}

// Sessions is how many connections the sink has accepted so far.
func (s *Sink) Sessions() int { return int(s.sessions.Load()) }

// Count is how many messages the sink has accepted so far.
func (s *Sink) Count() int { return int(s.received.Load()) }

// WaitCount waits until the sink has accepted at least n messages; it
// fails the test after timeout.
func (s *Sink) WaitCount(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for s.Count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("postfixtest: %d of %d messages reached the sink within %v", s.Count(), n, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// None checks that no message arrives within d.
func (s *Sink) None(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case m := <-s.messages:
		t.Errorf("postfixtest: unexpected message for %v:\n%s", m.Rcpts, m.Data)
	case <-time.After(d):
	}
}

type sinkSession struct {
	sink *Sink
	msg  Message
}

func (s *sinkSession) Reset()        { s.msg = Message{} }
func (s *sinkSession) Logout() error { s.sink.active.Add(-1); return nil }

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.msg.From = from
	return nil
}

func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.sink.rcpt != nil {
		if err := s.sink.rcpt(to); err != nil {
			return err
		}
	}
	s.msg.Rcpts = append(s.msg.Rcpts, to)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	if s.sink.discard {
		_, err := io.Copy(io.Discard, r)
		if err == nil {
			s.sink.received.Add(1)
		}
		return err
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	s.msg.Data = b.Bytes()
	time.Sleep(s.sink.delay)
	s.sink.received.Add(1)
	s.sink.messages <- s.msg
	s.msg = Message{}
	return nil
}
