// Package icaptest starts a real c-icap server for tests, with the
// virus_scan service backed by a clamd (see package clamdtest).
//
// virus_scan reaches its engine through a module: clamav_mod.so links
// libclamav and loads a database itself; clamd_mod.so hands each object to
// a running clamd with SCAN and a temporary file. clamd_mod is used here:
// it shares the clamd, and the test database, of clamdtest. clamd_mod
// connects to clamd when c-icap starts, so start clamd first; clamd must be
// able to read c-icap's TmpDir (same user, as in tests).
package icaptest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
)

// Services the configuration offers, as URL paths for Server.URL. c-icap
// takes service arguments from the request URI's query.
const (
	// Service is virus_scan as c-icap's Debian configuration names it. Its
	// default mode streams large objects back while they are scanned: when
	// it then finds a virus it can only cut the body short, and names
	// nothing. Objects over MaxObjectSize pass unscanned.
	Service = "srv_clamav"
	// SimpleService is virus_scan as a mail gateway should use it: simple
	// mode scans the whole object before answering, so a virus is always
	// named, and no size limit lets a large object through unscanned.
	SimpleService = "srv_clamav?mode=simple&sizelimit=off"
	// EchoService is SimpleService told never to answer 204: clean
	// objects come back whole, with 200.
	EchoService = SimpleService + "&allow204=off"
)

// DefaultBinary is where Debian's c-icap package installs the server.
const DefaultBinary = "/usr/bin/c-icap"

// Options configure Start.
type Options struct {
	// ClamdSocket is the Unix socket of the clamd virus_scan uses
	// (clamdtest.Server.Unix). Required.
	ClamdSocket string
	// MaxObjectSize is virus_scan.MaxObjectSize, e.g. "5M"; "": 5M.
	// Larger objects pass unscanned unless the service is asked with
	// sizelimit=off.
	MaxObjectSize string
	// Binary is the c-icap executable; "": DefaultBinary, else $PATH.
	Binary string
	// Extra lines appended to c-icap.conf.
	Extra []string
}

// Server is a running c-icap.
type Server struct {
	Addr string // 127.0.0.1:port
	Dir  string // configuration, logs and temporary files

	proc *peer.Process
}

// URL returns the icap:// URL of service.
func (s *Server) URL(service string) string { return "icap://" + s.Addr + "/" + service }

// Start writes a configuration, starts c-icap in the foreground and waits
// until it answers OPTIONS. It is stopped when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.ClamdSocket == "" {
		t.Fatal("icaptest: Options.ClamdSocket is required")
	}
	bin := peer.Binary(t, opts.Binary, DefaultBinary, "install c-icap and libc-icap-mod-virus-scan")
	modules := modulesDir(t)
	s := &Server{Addr: peer.FreePort(t), Dir: t.TempDir()}
	conf := filepath.Join(s.Dir, "c-icap.conf")
	if err := os.WriteFile(conf, []byte(s.config(opts, modules)), 0o644); err != nil {
		t.Fatal(err)
	}
	// -N: no daemon, -D: messages to stdout, -f: this configuration. c-icap
	// forks its servers; peer stops the whole process group.
	s.proc = peer.Start(t, bin, "-N", "-D", "-f", conf)
	s.proc.WaitReady(t, "icaptest: c-icap", 30*time.Second, s.probe, s.Log)
	return s
}

// modulesDir finds c-icap's service and module directory, which Debian
// puts under the multiarch library directory.
func modulesDir(t testing.TB) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/*/c_icap/virus_scan.so")
	if len(found) == 0 {
		found, _ = filepath.Glob("/usr/lib*/c_icap/virus_scan.so")
	}
	if len(found) == 0 {
		t.Fatal("icaptest: virus_scan.so not found: install libc-icap-mod-virus-scan")
	}
	return filepath.Dir(found[0])
}

// config is the c-icap.conf. Order matters: the virus_scan service must be
// loaded before clamd_mod, which registers itself as one of its engines.
// No User or Group: c-icap keeps the test's user.
func (s *Server) config(opts Options, modules string) string {
	size := opts.MaxObjectSize
	if size == "" {
		size = "5M"
	}
	lines := []string{
		"PidFile " + filepath.Join(s.Dir, "c-icap.pid"),
		"CommandsSocket " + filepath.Join(s.Dir, "c-icap.ctl"),
		"Port " + s.Addr,
		"Timeout 30",
		"StartServers 1", "MaxServers 1", "ThreadsPerChild 20", "MinSpareThreads 2", "MaxSpareThreads 20",
		"TmpDir " + s.Dir,
		"ModulesDir " + modules,
		"ServicesDir " + modules,
		"TemplateDir /usr/share/c_icap/templates/",
		"TemplateDefaultLanguage en",
		"LoadMagicFile /etc/c-icap/c-icap.magic",
		"ServerLog " + filepath.Join(s.Dir, "server.log"),
		"AccessLog " + filepath.Join(s.Dir, "access.log"),
		"DebugLevel 1",
		"Service antivirus_module virus_scan.so",
		"ServiceAlias " + Service + " virus_scan",
		"virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GRAPHICS STREAM DOCUMENT",
		"virus_scan.SendPercentData 0",
		"virus_scan.MaxObjectSize " + size,
		"Module common clamd_mod.so",
		"clamd_mod.ClamdSocket " + opts.ClamdSocket,
	}
	lines = append(lines, opts.Extra...)
	return strings.Join(lines, "\n") + "\n"
}

// probe sends a bare OPTIONS (RFC 3507 section 4.10.1) and wants 200.
func (s *Server) probe() error {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(conn, "OPTIONS %s ICAP/1.0\r\nHost: %s\r\nConnection: close\r\nEncapsulated: null-body=0\r\n\r\n",
		s.URL(Service), s.Addr)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(line, "ICAP/1.0 200") {
		return fmt.Errorf("OPTIONS answered %q (%v)", line, err)
	}
	return nil
}

// Stop ends c-icap and its child servers (SIGTERM to the process group,
// SIGKILL after 5 s). It may be called more than once.
func (s *Server) Stop() { s.proc.Stop() }

// Log returns c-icap's output and server log so far.
func (s *Server) Log() string {
	file, _ := os.ReadFile(filepath.Join(s.Dir, "server.log"))
	return s.proc.Output() + string(file)
}
