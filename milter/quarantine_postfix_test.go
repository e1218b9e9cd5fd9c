package milter_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/milter/postfixtest"
	"github.com/mailgw/mailgw/notify"
	"github.com/mailgw/mailgw/quarantine"
)

// keepConf blocks infected mail for *@keep.test, keeps a copy in the
// anti-virus quarantine at %s and tells the administrator.
const keepConf = `[mailgw.policy]
CheckAV=true
ActionInfected=remove
BlockMessage=

[mailgw.group:keepers]
Recipients=*@keep.test
BlockMessage=av/infected
QuarantineMessage=av/infected
AVQuarantinePath=%s
NotifyAdmin=av/infected
AdminNotifyAddress=admin@example.com
NotifyFromAddress=gateway@example.com
`

// startDispatchingMilter serves keepConf with the real dispatcher, whose
// notices go to submitAddr; it returns the milter's address.
func startDispatchingMilter(t *testing.T, qdir, submitAddr string, opts milter.Options) string {
	t.Helper()
	gw, err := gateway.Parse("mailgw.conf", []byte(fmt.Sprintf(keepConf, qdir)), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := gw.VirusScanner()
	if err != nil {
		t.Fatal(err)
	}
	templates, err := notify.Load(gw.Templates)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	opts.Logger = log
	opts.Dispatch = gw.Dispatcher(templates, dispatch.SMTPSubmitter{Addr: submitAddr, Timeout: 10 * time.Second}, log)
	srv := milter.NewServer(gw.Filter(filter.Options{Virus: engine, Logger: log, Version: "test"}), opts)
	return serve(t, srv, "127.0.0.1:0")
}

// Quarantine through real Postfix: the client gets 250, the recipient
// nothing, the administrator a notice (through Postfix's re-injection
// service), and a release sends the original exactly once.
func TestQuarantineThroughPostfix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	sink := postfixtest.StartSink(t)
	qdir := filepath.Join(t.TempDir(), "av")
	reinject := peer.FreePort(t)
	pf := postfixtest.Start(t, postfixtest.Options{Milter: "inet:" + startDispatchingMilter(t, qdir, reinject, milter.Options{}),
		RelayHost: sink.Addr, Reinject: reinject})
	defer func() {
		if t.Failed() {
			t.Logf("Postfix log:\n%s", pf.Log())
		}
	}()
	mustSend(t, pf.SMTPAddr, "dave@keep.test", postfixMsg("dave@keep.test", "quarantine me", eicar()))

	notice := sink.Next(t, 30*time.Second)
	if len(notice.Rcpts) != 1 || notice.Rcpts[0] != "admin@example.com" || notice.From != "" ||
		!bytes.Contains(notice.Data, []byte("From: <gateway@example.com>")) || !bytes.Contains(notice.Data, []byte("Auto-Submitted: auto-generated")) {
		t.Fatalf("want the admin's notice from <>, got from <%s> to %v:\n%s", notice.From, notice.Rcpts, notice.Data)
	}
	sink.None(t, 2*time.Second) // nothing for dave

	store, err := quarantine.Open(qdir, quarantine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	metas, err := store.List(quarantine.Filter{})
	if err != nil || len(metas) != 1 {
		t.Fatalf("quarantine holds %d messages (%v), want 1", len(metas), err)
	}
	m := metas[0]
	if m.Status != "av/infected" || m.Group != "keepers" || len(m.Recipients) != 1 || m.Recipients[0] != "dave@keep.test" || m.Sender != "alice@example.org" {
		t.Errorf("quarantine metadata %+v", m)
	}

	deliver := quarantine.Deliverer{Addr: pf.ReinjectAddr, Helo: "maila.test"}
	for i := 0; i < 2; i++ {
		err := store.Release(m.ID, deliver.Deliver)
		if (i == 0) != (err == nil) {
			t.Fatalf("release %d: %v", i+1, err)
		}
	}
	released := sink.Next(t, 30*time.Second)
	if len(released.Rcpts) != 1 || released.Rcpts[0] != "dave@keep.test" || !bytes.Contains(released.Data, []byte("EICAR-STANDARD")) {
		t.Errorf("released message for %v:\n%s", released.Rcpts, released.Data)
	}
	sink.None(t, 2*time.Second) // released once
}

// With HoldQuarantined, Postfix keeps the message in its hold queue.
func TestHoldThroughPostfix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	sink := postfixtest.StartSink(t)
	qdir := filepath.Join(t.TempDir(), "av")
	reinject := peer.FreePort(t)
	pf := postfixtest.Start(t, postfixtest.Options{Milter: "inet:" + startDispatchingMilter(t, qdir, reinject, milter.Options{Hold: true}),
		RelayHost: sink.Addr, Reinject: reinject})
	mustSend(t, pf.SMTPAddr, "dave@keep.test", postfixMsg("dave@keep.test", "hold me", eicar()))
	sink.Next(t, 30*time.Second) // the admin's notice
	held := waitFiles(t, filepath.Join(pf.Dir, "queue", "hold"), 1, 20*time.Second)
	data, err := os.ReadFile(held[0])
	if err != nil || !bytes.Contains(data, []byte("dave@keep.test")) {
		t.Errorf("held queue file %s: %v", held[0], err)
	}
	if !strings.Contains(pf.Log(), "milter triggers HOLD") {
		t.Errorf("Postfix did not log the milter's HOLD:\n%s", pf.Log())
	}
	sink.None(t, 2*time.Second)
}

// waitFiles waits until dir holds n regular files and returns them.
func waitFiles(t *testing.T, dir string, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var files []string
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if len(files) >= n {
			return files
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d files after %v, want %d", dir, len(files), timeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
