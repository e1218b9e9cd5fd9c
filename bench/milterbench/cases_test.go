package milterbench

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"net/textproto"

	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/internal/peer"
)

// nullMilter looks at every stage and accepts at the end, so that Postfix
// sends it the whole message: the milter protocol's cost and nothing more.
type nullMilter struct{}

func (nullMilter) Connect(string, string, uint16, net.IP, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Helo(string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) MailFrom(string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) RcptTo(string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Header(string, string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Headers(textproto.MIMEHeader, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) BodyChunk([]byte, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Body(*gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespAccept, nil
}
func (nullMilter) Abort(*gomilter.Modifier) error { return nil }

var _ gomilter.Milter = nullMilter{}

func startNull(b *testing.B) (string, int) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &gomilter.Server{NewMilter: func() gomilter.Milter { return nullMilter{} }}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "inet:" + ln.Addr().String(), 0
}

// startMailgw builds and runs the real daemon on the embedded default
// policy with the default engines (built-in anti-virus, anti-spam with
// network checks off).
func startMailgw(b *testing.B) (string, int) {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "mailgw-milter")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mailgw-milter")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	addr := peer.FreePort(b)
	conf := filepath.Join(dir, "mailgw.conf")
	write(b, conf, mailgwConf(addr))
	p := peer.Start(b, bin, "-c", conf)
	waitListening(b, addr, p)
	return "inet:" + addr, p.Pid()
}

// mailgwConf is the benchmark's configuration: the defaults, both checks
// on, no DNS.
func mailgwConf(addr string) string {
	return "[mailgw.policy]\nCheckSpam=true\nCheckAV=true\nSpamUseDNS=false\n\n[mailgw.milter]\nListenOn=inet:" + addr + "\n"
}

// startRspamd runs Debian's rspamd with its proxy worker in milter mode
// scanning by itself (self_scan), every module that uses the network off
// and DNS pointed at a closed loopback port.
func startRspamd(b *testing.B) (string, int) {
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
		write(b, filepath.Join(dir, "local", name), text+"\n")
	}
	// rspamd's workers drop to _rspamd and must reach the directories.
	exec.Command("chmod", "-R", "a+rwX", dir, filepath.Dir(dir)).Run()
	p := peer.Start(b, bin, "-f", "-i", "-u", "_rspamd", "-g", "_rspamd", "-c", "/etc/rspamd/rspamd.conf",
		"--var", "LOCAL_CONFDIR="+filepath.Join(dir, "local"), "--var", "RUNDIR="+filepath.Join(dir, "run"),
		"--var", "DBDIR="+filepath.Join(dir, "db"), "--var", "LOGDIR="+filepath.Join(dir, "log"))
	waitListening(b, proxy, p)
	return "inet:" + proxy, p.Pid()
}

// networkModules are rspamd modules that query DNS or other servers.
var networkModules = []string{"rbl", "spf", "dkim", "dmarc", "asn", "fuzzy_check", "dkim_signing", "arc", "phishing",
	"url_redirector", "neural", "replies", "greylist", "ratelimit", "history_redis", "mx_check", "dcc",
	"elastic", "external_services", "force_actions", "emails", "surbl", "whitelist", "maps_stats", "reputation"}

func write(b *testing.B, path, text string) {
	b.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
}

// waitListening waits until addr accepts connections, failing with the
// process's output if it exits or takes a minute.
func waitListening(b *testing.B, addr string, p *peer.Process) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case <-p.Exited():
			b.Fatalf("exited before listening:\n%s", p.Output())
		case <-time.After(100 * time.Millisecond):
		}
	}
	b.Fatalf("not listening on %s after a minute:\n%s", addr, strings.TrimSpace(p.Output()))
}
