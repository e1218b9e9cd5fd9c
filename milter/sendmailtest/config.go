package sendmailtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
		lines = append(lines, MilterLines("inet:"+mport+"@"+mip)...)
	}
	lines = append(lines, "MAILER(`smtp')dnl")
	return strings.Join(lines, "\n") + "\n"
}

// MilterLines are the .mc lines that connect Sendmail to mailgw-milter at
// socket (Sendmail syntax, e.g. inet:8891@127.0.0.1), as
// contrib/sendmail/sendmail.mc.snippet shows them. F=T tempfails
// messages while the milter is down.
func MilterLines(socket string) []string {
	return []string{
		"INPUT_MAIL_FILTER(`mailgw', `S=" + socket + ", F=T, T=S:30s;R:30s;E:2m')dnl",
		"define(`confMILTER_MACROS_CONNECT', `j, _, {daemon_name}, {if_name}, {if_addr}, {client_addr}, {client_name}')dnl",
		"define(`confMILTER_MACROS_HELO', `{tls_version}, {cipher}, {verify}')dnl",
		"define(`confMILTER_MACROS_ENVFROM', `i, {auth_type}, {auth_authen}, {mail_addr}')dnl",
		"define(`confMILTER_MACROS_ENVRCPT', `{rcpt_addr}, {rcpt_host}, {rcpt_mailer}')dnl",
		"define(`confMILTER_MACROS_EOM', `i, {msg_id}')dnl",
	}
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
