// Command mailgw-tlv checks notification template files (guide 6.5):
//
//	mailgw-tlv [-v] [--kind KIND] TEMPLATE...
//
// It prints "file:line: message" for every problem and nothing for valid
// files. Exit codes: 0 all valid, 1 a template is invalid, 2 bad usage,
// 3 a file could not be read. The logic is notify.TLVMain, shared with
// `mailgw tlv`; see the notify package documentation.
package main

import (
	"os"

	"github.com/mailgw/mailgw/notify"
)

func main() {
	os.Exit(notify.TLVMain(os.Args[1:], os.Stdout, os.Stderr))
}
