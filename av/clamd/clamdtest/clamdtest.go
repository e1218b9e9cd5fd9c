// Package clamdtest starts a real clamd for tests, with a signature
// database built at run time: no virus, test virus or signature file sits
// in the source tree.
//
// The database holds two signatures:
//   - EICARSignature, a body signature (.ndb) for the EICAR test file;
//   - BlobSignature, an MD5 hash signature (.hdb) for Blob, harmless bytes
//     that only this database calls infected.
//
// ClamAV 1.x starts with such a custom database alone (no main or daily
// .cvd) and names its matches with the suffix ".UNOFFICIAL".
package clamdtest

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
)

// Names clamd reports for the test database's signatures.
const (
	EICARSignature = "Mailgw.Test.EICAR.UNOFFICIAL"
	BlobSignature  = "Mailgw.Test.Blob.UNOFFICIAL"
)

// DefaultBinary is where Debian's clamav-daemon installs clamd.
const DefaultBinary = "/usr/sbin/clamd"

// EICAR returns the EICAR anti-virus test file, assembled from two pieces
// so that the complete string never appears in the tree.
func EICAR() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*")
}

// Blob returns 4 KiB of deterministic bytes that the test database
// detects by their MD5 as BlobSignature.
func Blob() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 4096; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "mailgw clamdtest blob %d", i))
		b.Write(sum[:])
	}
	return b.Bytes()
}

// Options configure Start.
type Options struct {
	// StreamMaxLength is clamd's INSTREAM limit in bytes; 0: 1 MiB, small
	// so that tests can exceed it cheaply.
	StreamMaxLength int64
	// MaxThreads is clamd's worker count; 0: clamd's default (10).
	MaxThreads int
	// Binary is the clamd executable; "": DefaultBinary, else $PATH.
	Binary string
	// Extra lines appended to clamd.conf.
	Extra []string
	// Databases are more signature files (name → content) written into
	// the database directory beside the two test signatures.
	Databases map[string]string
}

// Server is a running clamd.
type Server struct {
	Unix string // Unix socket path
	TCP  string // 127.0.0.1:port
	Dir  string // configuration, database, log and temporary files

	proc *peer.Process
}

// DatabaseDir is the directory clamd loaded its signatures from.
func (s *Server) DatabaseDir() string { return filepath.Join(s.Dir, "db") }

// Pid is clamd's process id, to read its memory use.
func (s *Server) Pid() int { return s.proc.Pid() }

// Addrs returns the server's addresses in clamd.Options.Addrs form, Unix
// socket first.
func (s *Server) Addrs() []string { return []string{"unix:" + s.Unix, "tcp:" + s.TCP} }

// Start writes a configuration and database into fresh temporary
// directories, starts clamd in the foreground and waits until it answers
// PING. clamd is stopped when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := peer.Binary(t, opts.Binary, DefaultBinary, "install clamav-daemon")
	// Unix socket paths are limited to 108 bytes: keep it out of
	// t.TempDir, whose name grows with the test's.
	sockDir, err := os.MkdirTemp("", "clamd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	s := &Server{Unix: filepath.Join(sockDir, "clamd.sock"), TCP: peer.FreePort(t), Dir: t.TempDir()}
	writeDatabase(t, filepath.Join(s.Dir, "db"))
	for name, text := range opts.Databases {
		if err := os.WriteFile(filepath.Join(s.Dir, "db", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(s.Dir, "clamd.conf")
	if err := os.WriteFile(conf, []byte(s.config(opts)), 0o644); err != nil {
		t.Fatal(err)
	}
	s.proc = peer.Start(t, bin, "--foreground", "--config-file="+conf)
	s.proc.WaitReady(t, "clamdtest: clamd", 30*time.Second, func() error { return ping(s.Unix) }, s.Log)
	return s
}

// writeDatabase writes the two test signatures: .ndb lines are
// Name:TargetType:Offset:HexSignature, .hdb lines MD5:Size:Name
// (ClamAV "Creating signatures", body-based and hash-based signatures).
func writeDatabase(t testing.TB, dir string) {
	t.Helper()
	blob := Blob()
	sum := md5.Sum(blob)
	files := map[string]string{
		"mailgw-test.ndb": fmt.Sprintf("%s:0:*:%s\n", strings.TrimSuffix(EICARSignature, ".UNOFFICIAL"), hex.EncodeToString(EICAR())),
		"mailgw-test.hdb": fmt.Sprintf("%s:%d:%s\n", hex.EncodeToString(sum[:]), len(blob), strings.TrimSuffix(BlobSignature, ".UNOFFICIAL")),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// config is the clamd.conf: foreground, both sockets, the test database,
// everything else in s.Dir. No User line: clamd keeps the test's user.
func (s *Server) config(opts Options) string {
	host, port, _ := net.SplitHostPort(s.TCP)
	lines := []string{
		"Foreground yes",
		"LocalSocket " + s.Unix,
		"TCPAddr " + host,
		"TCPSocket " + port,
		"DatabaseDirectory " + filepath.Join(s.Dir, "db"),
		"TemporaryDirectory " + s.Dir,
		"LogFile " + filepath.Join(s.Dir, "clamd.log"),
		fmt.Sprintf("StreamMaxLength %d", cmp.Or(opts.StreamMaxLength, 1<<20)),
	}
	if opts.MaxThreads > 0 {
		lines = append(lines, fmt.Sprintf("MaxThreads %d", opts.MaxThreads))
	}
	lines = append(lines, opts.Extra...)
	return strings.Join(lines, "\n") + "\n"
}

func ping(path string) error {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, _ := conn.Read(buf)
	if string(buf[:n]) != "PONG\x00" {
		return fmt.Errorf("PING answered %q", buf[:n])
	}
	return nil
}

// Stop ends clamd and waits for it. It may be called more than once;
// tests call it to simulate an outage.
func (s *Server) Stop() { s.proc.Stop() }

// Log returns clamd's output and log file so far, for failure messages.
func (s *Server) Log() string {
	file, _ := os.ReadFile(filepath.Join(s.Dir, "clamd.log"))
	return s.proc.Output() + string(file)
}
