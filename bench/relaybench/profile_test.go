package relaybench

import (
	"context"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/mailgw/mailgw/bench/benchproc"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/milter/postfixtest"
	"github.com/mailgw/mailgw/queue"
	"github.com/mailgw/mailgw/relay"
	"github.com/mailgw/mailgw/relay/relaytest"
)

// BenchmarkRelayProfile is the mailgw case with the relay built as
// mailgw-relay builds it, but in this process, so that
// `go test -bench RelayProfile -cpuprofile` sees the relay's own work.
// Logs are formatted as the daemon formats them and then dropped.
func BenchmarkRelayProfile(b *testing.B) {
	for _, size := range benchproc.Sizes {
		b.Run(size.Name, func(b *testing.B) {
			sink := postfixtest.StartCountingSink(b, nil)
			addr := startInProcess(b, sink.Addr)
			measure(b, running{addr: addr, cpu: selfCPU, log: func() string { return "(in process, not kept)" }}, sink, size.Bytes)
		})
	}
}

// selfCPU is this process's CPU time: the relay's, the sink's and the
// benchmark's.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startInProcess runs the relay of cmd/mailgw-relay's serve on relayConf
// until the benchmark ends.
func startInProcess(b *testing.B, sink string) string {
	b.Helper()
	addr := peer.FreePort(b)
	gw, err := gateway.Parse("mailgw.conf", []byte(relayConf(addr, sink, b.TempDir())), config.Options{})
	if err != nil {
		b.Fatal(err)
	}
	q, err := queue.Open(gw.Service.Relay.QueueDirectory)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, err := relay.NewResolver(gw.Service.Relay.DNSServer, gw.Service.Timeouts.DNSNetworkTimeout, gw.Service.Timeouts.DNSResolveTimeout)
	if err != nil {
		b.Fatal(err)
	}
	var srv *relay.Server
	rt, err := relay.BuildRuntime(gw, log, "bench", submitter{&srv})
	if err != nil {
		b.Fatal(err)
	}
	srv = relay.New(rt, q, relay.Options{Logger: log, Resolver: res})
	if err := srv.Recover(); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	relaytest.Run(b, srv, ln)
	return addr
}

// submitter queues notices through the server once it exists.
type submitter struct{ srv **relay.Server }

func (s submitter) Submit(ctx context.Context, from string, to []string, data []byte) error {
	return (*s.srv).Submitter().Submit(ctx, from, to, data)
}
