package sigdb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
)

type member struct{ name, body string }

// buildTar returns a tar of members, gzip'd when gz.
func buildTar(t testing.TB, gz bool, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	var out io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		out = zw
	}
	tw := tar.NewWriter(out)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// auto asks buildCVD for the payload's real MD5.
const auto = "auto"

// buildCVD returns a container: a 512-byte header then payload.
func buildCVD(payload []byte, version, flevel int, md5sum string) []byte {
	if md5sum == auto {
		s := md5.Sum(payload)
		md5sum = hex.EncodeToString(s[:])
	}
	h := fmt.Sprintf("ClamAV-VDB:25 Nov 2025 10-00 +0000:%d:3:%d:%s:notverified:tester:1764064800",
		version, flevel, md5sum)
	h += strings.Repeat(" ", cvdHeaderSize-len(h))
	return append([]byte(h), payload...)
}

// infoFor returns a .info member describing members.
func infoFor(members ...member) member {
	var b strings.Builder
	b.WriteString("ClamAV-VDB:25 Nov 2025 10-00 +0000:27000:3:90\n")
	for _, m := range members {
		fmt.Fprintf(&b, "%s:%d:%s\n", m.name, len(m.body), sha256Hex([]byte(m.body)))
	}
	b.WriteString("DSIG:notverified\n")
	return member{"test.info", b.String()}
}

func testMembers() []member {
	return []member{
		{"test.ndb", "Body:0:*:" + hexOf("evil body") + "\n"},
		{"test.hdb", md5Hex([]byte("evil file")) + ":9:File\n"},
		{"test.ldb", "Logical;Engine:51-255,Target:0;0;6162\n"},
		{"test.ign2", "Ignored\n"},
		{"test.ndu", "Ignored:0:*:6162\n"},
	}
}

func TestContainers(t *testing.T) {
	ms := testMembers()
	gz := buildTar(t, true, append([]member{{"COPYING", "license"}, infoFor(ms...)}, ms...)...)
	plain := buildTar(t, false, ms...)
	badInfo := infoFor(ms...)
	badInfo.body = strings.Replace(badInfo.body, "test.ndb:", "test.ndb:1", 1)
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"test.cvd", buildCVD(gz, 1, 90, auto), ""},
		{"test.cvd", buildCVD(plain, 1, 90, auto), ""},
		{"test.cld", buildCVD(plain, 1, 90, strings.Repeat("0", 32)), ""}, // .cld: MD5 not checked
		{"test.cvd", buildCVD(gz, 1, 90, strings.Repeat("0", 32)), "test.cvd: payload MD5"},
		{"test.cvd", buildCVD(gz, 1, 90, "xyz"), "test.cvd: header MD5"},
		{"test.cvd", buildCVD(append(gz[:len(gz)-9:len(gz)-9], 0), 1, 90, auto), "test.cvd: "},
		{"test.cvd", buildCVD(buildTar(t, true, append([]member{badInfo}, ms...)...), 1, 90, auto), "does not match its .info"},
		{"test.cvd", buildCVD(buildTar(t, true, append(ms, infoFor(ms[1:]...))...), 1, 90, auto), `"test.ndb" is not listed`},
		{"test.cvd", buildCVD(buildTar(t, true, member{"dir/x.ndb", ""}), 1, 90, auto), "only plain files"},
		{"test.cvd", buildCVD(buildTar(t, true, member{"x.ndb", "bad line"}), 1, 90, auto), "test.cvd/x.ndb:1: "},
		{"test.cvd", []byte("ClamAV-VDB:short"), "shorter than"},
		{"test.cvd", bytes.Repeat([]byte(" "), 600), "no ClamAV-VDB header"},
		{"test.cvd", buildCVD(gz, 1, 90, auto)[:cvdHeaderSize-100], "shorter than"},
	}
	for i, tc := range tests {
		db, err := Parse(tc.name, tc.data)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%d: err = %v, want %q", i, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		st := db.Stats()
		if st.Body != 1 || st.Hash != 1 {
			t.Errorf("%d: stats %+v", i, st)
		}
		if !strings.Contains(strings.Join(st.Warnings, "\n"), "skipped 2 members of formats this engine does not load: .ldb×1 .ndu×1") {
			t.Errorf("%d: warnings %q", i, st.Warnings)
		}
		for data, want := range map[string]string{"an evil body": "Body", "evil file": "File", "clean": ""} {
			if got, _ := db.Match([]byte(data)); got != want {
				t.Errorf("%d: Match(%q) = %q, want %q", i, data, got, want)
			}
		}
	}
}

func TestContainerWarnings(t *testing.T) {
	db := mustParse(t, "new.cvd", string(buildCVD(buildTar(t, true, testMembers()[0]), 1, 999, auto)))
	if w := strings.Join(db.Stats().Warnings, "\n"); !strings.Contains(w, "built for functionality level 999") {
		t.Errorf("warnings %q", w)
	}
	db = mustParse(t, "nomd5.cvd", string(buildCVD(buildTar(t, true, testMembers()[0]), 1, 90, "")))
	if w := strings.Join(db.Stats().Warnings, "\n"); !strings.Contains(w, "no MD5") {
		t.Errorf("warnings %q", w)
	}
}

// TestLoadDir loads a directory: flat files and containers, the newer of a
// .cvd/.cld pair, warnings for formats skipped.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "local.ndb", "Local:0:*:"+hexOf("local sig")+"\n")
	write(t, dir, "local.ign2", "Ignored\n")
	write(t, dir, "other.ldb", "whatever")
	write(t, dir, "README", "not a database")
	write(t, dir, "daily.cvd", string(buildCVD(buildTar(t, true, member{"daily.ndb", "Old:0:*:" + hexOf("old") + "\n"}), 10, 90, auto)))
	write(t, dir, "daily.cld", string(buildCVD(buildTar(t, false, member{"daily.ndb", "New:0:*:" + hexOf("new") + "\n"}), 11, 90, auto)))
	db, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := db.Stats()
	if st.Body != 2 || strings.Join(st.Files, " ") != dir+"/daily.cld "+dir+"/daily.cld/daily.ndb "+dir+"/local.ign2 "+dir+"/local.ndb" {
		t.Errorf("stats %+v", st)
	}
	w := strings.Join(st.Warnings, "\n")
	for _, want := range []string{"other.ldb", "loading the newer daily.cld only"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q: %q", want, w)
		}
	}
	for data, want := range map[string]string{"new": "New", "old": "", "local sig": "Local"} {
		if got, _ := db.Match([]byte(data)); got != want {
			t.Errorf("Match(%q) = %q, want %q", data, got, want)
		}
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no signature database") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := Load(dir + "/missing"); err == nil {
		t.Error("missing dir loaded")
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.ndb", "A:0:*:6162\n")
	b := write(t, dir, "b.hdb", md5Hex([]byte("x"))+":1:B\n")
	db, err := LoadFiles(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.MatchAll([]byte("ab"), 0); len(got) != 1 || got[0] != "A" {
		t.Errorf("MatchAll = %q", got)
	}
	if got, _ := db.Match([]byte("x")); got != "B" {
		t.Errorf("Match = %q", got)
	}
	c := write(t, dir, "c.ldb", "x")
	if _, err := LoadFiles(a, c, dir+"/none.ndb"); err == nil ||
		!strings.Contains(err.Error(), `c.ldb: unsupported database format ".ldb"`) || !strings.Contains(err.Error(), "none.ndb") {
		t.Errorf("err = %v", err)
	}
}
