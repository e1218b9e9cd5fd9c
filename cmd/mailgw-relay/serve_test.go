package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/milter/postfixtest"
)

// conf is deployment 2.3.1: ListenOn, the sink as "localhost:PORT".
const conf = `[mailgw.policy]
[mailgw.network]
ListenOn=%s
Hostname=relay.test
Postmaster=postmaster@relay.test
ProtectedDomains=example.com
[mailgw.limits]
MaximalIncomingSessionsPerIP=32
[mailgw.forward]
ForwardRoute=*@example.com [localhost:%s]
[mailgw.relay]
QueueDirectory=%s
DNSServer=127.0.0.1:9
`

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func writeConf(t *testing.T, listen, sink, queue, extra string) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(sink)
	path := filepath.Join(t.TempDir(), "mailgw.conf")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(conf, listen, port, queue)+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sendMail sends one message in its own session and reports whether it
// got 250 for the data.
func sendMail(addr, id string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	msg := "From: alice@example.org\r\nTo: bob@example.com\r\nMessage-ID: <" + id + ">\r\nSubject: load\r\n\r\n" +
		strings.Repeat("line of the message body\r\n", 40)
	if err := c.SendMail("alice@example.org", []string{"bob@example.com"}, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// collector gathers the Message-IDs that reach the sink.
type collector struct {
	mu  sync.Mutex
	ids map[string]int
}

func collect(t *testing.T, sink *postfixtest.Sink) *collector {
	c := &collector{ids: map[string]int{}}
	go func() {
		for {
			m := sink.Next(t, time.Hour)
			_, rest, _ := bytes.Cut(m.Data, []byte("Message-ID: <"))
			id, _, _ := bytes.Cut(rest, []byte(">"))
			c.mu.Lock()
			c.ids[string(id)]++
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) missing(want []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range want {
		if c.ids[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// TestDurabilityKill9 runs the real mailgw-relay binary under load from
// several clients, kills it with SIGKILL, starts it again on the same
// queue, and checks that every message that got a 250 reaches the sink
// (by Message-ID; duplicates are allowed, losses are not).
func TestDurabilityKill9(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mailgw-relay")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A slow next hop keeps messages in the queue when the kill comes.
	sink := postfixtest.StartSinkFunc(t, func(string) error { time.Sleep(50 * time.Millisecond); return nil })
	got := collect(t, sink)
	listen, queue := freePort(t), t.TempDir()
	confPath := writeConf(t, listen, sink.Addr, queue, "")
	var log1, log2 bytes.Buffer
	first := startBinary(t, bin, confPath, listen, &log1)

	var mu sync.Mutex
	var accepted []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d@load.test", w, i)
				if sendMail(listen, id) == nil {
					mu.Lock()
					accepted = append(accepted, id)
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) >= 150 })
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	close(stop)
	wg.Wait()
	queued := len(mustGlob(t, filepath.Join(queue, "ready", "*.msg")))
	if queued == 0 {
		t.Fatal("the queue was empty at the kill: the test proves nothing")
	}
	startBinary(t, bin, confPath, listen, &log2)
	waitFor(t, 30*time.Second, func() bool { return len(got.missing(accepted)) == 0 })
	t.Logf("%d messages got 250 before the kill, %d were still queued; all reached the sink", len(accepted), queued)
}

func startBinary(t *testing.T, bin, confPath, listen string, log *bytes.Buffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "-c", confPath)
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("relay log:\n%s", log.String())
		}
	})
	waitFor(t, 10*time.Second, func() bool {
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return cmd
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReloadAndStop: SIGHUP swaps the configuration under an open
// session (the next RCPT follows the new RelayRule); SIGTERM lets the
// open transaction finish, then the daemon exits 0 and the queue stays.
func TestReloadAndStop(t *testing.T) {
	sink := postfixtest.StartSinkFunc(t, func(string) error {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "keep it queued"}
	})
	listen, queue := freePort(t), t.TempDir()
	before := writeConf(t, listen, sink.Addr, queue, "")
	after := writeConf(t, listen, sink.Addr, queue, "[mailgw.access]\nRelayRule=deny from any to *@example.com\n")
	load := func(path string) *gateway.Gateway {
		gw, err := gateway.Load(path, config.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return gw
	}
	d := &daemonState{log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		reload: func() (*gateway.Gateway, bool) { return load(after), true }}
	sigs := make(chan os.Signal, 1)
	exit := make(chan int, 1)
	go func() { exit <- d.serve(load(before), sigs) }()
	var c *smtp.Client
	waitFor(t, 10*time.Second, func() bool {
		var err error
		c, err = smtp.Dial(listen)
		return err == nil
	})
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("alice@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bob@example.com", nil); err != nil {
		t.Fatalf("before reload: %v", err)
	}
	sigs <- syscall.SIGHUP
	waitFor(t, 10*time.Second, func() bool { return c.Rcpt("carol@example.com", nil) != nil })

	sigs <- syscall.SIGTERM
	w, err := c.Data() // the transaction opened before SIGTERM finishes
	if err == nil {
		_, _ = io.WriteString(w, "Subject: stop\r\n\r\nx\r\n")
		err = w.Close()
	}
	if err != nil {
		t.Fatalf("open transaction after SIGTERM: %v", err)
	}
	_ = c.Quit()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit code %d after SIGTERM", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("SIGTERM did not stop the daemon")
	}
	if n := len(mustGlob(t, filepath.Join(queue, "ready", "*.msg"))); n != 1 {
		t.Errorf("%d messages kept in the queue, want 1", n)
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckConfig(t *testing.T) {
	var stderr strings.Builder
	if code := run([]string{"--check-config"}, &stderr); code != 0 || stderr.Len() > 0 {
		t.Errorf("--check-config on the embedded default: exit %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-k", "-c", "../mailgw/testdata/bad.conf"}, &stderr); code == 0 || !strings.Contains(stderr.String(), "bad.conf:2:") {
		t.Errorf("-k on bad.conf: exit %d: %s", code, stderr.String())
	}
}
