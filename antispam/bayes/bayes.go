// Package bayes is the Bayesian token classifier of the anti-spam engine:
// it learns how often tokens occur in spam and in ham and combines the
// evidence of a message's tokens into one spam probability. Counts live in
// a Store: a bbolt file for one gateway, Redis for several.
//
// Token probabilities follow Gary Robinson's smoothed estimate, and are
// combined with Fisher's method (inverse chi-square), which is robust
// against the many weak tokens of ordinary mail.
package bayes

import (
	"context"
	"math"
	"sort"
)

// Counts are how many learnt messages of each class held a token, or, for
// Store.Totals, how many messages of each class were learnt.
type Counts struct {
	Spam, Ham int64
}

// Store keeps the counts. Implementations must be safe for concurrent
// use; an error means the store could not be read or written, never that a
// token is unknown (an unknown token has zero Counts).
type Store interface {
	// Lookup returns the message totals and the counts of each token, in
	// order, read at one moment.
	Lookup(ctx context.Context, tokens []string) (Counts, []Counts, error)
	// Learn adds one message per token set to the class.
	Learn(ctx context.Context, messages [][]string, spam bool) error
	Close() error
}

// Tuning of the estimate: the weight of the prior belief and the prior,
// how far from 0.5 a token must be to count, and how many of the
// strongest tokens are used.
const (
	strength    = 1.0
	prior       = 0.5
	minDistance = 0.1
	maxClues    = 150
	minProb     = 1e-6
)

// Classifier scores token sets against a store.
type Classifier struct {
	store   Store
	minimum int64
}

// New returns a classifier that scores only once minimum messages of each
// class were learnt.
func New(s Store, minimum int) *Classifier {
	return &Classifier{store: s, minimum: int64(max(minimum, 1))}
}

// Classify returns the spam probability of a message with these tokens.
// ok is false when too little was learnt to say anything.
func (c *Classifier) Classify(ctx context.Context, tokens []string) (float64, bool, error) {
	tot, counts, err := c.store.Lookup(ctx, tokens)
	if err != nil {
		return 0, false, err
	}
	if tot.Spam < c.minimum || tot.Ham < c.minimum || len(tokens) == 0 {
		return 0, false, nil
	}
	var clues []float64
	for _, n := range counts {
		if n.Spam+n.Ham == 0 {
			continue
		}
		if p := tokenProb(n, tot); math.Abs(p-0.5) >= minDistance {
			clues = append(clues, p)
		}
	}
	if len(clues) == 0 {
		return 0.5, true, nil
	}
	sort.Slice(clues, func(i, j int) bool { return math.Abs(clues[i]-0.5) > math.Abs(clues[j]-0.5) })
	if len(clues) > maxClues {
		clues = clues[:maxClues]
	}
	return combine(clues), true, nil
}

// Totals returns how many messages of each class were learnt.
func (c *Classifier) Totals(ctx context.Context) (Counts, error) {
	tot, _, err := c.store.Lookup(ctx, nil)
	return tot, err
}

// Learn adds messages (their token sets) to the spam or ham class.
func (c *Classifier) Learn(ctx context.Context, messages [][]string, spam bool) error {
	return c.store.Learn(ctx, messages, spam)
}

// tokenProb is Robinson's f(w): the share of spam among the messages
// holding the token, relative to class sizes, pulled towards the prior
// when the token is rare.
func tokenProb(n, tot Counts) float64 {
	sr := float64(n.Spam) / float64(tot.Spam)
	hr := float64(n.Ham) / float64(tot.Ham)
	p := sr / (sr + hr)
	total := float64(n.Spam + n.Ham)
	f := (strength*prior + total*p) / (strength + total)
	return math.Min(math.Max(f, minProb), 1-minProb)
}

// combine is Fisher's method: how unlikely the clues are under "all ham"
// and under "all spam", mapped to one probability.
func combine(ps []float64) float64 {
	var lnSpam, lnHam float64
	for _, p := range ps {
		lnHam += math.Log(p)
		lnSpam += math.Log(1 - p)
	}
	n := len(ps)
	h := chi2Q(-2*lnHam, 2*n)
	s := chi2Q(-2*lnSpam, 2*n)
	return (1 + h - s) / 2
}

// chi2Q is the probability that a chi-square variable with v (even)
// degrees of freedom exceeds x2.
func chi2Q(x2 float64, v int) float64 {
	m := x2 / 2
	term := math.Exp(-m)
	sum := term
	for i := 1; i < v/2; i++ {
		term *= m / float64(i)
		sum += term
	}
	return math.Min(sum, 1)
}
