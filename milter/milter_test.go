package milter_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/milter"
)

const testConf = `[mailgw.policy]
CheckSpam=true
CheckAV=true
ActionInfected=remove
BlockMessage=

[mailgw.group:rejecters]
Recipients=*@reject.test
BlockMessage=av/infected
BlockReply=550 5.7.1 Refused by policy

[mailgw.group:droppers]
Recipients=*@drop.test
BlockMessage=av/infected

[mailgw.group:others]
Recipients=*@other.test
ActionInfected=pass

[mailgw.group:keepers]
Recipients=*@keep.test
BlockMessage=av/infected
QuarantineMessage=av/infected
NotifyAdmin=av/infected
`

// envRecorder keeps the envelopes the filter saw.
type envRecorder struct {
	f    *filter.Filter
	mu   sync.Mutex
	envs []filter.Envelope
	raws []string
}

func (r *envRecorder) Process(ctx context.Context, env *filter.Envelope, raw []byte) *filter.Result {
	r.mu.Lock()
	r.envs = append(r.envs, *env)
	r.raws = append(r.raws, string(raw))
	r.mu.Unlock()
	return r.f.Process(ctx, env, raw)
}

func startServer(t testing.TB, opts milter.Options) (*envRecorder, string) {
	t.Helper()
	gw, err := gateway.Parse("mailgw.conf", []byte(testConf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := &envRecorder{f: gw.Filter(filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}, Logger: quiet, Version: "test"})}
	opts.Logger = quiet
	srv := milter.NewServer(rec, opts)
	return rec, serve(t, srv, "127.0.0.1:0")
}

func session(t *testing.T, addr string) *gomilter.ClientSession {
	t.Helper()
	return sessionOffering(t, addr, 0)
}

// sessionOffering is session with an MTA that offers the protocol options
// proto (and, as go-milter's client does, protocol version 6).
func sessionOffering(t *testing.T, addr string, proto gomilter.OptProtocol) *gomilter.ClientSession {
	t.Helper()
	c := gomilter.NewClientWithOptions("tcp", addr, gomilter.ClientOptions{
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		ActionMask: milter.Actions, ProtocolMask: proto,
	})
	s, err := c.Session()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mustContinue(t)(s.Conn("client.example.net", gomilter.FamilyInet, 4567, "192.0.2.7"))
	mustContinue(t)(s.Helo("helo.example.net"))
	return s
}

// mustContinue checks the result of one client step.
func mustContinue(t *testing.T) func(*gomilter.Action, error) {
	return func(act *gomilter.Action, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if act.Code != gomilter.ActContinue {
			t.Fatalf("action %c, want continue", act.Code)
		}
	}
}

// send runs one message through the session and returns the milter's
// modifications and final action.
// extra are more header fields as name, value pairs.
func send(t *testing.T, s *gomilter.ClientSession, rcpt, subject, body string, extra ...string) ([]gomilter.ModifyAction, *gomilter.Action) {
	t.Helper()
	if err := s.Macros(gomilter.CodeMail, "i", "QID"+subject); err != nil {
		t.Fatal(err)
	}
	mustContinue(t)(s.Mail("<alice@example.org>", nil))
	for _, r := range strings.Split(rcpt, ",") {
		mustContinue(t)(s.Rcpt("<"+r+">", nil))
	}
	var h textproto.Header
	h.Add("Subject", subject)
	h.Add("To", rcpt)
	h.Add("From", "alice@example.org")
	h.Add("MIME-Version", "1.0")
	h.Add("Content-Type", `multipart/mixed; boundary="BND"`)
	for i := 0; i+1 < len(extra); i += 2 {
		h.Add(extra[i], extra[i+1])
	}
	mustContinue(t)(s.Header(h))
	mods, act, err := s.BodyReadFrom(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return mods, act
}

func mime(attachment string) string {
	return "--BND\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--BND\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n\r\n" + attachment + "\r\n--BND--\r\n"
}

func TestTwoMessagesOneConnection(t *testing.T) {
	rec, addr := startServer(t, milter.Options{})
	s := session(t, addr)
	for _, subj := range []string{"one", "two"} {
		mods, act := send(t, s, "bob@example.com", subj, mime("clean"))
		if act.Code != gomilter.ActAccept && act.Code != gomilter.ActContinue {
			t.Fatalf("%s: action %c, want accept", subj, act.Code)
		}
		if !hasHeader(mods, "X-SpamTest-Status") {
			t.Errorf("%s: no X-SpamTest-Status added: %+v", subj, mods)
		}
	}
	if len(rec.envs) != 2 {
		t.Fatalf("filter ran %d times, want 2", len(rec.envs))
	}
	for i, env := range rec.envs {
		if env.ClientIP.String() != "192.0.2.7" || env.ClientHost != "client.example.net" || env.Helo != "helo.example.net" ||
			env.From != "alice@example.org" || len(env.Rcpts) != 1 || env.Rcpts[0] != "bob@example.com" {
			t.Errorf("message %d: envelope %+v", i+1, env)
		}
	}
	if rec.envs[1].QueueID != "QIDtwo" {
		t.Errorf("queue id %q, want QIDtwo", rec.envs[1].QueueID)
	}
}

// The milter asks the MTA to leave out SMFIC_EOH (one round trip per
// message); the header must still end with its blank line, also for a
// message without body, where no body chunk marks the end.
func TestNoEOHNegotiated(t *testing.T) {
	rec, addr := startServer(t, milter.Options{})
	s := session(t, addr)
	if s.ProtocolOpts != gomilter.OptNoEOH {
		t.Fatalf("negotiated protocol options %#x, want SMFIP_NOEOH only", s.ProtocolOpts)
	}
	for _, body := range []string{"", "text\r\n"} {
		send(t, s, "bob@example.com", "s", body)
		raw := rec.raws[len(rec.raws)-1]
		head, got, ok := strings.Cut(raw, "\r\n\r\n")
		if !ok || got != body || !strings.HasSuffix(head, "Subject: s") {
			t.Errorf("body %q: the filter saw %q", body, raw)
		}
	}
}

func hasHeader(mods []gomilter.ModifyAction, name string) bool {
	for _, m := range mods {
		if (m.Code == gomilter.ActAddHeader || m.Code == gomilter.ActChangeHeader) && strings.EqualFold(m.HeaderName, name) {
			return true
		}
	}
	return false
}

func TestBodyReplacedWhenAttachmentRemoved(t *testing.T) {
	_, addr := startServer(t, milter.Options{})
	s := session(t, addr)
	mods, act := send(t, s, "bob@example.com", "virus", mime(fake.MarkInfected))
	if act.Code != gomilter.ActAccept && act.Code != gomilter.ActContinue {
		t.Fatalf("action %c, want accept", act.Code)
	}
	var body bytes.Buffer
	for _, m := range mods {
		if m.Code == gomilter.ActReplBody {
			body.Write(m.Body)
		}
	}
	if body.Len() == 0 || strings.Contains(body.String(), fake.MarkInfected) || !strings.Contains(body.String(), "hello") {
		t.Errorf("replaced body %q", body.String())
	}
	if !hasHeader(mods, "X-MailGW-AV-Status") {
		t.Errorf("no X-MailGW-AV-Status header: %+v", mods)
	}
	// The next message on the connection is independent of this one.
	mods, _ = send(t, s, "bob@example.com", "clean", mime("clean"))
	for _, m := range mods {
		if m.Code == gomilter.ActReplBody {
			t.Errorf("clean message got a new body")
		}
	}
}

func TestReject(t *testing.T) {
	_, addr := startServer(t, milter.Options{})
	s := session(t, addr)
	_, act := send(t, s, "carol@reject.test", "virus", mime(fake.MarkInfected))
	if act.Code != gomilter.ActReplyCode || act.SMTPCode != 550 || !strings.Contains(act.SMTPText, "5.7.1 Refused by policy") {
		t.Fatalf("action %+v, want 550 5.7.1 reply", act)
	}
}

func TestDiscardKeepsConnectionData(t *testing.T) {
	rec, addr := startServer(t, milter.Options{})
	s := session(t, addr)
	_, act := send(t, s, "dave@drop.test", "virus", mime(fake.MarkInfected))
	if act.Code != gomilter.ActDiscard {
		t.Fatalf("action %c, want discard", act.Code)
	}
	send(t, s, "bob@example.com", "after", mime("clean"))
	if env := rec.envs[1]; env.Helo != "helo.example.net" || env.ClientIP.String() != "192.0.2.7" {
		t.Errorf("after discard the envelope lost the connection data: %+v", env)
	}
}

// TestPanickingCheckTempfails: a panic inside the anti-spam check fails
// the check, which under FailureAction=tempfail is a 4xx for the client.
func TestPanickingCheckTempfails(t *testing.T) {
	_, addr := startServer(t, milter.Options{})
	s := session(t, addr)
	_, act := send(t, s, "bob@example.com", "panic", mime("clean"), fake.SpamHeader, "panic")
	checkTempfail(t, act)
}

func checkTempfail(t *testing.T, act *gomilter.Action) {
	t.Helper()
	if act.Code != gomilter.ActReplyCode || act.SMTPCode != 451 || !strings.HasPrefix(act.SMTPText, "4.3.0 ") {
		t.Fatalf("action %+v, want a 451 4.3.0 reply", act)
	}
	if strings.Contains(act.SMTPText, "panic") {
		t.Errorf("reply %q leaks details", act.SMTPText)
	}
}

// panicker is a Processor that fails outside the filter's own recovery.
type panicker struct{}

func (panicker) Process(context.Context, *filter.Envelope, []byte) *filter.Result { panic("boom") }

func TestPanickingProcessorTempfails(t *testing.T) {
	srv := milter.NewServer(panicker{}, milter.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s := session(t, serve(t, srv, "127.0.0.1:0"))
	_, act := send(t, s, "bob@example.com", "boom", mime("clean"))
	checkTempfail(t, act)
	// The connection survives and keeps its data for the next message.
	_, act = send(t, s, "bob@example.com", "boom again", mime("clean"))
	checkTempfail(t, act)
}

func TestForgedHeadersChanged(t *testing.T) {
	_, addr := startServer(t, milter.Options{})
	s := session(t, addr)
	mods, _ := send(t, s, "bob@example.com", "forged", mime("clean"), "X-SpamTest-Status", "Not detected")
	for _, m := range mods {
		if m.Code == gomilter.ActChangeHeader && strings.EqualFold(m.HeaderName, "X-SpamTest-Status") && m.HeaderIndex == 1 {
			return
		}
	}
	t.Errorf("the forged X-SpamTest-Status was not changed or deleted: %+v", mods)
}

// reinjections records re-injected variants.
type reinjections struct {
	mu   sync.Mutex
	err  error
	sent []string // "rcpts|message"
}

func (r *reinjections) Reinject(_ context.Context, from string, rcpts []string, msg []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.sent = append(r.sent, strings.Join(rcpts, ",")+"|"+string(msg))
	return nil
}

func TestSplitReinjectsOtherGroups(t *testing.T) {
	ri := &reinjections{}
	_, addr := startServer(t, milter.Options{Reinject: ri})
	s := session(t, addr)
	mods, act := send(t, s, "bob@example.com,eve@other.test", "split", mime(fake.MarkInfected))
	if act.Code != gomilter.ActContinue {
		t.Fatalf("action %+v, want accept", act)
	}
	var deleted []string
	replaced := false
	for _, m := range mods {
		switch m.Code {
		case gomilter.ActDelRcpt:
			deleted = append(deleted, m.Rcpt)
		case gomilter.ActReplBody:
			replaced = true
		}
	}
	if len(deleted) != 1 || deleted[0] != "<eve@other.test>" || !replaced {
		t.Errorf("deleted %v, body replaced %v; want <eve@other.test> deleted and the first group's body", deleted, replaced)
	}
	if len(ri.sent) != 1 || !strings.HasPrefix(ri.sent[0], "eve@other.test|") || !strings.Contains(ri.sent[0], fake.MarkInfected) {
		t.Errorf("re-injected %q, want the others group's variant with its attachment", ri.sent)
	}
}

func TestSplitFailedReinjectionTempfails(t *testing.T) {
	ri := &reinjections{err: io.ErrUnexpectedEOF}
	_, addr := startServer(t, milter.Options{Reinject: ri})
	s := session(t, addr)
	_, act := send(t, s, "bob@example.com,eve@other.test", "split", mime("clean"))
	checkTempfail(t, act)
}

func TestShutdownEndsIdleConnections(t *testing.T) {
	srv := milter.NewServer(panicker{}, milter.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	session(t, ln.Addr().String()) // connected and idle
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != milter.ErrServerClosed {
		t.Errorf("Serve: %v", err)
	}
}

// A message that passes logs one line at Info, the filter's decision; a
// verdict that says more than the decision (here a reply) adds the
// milter's own line.
func TestLogLinesPerVerdict(t *testing.T) {
	gw, err := gateway.Parse("mailgw.conf", []byte(testConf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf peer.SyncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	lines := func() []string { return strings.Split(strings.TrimSpace(buf.String()), "\n") }
	f := gw.Filter(filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}, Logger: log, Version: "test"})
	s := session(t, serve(t, milter.NewServer(f, milter.Options{Logger: log}), "127.0.0.1:0"))
	send(t, s, "bob@example.com", "clean", mime("clean"))
	if got := lines(); len(got) != 1 || !strings.Contains(got[0], "msg=decision") || !strings.Contains(got[0], "queue_id=QIDclean") {
		t.Fatalf("log of an accepted message:\n%s", strings.Join(got, "\n"))
	}
	send(t, s, "carol@reject.test", "virus", mime(fake.MarkInfected))
	got := lines()
	if len(got) != 3 || !strings.Contains(got[2], `msg="milter verdict"`) || !strings.Contains(got[2], "action=reject") {
		t.Fatalf("log of a rejected message:\n%s", strings.Join(got[1:], "\n"))
	}
}
