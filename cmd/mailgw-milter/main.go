// Command mailgw-milter is the milter front-end for Postfix (smtpd_milters)
// and Sendmail (INPUT_MAIL_FILTER). It loads mailgw.conf, listens on
// [mailgw.milter] ListenOn and carries out the core's Decisions.
//
// Signals: SIGTERM or SIGINT stop accepting connections, let the messages
// in progress finish and exit; SIGHUP reloads the configuration and swaps
// the filter without dropping sessions (ListenOn, Split and
// ReinjectAddress take effect at the next start).
package main

import (
	"io"
	"os"

	"github.com/mailgw/mailgw/internal/daemon"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const prog = "mailgw-milter"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	return daemon.Run(prog, args, stderr, func(s daemon.Start) int {
		d := &daemonState{log: s.Log, reload: s.Reload}
		return d.serve(s.Gateway, s.Signals)
	})
}
