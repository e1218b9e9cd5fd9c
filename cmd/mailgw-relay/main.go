// Command mailgw-relay is the standalone SMTP relay front-end with its own
// durable queue (guide 2.3): it loads mailgw.conf, listens on
// [mailgw.network] ListenOn, runs the core on every message and delivers
// by [mailgw.forward] routes.
//
// Signals: SIGTERM or SIGINT stop accepting connections, let open sessions
// finish and exit, keeping the queue; SIGHUP reloads the configuration
// without dropping sessions (ListenOn, QueueDirectory and the TLS
// certificate take effect at the next start).
package main

import (
	"io"
	"os"

	"github.com/mailgw/mailgw/internal/daemon"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const prog = "mailgw-relay"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	return daemon.Run(prog, args, stderr, func(s daemon.Start) int {
		d := &daemonState{log: s.Log, reload: s.Reload}
		return d.serve(s.Gateway, s.Signals)
	})
}
