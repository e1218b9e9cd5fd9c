package spamcorpus

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Options configure a run of the benchmark.
type Options struct {
	DataDir string // the corpus, as returned by Fetch
	WorkDir string // scratch space; "" for a temporary directory
	Peers   bool   // also run bogofilter and SpamAssassin
	// Validate trains on four fifths of the training split and classifies
	// the fifth left out, never touching the test split: the figures to
	// tune against.
	Validate bool
	Misses   io.Writer // receives mailgw's wrong answers; nil for none
}

// Report is the outcome of a run.
type Report struct {
	Train, Test []Message
	SpamGroups  []string // the spam and ham groups of Test
	HamGroups   []string
	Tools       []*Tool // mailgw first
}

// Run loads the split, then trains and tests mailgw and, with Peers, the
// peers on it, one after the other so that they do not slow each other.
func Run(ctx context.Context, o Options) (*Report, error) {
	r, err := split(o)
	if err != nil {
		return nil, err
	}
	if o.WorkDir == "" {
		dir, err := os.MkdirTemp("", "mailgw-accuracy-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.WorkDir = dir
	}
	ours, err := Mailgw(ctx, r.Train, r.Test, o.WorkDir, o.Misses)
	if err != nil {
		return nil, fmt.Errorf("mailgw: %w", err)
	}
	r.Tools = append(r.Tools, ours)
	if !o.Peers {
		return r, nil
	}
	for _, peer := range []func(context.Context, []Message, []Message, string) (*Tool, error){Bogofilter, SpamAssassin} {
		t, err := peer(ctx, r.Train, r.Test, o.WorkDir)
		if err != nil {
			return nil, err
		}
		r.Tools = append(r.Tools, t)
	}
	return r, nil
}

func split(o Options) (*Report, error) {
	train, err := Load(o.DataDir, append(append([]string{}, TrainSpam...), TrainHam...)...)
	if err != nil {
		return nil, err
	}
	if !o.Validate {
		test, err := Load(o.DataDir, append(append([]string{}, TestSpam...), TestHam...)...)
		if err != nil {
			return nil, err
		}
		return &Report{Train: train, Test: test, SpamGroups: TestSpam, HamGroups: TestHam}, nil
	}
	r := &Report{SpamGroups: TrainSpam, HamGroups: TrainHam}
	r.Train, r.Test = HoldOut(train, 5)
	if len(r.Test) == 0 {
		return nil, errNoMessages
	}
	return r, nil
}

// HoldOut splits msgs into every n-th message of each group (the held-out
// part) and the rest, deterministically.
func HoldOut(msgs []Message, n int) (rest, held []Message) {
	seen := map[string]int{}
	for _, m := range msgs {
		i := seen[m.Group]
		seen[m.Group]++
		if i%n == n-1 {
			held = append(held, m)
		} else {
			rest = append(rest, m)
		}
	}
	return rest, held
}

// Sizes counts messages per group.
func Sizes(msgs []Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		out[m.Group]++
	}
	return out
}
