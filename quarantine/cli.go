package quarantine

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Exit codes of Main, those of the predecessor's mailgw-maila.
const (
	ExitOK      = 0 // done
	ExitUsage   = 1 // bad parameters
	ExitNoStore = 2 // the store directory is missing or unreadable
	ExitSystem  = 3 // system error: I/O, damaged files, delivery outcome unknown
	ExitNotDone = 4 // action not performed: unknown ID, being sent, already sent, next hop refused
)

// Tool is the archive and quarantine tool. Its zero value works; Main
// fills in the defaults.
type Tool struct {
	Name     string   // program name in messages; "" means "mailgw-maila"
	Settings Settings // defaults for --release-host and --helo; zero fields take DefaultSettings'
	// LoadConfig reads the settings from the configuration file named by
	// --config. A program that loads the whole configuration provides it;
	// without it --config is refused.
	LoadConfig func(path string) (Settings, error)
	// QueueRelease opens the relay's queue in dir and returns what puts a
	// released message into it, durably, for its original envelope; for
	// ReleaseVia=queue. Package quarantine cannot open the queue itself
	// (package queue builds on it); without it ReleaseVia=queue is refused.
	QueueRelease func(dir string) (func(Meta, []byte) error, error)
	Location     *time.Location   // zone of the dates shown; nil means time.Local
	Now          func() time.Time // clock; nil means time.Now
}

// Main runs the tool as mailgw-maila, with the default settings.
func Main(args []string, stdout, stderr io.Writer) int {
	return Tool{}.Main(args, stdout, stderr)
}

// cliOptions is the parsed command line.
type cliOptions struct {
	configPath, archivePath, releaseHost, releaseQueue, helo, out string
	showAll, removeAll, sendAll                                   bool
	show, removeID, sendID, export, purge                         string
	action                                                        string // the one action flag given
	fs                                                            *pflag.FlagSet
}

// actionFlags are the flags of which exactly one must be given.
func actionFlags() []string {
	return []string{"show-all", "show", "remove-id", "remove-all", "send-id", "send-all", "purge-older-than", "export"}
}

const usageText = `usage: %[1]s [--config FILE] --archive-path=DIR ACTION

Manages a quarantine or archive directory of mailgw.

Actions (exactly one):
      --show-all                 list every message, then the total
      --show ID                  show a message's metadata and header
  -d, --remove-id ID             remove a message
  -r, --remove-all               remove every message
  -o, --send-id ID               release a message: send it to its original
                                 recipients through the release next hop, then remove it
  -a, --send-all                 release every message
      --purge-older-than AGE     remove messages older than AGE (30d, 12h, 90m)
      --export ID                write the original message to ./ID.eml (or --out)

Options:
      --archive-path DIR         the quarantine or archive directory (required)
      --out FILE                 with --export: write here instead; "-" for standard output
      --release-host HOST:PORT   next hop for --send-*, default %[2]s
      --helo NAME                EHLO name for --send-*, default %[3]s
      --release-queue DIR        for --send-*: put the messages into mailgw-relay's
                                 queue in DIR instead of sending them to a host
      --config FILE              read the release settings from a configuration file
  -h, --help                     show this help

Exit codes: 0 done, 1 bad parameters, 2 directory missing or unreadable,
3 system error, 4 action not performed (unknown ID, already sent,
being sent, refused by the next hop).
`

func (t Tool) name() string {
	if t.Name == "" {
		return "mailgw-maila"
	}
	return t.Name
}

func (t Tool) settings() Settings {
	s, def := t.Settings, DefaultSettings()
	if s.ReleaseHost == "" {
		s.ReleaseHost = def.ReleaseHost
	}
	if s.ReleaseHelo == "" {
		s.ReleaseHelo = def.ReleaseHelo
	}
	return s
}

var errHelp = errors.New("help requested")

// parse reads the command line; the error is errHelp or a usage error.
func (t Tool) parse(args []string) (*cliOptions, error) {
	o := &cliOptions{fs: pflag.NewFlagSet(t.name(), pflag.ContinueOnError)}
	fs := o.fs
	fs.SetOutput(io.Discard) // errors are printed once, by Main
	fs.StringVar(&o.configPath, "config", "", "")
	fs.StringVar(&o.archivePath, "archive-path", "", "")
	fs.StringVar(&o.releaseHost, "release-host", "", "")
	fs.StringVar(&o.releaseQueue, "release-queue", "", "")
	fs.StringVar(&o.helo, "helo", "", "")
	fs.StringVar(&o.out, "out", "", "")
	fs.BoolVar(&o.showAll, "show-all", false, "")
	fs.StringVar(&o.show, "show", "", "")
	fs.StringVarP(&o.removeID, "remove-id", "d", "", "")
	fs.BoolVarP(&o.removeAll, "remove-all", "r", false, "")
	fs.StringVarP(&o.sendID, "send-id", "o", "", "")
	fs.BoolVarP(&o.sendAll, "send-all", "a", false, "")
	fs.StringVar(&o.purge, "purge-older-than", "", "")
	fs.StringVar(&o.export, "export", "", "")
	help := fs.BoolP("help", "h", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *help {
		return nil, errHelp
	}
	return o, o.check()
}

// check enforces what pflag cannot: one action, a directory, no stray
// arguments, and --out only with --export.
func (o *cliOptions) check() error {
	var given []string
	for _, name := range actionFlags() {
		if o.fs.Changed(name) {
			given = append(given, "--"+name)
		}
	}
	switch {
	case len(given) == 0:
		return errors.New("no action given")
	case len(given) > 1:
		return fmt.Errorf("give one action, not %s", strings.Join(given, " and "))
	case o.fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", o.fs.Arg(0))
	case o.archivePath == "":
		return errors.New("--archive-path is required")
	case o.fs.Changed("out") && given[0] != "--export":
		return errors.New("--out goes with --export only")
	}
	o.action = given[0]
	return nil
}

// Main runs the tool with args (without the program name) and returns
// the exit code.
func (t Tool) Main(args []string, stdout, stderr io.Writer) int {
	set := t.settings()
	o, err := t.parse(args)
	if errors.Is(err, errHelp) {
		fmt.Fprintf(stdout, usageText, t.name(), set.ReleaseHost, set.ReleaseHelo)
		return ExitOK
	}
	if err == nil {
		set, err = t.releaseSettings(o, set)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun %s --help for usage.\n", t.name(), err, t.name())
		return ExitUsage
	}
	now := t.Now
	if now == nil {
		now = time.Now
	}
	st, err := Open(o.archivePath, Options{MustExist: true, Now: now})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", t.name(), err)
		return ExitNoStore
	}
	r := &run{t: t, st: st, set: set, o: o, stdout: stdout, stderr: stderr}
	return r.do()
}

// releaseSettings applies --config, then --release-host and --helo, and
// checks the result when the action sends mail.
func (t Tool) releaseSettings(o *cliOptions, set Settings) (Settings, error) {
	if o.configPath != "" {
		if t.LoadConfig == nil {
			return set, errors.New("--config is not supported by this program yet: give --release-host and --helo instead")
		}
		loaded, err := t.LoadConfig(o.configPath)
		if err != nil {
			return set, err
		}
		set = loaded
	}
	switch {
	case o.fs.Changed("release-host") && o.fs.Changed("release-queue"):
		return set, errors.New("give --release-host or --release-queue, not both")
	case o.fs.Changed("release-host"):
		set.ReleaseHost, set.ReleaseVia = o.releaseHost, ViaSMTP
	case o.fs.Changed("release-queue"):
		set.ReleaseQueue, set.ReleaseVia = o.releaseQueue, ViaQueue
	}
	if o.fs.Changed("helo") {
		set.ReleaseHelo = o.helo
	}
	if o.action != "--send-id" && o.action != "--send-all" {
		return set, nil
	}
	if set.ReleaseVia == ViaQueue {
		switch {
		case t.QueueRelease == nil:
			return set, errors.New("releasing into the relay's queue is not supported by this program")
		case set.ReleaseQueue == "":
			return set, errors.New("ReleaseVia=queue, but no queue directory: set [mailgw.relay] QueueDirectory or give --release-queue")
		}
		return set, nil
	}
	if err := CheckHostPort(set.ReleaseHost); err != nil {
		return set, fmt.Errorf("release host: %v", err)
	}
	if err := CheckHelo(set.ReleaseHelo); err != nil {
		return set, fmt.Errorf("EHLO name: %v", err)
	}
	return set, nil
}
