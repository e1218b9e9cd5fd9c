package relaybench

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgw/mailgw/bench/benchproc"
	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/milter/postfixtest"
)

// deliveryLimit bounds the wait for the sink; far above any case's time.
const deliveryLimit = 10 * time.Minute

// running is one started relay: where the load goes and its memory
// figures by metric unit, read after the load.
type running struct {
	addr string
	mem  map[string]func() int // unit -> KiB
	// cpu is the processor time the relay's processes have used so far:
	// a cost figure that other jobs on a shared machine disturb far
	// less than messages/s.
	cpu func() time.Duration
	log func() string
}

// peakRSS is one process's peak (VmHWM); treePSS the shared-aware sum over
// Postfix's (or rspamd's) many processes at the end of the load, when
// every daemon the load started is still running (max_idle is 100 s).
func peakRSS(pid int) func() int { return func() int { return benchproc.PeakRSS(pid) } }
func treePSS(pid int) func() int { return func() int { return benchproc.PSS(pid) } }

// cpuOf is the CPU time of the process trees of pids together.
func cpuOf(pids ...int) func() time.Duration {
	return func() time.Duration {
		var t time.Duration
		for _, p := range pids {
			t += benchproc.CPUTime(p)
		}
		return t
	}
}

type relayCase struct {
	name  string
	start func(b *testing.B, sink string) running
}

var cases = []relayCase{
	{"postfix", startPostfix},
	{"rspamd", startPostfixRspamd},
	{"mailgw", startMailgw},
}

// BenchmarkRelay runs every case once per size; -benchtime=1x is expected
// (b.N only repeats the whole load).
func BenchmarkRelay(b *testing.B) {
	for _, size := range benchproc.Sizes {
		for _, c := range cases {
			b.Run(c.name+"/"+size.Name, func(b *testing.B) {
				sink := postfixtest.StartCountingSink(b, nil)
				r := c.start(b, sink.Addr)
				measure(b, r, sink, size.Bytes)
			})
		}
	}
}

// measure runs b.N loads and reports their figures.
func measure(b *testing.B, r running, sink *postfixtest.Sink, size int) {
	b.ResetTimer()
	cpu0 := r.cpu()
	start := time.Now()
	var accepting time.Duration
	for i := 0; i < b.N; i++ {
		t := time.Now()
		benchproc.Load(b, r.addr, benchproc.Messages, size, r.log)
		accepting += time.Since(t)
		sink.WaitCount(b, benchproc.Messages*(i+1), deliveryLimit)
	}
	elapsed := time.Since(start)
	cpu := r.cpu() - cpu0
	b.StopTimer()
	if n := sink.Count(); n != benchproc.Messages*b.N {
		b.Fatalf("the sink got %d messages, want %d", n, benchproc.Messages*b.N)
	}
	b.ReportMetric(float64(benchproc.Messages*b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(benchproc.Messages*b.N)/accepting.Seconds(), "accepted-msgs/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(benchproc.Messages*b.N), "cpu-ms/msg")
	for unit, kb := range r.mem {
		b.ReportMetric(float64(kb())/1024, unit)
	}
}

// postfixRelay lifts the per-client limits the load would hit; anything
// else is Debian's Postfix default, its connection cache to the next hop
// included.
var postfixRelay = []string{
	"smtpd_client_connection_count_limit = 0", "smtpd_client_message_rate_limit = 0",
	"default_process_limit = 100",
}

func startPostfix(b *testing.B, sink string) running {
	pf := postfixtest.Start(b, postfixtest.Options{RelayHost: sink, Main: postfixRelay})
	return running{addr: pf.SMTPAddr, mem: map[string]func() int{"pss-MB": treePSS(pf.Pid())},
		cpu: cpuOf(pf.Pid()), log: pf.Log}
}

func startPostfixRspamd(b *testing.B, sink string) running {
	socket, pid := benchproc.StartRspamd(b)
	pf := postfixtest.Start(b, postfixtest.Options{Milter: socket, RelayHost: sink, Main: postfixRelay})
	return running{addr: pf.SMTPAddr, mem: map[string]func() int{"pss-MB": treePSS(pf.Pid()), "rspamd-pss-MB": treePSS(pid)},
		cpu: cpuOf(pf.Pid(), pid), log: pf.Log}
}

// startMailgw builds and runs the real mailgw-relay binary.
func startMailgw(b *testing.B, sink string) running {
	bin := benchproc.Build(b, "./cmd/mailgw-relay")
	addr := peer.FreePort(b)
	conf := filepath.Join(b.TempDir(), "mailgw.conf")
	benchproc.Write(b, conf, relayConf(addr, sink, b.TempDir()))
	p := peer.Start(b, bin, "-c", conf)
	p.WaitReady(b, "mailgw-relay on "+addr, time.Minute, func() error { return peer.SMTPGreeting(addr) }, p.Output)
	return running{addr: addr, mem: map[string]func() int{"rss-MB": peakRSS(p.Pid()), "pss-MB": treePSS(p.Pid())},
		cpu: cpuOf(p.Pid()), log: p.Output}
}

// relayConf is deployment 2.3.1 with filtering on: the default policy
// with anti-spam (no DNS) and the built-in anti-virus engine, mail for
// example.com forwarded to the sink. The limits the load would hit (10
// sessions from one address, 200 messages of up to 100 KB per session)
// are raised, and the sessions to one next hop are Postfix's default
// (default_destination_concurrency_limit = 20) instead of mailgw's 4, so
// that both relays may deliver with the same concurrency; everything
// else is the default.
func relayConf(listen, sink, queue string) string {
	return fmt.Sprintf(`[mailgw.policy]
CheckSpam=true
CheckAV=true
SpamUseDNS=false
[mailgw.network]
ListenOn=%s
Hostname=relay.test
Postmaster=postmaster@relay.test
ProtectedDomains=example.com
[mailgw.limits]
MaximalIncomingSessionsPerIP=32
MaximalIncomingMessagesPerSession=1024
MaximalIncomingSessionSize=2048000
MaximalOutgoingSessionsPerHost=20
[mailgw.forward]
ForwardRoute=*@example.com [%s]
[mailgw.relay]
QueueDirectory=%s
DNSServer=127.0.0.1:9
`, listen, sink, queue)
}
