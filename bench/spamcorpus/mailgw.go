package spamcorpus

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// mailgwConfig is the configuration the benchmark runs mailgw with: the
// defaults, except that DNS checks are off (the corpus is from 2002 and
// the benchmark must not depend on the network), Bayes lives in the
// benchmark's own file and the built-in model is off (only the training
// split is learnt). Thresholds and rule scores are the defaults, so
// the figures are those of an administrator who changed nothing.
const mailgwConfig = `[mailgw.policy]
SpamUseDNS=false
SpamMarkProbable=true
[mailgw.antispam]
BayesStore=bbolt
BayesPath=%s
BayesBuiltinModel=false
`

// learnBatch is how many messages go into one store transaction, as in
// mailgw learn.
const learnBatch = 200

// timedPasses is how many times the test split is classified to time it;
// the median pass is reported.
const timedPasses = 3

// Mailgw trains mailgw's engine on train and classifies test, through the
// same code paths as `mailgw learn` and the daemons (gateway.SpamChecker
// with a bbolt store). misses, when not nil, receives one line per wrong
// answer with the rules that fired, for tuning on a validation split.
func Mailgw(ctx context.Context, train, test []Message, workDir string, misses io.Writer) (*Tool, error) {
	gw, err := gateway.Parse("bench.conf", []byte(fmt.Sprintf(mailgwConfig, filepath.Join(workDir, "bayes.db"))), config.Options{})
	if err != nil {
		return nil, err
	}
	if err := mailgwLearn(ctx, gw, train); err != nil {
		return nil, err
	}
	checker := gw.SpamChecker(slog.New(slog.NewTextHandler(io.Discard, nil)))
	p := &gw.Policy.Default.Params
	tool := &Tool{Name: "mailgw", Note: "default Thresholds (standard) and rule scores, SpamUseDNS=false, Bayes in bbolt"}
	var perCore []float64
	for pass := 0; pass < timedPasses; pass++ {
		start := cpuTime()
		for _, m := range test {
			r, err := checker.CheckSpam(ctx, &filter.Envelope{}, mimetree.Parse(m.Raw, mimetree.Limits{}), p)
			if err != nil {
				return nil, err
			}
			if pass == 0 {
				c := mailgwClass(r.Status)
				tool.Count(m.Group, c)
				reportMiss(misses, m, c, r)
			}
		}
		perCore = append(perCore, float64(len(test))/(cpuTime()-start).Seconds())
	}
	sort.Float64s(perCore)
	tool.PerCore = perCore[len(perCore)/2]
	return tool, nil
}

func mailgwLearn(ctx context.Context, gw *gateway.Gateway, train []Message) error {
	store, err := gw.BayesStore()
	if err != nil {
		return err
	}
	defer store.Close()
	for _, spam := range []bool{true, false} {
		var batch [][]string
		for _, m := range train {
			if m.Spam() != spam {
				continue
			}
			batch = append(batch, engine.MessageTokens(mimetree.Parse(m.Raw, mimetree.Limits{})))
			if len(batch) == learnBatch {
				if err := store.Learn(ctx, batch, spam); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if len(batch) == 0 {
			continue
		}
		if err := store.Learn(ctx, batch, spam); err != nil {
			return err
		}
	}
	return store.Close() // puts the learnt file in place
}

// mailgwClass maps a status onto the benchmark's classes. Formal (a
// report or a bulk mailing) is not spam.
func mailgwClass(s policy.ASStatus) Class {
	switch s {
	case policy.ASSpam, policy.ASBlacklisted:
		return Spam
	case policy.ASProbable:
		return Probable
	}
	return Ham
}

func reportMiss(w io.Writer, m Message, c Class, r antispam.Result) {
	if w == nil || (m.Spam() && c == Spam) || (!m.Spam() && c == Ham) {
		return
	}
	fmt.Fprintf(w, "%s/%s %s score=%.2f", m.Group, m.Name, c, r.Score)
	for _, rule := range r.Rules {
		fmt.Fprintf(w, " %s(%.1f:%s)", rule.Name, rule.Score, rule.Reason)
	}
	fmt.Fprintln(w)
}

// cpuTime is the user plus system time of this process so far: on a
// shared machine, CPU time per message is a steadier measure than wall
// time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
