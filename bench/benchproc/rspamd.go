package benchproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mailgw/mailgw/internal/peer"
)

// StartRspamd runs Debian's rspamd with its proxy worker in milter mode
// scanning by itself (self_scan), every module that uses the network off
// and DNS pointed at a closed loopback port. It returns the
// smtpd_milters value for Postfix and rspamd's main pid.
func StartRspamd(b testing.TB) (socket string, pid int) {
	b.Helper()
	bin := peer.Binary(b, "", "/usr/bin/rspamd", "apt-get install rspamd")
	dir := b.TempDir()
	for _, d := range []string{"local/local.d", "local/override.d", "run", "db", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o777); err != nil {
			b.Fatal(err)
		}
	}
	proxy, normal, controller := peer.FreePort(b), peer.FreePort(b), peer.FreePort(b)
	files := map[string]string{
		"override.d/worker-proxy.inc": `bind_socket = "` + proxy + `"; milter = yes; timeout = 120s; count = 1;
upstream "local" { default = yes; self_scan = yes; }`,
		"override.d/worker-normal.inc":     `bind_socket = "` + normal + `"; count = 1;`,
		"override.d/worker-controller.inc": `bind_socket = "` + controller + `"; count = 1;`,
		"override.d/logging.inc":           `type = "console"; level = "error";`,
		"local.d/options.inc":              `dns { nameserver = ["127.0.0.1:9"]; timeout = 0.1s; retransmits = 0; }`,
	}
	for _, m := range networkModules {
		files["local.d/"+m+".conf"] = "enabled = false;"
	}
	for name, text := range files {
		Write(b, filepath.Join(dir, "local", name), text+"\n")
	}
	// rspamd's workers drop to _rspamd and must reach the directories.
	exec.Command("chmod", "-R", "a+rwX", dir, filepath.Dir(dir)).Run()
	p := peer.Start(b, bin, "-f", "-i", "-u", "_rspamd", "-g", "_rspamd", "-c", "/etc/rspamd/rspamd.conf",
		"--var", "LOCAL_CONFDIR="+filepath.Join(dir, "local"), "--var", "RUNDIR="+filepath.Join(dir, "run"),
		"--var", "DBDIR="+filepath.Join(dir, "db"), "--var", "LOGDIR="+filepath.Join(dir, "log"))
	WaitListening(b, proxy, p)
	return "inet:" + proxy, p.Pid()
}

// networkModules are rspamd modules that query DNS or other servers.
var networkModules = []string{"rbl", "spf", "dkim", "dmarc", "asn", "fuzzy_check", "dkim_signing", "arc", "phishing",
	"url_redirector", "neural", "replies", "greylist", "ratelimit", "history_redis", "mx_check", "dcc",
	"elastic", "external_services", "force_actions", "emails", "surbl", "whitelist", "maps_stats", "reputation"}
