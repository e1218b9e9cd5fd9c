// Package pyzortest runs a real pyzord (Debian's pyzor package) on
// 127.0.0.1 for the tests of the Pyzor digest check, and drives the
// reference client /usr/bin/pyzor against it. It does not import package
// pyzor, whose own tests use it. Test support only.
package pyzortest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
)

const hint = "install Debian's pyzor and python3-gdbm"

// Server is a running pyzord with an empty gdbm digest database.
type Server struct {
	Addr string // 127.0.0.1:port, UDP
	home string // client home of /usr/bin/pyzor: its servers file names Addr
	proc *peer.Process
}

// Stop ends pyzord before the test does, to simulate an outage.
func (s *Server) Stop() { s.proc.Stop() }

// Start runs pyzord until the test ends. Its access file lets the
// anonymous user do everything, whitelisting included (the default ACL
// does not allow it); with users, pyzord also knows each "name key" pair
// and checks their signatures.
func Start(t testing.TB, users ...[2]string) *Server {
	t.Helper()
	bin := peer.Binary(t, "", "/usr/bin/pyzord", hint)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "pyzord.access"), "all : anonymous : allow\n")
	if len(users) > 0 {
		var passwd, names []string
		for _, u := range users {
			passwd = append(passwd, u[0]+" : "+u[1])
			names = append(names, u[0])
		}
		write(t, filepath.Join(dir, "pyzord.passwd"), strings.Join(passwd, "\n")+"\n")
		write(t, filepath.Join(dir, "pyzord.access"), "all : anonymous "+strings.Join(names, " ")+" : allow\n")
	}
	port := freeUDPPort(t)
	p := peer.Start(t, bin, "--homedir", dir, "-a", "127.0.0.1", "-p", port,
		"-e", "gdbm", "--dsn", filepath.Join(dir, "digests.db"))
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", port), home: filepath.Join(dir, "client"), proc: p}
	write(t, filepath.Join(s.home, "servers"), s.Addr+"\n")
	p.WaitReady(t, "pyzord", 20*time.Second, func() error { return Ping(s.Addr) }, p.Output)
	return s
}

// Ping sends pyzor's ping request and wants a reply with Code 200: a
// probe for readiness written independently of package pyzor.
func Ping(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	req := fmt.Sprintf("Op: ping\nThread: 4242\nPV: 2.1\nUser: anonymous\nTime: %d\nSig: 0\n\n", time.Now().Unix())
	if _, err := c.Write([]byte(req)); err != nil {
		return err
	}
	buf := make([]byte, 1024)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(buf[:n], []byte("Code: 200\n")) {
		return fmt.Errorf("ping reply %q", buf[:n])
	}
	return nil
}

// Pyzor runs the reference client with command (digest, check, report,
// whitelist) on the message msg and returns its output, trimmed.
func (s *Server) Pyzor(t testing.TB, command string, msg []byte) string {
	t.Helper()
	return RunPyzor(t, s.home, command, msg)
}

// RunPyzor runs /usr/bin/pyzor with the client home dir (servers file)
// and returns its trimmed output; a failure fails the test.
func RunPyzor(t testing.TB, home, command string, msg []byte) string {
	t.Helper()
	bin := peer.Binary(t, "", "/usr/bin/pyzor", hint)
	if home == "" {
		home = t.TempDir()
	}
	cmd := exec.Command(bin, "--homedir", home, "-s", "msg", command)
	cmd.Stdin = bytes.NewReader(msg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && command != "check" { // check exits 1 for an unlisted digest
		t.Fatalf("pyzor %s: %v\n%s", command, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func freeUDPPort(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	return port
}

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FreeAddr is a loopback UDP address where nothing listens: requests to
// it are refused.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", freeUDPPort(t))
}
