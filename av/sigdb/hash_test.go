package sigdb

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func write(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha1Hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestHashSignatures(t *testing.T) {
	obj := []byte("some malware body")
	size := strconv.Itoa(len(obj))
	other := []byte("some clean body!!")
	tests := []struct {
		file, line string
		data       []byte
		want       bool
	}{
		{"t.hdb", md5Hex(obj) + ":" + size + ":Sig", obj, true},
		{"t.hdb", strings.ToUpper(md5Hex(obj)) + ":" + size + ":Sig", obj, true},
		{"t.hdb", md5Hex(obj) + ":" + size + ":Sig", other, false},
		{"t.hdb", md5Hex(obj) + ":1:Sig", obj, false},
		{"t.hdb", md5Hex(obj) + ":*:Sig", obj, true},
		{"t.hdb", md5Hex(obj) + ":*:Sig:73", obj, true},
		{"t.hdb", md5Hex(obj) + ":" + size + ":Sig:200", obj, false}, // MinFL above ours
		{"t.hsb", sha1Hex(obj) + ":" + size + ":Sig", obj, true},
		{"t.hsb", sha256Hex(obj) + ":" + size + ":Sig", obj, true},
		{"t.hsb", sha256Hex(obj) + ":*:Sig", obj, true},
		{"t.hsb", sha256Hex(obj) + ":" + size + ":Sig", other, false},
		{"t.hsb", sha1Hex(obj) + ":" + size + ":Sig", obj[1:], false},
	}
	for _, tc := range tests {
		db := mustParse(t, tc.file, tc.line+"\n")
		if name, got := db.Match(tc.data); got != tc.want || got && name != "Sig" {
			t.Errorf("%s %q: got %q %v, want %v", tc.file, tc.line, name, got, tc.want)
		}
	}
}

func TestHashSyntaxErrors(t *testing.T) {
	for _, line := range []string{
		"abc:1:X",                  // short hash
		md5Hex(nil)[:31] + "g:1:X", // not hex
		md5Hex(nil) + ":x:X",       // size
		md5Hex(nil) + ":+1:X",      // size
		md5Hex(nil) + ":4294967296:X",
		md5Hex(nil) + ":1:", // no name
		md5Hex(nil) + ":1",  // fields
		md5Hex(nil) + ":1:X:1:2:3",
		md5Hex(nil) + ":1:X:z",
	} {
		for _, f := range []string{"e.hdb", "e.hsb", "e.fp", "e.sfp"} {
			if _, err := Parse(f, []byte(line)); err == nil || !strings.HasPrefix(err.Error(), f+":1: ") {
				t.Errorf("%s %q: err = %v", f, line, err)
			}
		}
	}
	if _, err := Parse("e.mdb", []byte(md5Hex(nil)+":1:X")); err == nil {
		t.Error(".mdb takes the size first")
	}
}

// TestSectionHashes loads .mdb/.msb signatures and matches PE sections.
func TestSectionHashes(t *testing.T) {
	sec := []byte("a PE section that is malicious")
	pe := buildPE(0x1000, []byte("code"), sec)
	n := strconv.Itoa(len(sec))
	tests := []struct {
		file, line string
		data       []byte
		want       bool
	}{
		{"t.mdb", n + ":" + md5Hex(sec) + ":Sec", pe, true},
		{"t.mdb", "*:" + md5Hex(sec) + ":Sec:73", pe, true},
		{"t.mdb", "1:" + md5Hex(sec) + ":Sec", pe, false},
		{"t.mdb", n + ":" + md5Hex(sec) + ":Sec", sec, false}, // not a PE
		{"t.msb", n + ":" + sha1Hex(sec) + ":Sec", pe, true},
		{"t.msb", n + ":" + sha256Hex(sec) + ":Sec", pe, true},
		{"t.msb", n + ":" + sha256Hex(sec[1:]) + ":Sec", pe, false},
	}
	for _, tc := range tests {
		db := mustParse(t, tc.file, tc.line)
		if st := db.Stats(); st.PE != 1 {
			t.Errorf("%s: PE = %d", tc.line, st.PE)
		}
		if _, got := db.Match(tc.data); got != tc.want {
			t.Errorf("%s %q: got %v, want %v", tc.file, tc.line, got, tc.want)
		}
	}
}

// TestAllowLists checks that .fp and .sfp entries make a match clean.
func TestAllowLists(t *testing.T) {
	e := eicar()
	n := strconv.Itoa(len(e))
	tests := []struct {
		file, line string
		clean      bool
	}{
		{"a.fp", md5Hex(e) + ":" + n + ":Allowed", true},
		{"a.fp", md5Hex(e) + ":*:Allowed", true},
		{"a.fp", md5Hex(e) + ":1:Allowed", false},
		{"a.fp", md5Hex([]byte("other")) + ":5:Allowed", false},
		{"a.sfp", sha1Hex(e) + ":" + n + ":Allowed", true},
		{"a.sfp", sha256Hex(e) + ":" + n + ":Allowed", true},
		{"a.sfp", sha256Hex(e[1:]) + ":" + n + ":Allowed", false},
	}
	for _, tc := range tests {
		db := Merge(Default(), mustParse(t, tc.file, tc.line))
		_, infected := db.Match(e)
		all := db.MatchAll(e, 0)
		if infected == tc.clean || tc.clean != (len(all) == 0) {
			t.Errorf("%s %q: infected %v, MatchAll %q; want clean %v", tc.file, tc.line, infected, all, tc.clean)
		}
	}
}

// TestIgnoreLists checks .ign2 entries, by name and by name and MD5 of the
// signature's line, loaded together or merged later.
func TestIgnoreLists(t *testing.T) {
	line1 := "First:0:*:" + hexOf("virus")
	line2 := "Second:0:*:" + hexOf("virus")
	hdb := md5Hex([]byte("virus")) + ":5:First"
	ndb := line1 + "\n" + line2 + "\n"
	tests := []struct {
		ign, want string
	}{
		{"", "First"},
		{"First", "Second"},
		{"First:" + md5Hex([]byte(line1)), "Second"},
		{"First:" + md5Hex([]byte(line1+" ")), "First"}, // the signature changed since
		{"First:" + md5Hex([]byte(hdb)), "First"},       // only the hash signature
		{"First\nSecond", ""},
		{"Other", "First"},
	}
	for _, tc := range tests {
		ign := mustParse(t, "local.ign2", tc.ign)
		for _, order := range [][]*DB{
			{mustParse(t, "a.ndb", ndb), ign},
			{ign, mustParse(t, "a.ndb", ndb)},
		} {
			db := Merge(order...)
			if got, _ := db.Match([]byte("a virus")); got != tc.want {
				t.Errorf("ign2 %q: Match = %q, want %q", tc.ign, got, tc.want)
			}
		}
		// A hash signature of the same name, ignored through its own line.
		db := Merge(mustParse(t, "b.hdb", hdb), mustParse(t, "a.ndb", line1), ign)
		got, _ := db.Match([]byte("virus"))
		want := "First"
		if tc.want == "" || tc.want == "Second" && !strings.Contains(tc.ign, ":") {
			want = ""
		}
		if got != want {
			t.Errorf("ign2 %q with hdb: Match = %q, want %q", tc.ign, got, want)
		}
	}
	if _, err := Parse("x.ign2", []byte("Name:nothex")); err == nil {
		t.Error("bad MD5 accepted")
	}
}

// TestDuplicateHashes checks that signatures sharing a hash all count and
// that ignoring the first reveals the next.
func TestDuplicateHashes(t *testing.T) {
	obj := []byte("dup")
	h := md5Hex(obj)
	a := mustParse(t, "a.hdb", h+":3:A\n"+h+":*:B\n"+h+":3:C\n")
	b := mustParse(t, "b.hdb", h+":3:D\n")
	db := Merge(a, b)
	if got := db.MatchAll(obj, 0); strings.Join(got, ",") != "A,B,C,D" {
		t.Errorf("MatchAll = %q", got)
	}
	db = Merge(a, b, mustParse(t, "x.ign2", "A\nB"))
	if got, _ := db.Match(obj); got != "C" {
		t.Errorf("Match = %q, want C", got)
	}
	db = Merge(a, b, mustParse(t, "x.ign2", "A\nB\nC"))
	if got, _ := db.Match(obj); got != "D" {
		t.Errorf("Match = %q, want D", got)
	}
}
