package extract

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// member is an expected member: its path, type and, for leaves, content.
type member struct {
	path string
	typ  string
	data []byte // nil: not checked
}

func TestFormats(t *testing.T) {
	exe, txt := fakeExe(), []byte("hello, world\n")
	tests := []struct {
		name  string
		build func(t *testing.T) []byte
		want  []member
	}{
		{"zip", func(t *testing.T) []byte {
			return zipOf(t, file{name: "dir/x.exe", data: exe}, file{name: "a.txt", data: txt, store: true})
		}, []member{{"a.zip", typeZip, nil}, {"a.zip/dir/x.exe", typeDosExec, exe}, {"a.zip/a.txt", "text/plain", txt}}},
		{"tar", func(t *testing.T) []byte { return tarOf(t, file{name: "x.exe", data: exe}) },
			[]member{{"a.tar", typeTar, nil}, {"a.tar/x.exe", typeDosExec, exe}}},
		{"tar.gz", func(t *testing.T) []byte { return gzipOf(t, "", tarOf(t, file{name: "x.exe", data: exe})) },
			[]member{{"a.tar.gz", typeGzip, nil}, {"a.tar.gz/a.tar", typeTar, nil}, {"a.tar.gz/a.tar/x.exe", typeDosExec, exe}}},
		{"gzip with a name", func(t *testing.T) []byte { return gzipOf(t, "dir/orig.exe", exe) },
			[]member{{"a.gz", typeGzip, nil}, {"a.gz/orig.exe", typeDosExec, exe}}},
		{"bzip2", func(t *testing.T) []byte { return bzip2Of(t, exe) },
			[]member{{"x.exe.bz2", typeBzip2, nil}, {"x.exe.bz2/x.exe", typeDosExec, exe}}},
		{"xz", func(t *testing.T) []byte { return xzOf(t, exe) },
			[]member{{"x.exe.xz", typeXz, nil}, {"x.exe.xz/x.exe", typeDosExec, exe}}},
		{"tar.xz as .txz", func(t *testing.T) []byte { return xzOf(t, tarOf(t, file{name: "x.exe", data: exe})) },
			[]member{{"a.txz", typeXz, nil}, {"a.txz/a.tar", typeTar, nil}, {"a.txz/a.tar/x.exe", typeDosExec, exe}}},
		{"7z", func(t *testing.T) []byte {
			return sevenZip(t, nil, file{name: "x.exe", data: exe}, file{name: "d/a.txt", data: txt})
		},
			[]member{{"a.7z", type7z, nil}, {"a.7z/d/a.txt", "text/plain", txt}, {"a.7z/x.exe", typeDosExec, exe}}},
		{"7z solid LZMA", func(t *testing.T) []byte {
			return sevenZip(t, []string{"-m0=LZMA", "-ms=on"}, file{name: "a.txt", data: txt}, file{name: "x.exe", data: exe})
		}, []member{{"a.7z", type7z, nil}, {"a.7z/a.txt", "text/plain", txt}, {"a.7z/x.exe", typeDosExec, exe}}},
		{"rar5", func(*testing.T) []byte {
			return rar5Of([]rarFile{{name: "d/x.exe", data: exe}, {name: "a.txt", data: txt}}, false)
		},
			[]member{{"a.rar", typeRar, nil}, {"a.rar/d/x.exe", typeDosExec, exe}, {"a.rar/a.txt", "text/plain", txt}}},
		{"rar4", func(*testing.T) []byte { return rar4Of([]rarFile{{name: "x.exe", data: exe}}, false) },
			[]member{{"a.rar", typeRar, nil}, {"a.rar/x.exe", typeDosExec, exe}}},
		{"zip made by 7z with bzip2", func(t *testing.T) []byte {
			return sevenZip(t, []string{"-tzip", "-mm=BZip2"}, file{name: "x.exe", data: exe})
		}, []member{{"a.zip", typeZip, nil}, {"a.zip/x.exe", typeDosExec, exe}}},
		{"nested: zip in tar.gz in zip", func(t *testing.T) []byte {
			inner := zipOf(t, file{name: "x.exe", data: exe})
			tgz := gzipOf(t, "", tarOf(t, file{name: "in.zip", data: inner}))
			return zipOf(t, file{name: "b.tgz", data: tgz})
		}, []member{{"a.zip", typeZip, nil}, {"a.zip/b.tgz", typeGzip, nil}, {"a.zip/b.tgz/b.tar", typeTar, nil},
			{"a.zip/b.tgz/b.tar/in.zip", typeZip, nil}, {"a.zip/b.tgz/b.tar/in.zip/x.exe", typeDosExec, exe}}},
		{"empty zip", func(t *testing.T) []byte { return zipOf(t) }, []member{{"a.zip", typeZip, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.build(t)
			name, _, _ := strings.Cut(tc.want[0].path, "/")
			w := walk(t, name, data, all())
			checkMembers(t, w, tc.want)
		})
	}
}

// checkMembers compares a walk with the expected members, in order, and
// checks the invariants every member keeps.
func checkMembers(t *testing.T, w walked, want []member) {
	t.Helper()
	if w.err != nil {
		t.Fatalf("Walk: %v", w.err)
	}
	var wantPaths []string
	for _, m := range want {
		wantPaths = append(wantPaths, m.path)
	}
	if got := w.paths(); !slices.Equal(got, wantPaths) {
		t.Fatalf("paths\n got %q\nwant %q", got, wantPaths)
	}
	for i, m := range w.members {
		if m.Err != nil || m.Encrypted {
			t.Errorf("%s: Err %v, Encrypted %v", want[i].path, m.Err, m.Encrypted)
		}
		if m.Type != want[i].typ {
			t.Errorf("%s: Type %q, want %q", want[i].path, m.Type, want[i].typ)
		}
		if want[i].data != nil && !bytes.Equal(m.Data, want[i].data) {
			t.Errorf("%s: Data %q, want %q", want[i].path, m.Data, want[i].data)
		}
		checkInvariants(t, m, Limits{}.withDefaults())
	}
}

// checkInvariants holds for every member of every walk.
func checkInvariants(t testing.TB, m *Member, lim Limits) {
	t.Helper()
	switch {
	case len(m.Path) == 0 || m.Name != m.Path[len(m.Path)-1]:
		t.Errorf("%q: Name %q is not the last element of Path", m.Path, m.Name)
	case m.Depth != len(m.Path)-1:
		t.Errorf("%q: Depth %d", m.Path, m.Depth)
	case m.Encrypted && m.Depth > 0 && m.Data != nil:
		t.Errorf("%q: encrypted member with Data", m.Path)
	case int64(len(m.Data)) > lim.MaxMemberSize && m.Depth > 0:
		t.Errorf("%q: %d bytes held, over MaxMemberSize", m.Path, len(m.Data))
	case m.Type == "":
		t.Errorf("%q: no Type", m.Path)
	case m.Depth > lim.MaxDepth:
		t.Errorf("%q: deeper than MaxDepth", m.Path)
	}
}

func TestSwitchesOff(t *testing.T) {
	z := zipOf(t, file{name: "x.exe", data: fakeExe()})
	for _, lim := range []Limits{{}, {ScanMailBases: true}} {
		w := walk(t, "a.zip", z, lim)
		if len(w.members) != 1 || !bytes.Equal(w.members[0].Data, z) || w.members[0].Type != typeZip {
			t.Errorf("%+v: want the zip alone, with its bytes: %q", lim, w.paths())
		}
	}
	mbox := []byte("From a@b Thu Jul 31 13:51:21 2008\nFrom: a@b\nSubject: x\n\nbody\n")
	w := walk(t, "box", mbox, Limits{ScanArchives: true})
	if len(w.members) != 1 || w.members[0].Type != typeMbox || w.members[0].Data == nil {
		t.Errorf("mbox with ScanMailBases off: %q", w.paths())
	}
}

func TestEncrypted(t *testing.T) {
	exe := fakeExe()
	tests := []struct {
		name      string
		build     func(t *testing.T) []byte
		encrypted string // path of the member that must be Encrypted
		opened    bool   // the container itself was listed
	}{
		{"zip ZipCrypto (by hand)", func(t *testing.T) []byte { return zipCrypto(t, "x.exe", exe, "secret") }, "a/x.exe", true},
		{"zip AES (by hand)", func(t *testing.T) []byte { return zipWinAES(t, "x.exe", len(exe)) }, "a/x.exe", true},
		{"zip ZipCrypto (7z)", func(t *testing.T) []byte {
			return sevenZip(t, []string{"-tzip", "-psecret", "-mem=ZipCrypto"}, file{name: "x.exe", data: exe})
		}, "a/x.exe", true},
		{"zip AES-256 (7z)", func(t *testing.T) []byte {
			return sevenZip(t, []string{"-tzip", "-psecret", "-mem=AES256"}, file{name: "x.exe", data: exe})
		}, "a/x.exe", true},
		{"7z AES coder", func(t *testing.T) []byte { return sevenZip(t, []string{"-psecret"}, file{name: "x.exe", data: exe}) }, "a/x.exe", true},
		{"7z AES, stored", func(t *testing.T) []byte {
			return sevenZip(t, []string{"-psecret", "-mx0"}, file{name: "x.exe", data: exe})
		}, "a/x.exe", true},
		{"7z encrypted header", func(t *testing.T) []byte {
			return sevenZip(t, []string{"-psecret", "-mhe=on"}, file{name: "x.exe", data: exe})
		}, "a", false},
		{"rar5 encrypted file", func(*testing.T) []byte { return rar5Of([]rarFile{{name: "x.exe", data: exe, encrypted: true}}, false) }, "a/x.exe", true},
		{"rar4 encrypted file", func(*testing.T) []byte { return rar4Of([]rarFile{{name: "x.exe", data: exe, encrypted: true}}, false) }, "a/x.exe", true},
		{"rar5 encrypted headers", func(*testing.T) []byte { return rar5Of(nil, true) }, "a", false},
		{"rar4 encrypted headers", func(*testing.T) []byte { return rar4Of(nil, true) }, "a", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := walk(t, "a", tc.build(t), all())
			m := w.get(tc.encrypted)
			if m == nil {
				t.Fatalf("no %s in %q", tc.encrypted, w.paths())
			}
			if !m.Encrypted || m.Err != nil {
				t.Errorf("%s: Encrypted %v, Err %v", tc.encrypted, m.Encrypted, m.Err)
			}
			if tc.opened && m.Data != nil {
				t.Errorf("encrypted member with Data")
			}
			if !tc.opened && (len(w.members) != 1 || m.Data == nil) {
				t.Errorf("an archive with an encrypted directory is one object with its bytes: %q", w.paths())
			}
		})
	}
}

func TestEncryptedBesidesClear(t *testing.T) {
	// A clear member next to an encrypted one is still scanned.
	exe := fakeExe()
	data := rar5Of([]rarFile{{name: "x.exe", data: exe, encrypted: true}, {name: "y.exe", data: exe}}, false)
	w := walk(t, "a.rar", data, all())
	if m := w.get("a.rar/x.exe"); m == nil || !m.Encrypted {
		t.Errorf("x.exe: %+v", m)
	}
	if m := w.get("a.rar/y.exe"); m == nil || !bytes.Equal(m.Data, exe) {
		t.Errorf("y.exe: %+v", m)
	}
}

func TestFnErrorStopsWalk(t *testing.T) {
	z := zipOf(t, file{name: "1", data: []byte("a")}, file{name: "2", data: []byte("b")})
	stop := errors.New("enough")
	n := 0
	err := Walk(context.Background(), "a.zip", z, all(), func(m *Member) error {
		n++
		if m.Name == "1" {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Errorf("err %v after %d calls, want fn's error after 2", err, n)
	}
}

func TestStreamName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a.tar.gz", "a.tar"}, {"a.tgz", "a.tar"}, {"A.TGZ", "A.tar"}, {"x.gz", "x"}, {"x", "x"}, {".gz", ".gz"},
	} {
		if got := streamName(tc.in, ".gz", ".gzip", ".tgz", ".taz"); got != tc.want {
			t.Errorf("streamName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFnPanicIsNotSwallowed(t *testing.T) {
	// Panics of decoders are recovered; the caller's are not.
	z := zipOf(t, file{name: "x", data: []byte("x")})
	defer func() {
		if recover() == nil {
			t.Error("fn's panic was swallowed")
		}
	}()
	_ = Walk(context.Background(), "a.zip", z, all(), func(m *Member) error {
		if m.Depth == 1 {
			panic("caller's bug")
		}
		return nil
	})
}
