// Command mailgw-maila manages the quarantine and archive directories:
// it lists, shows, exports, removes, purges and releases stored messages.
// See package quarantine for the options, the exit codes and the release
// protocol.
//
//	mailgw-maila [--config FILE] --archive-path=DIR ACTION
package main

import (
	"os"

	"github.com/mailgw/mailgw/gateway"
)

func main() {
	os.Exit(gateway.QuarantineTool("mailgw-maila").Main(os.Args[1:], os.Stdout, os.Stderr))
}
