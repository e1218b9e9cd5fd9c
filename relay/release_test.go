package relay_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/quarantine"
	"github.com/mailgw/mailgw/relay"
)

// TestReleaseThroughRelay: a copy the relay quarantined is released with
// mailgw-maila --send-id under ReleaseVia=queue: the relay delivers the
// stored bytes to the original recipient without filtering them again
// (which would quarantine them once more), exactly once although the
// release ran twice at the same time and once more afterwards.
func TestReleaseThroughRelay(t *testing.T) {
	qdir := t.TempDir()
	r := start(t, setup{fake: true, policy: strings.ReplaceAll(groupPolicy, "%Q", qdir),
		conf: "[mailgw.quarantine]\nReleaseVia=queue\n", opts: relay.Options{ScanInterval: 100 * time.Millisecond}})
	sendOne(t, r.addr, []string{"y@drop.example.com"}, infected(), "250 ")
	r.sink.None(t, 300*time.Millisecond)
	st, err := quarantine.Open(qdir, quarantine.Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	metas, err := st.List(quarantine.Filter{})
	if err != nil || len(metas) != 1 {
		t.Fatalf("quarantine holds %d messages (%v), want 1", len(metas), err)
	}
	stored, err := os.ReadFile(filepath.Join(qdir, metas[0].ID+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "mailgw.conf")
	if err := os.WriteFile(conf, []byte(r.conf), 0o600); err != nil {
		t.Fatal(err)
	}
	release := func() (int, string) {
		var out, errOut bytes.Buffer
		code := gateway.QuarantineTool("mailgw-maila").Main(
			[]string{"--config", conf, "--archive-path", qdir, "--send-id", metas[0].ID}, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i], outs[i] = release() }()
	}
	wg.Wait()
	if codes[0]+codes[1] != quarantine.ExitNotDone || !strings.Contains(outs[0]+outs[1], "to the relay's queue") {
		t.Fatalf("two releases at once: exit codes %v, want one 0 and one %d:\n%s\n%s", codes, quarantine.ExitNotDone, outs[0], outs[1])
	}
	m := r.sink.Next(t, 10*time.Second)
	if m.From != "alice@example.org" || len(m.Rcpts) != 1 || m.Rcpts[0] != "y@drop.example.com" {
		t.Errorf("released envelope %q -> %v", m.From, m.Rcpts)
	}
	if !bytes.HasSuffix(m.Data, stored) {
		t.Errorf("released message differs from the stored one:\n%s\n---\n%s", m.Data, stored)
	}
	if code, out := release(); code != quarantine.ExitNotDone {
		t.Errorf("third release: exit %d, want %d: %s", code, quarantine.ExitNotDone, out)
	}
	r.sink.None(t, 500*time.Millisecond)
	waitEmpty(t, r)
}
