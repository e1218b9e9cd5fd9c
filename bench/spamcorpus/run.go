package spamcorpus

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Options configure a run of the benchmark.
type Options struct {
	DataDir string // the corpus, as returned by Fetch
	WorkDir string // scratch space; "" for a temporary directory
	Peers   bool   // also run bogofilter and SpamAssassin
	// Validate cross-validates on the training split, never touching the
	// test split: five times, it trains on four fifths and classifies the
	// fifth left out. These are the figures to tune against.
	Validate bool
	Misses   io.Writer // receives mailgw's wrong answers; nil for none
}

// Report is the outcome of a run.
type Report struct {
	// Train and Test are the split. Under Validate, Test is nil: every
	// message of Train was classified once, by the fold that held it.
	Train, Test []Message
	SpamGroups  []string // the spam and ham groups classified
	HamGroups   []string
	Tools       []*Tool // mailgw first
}

// Run loads the split, then trains and tests mailgw and, with Peers, the
// peers on it, one after the other so that they do not slow each other.
// With Validate it does so once per fold of the training split and adds
// up the folds' answers.
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
	if !o.Validate {
		r.Tools, err = runTools(ctx, o, r.Train, r.Test, o.WorkDir)
		return r, err
	}
	for k := 0; k < folds; k++ {
		train, test := Fold(r.Train, folds, k)
		dir := filepath.Join(o.WorkDir, fmt.Sprintf("fold%d", k))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		tools, err := runTools(ctx, o, train, test, dir)
		if err != nil {
			return nil, err
		}
		r.Tools = mergeTools(r.Tools, tools, k)
	}
	return r, nil
}

// folds is how many parts Validate cuts the training split into.
const folds = 5

// runTools trains and tests mailgw and, with o.Peers, the peers.
func runTools(ctx context.Context, o Options, train, test []Message, dir string) ([]*Tool, error) {
	ours, err := Mailgw(ctx, train, test, dir, o.Misses)
	if err != nil {
		return nil, fmt.Errorf("mailgw: %w", err)
	}
	tools := []*Tool{ours}
	if !o.Peers {
		return tools, nil
	}
	for _, peer := range []func(context.Context, []Message, []Message, string) (*Tool, error){Bogofilter, SpamAssassin} {
		t, err := peer(ctx, train, test, dir)
		if err != nil {
			return nil, err
		}
		tools = append(tools, t)
	}
	return tools, nil
}

// mergeTools adds the tallies of fold k's tools to those of the folds
// before it; speed becomes the mean over the folds.
func mergeTools(sum, fold []*Tool, k int) []*Tool {
	if sum == nil {
		return fold
	}
	n := float64(k + 1)
	for i, t := range fold {
		for g, tally := range t.Groups {
			if sum[i].Groups[g] == nil {
				sum[i].Groups[g] = &Tally{}
			}
			sum[i].Groups[g].AddTally(*tally)
		}
		sum[i].PerCore += (t.PerCore - sum[i].PerCore) / n
	}
	return sum
}

func split(o Options) (*Report, error) {
	train, err := Load(o.DataDir, append(append([]string{}, TrainSpam...), TrainHam...)...)
	if err != nil {
		return nil, err
	}
	if o.Validate {
		if len(train) < folds {
			return nil, errNoMessages // a fold would be empty
		}
		return &Report{Train: train, SpamGroups: TrainSpam, HamGroups: TrainHam}, nil
	}
	test, err := Load(o.DataDir, append(append([]string{}, TestSpam...), TestHam...)...)
	if err != nil {
		return nil, err
	}
	return &Report{Train: train, Test: test, SpamGroups: TestSpam, HamGroups: TestHam}, nil
}

// Fold splits msgs into part k of n — every message of each group whose
// index is k modulo n — and the rest, deterministically.
func Fold(msgs []Message, n, k int) (rest, held []Message) {
	seen := map[string]int{}
	for _, m := range msgs {
		i := seen[m.Group]
		seen[m.Group]++
		if i%n == k {
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
