// Package daemon holds the start-up steps the two front-end programs share:
// their command line, configuration loading and the -k/--check-config mode.
package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
)

// Flags are the command-line options common to both daemons.
type Flags struct {
	ConfigPath  string
	CheckConfig bool
	Overrides   []string
}

// ParseFlags reads the common options. It returns false on a usage error,
// which it has already reported on stderr.
func ParseFlags(prog string, args []string, stderr io.Writer) (*Flags, bool) {
	f := &Flags{}
	fs := pflag.NewFlagSet(prog, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVarP(&f.ConfigPath, "config", "c", "", "configuration file (default: the embedded default)")
	fs.BoolVarP(&f.CheckConfig, "check-config", "k", false, "check the configuration and exit: silent and 0 when valid")
	fs.StringArrayVarP(&f.Overrides, "set", "o", nil, "override a parameter: section.Key=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return nil, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", prog, fs.Arg(0))
		return nil, false
	}
	return f, true
}

// Load loads the configuration named by the flags, with environment
// overrides. Errors are printed to stderr, all of them.
func (f *Flags) Load(stderr io.Writer) (*gateway.Gateway, bool) {
	gw, err := gateway.Load(f.ConfigPath, config.Options{Env: os.LookupEnv, Overrides: f.Overrides})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return gw, true
}

// Start is what Run hands a daemon's serve function.
type Start struct {
	Gateway *gateway.Gateway
	Log     *slog.Logger
	// Reload reads the flags and the configuration again (SIGHUP),
	// printing every error; false keeps the running configuration.
	Reload func() (*gateway.Gateway, bool)
	// Signals carries SIGTERM, SIGINT and SIGHUP.
	Signals <-chan os.Signal
}

// Run is the start-up both daemons share: parse the flags, load the
// configuration, stop there under -k, otherwise hand the loaded gateway to
// serve. It returns the process exit code.
func Run(prog string, args []string, stderr io.Writer, serve func(Start) int) int {
	flags, ok := ParseFlags(prog, args, stderr)
	if !ok {
		return 2
	}
	gw, ok := flags.Load(stderr)
	if !ok {
		return 1
	}
	if flags.CheckConfig {
		return 0
	}
	tuneGC()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	log := slog.New(slog.NewTextHandler(stderr, nil))
	// The retention sweep follows reloads: it reads the gateway of the
	// last successful load at each round.
	var current atomic.Pointer[gateway.Gateway]
	current.Store(gw)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go gateway.RunRetention(ctx, current.Load, gateway.RetentionInterval, log)
	return serve(Start{Gateway: gw, Log: log, Signals: sigs,
		Reload: func() (*gateway.Gateway, bool) {
			// The flags were valid at start-up; the file may have changed.
			flags, ok := ParseFlags(prog, args, stderr)
			if !ok {
				return nil, false
			}
			next, ok := flags.Load(stderr)
			if ok {
				current.Store(next)
			}
			return next, ok
		}})
}

// gcPercent is the daemons' garbage collection target unless GOGC is set.
// Nearly all they allocate is per message (the message, its parts, the
// tokens, the milter library's packet buffers) and dead at the verdict,
// while the live heap is small (the policy, the Bayes and sample data), so
// Go's default of 100 collects several times a second under load for
// little gain. 300 trades 10-20 MB of peak memory for most of that work.
const gcPercent = 300

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
