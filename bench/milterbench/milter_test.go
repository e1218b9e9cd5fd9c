package milterbench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/milter/postfixtest"
)

// The load of every case, as the issue sets it.
const (
	Messages = 2000
	Sessions = 10
)

var sizes = []struct {
	name  string
	bytes int
}{{"10KB", 10 << 10}, {"100KB", 100 << 10}}

// milterCase starts one milter and returns its smtpd_milters value and the
// pid whose peak RSS is reported (0: none).
type milterCase struct {
	name  string
	start func(b *testing.B) (socket string, pid int)
}

var cases = []milterCase{
	{"postfix", func(*testing.B) (string, int) { return "", 0 }},
	{"null", startNull},
	{"rspamd", startRspamd},
	{"mailgw", startMailgw},
}

// BenchmarkMilter runs every case once per size; -benchtime=1x is expected
// (b.N only repeats the whole load).
func BenchmarkMilter(b *testing.B) {
	for _, size := range sizes {
		for _, c := range cases {
			b.Run(c.name+"/"+size.name, func(b *testing.B) {
				socket, pid := c.start(b)
				pf := postfixtest.Start(b, postfixtest.Options{Milter: socket, RelayHost: "127.0.0.1:9", Main: discardAll})
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					load(b, pf, size.bytes)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(Messages*b.N)/elapsed.Seconds(), "msgs/s")
				if pid != 0 {
					b.ReportMetric(float64(peakRSS(b, pid))/1024, "rss-MB")
				}
			})
		}
	}
}

// discardAll makes Postfix accept and drop every message: the receiving
// path (smtpd, cleanup with the milter, queue file) is what is compared.
var discardAll = []string{
	"default_transport = discard", "relay_transport = discard",
	"smtpd_client_connection_count_limit = 0", "smtpd_client_message_rate_limit = 0",
	"default_process_limit = 100",
	"milter_default_action = tempfail",
}

// load runs smtp-source and fails when any message was not accepted.
func load(b *testing.B, pf *postfixtest.Postfix, size int) {
	b.Helper()
	src := peer.Binary(b, "", "/usr/sbin/smtp-source", "apt-get install postfix")
	cmd := exec.Command(src, "-d", "-s", strconv.Itoa(Sessions), "-m", strconv.Itoa(Messages), "-l", strconv.Itoa(size),
		"-f", "alice@example.org", "-t", "bob@example.com", "-M", "client.test", pf.SMTPAddr)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		b.Fatalf("smtp-source: %v\n%s\nPostfix log:\n%s", err, out, tail(pf.Log(), 40))
	}
	if n := strings.Count(pf.Log(), "milter-reject"); n > 0 {
		b.Fatalf("%d messages refused by the milter:\n%s", n, tail(pf.Log(), 40))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// peakRSS is the VmHWM of pid and its children, in KiB.
func peakRSS(b *testing.B, pid int) int {
	b.Helper()
	total := 0
	for _, p := range append([]int{pid}, children(pid)...) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				n, _ := strconv.Atoi(f[1])
				total += n
			}
		}
	}
	return total
}

func children(pid int) []int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(append(out, n), children(n)...)
		}
	}
	return out
}

// repoRoot is the module root, for building the daemon.
func repoRoot() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..")
}
