// Package benchproc starts the programs the MTA benchmarks compare
// (mailgw's daemons built from this tree, Debian's rspamd) and measures
// their memory. The benchmark packages bench/milterbench and
// bench/relaybench share it; it is benchmark support, never used by the
// product.
package benchproc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
)

// The load of every MTA benchmark case, as the milter and relay issues
// set it: Messages messages of each of Sizes over Sessions SMTP sessions.
const (
	Messages = 2000
	Sessions = 10
	// WarmUp messages go through a case before it is timed: the MTA's
	// processes are spawned and a milter's files mapped and caches filled
	// first, so that the figures are of the steady state, for every case
	// alike.
	WarmUp = 200
)

// Size is one message size of the load.
type Size struct {
	Name  string // as it appears in benchmark names: "10KB"
	Bytes int
}

// Sizes are the message sizes every MTA benchmark runs.
var Sizes = []Size{{"10KB", 10 << 10}, {"100KB", 100 << 10}}

// Build compiles the main package pkg (relative to the module root, e.g.
// "./cmd/mailgw-relay") into a temporary directory and returns the binary.
func Build(b testing.TB, pkg string) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), filepath.Base(pkg))
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// repoRoot is the module root, for building the daemons.
func repoRoot() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..")
}

// Write creates path with text or fails the benchmark.
func Write(b testing.TB, path, text string) {
	b.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
}

// WaitListening waits until addr accepts connections, failing with the
// process's output if it exits or takes a minute (rspamd compiles its
// rules at start and can take that long on a loaded machine).
func WaitListening(b testing.TB, addr string, p *peer.Process) {
	b.Helper()
	p.WaitReady(b, "listening on "+addr, time.Minute, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}, func() string { return strings.TrimSpace(p.Output()) })
}

// PeakRSS is the VmHWM (peak resident set) of pid and its live
// descendants, summed, in KiB. For programs of several processes the sum
// counts shared pages once per process, so it is an upper bound.
func PeakRSS(pid int) int {
	total := 0
	for _, p := range append([]int{pid}, descendants(pid)...) {
		total += statusField(fmt.Sprintf("/proc/%d/status", p), "VmHWM:")
	}
	return total
}

// PSS is the proportional set size of pid and its live descendants,
// summed, in KiB: each shared page is divided among the processes that
// map it, so the sum is the memory the program's processes occupy
// together now. It suits programs of many processes (Postfix), whose
// summed VmHWM would count their shared libraries once per process.
func PSS(pid int) int {
	total := 0
	for _, p := range append([]int{pid}, descendants(pid)...) {
		total += statusField(fmt.Sprintf("/proc/%d/smaps_rollup", p), "Pss:")
	}
	return total
}

// statusField is the number after name in a /proc file of "Name: N kB"
// lines; 0 when the process has exited.
func statusField(path, name string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == name {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// clockTicks is the unit of the times in /proc/PID/stat (USER_HZ), 100
// on every Linux architecture Go supports.
const clockTicks = 100

// CPUTime is the processor time (user and system) used so far by pid and
// its live descendants, with the children each has waited for: what the
// program has cost the machine, whichever of its processes did the work.
func CPUTime(pid int) time.Duration {
	var ticks int64
	for _, p := range append([]int{pid}, descendants(pid)...) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue // exited meanwhile: its parent's cutime has it
		}
		// Fields after the command name, which may hold spaces: state is
		// field 3, utime, stime, cutime and cstime are fields 14 to 17.
		_, rest, ok := strings.Cut(string(data), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 15 {
			continue
		}
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

func descendants(pid int) []int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(append(out, n), descendants(n)...)
		}
	}
	return out
}

// Tail is the last n lines of s, for failure messages with a log.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Load runs Postfix's smtp-source against addr: messages messages with a
// body of size bytes from alice@example.org to bob@example.com, over
// Sessions parallel sessions that each send several messages (-d). It
// fails b, with the end of serverLog, unless every message got a 250
// (smtp-source then prints nothing).
func Load(b testing.TB, addr string, messages, size int, serverLog func() string) {
	b.Helper()
	src := peer.Binary(b, "", "/usr/sbin/smtp-source", "apt-get install postfix")
	cmd := exec.Command(src, "-d", "-s", strconv.Itoa(Sessions), "-m", strconv.Itoa(messages), "-l", strconv.Itoa(size),
		"-f", "alice@example.org", "-t", "bob@example.com", "-M", "client.test", addr)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		b.Fatalf("smtp-source: %v\n%s\nserver log:\n%s", err, out, Tail(serverLog(), 40))
	}
}
