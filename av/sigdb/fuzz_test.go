package sigdb

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// checkAgainstReference builds a random signature set from seed, matches
// data, and compares with the naive reference matcher.
func checkAgainstReference(t *testing.T, seed uint64, data []byte) {
	if len(data) > 64 {
		data = data[:64] // the reference is exponential
	}
	rng := rand.New(rand.NewPCG(seed, seed>>32))
	var sigs []refSig
	var lines []string
	for i := range 1 + rng.IntN(8) {
		s := genSig(rng, fmt.Sprintf("S%d", i), data)
		sigs = append(sigs, s)
		lines = append(lines, s.line())
	}
	db, err := Parse("gen.ndb", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatalf("generated signatures rejected: %v", err)
	}
	if st := db.Stats(); st.Body != len(sigs) {
		t.Fatalf("loaded %d of %d: %q", st.Body, len(sigs), st.Warnings)
	}
	var want []string
	for _, s := range sigs {
		if refMatches(s, data) {
			want = append(want, s.name)
		}
	}
	got := db.MatchAll(data, 0)
	name, ok := db.Match(data)
	if !slices.Equal(got, want) || ok != (len(want) > 0) || ok && name != want[0] {
		t.Fatalf("data %q\nsignatures:\n%s\nMatchAll %q Match %q, reference %q",
			data, strings.Join(lines, "\n"), got, name, want)
	}
}

// TestAgainstReference runs the reference comparison on many seeds, so that
// plain `go test` covers what FuzzMatch explores.
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for seed := range uint64(3000) {
		data := make([]byte, rng.IntN(64))
		for i := range data {
			data[i] = "abcdef\x00\xff"[rng.IntN(8)]
		}
		checkAgainstReference(t, seed, data)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(uint64(1), []byte("abcabcabd"))
	f.Add(uint64(2), eicar())
	f.Add(uint64(3), []byte{0, 0, 0, 1, 0xff, 0x61, 0x62})
	f.Fuzz(checkAgainstReference)
}

func FuzzParseNDB(f *testing.F) {
	for _, s := range []string{
		"Sig:0:*:6162(63|64)??{1-2}*65!(66|67)[1-2]68",
		"Sig:1:EP+0,4:6?(B)?1{-3}(6162|63{0-2}64)",
		"Sig:0:EOF-10:6162{5-}:20:255",
		"Sig:0:S1+2:(W)6162",
	} {
		f.Add(s, []byte("abcdefgh"))
	}
	f.Fuzz(func(t *testing.T, line string, data []byte) {
		db, err := Parse("f.ndb", []byte(line))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.ndb:") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		db.Match(data)
		db.MatchAll(data, 0)
	})
}

func FuzzParseHDB(f *testing.F) {
	f.Add("44d88612fea8a8f36de82e1278abb02f:68:Eicar\n", "x.hdb", []byte("x"))
	f.Add(sha256Hex(nil)+":*:E:73\n", "x.hsb", []byte(""))
	f.Add("1:"+md5Hex([]byte("x"))+":E\n", "x.mdb", buildPE(0x1000, []byte("x")))
	f.Add("Name:"+md5Hex(nil)+"\nOther\n", "x.ign2", []byte(""))
	f.Fuzz(func(t *testing.T, text, name string, data []byte) {
		ext := extOf(name)
		if !slices.Contains([]string{".hdb", ".hsb", ".mdb", ".msb", ".fp", ".sfp", ".ign2"}, ext) {
			ext = ".hdb"
		}
		db, err := Parse("f"+ext, []byte(text))
		if err != nil {
			return
		}
		db.Match(data)
		Merge(db, Default()).Match(data)
	})
}

func FuzzParseCVD(f *testing.F) {
	f.Add(buildCVD(buildTar(f, true, testMembers()...), 1, 90, auto), []byte("evil body"))
	f.Add(buildCVD(buildTar(f, false, testMembers()[:2]...), 1, 90, ""), []byte("evil file"))
	f.Fuzz(func(t *testing.T, cvd, data []byte) {
		for _, name := range []string{"f.cvd", "f.cld"} {
			if db, err := Parse(name, cvd); err == nil {
				db.Match(data)
			}
		}
	})
}

// FuzzParsePE checks that the PE walker never panics and that what it
// returns lies inside the file.
func FuzzParsePE(f *testing.F) {
	f.Add(buildPE(0x1004, []byte("code"), []byte("data")))
	f.Add(buildPE(0x10, []byte("x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		pe, ok := parsePE(data)
		if !ok {
			return
		}
		if pe.ep >= len(data) {
			t.Fatalf("entry point %d past %d bytes", pe.ep, len(data))
		}
		for _, s := range pe.sections {
			if s.rsz < 0 || s.rsz > 0 && (s.raw < 0 || s.raw+s.rsz > len(data)) {
				t.Fatalf("section %+v outside %d bytes", s, len(data))
			}
		}
	})
}
