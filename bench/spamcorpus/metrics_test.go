package spamcorpus

import (
	"strings"
	"testing"
)

// toolWith builds a tool with the given answers per group.
func toolWith(perCore float64, answers map[string][3]int) *Tool {
	t := &Tool{Name: "x", PerCore: perCore}
	for g, n := range answers {
		for c, k := range n {
			for i := 0; i < k; i++ {
				t.Count(g, Class(c))
			}
		}
	}
	return t
}

func TestTally(t *testing.T) {
	var x Tally
	for _, c := range []Class{Spam, Spam, Probable, Ham} {
		x.Add(c)
	}
	if x.Total != 4 || x.SpamRate() != 0.5 || x.ProbableRate() != 0.25 || x.CaughtRate() != 0.75 {
		t.Errorf("%+v", x)
	}
	if (Tally{}).SpamRate() != 0 {
		t.Error("empty tally")
	}
}

func TestTargets(t *testing.T) {
	// answers: ham, probable, spam
	good := toolWith(1500, map[string][3]int{
		"easy-ham-2": {1000, 4, 0}, // 0.4% probable
		"hard-ham-1": {89, 10, 1},  // 10% probable, 1% spam
		"spam-2":     {1, 9, 90},   // 99% caught, 90% spam
	})
	for _, tg := range Targets(good) {
		if !tg.Met {
			t.Errorf("%s: not met", tg.What)
		}
	}
	bad := toolWith(999, map[string][3]int{
		"easy-ham-2": {993, 6, 1},
		"hard-ham-1": {87, 11, 2},
		"spam-2":     {2, 9, 89},
	})
	for _, tg := range Targets(bad) {
		if tg.Met {
			t.Errorf("%s: met", tg.What)
		}
	}
	for _, tg := range Targets(&Tool{PerCore: 5000}) {
		if tg.Met && !strings.Contains(tg.What, "messages/s") {
			t.Errorf("%s: met without messages", tg.What)
		}
	}
}

func TestMarkdown(t *testing.T) {
	a := toolWith(1234, map[string][3]int{"spam-2": {1, 1, 2}, "easy-ham-2": {4, 0, 0}, "hard-ham-1": {1, 1, 0}})
	b := toolWith(10, nil)
	b.Name = "peer"
	md := Markdown([]*Tool{a, b}, TestSpam, TestHam)
	for _, want := range []string{
		"| figure | x | peer |",
		"| spam-2 called spam (recall) | 2 / 4 (50.00%) | 0 / 0 (0.00%) |",
		"| spam-2 called spam or probable | 3 / 4 (75.00%) |",
		"| easy-ham-2 called spam | 0 / 4 (0.00%) |",
		"| hard-ham-1 called probable | 1 / 2 (50.00%) |",
		"| messages/s per core | 1234 | 10 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
}
