package sigdb

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAgainstClamscan compares MatchAll with ClamAV's own clamscan on
// generated signatures and files, when clamscan is installed (Debian
// package clamav). Signatures are built along each file's bytes, so that
// most match, with every construct ClamAV accepts in them.
func TestAgainstClamscan(t *testing.T) {
	if _, err := exec.LookPath("clamscan"); err != nil {
		t.Skip("clamscan not installed (apt-get install clamav): no comparison with ClamAV")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 5))
	files, sigs := map[string][]byte{}, []refSig{}
	for f := range 60 {
		data := make([]byte, 40+rng.IntN(80))
		for i := range data {
			data[i] = "\x01\x02\x03\x80\x81\x82\xfe\xfd"[rng.IntN(8)]
		}
		name := fmt.Sprintf("f%02d.bin", f)
		files[name] = data
		write(t, dir, name, string(data))
		for i := range 5 {
			sigs = append(sigs, walkSig(rng, fmt.Sprintf("S%02d_%d", f, i), data))
		}
	}
	var lines []string
	for _, s := range sigs {
		lines = append(lines, s.line())
	}
	db := mustParse(t, "t.ndb", strings.Join(lines, "\n"))
	clam := clamscan(t, write(t, t.TempDir(), "t.ndb", strings.Join(lines, "\n")+"\n"), dir)
	n := 0
	for _, v := range clam {
		n += len(v)
	}
	if n < len(sigs)/2 {
		t.Fatalf("clamscan found %d of %d signatures: generator or clamscan broken", n, len(sigs))
	}
	t.Logf("%d signatures, %d files, %d detections by clamscan", len(sigs), len(files), n)
	for name, data := range files {
		if ours := db.MatchAll(data, 0); !slices.Equal(ours, clam[name]) {
			t.Errorf("%s (%x): ours %q, clamscan %q", name, data, ours, clam[name])
		}
	}
}

// clamscan runs clamscan and returns the signatures found per file.
func clamscan(t *testing.T, ndb, dir string) map[string][]string {
	out, err := exec.Command("clamscan", "--allmatch", "--no-summary", "-r", "-d", ndb, dir).CombinedOutput()
	if err != nil && !strings.Contains(string(out), " FOUND") {
		t.Fatalf("clamscan: %v\n%s", err, out)
	}
	found := map[string][]string{}
	for _, l := range strings.Split(string(out), "\n") {
		f, v, ok := strings.Cut(strings.TrimSuffix(l, " FOUND"), ": ")
		if ok && strings.HasSuffix(l, " FOUND") {
			found[filepath.Base(f)] = append(found[filepath.Base(f)], strings.TrimSuffix(v, ".UNOFFICIAL"))
		}
	}
	for f, v := range found {
		slices.Sort(v)
		found[f] = slices.Compact(v)
	}
	return found
}

// walkSig builds a signature along data from a random start: literals of
// 3 bytes or more (ClamAV's minimum) joined by constructs that match the
// bytes they stand for, or now and then do not.
func walkSig(rng *rand.Rand, name string, data []byte) refSig {
	w := &walker{rng: rng, data: data, p: rng.IntN(len(data) / 2)}
	start := w.p
	w.lit(3 + rng.IntN(3))
	for n := rng.IntN(5); n > 0 && w.p+16 < len(data); n-- {
		w.construct()
		w.lit(3 + rng.IntN(2))
	}
	if rng.IntN(3) == 0 && w.p+6 < len(data) {
		d := rng.IntN(4)
		lo := max(0, d-rng.IntN(2))
		fmt.Fprintf(&w.b, "[%d-%d]%02x", lo, lo+rng.IntN(3), data[w.p+d])
	}
	n := len(data) - start
	offs := []string{"*", fmt.Sprint(start), fmt.Sprintf("%d,%d", max(0, start-rng.IntN(3)), rng.IntN(4)),
		fmt.Sprintf("EOF-%d", n), fmt.Sprintf("EOF-%d,%d", n+rng.IntN(3), rng.IntN(4))}
	return refSig{name: name, offset: offs[rng.IntN(len(offs))], hex: w.b.String()}
}

type walker struct {
	rng  *rand.Rand
	data []byte
	p    int
	b    strings.Builder
}

func (w *walker) lit(n int) {
	for k := 0; k < n && w.p < len(w.data); k++ {
		fmt.Fprintf(&w.b, "%02x", w.data[w.p])
		w.p++
	}
}

func (w *walker) other(c byte) string { return fmt.Sprintf("%02x", c^byte(1+w.rng.IntN(255))) }

// construct writes one wildcard, alternative or jump for the bytes at p.
func (w *walker) construct() {
	c, c1, hx := w.data[w.p], w.data[w.p+1], fmt.Sprintf("%02x", w.data[w.p])
	step, rng := 1, w.rng
	switch rng.IntN(11) {
	case 0:
		w.b.WriteString("??")
	case 1:
		w.b.WriteString(hx[:1] + "?")
	case 2:
		w.b.WriteString("(" + w.other(c) + "|" + hx + ")")
	case 3:
		w.b.WriteString("!(" + w.other(c) + "|" + w.other(c) + ")")
	case 4:
		fmt.Fprintf(&w.b, "(%s%02x|%s%s)", hx, c1, w.other(c), w.other(c))
		step = 2
	case 5:
		fmt.Fprintf(&w.b, "(%s%02x|%s)", hx, c1, w.other(c))
		step = 2
	case 6:
		fmt.Fprintf(&w.b, "!(%s%s|%s%s)", w.other(c), w.other(c), w.other(c1), w.other(c))
		step = 2
	case 7:
		w.b.WriteString("(W)")
	case 8:
		step = rng.IntN(6)
		lo := max(0, step-rng.IntN(3))
		if rng.IntN(10) == 0 {
			lo = step + 1 // does not match here
		}
		fmt.Fprintf(&w.b, "{%d-%d}", lo, lo+rng.IntN(4)+1)
	case 9:
		step = rng.IntN(10)
		w.b.WriteString("*")
	default:
		step = rng.IntN(4)
		fmt.Fprintf(&w.b, "{-%d}", step+rng.IntN(2))
	}
	w.p += step
}
