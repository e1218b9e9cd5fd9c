package bayes_test

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/antispam/bayes"
	"github.com/mailgw/mailgw/internal/peer"
)

var (
	spamWords = strings.Fields("viagra cheap pills offer winner prize casino loan credit free money click unsubscribe discount replica watches bitcoin investment urgent")
	hamWords  = strings.Fields("meeting agenda project report budget lunch friday review patch release notes minutes schedule team draft comments kernel build")
	common    = strings.Fields("the and you for with this that have from your will are")
)

// message makes the token set of a generated message: mostly words of
// its class, some common words, a few of the other class.
func message(r *rand.Rand, spam bool) []string {
	own, other := hamWords, spamWords
	if spam {
		own, other = spamWords, hamWords
	}
	seen := map[string]bool{}
	var out []string
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for range 12 {
		add(own[r.IntN(len(own))])
	}
	for range 6 {
		add(common[r.IntN(len(common))])
	}
	add(other[r.IntN(len(other))])
	return out
}

func train(t *testing.T, c *bayes.Classifier, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var spam, ham [][]string
	for range n {
		spam = append(spam, message(r, true))
		ham = append(ham, message(r, false))
	}
	ctx := context.Background()
	if err := c.Learn(ctx, spam, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Learn(ctx, ham, false); err != nil {
		t.Fatal(err)
	}
}

// classifies checks fresh generated messages land on the right side.
func classifies(t *testing.T, c *bayes.Classifier) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 20 {
		spam := i%2 == 0
		p, ok, err := c.Classify(context.Background(), message(r, spam))
		if err != nil || !ok {
			t.Fatalf("Classify: %v %v", ok, err)
		}
		if spam && p < 0.9 || !spam && p > 0.1 {
			t.Errorf("message %d (spam %v): p=%.3f", i, spam, p)
		}
	}
	if p, ok, _ := c.Classify(context.Background(), []string{"unknown", "tokens"}); !ok || p != 0.5 {
		t.Errorf("unknown tokens: %v %v", p, ok)
	}
}

func TestBoltClassifier(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bayes.db")
	// Untrained (no file at all): no verdict, no error.
	if _, ok, err := bayes.New(bayes.NewBoltFile(path), 20).Classify(context.Background(), []string{"x"}); ok || err != nil {
		t.Fatalf("untrained: %v %v", ok, err)
	}
	w, err := bayes.OpenBolt(path, true)
	if err != nil {
		t.Fatal(err)
	}
	train(t, bayes.New(w, 20), 10)
	if _, ok, _ := bayes.New(w, 20).Classify(context.Background(), []string{"viagra"}); ok {
		t.Error("scored with 10 of each class learnt, minimum 20")
	}
	train(t, bayes.New(w, 20), 30)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c := bayes.New(bayes.NewBoltFile(path), 20)
	if tot, err := c.Totals(context.Background()); err != nil || tot != (bayes.Counts{Spam: 40, Ham: 40}) {
		t.Fatalf("totals %+v %v", tot, err)
	}
	classifies(t, c)
}

// TestBoltLocked: a writer holding the file makes lookups fail as such
// after the lock timeout, never score clean.
func TestBoltLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bayes.db")
	w, err := bayes.OpenBolt(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	train(t, bayes.New(w, 1), 5)
	start := time.Now()
	_, _, err = bayes.New(bayes.NewBoltFile(path), 1).Classify(context.Background(), []string{"viagra"})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

// startRedis runs a real redis-server on a free loopback port.
func startRedis(t *testing.T) string {
	t.Helper()
	bin := peer.Binary(t, "", "/usr/bin/redis-server", "install Debian's redis-server")
	addr := peer.FreePort(t)
	_, port, _ := net.SplitHostPort(addr)
	p := peer.Start(t, bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-p.Exited():
			t.Fatalf("redis-server exited:\n%s", p.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not listen on %s:\n%s", addr, p.Output())
		}
		time.Sleep(20 * time.Millisecond) // polling for readiness, not an assertion
	}
}

func TestRedisClassifier(t *testing.T) {
	addr := startRedis(t)
	// Two gateways share the server: what one learns the other uses.
	a := bayes.NewRedis(addr, "gw:")
	defer a.Close()
	b := bayes.NewRedis(addr, "gw:")
	defer b.Close()
	train(t, bayes.New(a, 20), 40)
	c := bayes.New(b, 20)
	if tot, err := c.Totals(context.Background()); err != nil || tot != (bayes.Counts{Spam: 40, Ham: 40}) {
		t.Fatalf("totals %+v %v", tot, err)
	}
	classifies(t, c)
	// Another prefix is another classifier.
	other := bayes.NewRedis(addr, "other:")
	defer other.Close()
	if tot, err := bayes.New(other, 1).Totals(context.Background()); err != nil || tot != (bayes.Counts{}) {
		t.Errorf("other prefix: %+v %v", tot, err)
	}
}

// TestRedisDown: a dead server is an error, not a clean verdict.
func TestRedisDown(t *testing.T) {
	addr := peer.FreePort(t)
	s := bayes.NewRedis(addr, "x:")
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := bayes.New(s, 1).Classify(ctx, []string{"a"})
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Fatalf("err = %v, want a redis error", err)
	}
}

// learnInto runs one learn like mailgw learn: n messages of each class
// into a copy of the file, put in place by Close.
func learnInto(t *testing.T, path string, n int) {
	t.Helper()
	l, err := bayes.OpenBoltLearn(path)
	if err != nil {
		t.Fatal(err)
	}
	train(t, bayes.New(l, 1), n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// A daemon's store keeps the file open (and its shared lock) between
// lookups; a learn run must still go through, and the next lookup must
// see what it learnt.
func TestLearnWhileDaemonReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bayes.db")
	learnInto(t, path, 5)
	daemon := bayes.NewBoltFile(path)
	defer daemon.Close()
	c := bayes.New(daemon, 1)
	ctx := context.Background()
	if tot, err := c.Totals(ctx); err != nil || tot != (bayes.Counts{Spam: 5, Ham: 5}) {
		t.Fatalf("totals %+v %v", tot, err)
	}
	start := time.Now()
	learnInto(t, path, 7) // would wait for the lock and fail if the file were written in place
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("learn took %v: it waited for the daemon's lock", d)
	}
	if tot, err := c.Totals(ctx); err != nil || tot != (bayes.Counts{Spam: 12, Ham: 12}) {
		t.Fatalf("totals after the second learn %+v %v, want 12 and 12", tot, err)
	}
	classifies(t, c)
}

// Two learn runs at once would lose one's counts: the second is refused.
func TestLearnLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bayes.db")
	first, err := bayes.OpenBoltLearn(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := bayes.OpenBoltLearn(path); err == nil || !strings.Contains(err.Error(), "another mailgw learn") {
		t.Fatalf("second learn: %v", err)
	}
}

// The learnt file replaces the old one with the old one's mode, so that
// daemons running as another user can still read it.
func TestLearnKeepsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bayes.db")
	learnInto(t, path, 1) // creates the file
	if err := os.Chmod(path, 0o604); err != nil {
		t.Fatal(err)
	}
	learnInto(t, path, 1)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o604 {
		t.Fatalf("after learning: %v %v, want mode 0604", fi.Mode().Perm(), err)
	}
}
