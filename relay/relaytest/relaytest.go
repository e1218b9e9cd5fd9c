// Package relaytest runs a relay.Server inside a test or benchmark. Test
// support only.
package relaytest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mailgw/mailgw/relay"
)

// Run serves srv on ln and runs its sender until the test ends, then shuts
// it down (giving open sessions 5 s) and waits for both.
func Run(tb testing.TB, srv *relay.Server, ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); srv.Serve(ln) }()
	go func() { defer wg.Done(); srv.RunSender(ctx) }()
	tb.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
		cancel()
		wg.Wait()
	})
}
