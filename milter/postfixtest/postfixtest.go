// Package postfixtest runs a real Postfix for tests: its own configuration
// directory and queue under t.TempDir(), master in the foreground, smtpd on
// a free loopback port, delivery by relayhost to an SMTP sink the test
// runs (Sink), no DNS. The milter, relay and quarantine tests share it.
// Test support only; it needs root (Postfix's master starts as root and
// drops to mail_owner) and the Debian package postfix.
package postfixtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
)

// Options configure one Postfix instance.
type Options struct {
	// Milter is smtpd_milters for the main smtpd, e.g.
	// "inet:127.0.0.1:8891"; "" runs without a milter.
	Milter string
	// RelayHost is the HOST:PORT every message is delivered to (a Sink).
	RelayHost string
	// Reinject is the HOST:PORT of a second smtpd that does not run the
	// milter, for re-injected group variants; "" for none.
	Reinject string
	// Main are more main.cf lines, written last so that they win.
	Main []string
}

// Postfix is a running instance.
type Postfix struct {
	Dir          string // configuration directory (main.cf, master.cf)
	SMTPAddr     string // the smtpd with the milter
	ReinjectAddr string // the smtpd without it; Options.Reinject
	proc         *peer.Process
}

// Log is everything Postfix logged so far (maillog_file = /dev/stdout).
func (p *Postfix) Log() string { return p.proc.Output() }

// Pid is master's process id; its children are Postfix's other daemons.
func (p *Postfix) Pid() int { return p.proc.Pid() }

// Stop ends master and its children; the test's cleanup also does.
func (p *Postfix) Stop() { p.proc.Stop() }

// Start configures and starts Postfix, and waits until smtpd answers.
func Start(t testing.TB, opts Options) *Postfix {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("postfixtest: Postfix's master must start as root")
	}
	master := peer.Binary(t, "", "/usr/lib/postfix/sbin/master", "apt-get install postfix")
	postfix := peer.Binary(t, "", "/usr/sbin/postfix", "apt-get install postfix")
	dir := t.TempDir()
	// The daemons run as mail_owner and must reach their queue below the
	// test's private (0700) temporary directories.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := &Postfix{Dir: dir, SMTPAddr: peer.FreePort(t), ReinjectAddr: opts.Reinject}
	write(t, filepath.Join(dir, "main.cf"), mainCF(dir, opts))
	write(t, filepath.Join(dir, "master.cf"), p.masterCF())
	for _, sub := range []string{"queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// create-missing makes the queue directories with Postfix's owners and
	// modes; data_directory must belong to mail_owner.
	if out, err := exec.Command(postfix, "-c", dir, "post-install", "create-missing").CombinedOutput(); err != nil {
		t.Fatalf("postfixtest: post-install: %v\n%s", err, out)
	}
	if out, err := exec.Command("chown", "postfix", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("postfixtest: chown: %v\n%s", err, out)
	}
	p.proc = peer.Start(t, master, "-c", dir, "-d")
	p.proc.WaitReady(t, "postfixtest: Postfix on "+p.SMTPAddr, 15*time.Second, func() error { return peer.SMTPGreeting(p.SMTPAddr) }, p.Log)
	return p
}

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mainCF(dir string, opts Options) string {
	lines := []string{
		"compatibility_level = 3.6",
		"queue_directory = " + filepath.Join(dir, "queue"),
		"data_directory = " + filepath.Join(dir, "data"),
		"mail_owner = postfix",
		"setgid_group = postdrop",
		"maillog_file = /dev/stdout",
		// Nothing is local and nothing needs DNS: every message goes to
		// the relay host by its address.
		"myhostname = mta.test",
		"mydomain = mta.test",
		"myorigin = mta.test",
		"mydestination =",
		"local_recipient_maps =",
		"alias_maps =",
		"alias_database =",
		"inet_interfaces = 127.0.0.1",
		"inet_protocols = ipv4",
		"mynetworks = 127.0.0.0/8",
		"smtpd_peername_lookup = no",
		"smtp_host_lookup = native",
		"smtp_dns_support_level = disabled",
		"disable_dns_lookups = yes",
		"smtp_tls_security_level = none",
		"smtpd_tls_security_level = none",
		"relayhost = [" + strings.Replace(opts.RelayHost, ":", "]:", 1),
		// Retry soon: a test waits for delivery, not for the default 5 min.
		"queue_run_delay = 1s",
		"minimal_backoff_time = 1s",
		"maximal_backoff_time = 2s",
		"milter_default_action = tempfail",
		"milter_protocol = 6",
	}
	if opts.Milter != "" {
		lines = append(lines, "smtpd_milters = "+opts.Milter)
	}
	lines = append(lines, opts.Main...)
	return strings.Join(lines, "\n") + "\n"
}

// masterCF is the services a relaying Postfix needs, none chrooted.
func (p *Postfix) masterCF() string {
	s := p.SMTPAddr + " inet n - n - - smtpd\n"
	if p.ReinjectAddr != "" {
		s += p.ReinjectAddr + " inet n - n - - smtpd\n  -o smtpd_milters=\n  -o receive_override_options=no_milters\n"
	}
	for _, svc := range []string{
		"cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr",
		"rewrite unix - - n - - trivial-rewrite", "bounce unix - - n - 0 bounce",
		"defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
		"flush unix n - n 1000? 0 flush", "proxymap unix - - n - - proxymap",
		"proxywrite unix - - n - 1 proxymap", "smtp unix - - n - - smtp", "relay unix - - n - - smtp",
		"showq unix n - n - - showq", "error unix - - n - - error", "retry unix - - n - - error",
		"discard unix - - n - - discard", "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache",
		"postlog unix-dgram n - n - 1 postlogd",
	} {
		s += svc + "\n"
	}
	return s
}
