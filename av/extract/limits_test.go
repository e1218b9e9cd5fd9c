package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av/extract/bombtest"
)

// noise returns n incompressible bytes (seeded: tests are reproducible).
func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestLimitDepth(t *testing.T) {
	data := zipOf(t, file{name: "x.exe", data: fakeExe()})
	for i := 9; i >= 1; i-- {
		data = zipOf(t, file{name: fmt.Sprintf("l%d.zip", i), data: data})
	}
	w := walk(t, "l0.zip", data, Limits{ScanArchives: true, MaxDepth: 3})
	if len(w.members) != 4 {
		t.Fatalf("members %q, want depths 0 to 3", w.paths())
	}
	last := w.members[3]
	if !errors.Is(last.Err, ErrLimit) || last.Data == nil || last.Type != typeZip || last.Depth != 3 {
		t.Errorf("container at MaxDepth: Err %v, %d bytes, type %s", last.Err, len(last.Data), last.Type)
	}
}

func TestLimitMembers(t *testing.T) {
	var files []file
	for i := range 20 {
		files = append(files, file{name: fmt.Sprintf("f%02d", i), data: []byte{byte(i)}})
	}
	w := walk(t, "a.zip", zipOf(t, files...), Limits{ScanArchives: true, MaxMembers: 5})
	if w.err != nil || len(w.members) != 7 {
		t.Fatalf("err %v, members %q: want the root, 5 members and the one over the count", w.err, w.paths())
	}
	if last := w.members[6]; !errors.Is(last.Err, ErrLimit) || last.Name != "f05" {
		t.Errorf("member over the count: %s %v", last.Name, last.Err)
	}
}

func TestLimitTotal(t *testing.T) {
	t.Run("declared sizes", func(t *testing.T) {
		z := zipOf(t, file{name: "a", data: noise(1<<20, 1), store: true}, file{name: "b", data: noise(1<<20, 2), store: true},
			file{name: "c", data: noise(1<<20, 3), store: true}, file{name: "d", data: []byte("small")})
		w := walk(t, "z", z, Limits{ScanArchives: true, MaxTotal: 5 << 19})
		for path, want := range map[string]error{"z/a": nil, "z/b": nil, "z/c": ErrLimit, "z/d": nil} {
			if m := w.get(path); m == nil || !errors.Is(m.Err, want) || (want == nil && m.Err != nil) {
				t.Errorf("%s: %+v, want %v", path, m, want)
			}
		}
	})
	t.Run("streamed, then members only listed", func(t *testing.T) {
		g := func(seed uint64) []byte { return gzipOf(t, "", noise(6<<18, seed)) }
		z := zipOf(t, file{name: "a.gz", data: g(1), store: true}, file{name: "b.gz", data: g(2), store: true},
			file{name: "c.exe", data: fakeExe()})
		w := walk(t, "z", z, Limits{ScanArchives: true, MaxTotal: 5 << 20}) // a.gz, a, b.gz fit; b does not
		if m := w.get("z/a.gz/a"); m == nil || m.Err != nil {
			t.Errorf("a: %+v", m)
		}
		if m := w.get("z/b.gz/b"); m == nil || !errors.Is(m.Err, ErrLimit) || m.Data != nil {
			t.Errorf("b: %+v", m)
		}
		if m := w.get("z/c.exe"); m == nil || !errors.Is(m.Err, ErrLimit) || m.Data != nil {
			t.Errorf("c.exe must be listed, not expanded: %+v", m)
		}
	})
}

func TestLimitMemberSize(t *testing.T) {
	big := append([]byte("MZ"), noise(2<<20, 4)...)
	for _, name := range []string{"zip", "gzip"} {
		t.Run(name, func(t *testing.T) {
			data, path := zipOf(t, file{name: "big.exe", data: big}, file{name: "x.exe", data: fakeExe()}), "a/big.exe"
			if name == "gzip" {
				data, path = gzipOf(t, "big.exe", big), "a/big.exe"
			}
			w := walk(t, "a", data, Limits{ScanArchives: true, MaxMemberSize: 1 << 20})
			m := w.get(path)
			if m == nil || !errors.Is(m.Err, ErrLimit) || m.Data != nil || m.Type != typeDosExec {
				t.Fatalf("big member: %+v", m)
			}
			t.Log(m.Err)
			if name == "zip" {
				if x := w.get("a/x.exe"); x == nil || x.Err != nil || x.Data == nil {
					t.Errorf("sibling after a big member: %+v", x)
				}
			}
		})
	}
}

func TestLimitRatio(t *testing.T) {
	zeros := make([]byte, 8<<20)
	tests := []struct {
		name  string
		build func(t *testing.T) []byte
		path  string
		lim   Limits
		want  error
	}{
		{"zip, declared", func(t *testing.T) []byte { return zipOf(t, file{name: "z", data: zeros}) }, "a/z", all(), ErrBomb},
		{"zip, ratio allowed", func(t *testing.T) []byte { return zipOf(t, file{name: "z", data: zeros}) }, "a/z",
			Limits{ScanArchives: true, MaxRatio: 5000}, nil},
		{"zip, under 1 MiB is never a bomb", func(t *testing.T) []byte { return zipOf(t, file{name: "z", data: zeros[:1<<20]}) }, "a/z", all(), nil},
		{"gzip, streamed", func(t *testing.T) []byte { return gzipOf(t, "z", zeros) }, "a/z", all(), ErrBomb},
		{"xz, streamed", func(t *testing.T) []byte { return xzOf(t, zeros) }, "a/a", all(), ErrBomb},
		{"bzip2, streamed", func(t *testing.T) []byte { return bzip2Of(t, zeros) }, "a/a", all(), ErrBomb},
		{"7z", func(t *testing.T) []byte { return sevenZip(t, nil, file{name: "z", data: zeros}) }, "a/z", all(), ErrBomb},
		{"tar.gz: the tar member inherits nothing, the gzip stream is the bomb", func(t *testing.T) []byte {
			return gzipOf(t, "", tarOf(t, file{name: "z", data: zeros}))
		}, "a/a", all(), ErrBomb},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := walk(t, "a", tc.build(t), tc.lim)
			m := w.get(tc.path)
			if m == nil {
				t.Fatalf("no %s in %q", tc.path, w.paths())
			}
			if !errors.Is(m.Err, tc.want) || (tc.want == nil && m.Err != nil) {
				t.Fatalf("%s: Err %v, want %v", tc.path, m.Err, tc.want)
			}
			if tc.want != nil && m.Data != nil {
				t.Errorf("a bomb keeps no Data")
			}
		})
	}
}

func TestBombStopsOnlyItsContainer(t *testing.T) {
	bomb := zipOf(t, file{name: "z", data: make([]byte, 8<<20)}, file{name: "after", data: []byte("x")})
	outer := tarOf(t, file{name: "bomb.zip", data: bomb}, file{name: "x.exe", data: fakeExe()})
	w := walk(t, "a.tar", outer, all())
	if m := w.get("a.tar/bomb.zip/z"); m == nil || !errors.Is(m.Err, ErrBomb) {
		t.Errorf("bomb: %+v", m)
	}
	if w.get("a.tar/bomb.zip/after") != nil {
		t.Errorf("the bomb's container went on: %q", w.paths())
	}
	if m := w.get("a.tar/x.exe"); m == nil || m.Err != nil || m.Data == nil {
		t.Errorf("sibling of the bomb: %+v", m)
	}
}

func TestContextCancel(t *testing.T) {
	z := zipOf(t, file{name: "x.exe", data: fakeExe()})
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		err := Walk(ctx, "a.zip", z, all(), func(*Member) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Errorf("err %v, fn called %v", err, called)
		}
	})
	t.Run("between members", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var seen []string
		err := Walk(ctx, "a.zip", z, all(), func(m *Member) error { seen = append(seen, m.Name); cancel(); return nil })
		if !errors.Is(err, context.Canceled) || len(seen) != 1 {
			t.Errorf("err %v, seen %q", err, seen)
		}
	})
	t.Run("inside a long decompression", func(t *testing.T) {
		raw, crc := bombtest.ZerosDeflate(t, bombtest.Size)
		gz := cat([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, raw, le32(crc), le32(0))
		lim := Limits{ScanArchives: true, MaxRatio: 1 << 30, MaxTotal: 1 << 40, MaxMemberSize: 1 << 20}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := Walk(ctx, "z.gz", gz, lim, func(*Member) error { return nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("cancel noticed after %v", d)
		}
		t.Log(err)
	})
}

func TestCountersOverflowSafe(t *testing.T) {
	// Declared sizes near the int64 limit must not overflow the ratio.
	w := &walker{ctx: context.Background(), lim: all().withDefaults()}
	m := &Member{Path: []string{"a"}, Name: "a"}
	stop, ok := w.precheck(m, &entry{size: 1 << 62, exact: true, packed: 1 << 62})
	if ok || stop || !errors.Is(m.Err, ErrLimit) {
		t.Errorf("huge declared size: ok %v stop %v err %v", ok, stop, m.Err)
	}
	if !bytes.Contains([]byte(m.Err.Error()), []byte("MaxTotal")) {
		t.Errorf("error does not name the limit: %v", m.Err)
	}
}
