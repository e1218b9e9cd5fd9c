package quarantine

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/mailgw/mailgw/internal/golden"

	"github.com/mailgw/mailgw/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	cliZone = time.FixedZone("", 3*3600)
	cliNow  = time.Date(2024, 5, 31, 12, 0, 0, 0, time.UTC)
)

// The fixture's messages, in listing order.
const (
	idError      = "jFDpg4Hc04120"
	idSuspicious = "jFDpgGKo70777"
	idIncoming   = "20240501T120000000000-abcdefghjk"
)

// fixture makes a store with three messages, written by hand so that the
// IDs, and so the golden output, are fixed.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	arrival := time.Date(2007, 12, 12, 15, 13, 51, 0, cliZone)
	for _, m := range []Meta{
		{ID: idSuspicious, Status: "av/suspicious", Arrival: arrival, ClientIP: netip.MustParseAddr("10.0.0.1"),
			Sender: "test@example.com", Recipients: []string{"test2@example.com"}, Group: "default",
			Reasons: []string{"av/suspicious", "Heuristic.Exe"}, QueueID: "4Xyz1"},
		{ID: idError, Status: "av/error", Arrival: arrival, ClientIP: netip.MustParseAddr("2001:db8::25"),
			Sender: "test@example.com", Recipients: []string{"test2@example.com", "test3@example.com"}},
		{ID: idIncoming, Status: "incoming", Arrival: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
			Sender: "", Recipients: []string{"\x1b[31mevil@example.com", "b@example.org"}},
	} {
		writeByHand(t, dir, m, sample)
	}
	return dir
}

func testTool() Tool {
	return Tool{Location: cliZone, Now: func() time.Time { return cliNow }}
}

func runTool(t *testing.T, tool Tool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = tool.Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), []byte(got), *update)
}

func listed(t *testing.T, dir string) []string {
	t.Helper()
	metas, err := openStore(t, dir, Options{}).List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return ids(metas)
}

func TestCLIGolden(t *testing.T) {
	dir := fixture(t)
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"show-all.golden", []string{"--show-all"}},
		{"show.golden", []string{"--show", idSuspicious}},
		{"show-incoming.golden", []string{"--show=" + idIncoming}},
		{"help.golden", []string{"--help"}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			code, out, errOut := runTool(t, testTool(), append(tt.args, "--archive-path="+dir)...)
			if code != ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, tt.golden, out)
		})
	}
}

// TestCLI runs every action on a fresh fixture and checks the exit code,
// the output and what is left in the store.
func TestCLI(t *testing.T) {
	all := []string{idError, idSuspicious, idIncoming}
	tests := []struct {
		name      string
		args      []string // --archive-path is added unless noStore
		noStore   bool
		sink      func(*sink) // a next hop is started and --release-host given
		code      int
		stdout    string // substring
		stderr    string // substring
		left      []string
		delivered int
	}{
		{name: "show unknown", args: []string{"--show", "nosuch"}, code: ExitNotDone, stderr: "no such message", left: all},
		{name: "show invalid", args: []string{"--show", "../etc/passwd"}, code: ExitUsage, stderr: "invalid message ID", left: all},
		{name: "remove -d", args: []string{"-d", idError}, stdout: "Removed " + idError, left: all[1:]},
		{name: "remove --remove-id=", args: []string{"--remove-id=" + idIncoming}, left: all[:2]},
		{name: "remove unknown", args: []string{"-d", "nosuch"}, code: ExitNotDone, left: all},
		{name: "remove all -r", args: []string{"-r"}, stdout: "Removed: 3 of 3 messages, 270 bytes"},
		{name: "remove all --remove-all", args: []string{"--remove-all"}},
		{name: "send -o", args: []string{"-o", idSuspicious}, sink: func(*sink) {},
			stdout: "Sent " + idSuspicious, left: []string{idError, idIncoming}, delivered: 1},
		{name: "send --send-id=", args: []string{"--send-id=" + idSuspicious}, sink: func(*sink) {},
			left: []string{idError, idIncoming}, delivered: 1},
		{name: "send unknown", args: []string{"-o", "nosuch"}, sink: func(*sink) {}, code: ExitNotDone, left: all},
		{name: "send refused", args: []string{"-o", idSuspicious}, sink: func(s *sink) { s.refuseRcpt = "test2@example.com" },
			code: ExitNotDone, stderr: "not delivered, kept in the store", left: all},
		{name: "send unreachable", args: []string{"-o", idSuspicious, "--release-host=127.0.0.1:1"},
			code: ExitNotDone, stderr: "not delivered", left: all},
		// The sink refuses the recipient with an escape character (501), so
		// the incoming message stays.
		{name: "send all -a", args: []string{"-a"}, sink: func(*sink) {}, code: ExitNotDone,
			stdout: "Sent: 2 of 3 messages", stderr: "SMTP error 501", left: []string{idIncoming}, delivered: 2},
		{name: "send all, all refused", args: []string{"--send-all"}, sink: func(s *sink) { s.refuseRcpt = "test2@example.com" },
			code: ExitNotDone, stdout: "Sent: 0 of 3 messages", left: all},
		{name: "send, bad release host", args: []string{"-o", idError, "--release-host=nohost"}, code: ExitUsage,
			stderr: "release host", left: all},
		{name: "send, host and queue", args: []string{"-o", idError, "--release-host=127.0.0.1:25", "--release-queue=/q"}, code: ExitUsage,
			stderr: "not both", left: all},
		{name: "send, queue unsupported", args: []string{"-o", idError, "--release-queue=/q"}, code: ExitUsage,
			stderr: "not supported by this program", left: all},
		{name: "send, bad helo", args: []string{"-o", idError, "--helo=bad name"}, code: ExitUsage, stderr: "EHLO name", left: all},
		{name: "purge days", args: []string{"--purge-older-than=30d"}, stdout: "Purged: 2 messages", left: []string{idIncoming}},
		{name: "purge duration", args: []string{"--purge-older-than", "719h"}, left: nil},
		{name: "purge nothing", args: []string{"--purge-older-than=10000d"}, stdout: "Purged: 0 messages", left: all},
		{name: "purge bad age", args: []string{"--purge-older-than=soon"}, code: ExitUsage, stderr: "positive age", left: all},
		{name: "purge zero", args: []string{"--purge-older-than=0d"}, code: ExitUsage, left: all},
		{name: "purge negative", args: []string{"--purge-older-than=-5h"}, code: ExitUsage, left: all},
		{name: "no action", args: nil, code: ExitUsage, stderr: "no action given", left: all},
		{name: "two actions", args: []string{"--show-all", "-r"}, code: ExitUsage, stderr: "give one action", left: all},
		{name: "no archive path", args: []string{"--show-all"}, noStore: true, code: ExitUsage, stderr: "--archive-path is required"},
		{name: "missing directory", args: []string{"--show-all", "--archive-path=/nonexistent/store"}, noStore: true,
			code: ExitNoStore, stderr: "/nonexistent/store"},
		{name: "unknown flag", args: []string{"--show-all", "--frobnicate"}, code: ExitUsage, stderr: "unknown flag", left: all},
		{name: "stray argument", args: []string{"--show-all", "extra"}, code: ExitUsage, stderr: `unexpected argument "extra"`, left: all},
		{name: "out without export", args: []string{"--show-all", "--out=x"}, code: ExitUsage, stderr: "--out goes with --export", left: all},
		{name: "config without loader", args: []string{"--show-all", "--config=/etc/mailgw.conf"}, code: ExitUsage,
			stderr: "--release-host", left: all},
		{name: "bad host ignored when not sending", args: []string{"--show-all", "--release-host=x"}, stdout: "Total: 3", left: all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			args := slices.Clone(tt.args)
			if !tt.noStore {
				args = append(args, "--archive-path="+dir)
			}
			var s *sink
			if tt.sink != nil {
				s = startSink(t, tt.sink)
				args = append(args, "--release-host="+s.Addr)
			}
			code, out, errOut := runTool(t, testTool(), args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q lacks %q", out, tt.stdout)
			}
			if !strings.Contains(errOut, tt.stderr) || (tt.code == ExitOK && errOut != "") {
				t.Errorf("stderr %q, want %q", errOut, tt.stderr)
			}
			if !tt.noStore {
				if got := listed(t, dir); !slices.Equal(got, tt.left) {
					t.Errorf("store holds %v, want %v", got, tt.left)
				}
			}
			if s != nil && len(s.received()) != tt.delivered {
				t.Errorf("next hop received %d messages, want %d", len(s.received()), tt.delivered)
			}
		})
	}
}

func TestCLISendTwice(t *testing.T) {
	dir := fixture(t)
	s := startSink(t, nil)
	args := []string{"--archive-path=" + dir, "--send-id=" + idError, "--release-host=" + s.Addr, "--helo=gw.example.com"}
	if code, _, errOut := runTool(t, testTool(), args...); code != ExitOK {
		t.Fatalf("first send: exit %d: %s", code, errOut)
	}
	code, _, errOut := runTool(t, testTool(), args...)
	if code != ExitNotDone || !strings.Contains(errOut, "already sent") {
		t.Fatalf("second send: exit %d, stderr %q; want 4, already sent", code, errOut)
	}
	if n := len(s.received()); n != 1 {
		t.Fatalf("next hop received %d messages", n)
	}
}

func TestCLIExport(t *testing.T) {
	dir := fixture(t)
	t.Chdir(t.TempDir())
	base := []string{"--archive-path=" + dir, "--export", idSuspicious}

	code, out, errOut := runTool(t, testTool(), base...)
	if code != ExitOK || !strings.Contains(out, "Exported "+idSuspicious+" to "+idSuspicious+".eml") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if got := readFile(t, idSuspicious+".eml"); got != sample {
		t.Errorf("exported %q", got)
	}
	if fi, _ := os.Stat(idSuspicious + ".eml"); fi.Mode().Perm() != 0o600 {
		t.Errorf("exported file has mode %v", fi.Mode().Perm())
	}
	if code, _, errOut := runTool(t, testTool(), base...); code != ExitNotDone || !strings.Contains(errOut, "not overwritten") {
		t.Errorf("export over an existing file: exit %d, %q", code, errOut)
	}
	if code, _, _ := runTool(t, testTool(), append(base, "--out", "copy.eml")...); code != ExitOK || readFile(t, "copy.eml") != sample {
		t.Errorf("--out: exit %d", code)
	}
	code, out, _ = runTool(t, testTool(), append(base, "--out=-")...)
	if code != ExitOK || out != sample {
		t.Errorf("--out=-: exit %d, stdout %q", code, out)
	}
	if code, _, _ := runTool(t, testTool(), "--archive-path="+dir, "--export", "nosuch"); code != ExitNotDone {
		t.Errorf("export unknown: exit %d", code)
	}
	if got := listed(t, dir); len(got) != 3 {
		t.Errorf("export changed the store: %v", got)
	}
}

// TestCLIWarnings: damaged files and claimed messages are reported on
// stderr without hiding the rest.
func TestCLIWarnings(t *testing.T) {
	dir := fixture(t)
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	sending := filepath.Join(dir, idError+extSending)
	if err := os.Rename(filepath.Join(dir, idError+extJSON), sending); err != nil {
		t.Fatal(err)
	}
	old := cliNow.Add(-time.Hour)
	if err := os.Chtimes(sending, old, old); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runTool(t, testTool(), "--archive-path="+dir, "--show-all")
	if code != ExitOK || !strings.Contains(out, "Total: 2 archived messages") {
		t.Fatalf("exit %d, stdout:\n%s", code, out)
	}
	for _, want := range []string{"warning: damaged message file " + filepath.Join(dir, "broken.json"),
		"note: " + idError + " claimed for sending and never finished"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	code, _, errOut = runTool(t, testTool(), "--archive-path="+dir, "-o", idError, "--release-host=127.0.0.1:1")
	if code != ExitNotDone || !strings.Contains(errOut, "never finished") {
		t.Errorf("send of a stale claim: exit %d, %q", code, errOut)
	}
}

func TestCLIUnreadableStore(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory")
	}
	dir := fixture(t)
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if code, _, _ := runTool(t, testTool(), "--archive-path="+dir, "--show-all"); code != ExitNoStore {
		t.Errorf("exit %d, want %d", code, ExitNoStore)
	}
}

// TestCLIConfig: with a loader, --config supplies the release settings and
// the flags still win.
func TestCLIConfig(t *testing.T) {
	dir := fixture(t)
	s := startSink(t, nil)
	conf := filepath.Join(t.TempDir(), "mailgw.conf")
	if err := os.WriteFile(conf, []byte("[mailgw.quarantine]\nReleaseHost="+s.Addr+"\nReleaseHelo=gw.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tool := testTool()
	tool.LoadConfig = func(path string) (Settings, error) {
		c, err := config.Load(path, Schema(), config.Options{})
		if err != nil {
			return Settings{}, err
		}
		set, errs := FromConfig(c)
		return set, errs.Err()
	}
	if code, _, errOut := runTool(t, tool, "--archive-path="+dir, "--config", conf, "-o", idError); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := len(s.received()); n != 1 {
		t.Fatalf("next hop of the configuration received %d messages", n)
	}
	if code, _, _ := runTool(t, tool, "--archive-path="+dir, "--config", conf, "-o", idSuspicious, "--release-host=127.0.0.1:1"); code != ExitNotDone {
		t.Errorf("--release-host did not override the configuration: exit %d", code)
	}
	if code, _, errOut := runTool(t, tool, "--archive-path="+dir, "--config", conf+".missing", "--show-all"); code != ExitUsage || !strings.Contains(errOut, "cannot read") {
		t.Errorf("missing configuration: exit %d, %q", code, errOut)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{ErrInvalidID, ExitUsage},
		{ErrNoStore, ExitNoStore},
		{ErrNotFound, ExitNotDone},
		{ErrClaimed, ExitNotDone},
		{ErrAlreadySent, ExitNotDone},
		{ErrNotDelivered, ExitNotDone},
		{ErrOutcomeUnknown, ExitSystem},
		{ErrDamaged, ExitSystem},
		{errors.New("disk on fire"), ExitSystem},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if worse(ExitNotDone, ExitSystem) != ExitSystem || worse(ExitSystem, ExitNotDone) != ExitSystem || worse(ExitOK, ExitNotDone) != ExitNotDone {
		t.Error("worse does not put system errors over actions not performed")
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain@example.com", "plain@example.com"},
		{"tab\there", "tab\there"},
		{"esc\x1b[31m", `esc\x1b[31m`},
		{"line\r\nforged", `line\x0d\x0aforged`},
		{"del\x7f", `del\x7f`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"real \uFFFD kept", "real \uFFFD kept"},
		{"c1\u0085", `c1\u0085`},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"müller@example.de", "müller@example.de"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"1d", 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"0d", 0, false},
		{"0", 0, false},
		{"-1h", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"36501d", 0, false},
		{"1d12h", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseAge(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"30d", "12h", "-5d", "99999999999999999999d", "1h1m1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseAge(s); err == nil && d <= 0 {
			t.Fatalf("ParseAge(%q) = %v, accepted a non-positive age", s, d)
		}
	})
}
