package dispatch

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/notify"
)

var arrival = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const rawMessage = "From: alice@example.org\r\nTo: bob@example.com\r\nSubject: hello\r\n\r\nbody\r\n"

// received is one message taken by the test SMTP server.
type received struct {
	From  string
	Rcpts []string
	Data  []byte
}

// smtpSink is a go-smtp server on 127.0.0.1 that keeps what it receives.
type smtpSink struct {
	Addr string
	mu   sync.Mutex
	msgs []received
}

func (s *smtpSink) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type sinkSession struct {
	sink *smtpSink
	cur  received
}

func (ss *sinkSession) Reset()        { ss.cur = received{} }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.cur.From = from
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.Rcpts = append(ss.cur.Rcpts, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.Data = data
	ss.sink.mu.Lock()
	ss.sink.msgs = append(ss.sink.msgs, ss.cur)
	ss.sink.mu.Unlock()
	return nil
}

// startSink runs an SMTP server until the test ends.
func startSink(t *testing.T) *smtpSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink := &smtpSink{Addr: l.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: sink}, nil
	}))
	srv.Domain = "localhost"
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sink
}

// deadAddr is an address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func testBuilder(t *testing.T) *notify.Builder {
	t.Helper()
	ts, err := notify.Load(notify.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	return &notify.Builder{Templates: ts, From: "Mail Gateway <mailgw@example.com>",
		Hostname: "mx.example.com", Postmaster: "postmaster@example.com"}
}

func testDispatcher(t *testing.T, submit Submitter) *Dispatcher {
	t.Helper()
	return New(Options{Builder: testBuilder(t), Submit: submit,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return arrival }})
}

func testEnvelope() *filter.Envelope {
	return &filter.Envelope{QueueID: "4XyZ1", From: "alice@example.org",
		Rcpts: []string{"bob@example.com", "carol@example.com"}, ClientIP: netip.MustParseAddr("192.0.2.7")}
}

// virusDecision is a blocked copy with an infected attachment.
func virusDecision(avDir string) *decision.Decision {
	return &decision.Decision{
		Group: "staff", Recipients: []string{"bob@example.com", "carol@example.com"},
		Disposition: decision.Block,
		Quarantine:  []decision.Quarantine{{Store: "av", Path: avDir, Statuses: []string{"av/infected", "avf/filtered"}}},
		Spam:        decision.Spam{Status: "not_detected"},
		Objects: []decision.Object{
			{Path: "1", MIME: "text/plain", Status: "clean", Action: "pass"},
			{Path: "2", Name: "invoice.exe", MIME: "application/x-dosexec", Status: "infected",
				Signature: "Eicar-Test-Signature", Action: "remove"},
		},
		Statuses: []string{"av/infected", "avf/filtered"},
	}
}

func header(t *testing.T, raw string) message.Header {
	t.Helper()
	h, err := textproto.ReadHeader(bufioReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return message.Header{Header: h}
}

func run(t *testing.T, d *Dispatcher, dec *decision.Decision, env *filter.Envelope, raw string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return d.Run(ctx, dec, env, []byte(raw), header(t, raw))
}

// dataHeader parses the header of a received message.
func dataHeader(t *testing.T, data []byte) textproto.Header {
	t.Helper()
	h, err := textproto.ReadHeader(bufioReader(string(data)))
	if err != nil {
		t.Fatalf("received message: %v\n%s", err, data)
	}
	return h
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
