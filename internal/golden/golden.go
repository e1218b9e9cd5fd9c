// Package golden compares a test's output with a file of expected output
// and rewrites that file when the test runs with -update. Test support
// only; each test binary keeps its own -update flag and passes its value.
package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Check fails t when got differs from the file at path. With update it
// first writes got there (creating the directory), so a run with -update
// records the new output and still compares what it wrote.
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept it):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
