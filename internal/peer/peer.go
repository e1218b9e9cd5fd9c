// Package peer runs the real servers that tests talk to (clamd, c-icap,
// and the MTAs to come): it finds the installed binary, starts it in its
// own process group with its output captured, stops it — children
// included — and finds free loopback ports. Test support only.
package peer

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the executable to run: bin when given (looked up in
// $PATH), else def when it exists, else def's base name in $PATH. A missing
// program fails the test with hint, which says what to install: the
// project's setup script installs every peer, so CI never skips one.
func Binary(t testing.TB, bin, def, hint string) string {
	t.Helper()
	if bin == "" {
		if _, err := os.Stat(def); err == nil {
			return def
		}
		bin = filepath.Base(def)
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%v: %s (scripts/setup-debian.sh --test-deps)", err, hint)
	}
	return path
}

// FreePort returns a loopback address with a TCP port nobody listens on.
// Another process could take it before the server binds it; the server's
// start then fails with its log.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Process is a running server.
type Process struct {
	cmd    *exec.Cmd
	out    SyncBuffer
	exited chan struct{}
	once   sync.Once
}

// Start runs name with args in its own process group (servers that fork
// workers are stopped whole) and stops it when the test ends.
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(name, args...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("peer: starting %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.Stop)
	return p
}

// Exited is closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Pid is the process id, to read its memory use.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output is what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Stop ends the process group (SIGTERM, then SIGKILL after 5 s) and waits.
// It may be called more than once; tests call it to simulate an outage.
func (p *Process) Stop() {
	p.once.Do(func() {
		pgid := -p.cmd.Process.Pid
		syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(pgid, syscall.SIGKILL)
			<-p.exited
		}
	})
}

// SyncBuffer is a bytes.Buffer that the output goroutines of exec (or a
// server's log) and the test may use at the same time.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitReady calls probe until it succeeds, the process exits or limit
// passes; the last two fail the test with the server's log (what names
// the server in the message). Servers start in the background, so a
// test must not talk to one before its probe answers.
func (p *Process) WaitReady(t testing.TB, what string, limit time.Duration, probe func() error, log func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		if last = probe(); last == nil {
			return
		}
		select {
		case <-p.Exited():
			t.Fatalf("%s exited at start:\n%s", what, log())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not answer within %v (%v):\n%s", what, limit, last, log())
}

// SMTPGreeting connects to addr and wants a 220 greeting (RFC 5321
// section 4.2), then says QUIT: a probe for WaitReady.
func SMTPGreeting(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	fmt.Fprintf(c, "QUIT\r\n")
	return nil
}
