package quarantine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestOpen(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b")
	st := openStore(t, dir, Options{})
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("store directory: %v, mode %v; want mode 0700", err, fi.Mode().Perm())
	}
	if st.Dir() != dir {
		t.Errorf("Dir = %q", st.Dir())
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		opts Options
	}{
		{"missing with MustExist", filepath.Join(base, "missing"), Options{MustExist: true}},
		{"a file", file, Options{}},
		{"empty path", "", Options{}},
	}
	for _, tt := range tests {
		if _, err := Open(tt.dir, tt.opts); !errors.Is(err, ErrNoStore) {
			t.Errorf("%s: Open = %v, want ErrNoStore", tt.name, err)
		}
	}
}

func TestPutGetRemove(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, Options{})
	in := sampleMeta()
	id := mustPut(t, st, in, sample)

	for _, ext := range []string{extEML, extJSON} {
		fi, err := os.Stat(filepath.Join(dir, id+ext))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", id+ext, fi.Mode().Perm())
		}
	}
	m, raw, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != sample {
		t.Errorf("Get returned other bytes:\n%q", raw)
	}
	if m.ID != id || m.Size != int64(len(sample)) || !m.Arrival.Equal(in.Arrival) || m.ClientIP != in.ClientIP ||
		m.Sender != in.Sender || !slices.Equal(m.Recipients, in.Recipients) || !slices.Equal(m.Reasons, in.Reasons) ||
		m.Group != in.Group || m.QueueID != in.QueueID || m.Status != in.Status {
		t.Errorf("Get meta = %+v", m)
	}

	if err := st.Remove(id); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("files left after Remove: %v", names)
	}
	for name, err := range map[string]error{
		"Get":          func() error { _, _, err := st.Get(id); return err }(),
		"Remove":       st.Remove(id),
		"Get invalid":  func() error { _, _, err := st.Get("../x"); return err }(),
		"Remove empty": st.Remove(""),
	} {
		want := ErrNotFound
		if strings.Contains(name, " ") {
			want = ErrInvalidID
		}
		if !errors.Is(err, want) {
			t.Errorf("%s after removal = %v, want %v", name, err, want)
		}
	}
}

func TestPutRejects(t *testing.T) {
	st := openStore(t, t.TempDir(), Options{})
	m := sampleMeta()
	m.Status = "av infected"
	if _, err := st.Put(m, []byte(sample)); err == nil {
		t.Fatal("Put accepted a status with a space")
	}
	if names := dirNames(t, st.Dir()); len(names) != 0 {
		t.Errorf("a refused Put left %v", names)
	}
}

// dirNames lists a store directory without its index.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != indexName {
			names = append(names, e.Name())
		}
	}
	return names
}

func ids(metas []Meta) []string {
	out := make([]string, len(metas))
	for i, m := range metas {
		out[i] = m.ID
	}
	return out
}

func TestListOrderAndFilter(t *testing.T) {
	for _, noIndex := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoIndex=%v", noIndex), func(t *testing.T) {
			st := openStore(t, t.TempDir(), Options{NoIndex: noIndex})
			t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
			var want []string
			// Put in reverse order of arrival: List sorts by arrival, not by ID.
			statuses := []string{"as/spam", "av/infected", "as/probable"}
			for i := 2; i >= 0; i-- {
				m := sampleMeta()
				m.Status = statuses[i]
				m.Arrival = t0.Add(time.Duration(i) * time.Hour)
				want = append([]string{mustPut(t, st, m, sample)}, want...)
			}
			tests := []struct {
				f    Filter
				want []string
			}{
				{Filter{}, want},
				{Filter{Status: "as/"}, []string{want[0], want[2]}},
				{Filter{Status: "av/infected"}, want[1:2]},
				{Filter{Status: "av/"}, want[1:2]},
				{Filter{Status: "as"}, nil},
				{Filter{Before: t0.Add(90 * time.Minute)}, want[:2]},
				{Filter{Status: "as/", Before: t0.Add(90 * time.Minute)}, want[:1]},
			}
			for _, tt := range tests {
				got, err := st.List(tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), tt.want) {
					t.Errorf("List(%+v) = %v, want %v", tt.f, ids(got), tt.want)
				}
			}
		})
	}
}

// TestInterruptedWrites: what a crash leaves behind (temporary files, an
// ID.eml whose ID.json was never written) is not a message.
func TestInterruptedWrites(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, Options{})
	id := mustPut(t, st, sampleMeta(), sample)
	leftovers := map[string]string{
		tmpPrefix + "x.json-0123": `{"id":"x","sta`,
		tmpPrefix + "y.eml-4567":  "From: partial",
		"orphan" + extEML:         sample,
		"notes.txt":               "the administrator's",
	}
	for name, content := range leftovers {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.List(Filter{})
	if err != nil || !slices.Equal(ids(got), []string{id}) {
		t.Fatalf("List = %v, %v; want only %s", ids(got), err, id)
	}
	if _, _, err := st.Get("orphan"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(orphan) = %v, want ErrNotFound", err)
	}
}

func TestDamagedFiles(t *testing.T) {
	for _, noIndex := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoIndex=%v", noIndex), func(t *testing.T) {
			dir := t.TempDir()
			st := openStore(t, dir, Options{NoIndex: noIndex})
			good := mustPut(t, st, sampleMeta(), sample)
			bad := map[string]string{
				"truncated": `{"id":"truncated","status":`,
				"renamed":   strings.Replace(readFile(t, filepath.Join(dir, good+extJSON)), good, "other", 1),
			}
			for id, content := range bad {
				if err := os.WriteFile(filepath.Join(dir, id+extJSON), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// Twice: a damaged file is reported again, not hidden by the index.
			for range 2 {
				got, err := st.List(Filter{})
				if !slices.Equal(ids(got), []string{good}) {
					t.Errorf("List = %v, want the good message only", ids(got))
				}
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("List error = %v, want ErrDamaged", err)
				}
				for id := range bad {
					if !strings.Contains(err.Error(), filepath.Join(dir, id+extJSON)) {
						t.Errorf("error does not name %s.json: %v", id, err)
					}
				}
			}
			if _, _, err := st.Get("truncated"); !errors.Is(err, ErrDamaged) {
				t.Errorf("Get(truncated) = %v, want ErrDamaged", err)
			}
			if err := os.Remove(filepath.Join(dir, good+extEML)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.Get(good); !errors.Is(err, ErrDamaged) {
				t.Errorf("Get without ID.eml = %v, want ErrDamaged", err)
			}
		})
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestIndexFollowsFiles: the files win over the index, whatever happened
// to either.
func TestIndexFollowsFiles(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, Options{})
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	m := sampleMeta()
	m.Arrival = t0
	first := mustPut(t, st, m, sample)
	list := func(want ...string) {
		t.Helper()
		got, err := st.List(Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), want) {
			t.Fatalf("List = %v, want %v", ids(got), want)
		}
	}
	list(first)
	if _, err := os.Stat(filepath.Join(dir, indexName)); err != nil {
		t.Fatalf("List made no index: %v", err)
	}

	// Copied in by hand, as when restoring a backup.
	m.ID, m.Arrival = "restored", t0.Add(-time.Hour)
	writeByHand(t, dir, m, sample)
	list("restored", first)

	// Removed by hand.
	for _, ext := range []string{extJSON, extEML} {
		if err := os.Remove(filepath.Join(dir, "restored"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	list(first)

	// Rewritten in place: another status, another size.
	path := filepath.Join(dir, first+extJSON)
	changed := strings.Replace(readFile(t, path), `"av/infected"`, `"av/suspicious"`, 1)
	if err := os.WriteFile(path, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := st.List(Filter{})
	if len(got) != 1 || got[0].Status != "av/suspicious" {
		t.Fatalf("after rewriting ID.json List = %+v", got)
	}

	// Index deleted: rebuilt.
	if err := os.Remove(filepath.Join(dir, indexName)); err != nil {
		t.Fatal(err)
	}
	list(first)
	if _, err := os.Stat(filepath.Join(dir, indexName)); err != nil {
		t.Fatalf("index not rebuilt: %v", err)
	}

	// Index overwritten with garbage: replaced.
	if err := os.WriteFile(filepath.Join(dir, indexName), []byte(strings.Repeat("garbage ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	list(first)
	db, err := bbolt.Open(filepath.Join(dir, indexName), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("damaged index not replaced: %v", err)
	}
	_ = db.Close()
}

// TestIndexStale: an index record whose stamp matches is trusted, so a
// record with the wrong content shows that the index is really used, and
// a changed file replaces it.
func TestIndexIsUsed(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, Options{})
	id := mustPut(t, st, sampleMeta(), sample)
	if _, err := st.List(Filter{}); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(filepath.Join(dir, indexName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(metaBucket))
		v := slices.Clone(b.Get([]byte(id)))
		return b.Put([]byte(id), []byte(strings.Replace(string(v), "av/infected", "av/fromindx", 1)))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.List(Filter{})
	if err != nil || len(got) != 1 || got[0].Status != "av/fromindx" {
		t.Fatalf("List = %+v, %v; want the index's record", got, err)
	}
	// NoIndex reads the file.
	got, _ = openStore(t, dir, Options{NoIndex: true}).List(Filter{})
	if len(got) != 1 || got[0].Status != "av/infected" {
		t.Fatalf("List without index = %+v", got)
	}
}

// TestIndexBusy: while another process holds the index, List reads the
// files instead of waiting.
func TestIndexBusy(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, Options{LockTimeout: 50 * time.Millisecond})
	first := mustPut(t, st, sampleMeta(), sample)
	if _, err := st.List(Filter{}); err != nil {
		t.Fatal(err)
	}
	holder, err := bbolt.Open(filepath.Join(dir, indexName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	second := mustPut(t, st, sampleMeta(), sample)
	start := time.Now()
	got, err := st.List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("List waited %v for a busy index", el)
	}
	want := []string{first, second}
	slices.Sort(want)
	gotIDs := ids(got)
	slices.Sort(gotIDs)
	if !slices.Equal(gotIDs, want) {
		t.Errorf("List with a busy index = %v, want %v", gotIDs, want)
	}
}

func TestPurge(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2024, 5, 31, 12, 0, 0, 0, time.UTC)
	st := openStore(t, dir, Options{Now: func() time.Time { return now }})
	var old, young []string
	for _, age := range []time.Duration{40, 31, 29, 1} {
		m := sampleMeta()
		m.Arrival = now.Add(-age * 24 * time.Hour)
		id := mustPut(t, st, m, sample)
		if age > 30 {
			old = append(old, id)
		} else {
			young = append(young, id)
		}
	}
	longAgo := now.Add(-40 * 24 * time.Hour)
	leftovers := []string{tmpPrefix + "a.eml-1", "orphan" + extEML, "oldsent" + extSent}
	for _, name := range append(leftovers, tmpPrefix+"fresh.eml-2") {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != tmpPrefix+"fresh.eml-2" {
			if err := os.Chtimes(path, longAgo, longAgo); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The fresh temporary file may belong to a Put in progress: kept.
	if err := os.Chtimes(filepath.Join(dir, tmpPrefix+"fresh.eml-2"), now, now); err != nil {
		t.Fatal(err)
	}

	n, err := st.Purge(30 * 24 * time.Hour)
	if err != nil || n != len(old) {
		t.Fatalf("Purge = %d, %v; want %d, nil", n, err, len(old))
	}
	got, _ := st.List(Filter{})
	if !slices.Equal(ids(got), young) {
		t.Errorf("after Purge: %v, want %v", ids(got), young)
	}
	names := dirNames(t, dir)
	for _, name := range leftovers {
		if slices.Contains(names, name) {
			t.Errorf("Purge left %s", name)
		}
	}
	if !slices.Contains(names, tmpPrefix+"fresh.eml-2") {
		t.Errorf("Purge removed a fresh temporary file")
	}
	if _, err := st.Purge(0); err == nil {
		t.Error("Purge(0) accepted")
	}
}

// BenchmarkList lists a store of 10,000 messages through the index
// (brought up to date by the first List) and, for comparison, by reading
// every file.
func BenchmarkList(b *testing.B) {
	dir := b.TempDir()
	m := sampleMeta()
	t0 := m.Arrival
	for i := range 10000 {
		m.ID = fmt.Sprintf("msg%05d", i)
		m.Arrival = t0.Add(time.Duration(i) * time.Second)
		writeByHand(b, dir, m, sample)
	}
	for _, noIndex := range []bool{false, true} {
		name := "index"
		if noIndex {
			name = "files"
		}
		b.Run(name, func(b *testing.B) {
			st := openStore(b, dir, Options{NoIndex: noIndex})
			if _, err := st.List(Filter{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				got, err := st.List(Filter{})
				if err != nil || len(got) != 10000 {
					b.Fatalf("List = %d messages, %v", len(got), err)
				}
			}
		})
	}
}
