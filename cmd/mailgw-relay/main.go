// Command mailgw-relay is the standalone SMTP relay front-end with its own queue.
// It loads mailgw.conf and carries out the core's Decisions.
//
// The front-end itself is being built; today the program checks its
// configuration with -k/--check-config, exactly as the daemon will load it.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/daemon"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	return daemon.Run("mailgw-relay", args, stderr, func(*gateway.Gateway) int {
		fmt.Fprintln(stderr, "mailgw-relay: serving is not available in this version; only -k/--check-config is")
		return 2
	})
}
