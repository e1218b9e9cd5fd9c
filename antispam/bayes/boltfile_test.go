package bayes

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// An unused file is closed after the idle time, so that a store left
// behind by a reload gives its file back; a lookup opens it again.
func TestBoltFileClosesIdle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bayes.db")
	l, err := OpenBoltLearn(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Learn(context.Background(), [][]string{{"a"}}, true); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f := NewBoltFile(path)
	f.idle = 50 * time.Millisecond
	lookupOnce := func() {
		t.Helper()
		if tot, _, err := f.Lookup(context.Background(), []string{"a"}); err != nil || tot.Spam != 1 {
			t.Fatalf("lookup: %+v %v", tot, err)
		}
	}
	lookupOnce()
	isOpen := func() bool { f.mu.RLock(); defer f.mu.RUnlock(); return f.db != nil }
	if !isOpen() {
		t.Fatal("file not kept open after a lookup")
	}
	deadline := time.Now().Add(5 * time.Second)
	for isOpen() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // waiting for the idle timer, not an assertion
	}
	if isOpen() {
		t.Fatal("file still open long after the idle time")
	}
	lookupOnce()
	if err := f.Close(); err != nil || isOpen() {
		t.Fatalf("Close: %v, open %v", err, isOpen())
	}
}
