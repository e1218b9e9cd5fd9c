package milterbench

import (
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/bench/benchproc"
	"github.com/mailgw/mailgw/milter/postfixtest"
)

// milterCase starts one milter and returns its smtpd_milters value and the
// pid whose peak RSS is reported (0: none).
type milterCase struct {
	name  string
	start func(b *testing.B) (socket string, pid int)
}

var cases = []milterCase{
	{"postfix", func(*testing.B) (string, int) { return "", 0 }},
	{"rspamd", func(b *testing.B) (string, int) { return benchproc.StartRspamd(b) }},
	// null and mailgw back to back: their ratio is the target.
	{"null", startNull},
	{"mailgw", startMailgw},
}

// BenchmarkMilter runs every case once per size; -benchtime=1x is expected
// (b.N only repeats the whole load).
func BenchmarkMilter(b *testing.B) {
	for _, size := range benchproc.Sizes {
		for _, c := range cases {
			b.Run(c.name+"/"+size.Name, func(b *testing.B) {
				socket, pid := c.start(b)
				pf := postfixtest.Start(b, postfixtest.Options{Milter: socket, RelayHost: "127.0.0.1:9", Main: discardAll})
				load(b, pf, benchproc.WarmUp, size.Bytes)
				b.ResetTimer()
				cpu0 := cpuOf(pid)
				start := time.Now()
				for i := 0; i < b.N; i++ {
					load(b, pf, benchproc.Messages, size.Bytes)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(benchproc.Messages*b.N)/elapsed.Seconds(), "msgs/s")
				if pid != 0 {
					b.ReportMetric(float64(benchproc.PeakRSS(pid))/1024, "rss-MB")
					// The milter's own processor time per message; the
					// null milter runs inside this process and has none.
					cpu := cpuOf(pid) - cpu0
					b.ReportMetric(cpu.Seconds()*1000/float64(benchproc.Messages*b.N), "cpu-ms/msg")
				}
			})
		}
	}
}

// cpuOf is the processor time pid has used so far; 0 for no pid.
func cpuOf(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	return benchproc.CPUTime(pid)
}

// discardAll makes Postfix accept and drop every message: the receiving
// path (smtpd, cleanup with the milter, queue file) is what is compared.
var discardAll = []string{
	"default_transport = discard", "relay_transport = discard",
	"smtpd_client_connection_count_limit = 0", "smtpd_client_message_rate_limit = 0",
	"default_process_limit = 100",
	"milter_default_action = tempfail",
}

// load sends n messages and fails when any was not accepted or the
// milter refused any.
func load(b *testing.B, pf *postfixtest.Postfix, n, size int) {
	b.Helper()
	benchproc.Load(b, pf.SMTPAddr, n, size, pf.Log)
	if n := strings.Count(pf.Log(), "milter-reject"); n > 0 {
		b.Fatalf("%d messages refused by the milter:\n%s", n, benchproc.Tail(pf.Log(), 40))
	}
}
