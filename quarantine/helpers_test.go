package quarantine

import (
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// sample is a message with CRLF line ends and a line starting with a dot,
// which SMTP must carry through dot-stuffing unchanged.
const sample = "From: a@example.com\r\nTo: b@example.org\r\nSubject: test\r\n\r\nHello\r\n.hidden line\r\n..two dots\r\n"

func sampleMeta() Meta {
	return Meta{
		Status:     "av/infected",
		Arrival:    time.Date(2007, 12, 12, 15, 13, 51, 0, time.FixedZone("", 3*3600)),
		ClientIP:   netip.MustParseAddr("10.0.0.1"),
		Sender:     "a@example.com",
		Recipients: []string{"b@example.org", "c@example.org"},
		Group:      "default",
		Reasons:    []string{"av/infected", "EICAR-Test-File"},
		QueueID:    "4Xyz1",
	}
}

func openStore(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	st, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustPut(t testing.TB, st *Store, m Meta, raw string) string {
	t.Helper()
	id, err := st.Put(m, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// writeByHand stores a message the way an administrator restoring a backup
// would: plain file writes, no temporary files, no index update.
func writeByHand(t testing.TB, dir string, m Meta, raw string) {
	t.Helper()
	m.Size = int64(len(raw))
	js, err := m.marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, m.ID+extEML), []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, m.ID+extJSON), js, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sunk is a message received by the sink.
type sunk struct {
	From string
	To   []string
	Data string
}

// sink is an SMTP server on 127.0.0.1 that records what it receives.
type sink struct {
	Addr string

	refuseRcpt string        // recipient answered 550
	dataDelay  time.Duration // wait after reading the data, before replying

	mu   sync.Mutex
	msgs []sunk
}

func startSink(t testing.TB, configure func(*sink)) *sink {
	t.Helper()
	s := &sink{}
	if configure != nil {
		configure(s)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s}, nil
	}))
	srv.Domain = "sink.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *sink) received() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.msgs...)
}

type sinkSession struct {
	s    *sink
	from string
	to   []string
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == ss.s.refuseRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	time.Sleep(ss.s.dataDelay)
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.msgs = append(ss.s.msgs, sunk{From: ss.from, To: ss.to, Data: string(data)})
	return nil
}
