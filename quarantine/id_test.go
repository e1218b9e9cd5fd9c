package quarantine

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	t0 := time.Date(2007, 12, 12, 15, 13, 51, 123456789, time.FixedZone("", 3*3600))
	id := NewID(t0)
	if err := CheckID(id); err != nil {
		t.Fatalf("NewID made an invalid ID: %v", err)
	}
	if want := "20071212T121351123456-"; !strings.HasPrefix(id, want) || len(id) != len(want)+10 {
		t.Errorf("NewID = %q, want %s and 10 random characters", id, want)
	}
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := NewID(t0.Add(time.Duration(i) * time.Microsecond))
		if seen[id] {
			t.Fatalf("duplicate ID %s", id)
		}
		seen[id] = true
		if id <= prev {
			t.Fatalf("IDs do not sort by time: %s after %s", id, prev)
		}
		prev = id
	}
	if a, b := NewID(t0), NewID(t0); a == b {
		t.Errorf("two IDs of the same microsecond are equal: %s", a)
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"20071212T121351123456-k3j5x9q2ab", true},
		{"jFDpgGKo70777", true}, // the predecessor's style
		{"a_b-c", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"-rf", false},
		{".", false},
		{"..", false},
		{"../etc/passwd", false},
		{"a/b", false},
		{`a\b`, false},
		{".index", false},
		{"a.json", false},
		{"a b", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"é", false},
	}
	for _, tt := range tests {
		err := CheckID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("CheckID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidID) {
			t.Errorf("CheckID(%q) = %v, does not wrap ErrInvalidID", tt.id, err)
		}
	}
}

// FuzzCheckID checks that every accepted ID names a file directly inside
// the store, whatever suffix is added.
func FuzzCheckID(f *testing.F) {
	for _, s := range []string{"jFDpgGKo70777", "../x", "a/b", "..", "-x", "", "a\x00", NewID(time.Now())} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if CheckID(id) != nil {
			return
		}
		dir := "/store"
		for _, ext := range []string{"", extEML, extJSON, extSending, extSent} {
			p := filepath.Join(dir, id+ext)
			if filepath.Dir(p) != dir || filepath.Base(p) != id+ext {
				t.Fatalf("ID %q escapes the store: %s", id, p)
			}
			if got, gotExt, ok := splitName(id + ext); ext != "" && (!ok || got != id || gotExt != ext) {
				t.Fatalf("splitName(%q) = %q, %q, %v", id+ext, got, gotExt, ok)
			}
		}
		if strings.HasPrefix(id, ".") || strings.HasPrefix(id, "-") || len(id) > maxIDLen {
			t.Fatalf("accepted %q", id)
		}
	})
}
