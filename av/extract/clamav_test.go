package extract

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clamDir holds ClamAV's test files (Debian package clamav-testfiles):
// harmless programs that every anti-virus reports as Clamav.Test.File,
// stored in many formats. They are read in place, never copied here.
const clamDir = "/usr/share/clamav-testfiles"

// clamOpened lists the test files in formats Walk opens: for each, where
// clam.exe must be found. clam_cache_emax.tgz nests tgz in tgz nine deep
// (eighteen containers): found with MaxDepth raised, ErrLimit with the
// default.
func clamOpened() map[string]string {
	return map[string]string{
		"clam.7z":              "clam.7z/clam.exe",
		"clam.zip":             "clam.zip/clam.exe",
		"clam.bz2.zip":         "clam.bz2.zip/clam.exe",
		"clam.exe.bz2":         "clam.exe.bz2/clam.exe",
		"clam.tar.gz":          "clam.tar.gz/clam.tar/clam.exe",
		"clam.mail":            "clam.mail/clam.exe",
		"clam.exe.mbox.base64": "clam.exe.mbox.base64/message1/clam.exe",
		"clam.exe.mbox.uu":     "clam.exe.mbox.uu/message1/clam.exe/clam.exe",
		"clam_cache_emax.tgz": "clam_cache_emax.tgz/clam_cache_emax.tar/clam01.tgz/clam01.tar/clam02.tgz/clam02.tar/" +
			"clam03.tgz/clam03.tar/clam04.tgz/clam04.tar/clam05.tgz/clam05.tar/clam06.tgz/clam06.tar/clam07.tgz/clam07.tar/" +
			"clam08.tgz/clam08.tar/clam.exe",
	}
}

// clamUnsupported are zips whose member uses a method we cannot decode.
func clamUnsupported() map[string]string {
	return map[string]string{
		"clam.d64.zip":  "clam.d64.zip/clam.exe",  // deflate64
		"clam.impl.zip": "clam.impl.zip/CLAM.EXE", // implode
	}
}

// Every other file is reported as one plain object: executables (packed
// ones too), and formats we do not open: arj, cab, chm, cpio (four
// variants), OLE2 (doc, ppt), pdf, rtf, html, binhex, szdd, sis, tnef,
// AutoIt and InstallShield installers.

func TestClamAVTestFiles(t *testing.T) {
	clam, err := os.ReadFile(filepath.Join(clamDir, "clam.exe"))
	if err != nil {
		t.Fatalf("clamav-testfiles not installed (run scripts/setup-debian.sh --test-deps): %v", err)
	}
	files, err := filepath.Glob(filepath.Join(clamDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	opened, unsupported := clamOpened(), clamUnsupported()
	deep := all()
	deep.MaxDepth = 20
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w := walk(t, name, data, deep)
		if w.err != nil {
			t.Errorf("%s: %v", name, w.err)
			continue
		}
		for _, m := range w.members {
			checkInvariants(t, m, deep.withDefaults())
		}
		switch want, unsup := opened[name], unsupported[name]; {
		case want != "":
			if m := w.get(want); m == nil || m.Err != nil || !bytes.Equal(m.Data, clam) || m.Type != typeDosExec {
				t.Errorf("%s: clam.exe not found at %s: %q", name, want, w.paths())
			}
		case unsup != "":
			if m := w.get(unsup); m == nil || !errors.Is(m.Err, ErrUnsupported) {
				t.Errorf("%s: want ErrUnsupported on %s: %+v", name, unsup, m)
			}
		default:
			if len(w.members) != 1 || !bytes.Equal(w.members[0].Data, data) || w.members[0].Err != nil {
				t.Errorf("%s: want one plain object, got %q", name, w.paths())
			}
		}
		t.Logf("%-22s %-36s %d object(s)", name, w.members[0].Type, len(w.members))
	}
}

func TestClamAVDepthLimit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(clamDir, "clam_cache_emax.tgz"))
	if err != nil {
		t.Fatalf("clamav-testfiles not installed (run scripts/setup-debian.sh --test-deps): %v", err)
	}
	w := walk(t, "clam_cache_emax.tgz", data, all())
	limited := 0
	for _, m := range w.members {
		if strings.HasSuffix(m.Name, "clam.exe") {
			t.Errorf("clam.exe found past MaxDepth: %q", m.Path)
		}
		if errors.Is(m.Err, ErrLimit) {
			limited++
			if m.Depth != DefaultMaxDepth || m.Data == nil {
				t.Errorf("%q: depth %d, %d bytes", m.Path, m.Depth, len(m.Data))
			}
		}
	}
	if limited == 0 {
		t.Errorf("no ErrLimit: %q", w.paths())
	}
}
