package queue

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes of the tool, as the quarantine tool's.
const (
	exitOK       = 0
	exitUsage    = 1
	exitNoQueue  = 2
	exitFailed   = 4
	dateLayout   = "2006-01-02 15:04:05"
	usageCommand = "list | flush | remove ID..."
)

// Tool is `mailgw queue`: list, flush and remove queued messages.
// LoadDir returns the queue directory of the configuration at path ("" is
// the embedded default), so that the tool reads the file as the relay does.
type Tool struct {
	Name    string
	LoadDir func(configPath string) (string, error)
}

// Main runs the tool and returns its exit code.
func (t Tool) Main(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet(t.Name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	conf := fs.StringP("config", "c", "", "configuration file (default: the embedded default)")
	dir := fs.String("queue-path", "", "queue directory (default: QueueDirectory of the configuration)")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprintf(stderr, "usage: %s [--config FILE] [--queue-path DIR] %s\n", t.Name, usageCommand)
		return exitUsage
	}
	if *dir == "" {
		d, err := t.LoadDir(*conf)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		*dir = d
	}
	q, err := Open(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", t.Name, err)
		return exitNoQueue
	}
	switch cmd, rest := fs.Arg(0), fs.Args()[1:]; cmd {
	case "list":
		return t.list(q, stdout, stderr)
	case "flush":
		n, err := q.Flush()
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", t.Name, err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%d messages due now\n", n)
		return exitOK
	case "remove":
		return t.remove(q, rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q; want %s\n", t.Name, cmd, usageCommand)
		return exitUsage
	}
}

// list prints one line per message, then a total, in the quarantine
// tool's format: ID SIZE DATE <SENDER> -> <RECIPIENTS>.
func (t Tool) list(q *Queue, stdout, stderr io.Writer) int {
	es, err := q.List()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", t.Name, err)
		return exitNoQueue
	}
	var total int64
	for _, e := range es {
		rcpts := make([]string, len(e.Rcpts))
		for i, r := range e.Rcpts {
			rcpts[i] = "<" + r.Addr + ">"
		}
		fmt.Fprintf(stdout, "%s %d %s <%s> -> %s", e.ID, e.Size, e.Arrival.Local().Format(dateLayout), e.From, strings.Join(rcpts, ","))
		if e.LastError != "" {
			fmt.Fprintf(stdout, " (%d attempts: %s)", e.Attempts, e.LastError)
		}
		fmt.Fprintln(stdout)
		total += e.Size
	}
	fmt.Fprintf(stdout, "Total: %d queued messages, %d bytes\n", len(es), total)
	return exitOK
}

func (t Tool) remove(q *Queue, ids []string, stdout, stderr io.Writer) int {
	if len(ids) == 0 {
		fmt.Fprintf(stderr, "%s: remove needs at least one ID\n", t.Name)
		return exitUsage
	}
	code := exitOK
	for _, id := range ids {
		if err := q.Remove(id); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", t.Name, err)
			if !errors.Is(err, ErrNotFound) {
				return exitFailed
			}
			code = exitFailed
			continue
		}
		fmt.Fprintf(stdout, "removed %s\n", id)
	}
	return code
}
