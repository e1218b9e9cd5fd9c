package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/mailgw/mailgw/antispam/bayes"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/mimetree"
)

// learnBatch is how many messages go into one store transaction: large
// enough to be fast, small enough that a Redis store is not held up long.
const learnBatch = 200

// runLearn is `mailgw learn --spam|--ham [--config F] PATH...`: it trains
// the Bayesian classifier of [mailgw.antispam] with message files (a
// directory stands for every file under it).
func runLearn(args []string, stdout, stderr io.Writer) int {
	var cf configFlags
	var spam, ham bool
	fs := pflag.NewFlagSet("learn", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	cf.register(fs)
	fs.BoolVar(&spam, "spam", false, "the messages are spam")
	fs.BoolVar(&ham, "ham", false, "the messages are not spam")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "mailgw learn:", err)
		return exitUsage
	}
	if spam == ham || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: mailgw learn --spam|--ham [--config F] PATH...")
		return exitUsage
	}
	gw, err := cf.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	files, err := collectFiles(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "mailgw learn:", err)
		return exitFailed
	}
	store, err := gw.BayesStore()
	if err != nil {
		fmt.Fprintln(stderr, "mailgw learn:", err)
		return exitFailed
	}
	defer store.Close()
	n, err := learnFiles(context.Background(), store, files, spam)
	if err != nil {
		fmt.Fprintln(stderr, "mailgw learn:", err)
		return exitFailed
	}
	tot, err := bayes.New(store, 1).Totals(context.Background())
	if err != nil {
		fmt.Fprintln(stderr, "mailgw learn:", err)
		return exitFailed
	}
	// Closing puts what was learnt in place (a bbolt file is replaced):
	// only then is it done.
	if err := store.Close(); err != nil {
		fmt.Fprintln(stderr, "mailgw learn:", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "learnt %d messages as %s; the store holds %d spam and %d ham\n", n, className(spam), tot.Spam, tot.Ham)
	return exitOK
}

func learnFiles(ctx context.Context, store bayes.Store, files []string, spam bool) (int, error) {
	var batch [][]string
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := store.Learn(ctx, batch, spam)
		n += len(batch)
		batch = batch[:0]
		return err
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return n, err
		}
		batch = append(batch, engine.MessageTokens(mimetree.Parse(raw, mimetree.Limits{})))
		if len(batch) == learnBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

func className(spam bool) string {
	if spam {
		return "spam"
	}
	return "ham"
}
