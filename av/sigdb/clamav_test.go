package sigdb

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testFilesDir holds Debian's clamav-testfiles: harmless files that ClamAV's
// own signatures detect. Their signatures are not available offline, so the
// test builds its own from the files.
const testFilesDir = "/usr/share/clamav-testfiles"

func readTestFiles(t *testing.T) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(testFilesDir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("%s: %v: install the test dependencies with scripts/setup-debian.sh --test-deps", testFilesDir, err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(testFilesDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	if files["clam.exe"] == nil {
		t.Fatalf("%s has no clam.exe: reinstall clamav-testfiles (scripts/setup-debian.sh --test-deps)", testFilesDir)
	}
	return files
}

// distinctiveRun returns the first 16-byte run of data that occurs once in
// it and has at least 10 distinct byte values.
func distinctiveRun(data []byte) []byte {
	for at := 0; at+16 <= len(data); at++ {
		w := data[at : at+16]
		var seen byteSet
		n := 0
		for _, c := range w {
			if !seen.has(c) {
				seen.add(c)
				n++
			}
		}
		if n >= 10 && bytes.Count(data, w) == 1 {
			return w
		}
	}
	return nil
}

func TestClamAVTestFiles(t *testing.T) {
	files := readTestFiles(t)
	var hdb strings.Builder
	for name, b := range files {
		fmt.Fprintf(&hdb, "%s:%d:Test.Hash.%s\n", md5Hex(b), len(b), name)
	}
	exe := files["clam.exe"]
	run := distinctiveRun(exe)
	if run == nil {
		t.Fatal("no distinctive run in clam.exe")
	}
	// The run, with its neighbours as wildcards and a range, so that the
	// test goes through the automaton and the verifier.
	at := bytes.Index(exe, run)
	ndb := fmt.Sprintf("Test.Body.ClamExe:0:*:%s??%s{0-4}%s\nTest.EP.ClamExe:1:EP+0:%s\n",
		hex.EncodeToString(run[:8]), hex.EncodeToString(run[9:12]), hex.EncodeToString(run[12:]),
		hex.EncodeToString(exe[epOf(t, exe):][:12]))
	db := Merge(mustParse(t, "clamav.hdb", hdb.String()), mustParse(t, "clamav.ndb", ndb))
	t.Logf("body signature from clam.exe at 0x%x: %x", at, run)
	for name, b := range files {
		got := db.MatchAll(b, 0)
		if !slices.Contains(got, "Test.Hash."+name) {
			t.Errorf("%s: MatchAll %q lacks its hash signature", name, got)
		}
		// Files that hold clam.exe as is (the cpio archives, and some
		// documents that embed it uncompressed) must match the body
		// signature; no file without the run may.
		body := slices.Contains(got, "Test.Body.ClamExe")
		if bytes.Contains(b, exe) && !body || body && !bytes.Contains(b, run[:8]) {
			t.Errorf("%s: MatchAll %q: body signature wrong", name, got)
		}
		if (name == "clam.exe" || strings.HasSuffix(name, ".cpio")) && !body {
			t.Errorf("%s: body signature missed", name)
		}
		if slices.Contains(got, "Test.EP.ClamExe") != (name == "clam.exe") {
			t.Errorf("%s: MatchAll %q, entry point signature expected only on clam.exe", name, got)
		}
	}
	if name, _ := db.Match(exe); name != "Test.Hash.clam.exe" {
		t.Errorf("Match(clam.exe) = %q: the hash signature has the lowest index", name)
	}
}

func epOf(t *testing.T, data []byte) int {
	pe, ok := parsePE(data)
	if !ok || pe.ep < 0 {
		t.Fatal("clam.exe: no PE entry point")
	}
	return pe.ep
}

// TestClamAVSectionHashes checks the PE walker against ClamAV itself: these
// section hashes were printed by ClamAV 1.4's `sigtool --mdb` on the test
// files (the EP offsets were checked with clamscan the same way).
func TestClamAVSectionHashes(t *testing.T) {
	files := readTestFiles(t)
	mdb := `512:23db1dd3f77fae25610b6a32701313ae:Sec.clam.exe
1536:b658bd2d939396c3874cdd33a86fa0c7:Sec.clam-upx.exe
512:2b3dbef0a56103fe19c1d5ab4acf08ef:Sec.clam-upx.exe
4096:41094a021bb18226137dae55fa991ced:Sec.clam-fsg.exe
68096:9b54fd7f5126e762b0916bf94c6b2425:Sec.clam_IScab_ext.exe
6144:3bcd2860bed06b691d13c5be422916a1:Sec.clam_IScab_ext.exe
`
	db := mustParse(t, "clamav.mdb", mdb)
	for _, name := range []string{"clam.exe", "clam-upx.exe", "clam-fsg.exe", "clam_IScab_ext.exe"} {
		if got, _ := db.Match(files[name]); got != "Sec."+name {
			t.Errorf("%s: Match = %q", name, got)
		}
	}
	if got, ok := db.Match(files["clam.zip"]); ok {
		t.Errorf("clam.zip: Match = %q", got)
	}
}
