package milter

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
)

func TestParseListen(t *testing.T) {
	for spec, want := range map[string]string{
		"inet:127.0.0.1:8891":      "tcp4 127.0.0.1:8891",
		"inet6:[::1]:8891":         "tcp6 [::1]:8891",
		"inet:8891@localhost":      "tcp4 localhost:8891",
		"unix:/run/mailgw/m.sock":  "unix /run/mailgw/m.sock",
		"local:/run/mailgw/m.sock": "unix /run/mailgw/m.sock",
		"inet:127.0.0.1:0":         "error",
		"unix:relative":            "error",
		"tcp:1.2.3.4:5":            "error",
	} {
		n, a, err := ParseListen(spec)
		got := n + " " + a
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", spec, got, want)
		}
	}
}

func TestFromConfig(t *testing.T) {
	schema := append(config.Schema{{Name: "mailgw.policy"}}, Schema()...)
	c, err := config.Parse("t.conf", []byte("[mailgw.policy]\n[mailgw.milter]\nListenOn=unix:/tmp/m.sock\nSocketMode=0600\nSplit=defer\n"), schema, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, errs := FromConfig(c)
	if len(errs) > 0 || s.Network != "unix" || s.Address != "/tmp/m.sock" || s.SocketMode != 0o600 || s.Split != SplitDefer || s.ReinjectAddress != "127.0.0.1:10026" {
		t.Errorf("got %+v, %v", s, errs)
	}
	c, err = config.Parse("t.conf", []byte("[mailgw.policy]\n[mailgw.milter]\nListenOn=inet:nope\nSocketMode=999\nReinjectAddress=x\n"), schema, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, errs = FromConfig(c)
	if len(errs) != 3 || !strings.Contains(errs.Error(), "t.conf:3") {
		t.Errorf("want three errors with positions, got %v", errs)
	}
}

func TestListenUnix(t *testing.T) {
	path := t.TempDir() + "/m.sock"
	s := Settings{Network: "unix", Address: path, SocketMode: 0o640}
	ln, err := Listen(s)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("socket mode %v, %v; want 0640", st.Mode(), err)
	}
	if _, err := Listen(s); err == nil {
		t.Error("a second Listen on a live socket succeeded")
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // leaves a stale socket file, as a crashed daemon does
	ln, err = Listen(s)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()
}
