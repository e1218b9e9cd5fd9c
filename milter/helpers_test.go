package milter_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/mailgw/mailgw/milter"
)

// serve runs srv on addr ("127.0.0.1:0" for a free port) until the test
// ends, and returns the address it listens on.
func serve(tb testing.TB, srv *milter.Server, addr string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
	})
	return ln.Addr().String()
}
