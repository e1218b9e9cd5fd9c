package relay_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/relay"
)

// groupPolicy gives three groups different verdicts on an infected
// message: the default removes the attachment, rejecters refuse, droppers
// block; quarantined copies go to a directory set per test.
const groupPolicy = `CheckAV=true
ActionInfected=remove
BlockMessage=
[mailgw.group:rejecters]
Recipients=*@reject.example.com
BlockMessage=av/infected
BlockReply=550 5.7.1 Refused by policy
[mailgw.group:droppers]
Recipients=*@drop.example.com
BlockMessage=av/infected
QuarantineMessage=av/infected
AVQuarantinePath=%Q
`

// recorder keeps the core's results, to compare the delivered bytes with
// what package decision makes of them.
type recorder struct {
	relay.Processor
	mu  sync.Mutex
	res []*filter.Result
}

func (r *recorder) Process(ctx context.Context, env *filter.Envelope, raw []byte) *filter.Result {
	res := r.Processor.Process(ctx, env, raw)
	r.mu.Lock()
	r.res = append(r.res, res)
	r.mu.Unlock()
	return res
}

func infected() string {
	return "From: alice@example.org\r\nSubject: v\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B\r\nContent-Type: application/octet-stream; name=\"v.exe\"\r\n" +
		"Content-Disposition: attachment; filename=\"v.exe\"\r\n\r\n" + fake.MarkInfected + "\r\n--B--\r\n"
}

func sendOne(t *testing.T, addr string, rcpts []string, data, want string) {
	t.Helper()
	c := dial(t, addr)
	c.hello()
	c.expect("MAIL FROM:<alice@example.org>\r\n", "250 ")
	for _, r := range rcpts {
		c.expect("RCPT TO:<"+r+">\r\n", "250 ")
	}
	c.expect("DATA\r\n", "354 ")
	c.expect(data+".\r\n", want)
}

// TestGroupCopies: one message for three groups gives one queued copy
// per delivered group, with exactly the bytes Decision.Apply produces
// (the same Plan the milter sends as actions); the blocked copy is
// quarantined, the rejected one bounced with a DSN since the client got
// 250 for the others. All recipients rejected is a 550 in the session.
func TestGroupCopies(t *testing.T) {
	qdir := t.TempDir()
	rec := &recorder{}
	r := start(t, setup{fake: true, policy: strings.ReplaceAll(groupPolicy, "%Q", qdir),
		proc: func(p relay.Processor) relay.Processor { rec.Processor = p; return rec }})
	sendOne(t, r.addr, []string{"bob@example.com", "x@reject.example.com", "y@drop.example.com"}, infected(), "250 ")
	var delivered, dsn []byte
	for delivered == nil || dsn == nil {
		m := r.sink.Next(t, 10*time.Second)
		switch {
		case m.From == "" && m.Rcpts[0] == "alice@example.org":
			dsn = m.Data
		case len(m.Rcpts) == 1 && m.Rcpts[0] == "bob@example.com":
			delivered = m.Data
		default:
			t.Fatalf("unexpected delivery %q -> %v", m.From, m.Rcpts)
		}
	}
	r.sink.None(t, 200*time.Millisecond)
	res := rec.res[0]
	want, err := res.Decisions[0].Apply(res.Message)
	if err != nil {
		t.Fatal(err)
	}
	if res.Decisions[0].Group != "policy" || !bytes.Equal(delivered, want) {
		t.Errorf("delivered copy differs from Decision.Apply (%s):\n%s\n---\n%s", res.Decisions[0].Group, delivered, want)
	}
	if bytes.Contains(delivered, []byte(fake.MarkInfected)) {
		t.Error("the infected attachment was delivered")
	}
	if !bytes.Contains(dsn, []byte("Final-Recipient: rfc822; x@reject.example.com")) || !bytes.Contains(dsn, []byte("550 5.7.1 Refused by policy")) {
		t.Errorf("DSN for the rejected group:\n%s", dsn)
	}
	if n := countFiles(t, qdir, ".eml"); n != 1 {
		t.Errorf("%d messages in the quarantine, want 1", n)
	}
	sendOne(t, r.addr, []string{"x@reject.example.com"}, infected(), "550 5.7.1 Refused by policy")
	waitEmpty(t, r)
}

func countFiles(t *testing.T, dir, ext string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ext {
			n++
		}
	}
	return n
}

// panicker is a core that fails in the worst way.
type panicker struct{}

func (panicker) Process(context.Context, *filter.Envelope, []byte) *filter.Result {
	panic("core broken")
}

// TestCoreFailureTempfails: a panic in the core, or a quarantine that
// cannot be written, is a 451 for the client, never a pass, and nothing
// is queued.
func TestCoreFailureTempfails(t *testing.T) {
	r := start(t, setup{proc: func(relay.Processor) relay.Processor { return panicker{} }})
	sendOne(t, r.addr, []string{"bob@example.com"}, "Subject: x\r\n\r\nx\r\n", "451 4.3.0 ")

	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r2 := start(t, setup{fake: true, policy: strings.ReplaceAll(groupPolicy, "%Q", filepath.Join(blocked, "q"))})
	sendOne(t, r2.addr, []string{"y@drop.example.com"}, infected(), "451 4.3.0 ")
	for _, rr := range []*testRelay{r, r2} {
		if es, _ := rr.q.List(); len(es) != 0 {
			t.Errorf("queued after a tempfail: %v", es)
		}
	}
	r2.sink.None(t, 200*time.Millisecond)
}

// TestArchivesAndBcc: IncomingArchivePath keeps every accepted message
// before scanning, OutgoingArchivePath every message sent, IncomingBcc
// gets a copy of each.
func TestArchivesAndBcc(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	r := start(t, setup{conf: "[mailgw.archive]\nIncomingArchivePath=" + in + "\nOutgoingArchivePath=" + out +
		"\nIncomingBcc=archive@example.com\n"})
	sendOne(t, r.addr, []string{"bob@example.com"}, "Subject: x\r\n\r\nx\r\n", "250 ")
	got := map[string]bool{}
	for i := 0; i < 2; i++ {
		m := r.sink.Next(t, 10*time.Second)
		got[m.Rcpts[0]] = true
	}
	if !got["bob@example.com"] || !got["archive@example.com"] {
		t.Errorf("delivered to %v", got)
	}
	waitEmpty(t, r)
	if n := countFiles(t, in, ".eml"); n != 1 {
		t.Errorf("incoming archive holds %d messages, want 1", n)
	}
	if n := countFiles(t, out, ".eml"); n != 2 {
		t.Errorf("outgoing archive holds %d messages, want 2", n)
	}
}
