package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
)

// runCheckConfig is silent with exit 0 for a valid file and prints every
// problem with exit 1 otherwise (guide 6.4).
func runCheckConfig(args []string, stderr io.Writer) int {
	fs := pflag.NewFlagSet("check-config", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	overrides := fs.StringArrayP("set", "o", nil, "override a parameter: section.Key=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "mailgw check-config:", err)
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "mailgw check-config: at most one FILE")
		return exitUsage
	}
	_, err := gateway.Load(fs.Arg(0), config.Options{Env: os.LookupEnv, Overrides: *overrides})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	return exitOK
}

func runConfigDoc(stdout io.Writer) int {
	fmt.Fprint(stdout, gateway.Reference())
	return exitOK
}
