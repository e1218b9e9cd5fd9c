package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailgw/mailgw/bench/spamcorpus"
)

// defaultCorpusCache is where the corpus is kept between runs: the
// user's cache when XDG_CACHE_HOME is set, else the machine's.
func defaultCorpusCache() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "mailgw-bench")
	}
	return "/var/cache/mailgw-bench"
}

func runAccuracy(cache, misses string, peers, validate bool) (*spamcorpus.Report, error) {
	data, err := spamcorpus.Fetch(cache)
	if err != nil {
		return nil, err
	}
	o := spamcorpus.Options{DataDir: data, Peers: peers, Validate: validate}
	if misses != "" {
		f, err := os.Create(misses)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		o.Misses = f
	}
	return spamcorpus.Run(context.Background(), o)
}

// validateRun prints mailgw's figures cross-validated on the training
// split: what the engine is tuned against.
func validateRun(cache, misses string) error {
	r, err := runAccuracy(cache, misses, false, true)
	if err != nil {
		return err
	}
	fmt.Printf("validation: %v, each fifth classified after training on the other four fifths\n\n", spamcorpus.Sizes(r.Train))
	fmt.Print(spamcorpus.Markdown(r.Tools, r.SpamGroups, r.HamGroups))
	return nil
}

// accuracySection trains and tests mailgw, bogofilter and SpamAssassin
// on the SpamAssassin public corpus in one run.
func accuracySection(cache, misses string, peers bool) (string, error) {
	r, err := runAccuracy(cache, misses, peers, false)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Anti-spam accuracy and speed (`make bench-accuracy`)\n\nMeasured on %s.\n\n", machine())
	fmt.Fprintf(&b, "Corpus: the SpamAssassin public corpus from the npm package %s %s (raw message files, the mbox\n", spamcorpus.NPMPackage, spamcorpus.NPMVersion)
	fmt.Fprintf(&b, "`From ` line removed). Every tool learns from %s only and is judged on %s.\n",
		groupList(spamcorpus.Sizes(r.Train), append(spamcorpus.TrainSpam, spamcorpus.TrainHam...)),
		groupList(spamcorpus.Sizes(r.Test), append(spamcorpus.TestSpam, spamcorpus.TestHam...)))
	b.WriteString("No network test runs. Speed is messages per CPU second of the classifier (user plus system time), that is\n")
	b.WriteString("messages/s on one core: mailgw parses and checks each message in the benchmark process (median of 3 passes);\n")
	b.WriteString("the peers are timed as whole processes, so their start-up is included.\n\n")
	b.WriteString(spamcorpus.Markdown(r.Tools, r.SpamGroups, r.HamGroups))
	b.WriteString("\nHow each tool ran:\n\n")
	for _, t := range r.Tools {
		fmt.Fprintf(&b, "- %s: %s.\n", t.Name, t.Note)
	}
	b.WriteString("\n| mailgw target | met |\n| --- | --- |\n")
	for _, t := range spamcorpus.Targets(r.Tools[0]) {
		met := "no"
		if t.Met {
			met = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", t.What, met)
	}
	return b.String(), nil
}

func groupList(sizes map[string]int, groups []string) string {
	var parts []string
	for _, g := range groups {
		parts = append(parts, fmt.Sprintf("%s (%d)", g, sizes[g]))
	}
	return strings.Join(parts, " + ")
}
