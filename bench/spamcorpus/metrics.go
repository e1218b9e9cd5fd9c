package spamcorpus

import (
	"fmt"
	"strings"
)

// Class is what a classifier called a message.
type Class int

// The three answers every classifier is mapped onto. A classifier with
// two answers (SpamAssassin) never says Probable.
const (
	Ham Class = iota
	Probable
	Spam
)

func (c Class) String() string {
	return [...]string{"ham", "probable", "spam"}[c]
}

// Tally counts the answers for one group of the corpus.
type Tally struct {
	Total, Spam, Probable int
}

// Add counts one answer.
func (t *Tally) Add(c Class) {
	t.Total++
	switch c {
	case Spam:
		t.Spam++
	case Probable:
		t.Probable++
	}
}

// AddTally adds the counts of another tally, as of another fold.
func (t *Tally) AddTally(o Tally) {
	t.Total += o.Total
	t.Spam += o.Spam
	t.Probable += o.Probable
}

// SpamRate is the share of the group called spam.
func (t Tally) SpamRate() float64 { return share(t.Spam, t.Total) }

// ProbableRate is the share of the group called probable spam.
func (t Tally) ProbableRate() float64 { return share(t.Probable, t.Total) }

// CaughtRate is the share called spam or probable spam.
func (t Tally) CaughtRate() float64 { return share(t.Spam+t.Probable, t.Total) }

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// Tool is the outcome of one classifier on the test split.
type Tool struct {
	Name   string
	Groups map[string]*Tally // by corpus group
	// PerCore is messages classified per CPU second of the classifier
	// (user plus system time), that is messages/s on one core.
	PerCore float64
	Note    string // how it was run, for the report
}

// Count records the answer for a message of group.
func (t *Tool) Count(group string, c Class) {
	if t.Groups == nil {
		t.Groups = map[string]*Tally{}
	}
	if t.Groups[group] == nil {
		t.Groups[group] = &Tally{}
	}
	t.Groups[group].Add(c)
}

// Group returns the tally of a group, zero when none was counted.
func (t *Tool) Group(g string) Tally {
	if x := t.Groups[g]; x != nil {
		return *x
	}
	return Tally{}
}

// Target is one goal of the benchmark and whether a tool reached it.
type Target struct {
	What string
	Met  bool
}

// Targets are the goals of issue 4 for the anti-spam engine. They belong
// to the benchmark, never to the engine, which takes its thresholds from
// configuration.
func Targets(t *Tool) []Target {
	easy, hard, spam := t.Group("easy-ham-2"), t.Group("hard-ham-1"), t.Group("spam-2")
	return []Target{
		{"easy-ham-2: no message called spam", easy.Total > 0 && easy.Spam == 0},
		{"easy-ham-2: under 0.5% probable", easy.Total > 0 && easy.ProbableRate() < 0.005},
		{"hard-ham-1: at most 1% spam", hard.Total > 0 && hard.SpamRate() <= 0.01},
		{"hard-ham-1: at most 10% probable", hard.Total > 0 && hard.ProbableRate() <= 0.10},
		{"spam-2: at least 99% spam or probable", spam.Total > 0 && spam.CaughtRate() >= 0.99},
		{"spam-2: at least 90% spam", spam.Total > 0 && spam.SpamRate() >= 0.90},
		{"at least 1000 messages/s per core", t.PerCore >= 1000},
	}
}

// Markdown renders the figures of the tools side by side, one column each,
// for the spam and ham groups of the split that was classified.
func Markdown(tools []*Tool, spamGroups, hamGroups []string) string {
	var b strings.Builder
	b.WriteString("| figure |")
	for _, t := range tools {
		b.WriteString(" " + t.Name + " |")
	}
	b.WriteString("\n| --- |" + strings.Repeat(" ---: |", len(tools)) + "\n")
	row := func(label string, cell func(*Tool) string) {
		b.WriteString("| " + label + " |")
		for _, t := range tools {
			b.WriteString(" " + cell(t) + " |")
		}
		b.WriteByte('\n')
	}
	for _, s := range spamGroups {
		row(s+" called spam (recall)", func(t *Tool) string { g := t.Group(s); return pct(g.Spam, g.Total) })
		row(s+" called spam or probable", func(t *Tool) string { g := t.Group(s); return pct(g.Spam+g.Probable, g.Total) })
	}
	for _, h := range hamGroups {
		row(h+" called spam", func(t *Tool) string { g := t.Group(h); return pct(g.Spam, g.Total) })
		row(h+" called probable", func(t *Tool) string { g := t.Group(h); return pct(g.Probable, g.Total) })
	}
	row("messages/s per core", func(t *Tool) string { return fmt.Sprintf("%.0f", t.PerCore) })
	return b.String()
}

// pct writes "n of total (p%)" so that a reader sees the counts behind
// small shares.
func pct(n, total int) string {
	return fmt.Sprintf("%d / %d (%.2f%%)", n, total, 100*share(n, total))
}
