package bayes

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// modelMagic is the first line of a model file (WriteModel, ReadModel).
const modelMagic = "mailgw-bayes 1"

// maxModelLine bounds one line of a model file: a token is at most a few
// hundred bytes.
const maxModelLine = 64 << 10

// Memory is a read-only Store held in memory: the default model shipped
// with the program (package defaultdb), read with ReadModel.
type Memory struct {
	totals Counts
	tokens map[string]Counts
}

var _ Store = (*Memory)(nil)

// Lookup implements Store.
func (m *Memory) Lookup(_ context.Context, tokens []string) (Counts, []Counts, error) {
	out := make([]Counts, len(tokens))
	for i, t := range tokens {
		out[i] = m.tokens[t]
	}
	return m.totals, out, nil
}

// Learn implements Store: a Memory store is read-only.
func (m *Memory) Learn(context.Context, [][]string, bool) error {
	return errors.New("bayes: the built-in model is read-only")
}

// Close implements Store.
func (m *Memory) Close() error { return nil }

// Len is the number of tokens.
func (m *Memory) Len() int { return len(m.tokens) }

// Totals are the numbers of spam and ham messages the model learnt.
func (m *Memory) Totals() Counts { return m.totals }

// Learner builds a Memory model from messages, for the generator of the
// default model.
type Learner struct{ m Memory }

// Add counts one message's tokens (each once) in its class.
func (l *Learner) Add(tokens []string, spam bool) {
	if l.m.tokens == nil {
		l.m.tokens = map[string]Counts{}
	}
	seen := map[string]bool{}
	for _, t := range tokens {
		if !seen[t] {
			seen[t] = true
			l.m.tokens[t] = bump(l.m.tokens[t], spam)
		}
	}
	l.m.totals = bump(l.m.totals, spam)
}

// Model is what was added so far.
func (l *Learner) Model() *Memory { return &l.m }

// WriteModel writes m in the model file format, tokens sorted so that the
// same messages give the same bytes:
//
//	mailgw-bayes 1
//	totals SPAM HAM
//	SPAM<TAB>HAM<TAB>TOKEN        (one line per token)
//
// Tokens with a tab, CR or LF cannot be written and are skipped (the
// tokenizer never makes them).
func WriteModel(w io.Writer, m *Memory) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\ntotals %d %d\n", modelMagic, m.totals.Spam, m.totals.Ham)
	keys := make([]string, 0, len(m.tokens))
	for t := range m.tokens {
		if !strings.ContainsAny(t, "\t\r\n") && t != "" {
			keys = append(keys, t)
		}
	}
	sort.Strings(keys)
	for _, t := range keys {
		c := m.tokens[t]
		fmt.Fprintf(bw, "%d\t%d\t%s\n", c.Spam, c.Ham, t)
	}
	return bw.Flush()
}

// ReadModel reads a model written by WriteModel. Errors name the line.
func ReadModel(r io.Reader) (*Memory, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxModelLine)
	m := &Memory{tokens: map[string]Counts{}}
	line := 0
	next := func() bool { line++; return sc.Scan() }
	fail := func(format string, args ...any) error {
		return fmt.Errorf("bayes model, line %d: %s", line, fmt.Sprintf(format, args...))
	}
	if !next() || sc.Text() != modelMagic {
		return nil, fail("want %q", modelMagic)
	}
	if !next() {
		return nil, fail("missing totals line")
	}
	f := strings.Fields(sc.Text())
	var err error
	if len(f) != 3 || f[0] != "totals" {
		return nil, fail("want \"totals SPAM HAM\"")
	}
	if m.totals, err = parseCounts(f[1], f[2]); err != nil {
		return nil, fail("%v", err)
	}
	for next() {
		spam, rest, ok1 := strings.Cut(sc.Text(), "\t")
		ham, tok, ok2 := strings.Cut(rest, "\t")
		if !ok1 || !ok2 || tok == "" {
			return nil, fail("want SPAM<TAB>HAM<TAB>TOKEN")
		}
		c, err := parseCounts(spam, ham)
		if err != nil {
			return nil, fail("%v", err)
		}
		if c.Spam > m.totals.Spam || c.Ham > m.totals.Ham {
			return nil, fail("token %q counted in more messages than the totals", tok)
		}
		if _, dup := m.tokens[tok]; dup {
			return nil, fail("token %q twice", tok)
		}
		m.tokens[tok] = c
	}
	if err := sc.Err(); err != nil {
		return nil, fail("%v", err)
	}
	return m, nil
}

func parseCounts(spam, ham string) (Counts, error) {
	s, err1 := strconv.ParseInt(spam, 10, 64)
	h, err2 := strconv.ParseInt(ham, 10, 64)
	if err1 != nil || err2 != nil || s < 0 || h < 0 {
		return Counts{}, fmt.Errorf("counts %q %q: want two numbers ≥ 0", spam, ham)
	}
	return Counts{Spam: s, Ham: h}, nil
}

// Layered is a store whose counts are those of Base plus those of Top:
// the built-in model under what this site learnt. Learn goes to Top.
type Layered struct {
	Base, Top Store
}

var _ Store = Layered{}

// Lookup implements Store.
func (l Layered) Lookup(ctx context.Context, tokens []string) (Counts, []Counts, error) {
	bt, bc, err := l.Base.Lookup(ctx, tokens)
	if err != nil {
		return Counts{}, nil, err
	}
	tt, tc, err := l.Top.Lookup(ctx, tokens)
	if err != nil {
		return Counts{}, nil, err
	}
	for i := range bc {
		bc[i].Spam += tc[i].Spam
		bc[i].Ham += tc[i].Ham
	}
	return Counts{Spam: bt.Spam + tt.Spam, Ham: bt.Ham + tt.Ham}, bc, nil
}

// Learn implements Store.
func (l Layered) Learn(ctx context.Context, messages [][]string, spam bool) error {
	return l.Top.Learn(ctx, messages, spam)
}

// Close implements Store: it closes both.
func (l Layered) Close() error { return errors.Join(l.Top.Close(), l.Base.Close()) }
