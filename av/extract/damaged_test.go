package extract

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

func TestDamaged(t *testing.T) {
	exe := fakeExe()
	big := bytes.Repeat([]byte("some text that compresses, line after line\n"), 2000)
	tests := []struct {
		name    string
		build   func(t *testing.T) []byte
		path    string // member that must carry the error
		want    error
		partial bool     // Data holds what was read before the damage (a container's bytes)
		also    []string // members that must still be found intact
	}{
		{"zip truncated: central directory lost, members salvaged", func(t *testing.T) []byte {
			z := zipOf(t, file{name: "x.exe", data: exe}, file{name: "big.txt", data: big})
			return z[:len(z)*2/3]
		}, "a/big.txt", ErrDamaged, true, []string{"a/x.exe"}},
		{"zip with a flipped byte in a member", func(t *testing.T) []byte {
			z := zipOf(t, file{name: "big.txt", data: big}, file{name: "x.exe", data: exe})
			z[200] ^= 0xff
			return z
		}, "a/big.txt", ErrDamaged, true, []string{"a/x.exe"}},
		{"zip method implode", func(t *testing.T) []byte {
			return rawZip(t, &zip.FileHeader{Name: "x.exe", Method: 6, CompressedSize64: 4, UncompressedSize64: 4}, []byte("abcd"))
		}, "a/x.exe", ErrUnsupported, false, nil},
		{"zip garbage after the signature", func(*testing.T) []byte { return []byte("PK\x03\x04 not really a zip") },
			"a", ErrDamaged, true, nil},
		{"gzip bad CRC", func(t *testing.T) []byte {
			g := gzipOf(t, "x.exe", exe)
			g[len(g)-6] ^= 0xff
			return g
		}, "a/x.exe", ErrDamaged, true, nil},
		{"gzip truncated", func(t *testing.T) []byte {
			g := gzipOf(t, "big.txt", big)
			return g[:len(g)/2]
		}, "a/big.txt", ErrDamaged, true, nil},
		{"tar truncated in a member", func(t *testing.T) []byte {
			tr := tarOf(t, file{name: "x.exe", data: exe}, file{name: "big.txt", data: big})
			return tr[:1536+5000]
		}, "a/big.txt", ErrDamaged, true, []string{"a/x.exe"}},
		{"tar with a broken second header", func(t *testing.T) []byte {
			tr := tarOf(t, file{name: "x.exe", data: exe}, file{name: "y.exe", data: exe})
			copy(tr[1024:], bytes.Repeat([]byte{'z'}, 512))
			return tr
		}, "a/#2", ErrDamaged, false, []string{"a/x.exe"}},
		{"xz corrupt", func(t *testing.T) []byte {
			x := xzOf(t, big)
			x[len(x)/2] ^= 0xff
			return x
		}, "a/a", ErrDamaged, false, nil},
		{"rar5 bad header CRC in the first entry: the archive is damaged", func(*testing.T) []byte {
			r := rar5Of([]rarFile{{name: "x.exe", data: exe}}, false)
			r[8+3+4] ^= 0xff // inside the file header block
			return r
		}, "a", ErrDamaged, true, nil},
		{"rar5 bad header CRC in the second entry", func(*testing.T) []byte {
			r := rar5Of([]rarFile{{name: "x.exe", data: exe}, {name: "y.exe", data: exe}}, false)
			i := bytes.Index(r, []byte("y.exe"))
			r[i-2] ^= 0xff
			return r
		}, "a/#2", ErrDamaged, false, []string{"a/x.exe"}},
		{"rar4 truncated", func(*testing.T) []byte {
			r := rar4Of([]rarFile{{name: "x.exe", data: exe}}, false)
			return r[:len(r)-120]
		}, "a/x.exe", ErrDamaged, true, nil},
		{"7z corrupt", func(t *testing.T) []byte {
			s := sevenZip(t, []string{"-mx0"}, file{name: "big.txt", data: big})
			s[100] ^= 0xff
			return s
		}, "a/big.txt", ErrDamaged, true, nil},
		{"7z truncated", func(t *testing.T) []byte {
			s := sevenZip(t, nil, file{name: "big.txt", data: big})
			return s[:len(s)/2]
		}, "a", ErrDamaged, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := walk(t, "a", tc.build(t), all())
			if w.err != nil {
				t.Fatalf("Walk: %v", w.err)
			}
			m := w.get(tc.path)
			if m == nil {
				t.Fatalf("no %s in %q", tc.path, w.paths())
			}
			if !errors.Is(m.Err, tc.want) {
				t.Fatalf("%s: Err %v, want %v", tc.path, m.Err, tc.want)
			}
			if tc.partial != (len(m.Data) > 0) {
				t.Errorf("%s: %d bytes of Data, want partial data: %v", tc.path, len(m.Data), tc.partial)
			}
			for _, p := range tc.also {
				if o := w.get(p); o == nil || o.Err != nil || o.Data == nil {
					t.Errorf("%s lost: %+v", p, o)
				}
			}
			t.Logf("%s: %v", tc.path, m.Err)
		})
	}
}
