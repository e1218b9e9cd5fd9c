// Package sendmailtest runs a real Sendmail for tests: a sendmail.cf built
// with m4 from a .mc, queue and files under t.TempDir(), the daemon in the
// foreground (-bD) on a free loopback port, delivery by SMART_HOST to an
// SMTP sink the test runs (postfixtest.Sink), no DNS.
//
// Debian's sendmail-bin conflicts with postfix, which the other tests
// need, so Sendmail is never installed: scripts/setup-debian.sh --test-deps
// unpacks its packages into a private tree (see unpacked). Test support
// only; it needs root, m4 and that tree.
package sendmailtest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
)

// Options configure one Sendmail instance.
type Options struct {
	// Milter is the address of the mail filter, HOST:PORT; "" runs
	// without one.
	Milter string
	// RelayHost is the HOST:PORT every message is delivered to (a Sink);
	// HOST must be an IP address.
	RelayHost string
}

// Sendmail is a running instance.
type Sendmail struct {
	Dir      string // sendmail.mc, sendmail.cf, queue
	SMTPAddr string
	proc     *peer.Process
}

// Log is what Sendmail printed; it logs to syslog, so this holds only
// start-up errors.
func (s *Sendmail) Log() string { return s.proc.Output() }

// Stop ends the daemon and its children.
func (s *Sendmail) Stop() { s.proc.Stop() }

// Start configures and starts Sendmail and waits until it greets.
func Start(t testing.TB, opts Options) *Sendmail {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("sendmailtest: Sendmail's daemon must start as root")
	}
	root := unpacked(t)
	dir := t.TempDir()
	s := &Sendmail{Dir: dir, SMTPAddr: peer.FreePort(t)}
	if err := os.Mkdir(filepath.Join(dir, "queue"), 0o700); err != nil {
		t.Fatal(err)
	}
	// Names resolve from this hosts file only, never from DNS.
	write(t, filepath.Join(dir, "service.switch"), "hosts files\naliases files\n")
	write(t, filepath.Join(dir, "hosts"), "127.0.0.1 localhost mta.test\n")
	write(t, filepath.Join(dir, "sendmail.mc"), s.mc(t, opts))
	cf := buildCF(t, root, dir)
	name, args := command(t, root)
	s.proc = peer.Start(t, name, append(args, "-bD", "-q1s", "-C", cf)...)
	s.proc.WaitReady(t, "sendmailtest: sendmail on "+s.SMTPAddr, 20*time.Second, func() error { return peer.SMTPGreeting(s.SMTPAddr) }, s.Log)
	return s
}

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
