package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/quarantine"
)

// TestRetention: every store the configuration names, and only those,
// loses its messages older than Retention days; a store never created is
// no error; the sweep runs at once and stops with its context.
func TestRetention(t *testing.T) {
	root := t.TempDir()
	dir := func(name string) string { return filepath.Join(root, name) }
	conf := fmt.Sprintf(`[mailgw.policy]
AVQuarantinePath=%s
ASQuarantinePath=%s
[mailgw.group:g]
Recipients=*@g.example.com
AVQuarantinePath=%[1]s
ASQuarantinePath=%[3]s
[mailgw.archive]
IncomingArchivePath=%[4]s
[mailgw.quarantine]
Retention=7
`, dir("av"), dir("as"), dir("never-created"), dir("in"))
	gw, err := gateway.Parse("mailgw.conf", []byte(conf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{dir("as"), dir("av"), dir("in"), dir("never-created")}
	if got := gw.StoreDirs(); !slices.Equal(got, want) {
		t.Errorf("StoreDirs = %v, want %v", got, want)
	}
	now := time.Now()
	put := func(d string, age time.Duration) string {
		st, err := quarantine.Open(d, quarantine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		id, err := st.Put(quarantine.Meta{Status: "av/infected", Arrival: now.Add(-age), Sender: "a@example.org",
			Recipients: []string{"b@example.com"}}, []byte("Subject: x\r\n\r\nx\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	var kept, expired []string
	for _, d := range []string{dir("av"), dir("as"), dir("in")} {
		kept = append(kept, filepath.Join(d, put(d, 6*24*time.Hour)+".eml"))
		expired = append(expired, filepath.Join(d, put(d, 8*24*time.Hour)+".eml"))
	}
	other := filepath.Join(dir("other"), put(dir("other"), 100*24*time.Hour)+".eml")

	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		gateway.RunRetention(ctx, func() *gateway.Gateway { return gw }, time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for exists(expired[len(expired)-1]) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	for _, p := range expired {
		if exists(p) {
			t.Errorf("%s is older than the retention and still there", p)
		}
	}
	for _, p := range append(kept, other) {
		if !exists(p) {
			t.Errorf("%s was removed", p)
		}
	}
	if bytes.Contains(logs.Bytes(), []byte("level=ERROR")) {
		t.Errorf("errors logged:\n%s", logs.String())
	}

	// Retention=0 keeps everything.
	gw0, err := gateway.Parse("mailgw.conf", []byte(strings.Replace(conf, "Retention=7", "Retention=0", 1)), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw0.PurgeExpired(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, p := range kept {
		if !exists(p) {
			t.Errorf("Retention=0 removed %s", p)
		}
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
