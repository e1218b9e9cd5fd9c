// Command mailgw is the administrator's tool: it checks configuration files
// and runs the filtering pipeline over message files.
//
//	mailgw scan [--config F] [--from A] [--rcpt A]... [--ip IP] [--helo H] [--json] [--output DIR] PATH...
//	mailgw learn --spam|--ham [--config F] PATH...
//	mailgw sample --add [--config F] [--fuzzy-file F] [--image-file F] PATH...
//	mailgw check-config [FILE]
//	mailgw quarantine [--config F] --archive-path=DIR ACTION
//	mailgw tlv TEMPLATE...
//	mailgw config-doc
//	mailgw version
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/notify"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a check failed: invalid configuration, a message that could not be read
	exitUsage  = 2 // bad command line
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "scan":
		return runScan(args[1:], stdout, stderr)
	case "learn":
		return runLearn(args[1:], stdout, stderr)
	case "sample":
		return runSample(args[1:], stdout, stderr)
	case "check-config", "-k", "--check-config":
		return runCheckConfig(args[1:], stderr)
	case "quarantine":
		return gateway.QuarantineTool("mailgw quarantine").Main(args[1:], stdout, stderr)
	case "queue":
		return gateway.QueueTool("mailgw queue").Main(args[1:], stdout, stderr)
	case "tlv":
		return notify.TLVMain(args[1:], stdout, stderr)
	case "config-doc":
		return runConfigDoc(stdout)
	case "version", "--version":
		fmt.Fprintln(stdout, "mailgw", version)
		return exitOK
	case "help", "-h", "--help":
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "mailgw: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  mailgw scan [--config F] [--from A] [--rcpt A]... [--ip IP] [--helo H] [--json] [--output DIR] PATH...
  mailgw learn --spam|--ham [--config F] PATH...   train the Bayesian classifier with message files
  mailgw sample --add [--config F] [--fuzzy-file F] [--image-file F] PATH...   add messages (and their images) to the spam samples
  mailgw check-config [FILE]     check a configuration file (embedded default without FILE)
  mailgw quarantine [--config F] --archive-path=DIR ACTION   the quarantine/archive tool (as mailgw-maila)
  mailgw queue [--config F] [--queue-path DIR] list | flush | remove ID...   the relay's queue
  mailgw tlv TEMPLATE...         check notification templates (as mailgw-tlv)
  mailgw config-doc              print the configuration reference (docs/configuration.md)
  mailgw version
`)
}
