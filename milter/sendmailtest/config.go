package sendmailtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/internal/peer"
)

// mc is the sendmail.mc: a relay that hands everything to RelayHost
// through the milter. Sendmail checks the safety of every file and
// directory it uses; the temporary tree below /tmp passes as it is, since
// the daemon runs as root and t.TempDir() is root's and private.
func (s *Sendmail) mc(t testing.TB, opts Options) string {
	t.Helper()
	relayIP, relayPort, err := net.SplitHostPort(opts.RelayHost)
	if err != nil {
		t.Fatalf("sendmailtest: RelayHost %q: %v", opts.RelayHost, err)
	}
	ip, port, err := net.SplitHostPort(s.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Dir
	lines := []string{
		"divert(-1)", "divert(0)dnl",
		"OSTYPE(`linux')dnl",
		"define(`QUEUE_DIR', `" + filepath.Join(d, "queue") + "')dnl",
		"define(`confPID_FILE', `" + filepath.Join(d, "sendmail.pid") + "')dnl",
		"define(`STATUS_FILE', `" + filepath.Join(d, "statistics") + "')dnl",
		"define(`confSERVICE_SWITCH_FILE', `" + filepath.Join(d, "service.switch") + "')dnl",
		"define(`confHOSTS_FILE', `" + filepath.Join(d, "hosts") + "')dnl",
		"define(`ALIAS_FILE', `')dnl",
		"define(`confHOST_STATUS_DIRECTORY', `')dnl",
		// An explicit name: otherwise Sendmail waits a minute trying to
		// qualify the machine's own name.
		"define(`confDOMAIN_NAME', `mta.test')dnl",
		"define(`confDELIVERY_MODE', `background')dnl",
		"define(`confTO_CONNECT', `10s')dnl",
		// Otherwise 127.0.0.1 joins class w and the smart host [127.0.0.1]
		// counts as this machine, so mail goes out by MX instead.
		"define(`confDONT_PROBE_INTERFACES', `True')dnl",
		"define(`SMART_HOST', `[" + relayIP + "]')dnl",
		// The relay mailer's port is the sink's.
		"define(`RELAY_MAILER_ARGS', `TCP $h " + relayPort + "')dnl",
		"define(`ESMTP_MAILER_ARGS', `TCP $h " + relayPort + "')dnl",
		"FEATURE(`nocanonify')dnl",
		"FEATURE(`no_default_msa')dnl",
		"FEATURE(`promiscuous_relay')dnl",
		"FEATURE(`accept_unresolvable_domains')dnl",
		"DAEMON_OPTIONS(`Family=inet, Name=MTA, Addr=" + ip + ", Port=" + port + "')dnl",
	}
	if opts.Milter != "" {
		mip, mport, err := net.SplitHostPort(opts.Milter)
		if err != nil {
			t.Fatalf("sendmailtest: Milter %q: %v", opts.Milter, err)
		}
		lines = append(lines, MilterLines(t, "inet:"+mport+"@"+mip)...)
	}
	lines = append(lines, "MAILER(`smtp')dnl")
	return strings.Join(lines, "\n") + "\n"
}

// MilterLines are the .mc lines of contrib/sendmail/sendmail.mc.snippet,
// the file administrators are told to use, with its socket replaced by
// socket (Sendmail syntax, e.g. inet:8891@127.0.0.1): the test proves the
// shipped snippet works.
func MilterLines(t testing.TB, socket string) []string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "contrib", "sendmail", "sendmail.mc.snippet")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("sendmailtest: %v", err)
	}
	const shipped = "S=inet:8891@127.0.0.1"
	if !strings.Contains(string(data), shipped) {
		t.Fatalf("sendmailtest: %s no longer has %s", path, shipped)
	}
	return strings.Split(strings.TrimSpace(strings.Replace(string(data), shipped, "S="+socket, 1)), "\n")
}

// buildCF runs m4 over the .mc with the cf files of the unpacked
// sendmail-cf package.
func buildCF(t testing.TB, root, dir string) string {
	t.Helper()
	m4 := peer.Binary(t, "", "/usr/bin/m4", "apt-get install m4")
	cfDir := filepath.Join(root, "usr/share/sendmail/cf") + "/"
	cmd := exec.Command(m4, "-D_CF_DIR_="+cfDir, filepath.Join(cfDir, "m4/cf.m4"), filepath.Join(dir, "sendmail.mc"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sendmailtest: m4: %v\n%s", err, stderr.String())
	}
	cf := filepath.Join(dir, "sendmail.cf")
	if err := os.WriteFile(cf, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return cf
}
