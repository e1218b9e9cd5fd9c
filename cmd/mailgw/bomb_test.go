package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av/extract/bombtest"
)

// bombChildEnv names the message file the child process scans.
const bombChildEnv = "MAILGW_BOMB_CHILD"

// TestMain runs the child of TestBombResources when bombChildEnv is set:
// it scans one file with the embedded default configuration, as
// `mailgw scan --json FILE` would, in a process of its own so that its
// peak RSS is its own.
func TestMain(m *testing.M) {
	if path := os.Getenv(bombChildEnv); path != "" {
		os.Exit(run([]string{"scan", "--json", path}, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBombResources: a message of about 12 KB carrying a nested zip that
// expands to 4 GiB, and a 42.zip-like one (16^4 copies of 4 GiB), go
// through the whole core on the default configuration with a peak RSS
// under 256 MB, in seconds, and the attachment is not reported clean.
func TestBombResources(t *testing.T) {
	for _, tc := range []struct {
		name    string
		copies  []int
		maxSize int
	}{
		{"zip in a zip, 4 GiB", []int{1, 1}, 16 << 10},
		{"42.zip-like", []int{1, 16, 16, 16, 16}, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) { testBombResources(t, tc.copies, tc.maxSize) })
	}
}

func testBombResources(t *testing.T, copies []int, maxSize int) {
	msg := bombtest.Message(bombtest.Nested(t, copies...))
	if len(msg) > maxSize {
		t.Fatalf("bomb message is %d bytes, want at most %d", len(msg), maxSize)
	}
	path := filepath.Join(t.TempDir(), "bomb.eml")
	if err := os.WriteFile(path, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), bombChildEnv+"="+path)
	start := time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	t.Logf("message %d bytes: scanned in %v, peak RSS %.1f MiB", len(msg), elapsed, float64(rss)/(1<<20))
	if rss >= 256<<20 {
		t.Errorf("peak RSS %d MiB, want under 256", rss>>20)
	}
	if elapsed > 30*time.Second {
		t.Errorf("scan took %v, want seconds", elapsed)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	var rep scanReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	att := rep.Groups[0].Objects[len(rep.Groups[0].Objects)-1]
	if att.Status != "suspicious" && att.Status != "error" {
		t.Errorf("bomb attachment %+v, want suspicious or error", att)
	}
}
