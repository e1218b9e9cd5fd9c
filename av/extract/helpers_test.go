package extract

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// Test archives are built here, at test time: no virus or test-virus file
// is ever committed. The payloads are harmless bytes shaped like what the
// walker must tell apart (an MZ header for "executables").

// fakeExe returns a tiny harmless file whose magic says DOS executable.
func fakeExe() []byte {
	return append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte("not a program "), 20)...)
}

// file is one member to put in a test archive.
type file struct {
	name  string
	data  []byte
	store bool // zip: store instead of deflate
}

func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		m := zip.Deflate
		if f.store {
			m = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tarOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipOf(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = name
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xzOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bzip2Of compresses with the bzip2 program (Go has no bzip2 writer); the
// test is skipped without it.
func bzip2Of(t testing.TB, data []byte) []byte {
	t.Helper()
	return runFilter(t, data, "bzip2", "-c")
}

func runFilter(t testing.TB, data []byte, prog string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		t.Fatalf("%s not installed: run scripts/setup-debian.sh --test-deps", prog)
	}
	cmd := exec.Command(prog, args...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return out
}

// sevenZip runs 7z (Debian package p7zip-full or 7zip) on files written to a
// temporary directory and returns the archive; the test is skipped
// without 7z.
func sevenZip(t testing.TB, args []string, files ...file) []byte {
	t.Helper()
	prog := ""
	for _, p := range []string{"7z", "7zz", "7za"} {
		if _, err := exec.LookPath(p); err == nil {
			prog = p
			break
		}
	}
	if prog == "" {
		t.Fatal("7z not installed: run scripts/setup-debian.sh --test-deps (p7zip-full)")
	}
	dir := t.TempDir()
	var names []string
	for _, f := range files {
		p := filepath.Join(dir, "in", f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, f.name)
	}
	out := filepath.Join(dir, "out.archive")
	cmd := exec.Command(prog, append(append([]string{"a", "-y", "-bd"}, args...), append([]string{out}, names...)...)...)
	cmd.Dir = filepath.Join(dir, "in")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("7z: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zipCrypto builds a zip whose one member is encrypted with traditional
// PKWARE encryption (ZipCrypto), by hand: archive/zip cannot encrypt.
func zipCrypto(t testing.TB, name string, data []byte, password string) []byte {
	t.Helper()
	k := [3]uint32{0x12345678, 0x23456789, 0x34567890}
	update := func(c byte) {
		k[0] = crc32.Update(k[0]^0xffffffff, crc32.IEEETable, []byte{c}) ^ 0xffffffff
		k[1] = (k[1]+(k[0]&0xff))*134775813 + 1
		k[2] = crc32.Update(k[2]^0xffffffff, crc32.IEEETable, []byte{byte(k[1] >> 24)}) ^ 0xffffffff
	}
	for _, c := range []byte(password) {
		update(c)
	}
	crc := crc32.ChecksumIEEE(data)
	plain := append(bytes.Repeat([]byte{0x5a}, 11), byte(crc>>24)) // header: random bytes, then the CRC's high byte
	plain = append(plain, data...)
	enc := make([]byte, len(plain))
	for i, c := range plain {
		tmp := uint16(k[2] | 2)
		enc[i] = c ^ byte((uint32(tmp)*uint32(tmp^1))>>8)
		update(c)
	}
	return rawZip(t, &zip.FileHeader{Name: name, Method: zip.Store, Flags: 1, CRC32: crc,
		CompressedSize64: uint64(len(enc)), UncompressedSize64: uint64(len(data))}, enc)
}

// zipWinAES builds a zip whose one member claims WinZip AES-256 encryption
// (method 99, extra field 0x9901); the "ciphertext" is filler.
func zipWinAES(t testing.TB, name string, size int) []byte {
	t.Helper()
	extra := []byte{0x01, 0x99, 7, 0, 2, 0, 'A', 'E', 3, 8, 0} // AE-2, AES-256, deflate inside
	body := bytes.Repeat([]byte{0xa5}, 16+2+size+10)           // salt, verifier, data, MAC
	return rawZip(t, &zip.FileHeader{Name: name, Method: zipAES, Flags: 1, Extra: extra,
		CompressedSize64: uint64(len(body)), UncompressedSize64: uint64(size)}, body)
}

func rawZip(t testing.TB, fh *zip.FileHeader, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(fh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// RAR archives are built by hand (stored members) since no free tool
// writes rar; 7z can test them (TestRarFixturesValid).

type rarFile struct {
	name      string
	data      []byte
	encrypted bool
}

// rar5Of builds a RAR 5 archive of stored files. encryptedHeaders adds an
// archive encryption header, after which nothing is readable without the
// password.
func rar5Of(files []rarFile, encryptedHeaders bool) []byte {
	b := []byte("Rar!\x1a\x07\x01\x00")
	if encryptedHeaders {
		b = append(b, rar5Block(4, 0, nil, cat(vint(0), vint(1), []byte{15}, make([]byte, 16), make([]byte, 12)), nil)...)
		return append(b, bytes.Repeat([]byte{0x3c}, 64)...)
	}
	b = append(b, rar5Block(1, 0, nil, vint(0), nil)...)
	for _, f := range files {
		var extra []byte
		if f.encrypted {
			rec := cat(vint(1), vint(0), vint(1), []byte{15}, make([]byte, 16), make([]byte, 16), make([]byte, 12))
			extra = cat(vint(uint64(len(rec))), rec)
		}
		fields := cat(vint(0x0004), vint(uint64(len(f.data))), vint(0x20), le32(crc32.ChecksumIEEE(f.data)),
			vint(0), vint(1), vint(uint64(len(f.name))), []byte(f.name))
		b = append(b, rar5Block(2, 0, extra, fields, f.data)...)
	}
	return append(b, rar5Block(5, 0, nil, vint(0), nil)...)
}

// rar5Block encodes one block: CRC32, size, type, flags, [extra size],
// [data size], fields, extra area, then the data.
func rar5Block(typ, flags uint64, extra, fields, data []byte) []byte {
	if len(extra) > 0 {
		flags |= 1
	}
	if data != nil {
		flags |= 2
	}
	h := cat(vint(typ), vint(flags))
	if len(extra) > 0 {
		h = append(h, vint(uint64(len(extra)))...)
	}
	if data != nil {
		h = append(h, vint(uint64(len(data)))...)
	}
	h = cat(h, fields, extra)
	h = cat(vint(uint64(len(h))), h)
	return cat(le32(crc32.ChecksumIEEE(h)), h, data)
}

// rar4Of builds a RAR 1.5-4 archive of stored files; encryptedHeaders
// sets the archive flag that encrypts every following header.
func rar4Of(files []rarFile, encryptedHeaders bool) []byte {
	b := []byte("Rar!\x1a\x07\x00")
	var aflags uint16
	if encryptedHeaders {
		aflags = 0x0080
	}
	b = append(b, rar4Block(0x73, aflags, make([]byte, 6))...)
	if encryptedHeaders {
		return append(b, bytes.Repeat([]byte{0x3c}, 64)...)
	}
	for _, f := range files {
		flags := uint16(0x8000)
		var salt []byte
		if f.encrypted {
			flags |= 0x0004 | 0x0400
			salt = make([]byte, 8)
		}
		fields := cat(le32(uint32(len(f.data))), le32(uint32(len(f.data))), []byte{3},
			le32(crc32.ChecksumIEEE(f.data)), le32(0x5a000000), []byte{29, 0x30},
			le16(uint16(len(f.name))), le32(0x20), []byte(f.name), salt)
		b = append(b, rar4Block(0x74, flags, fields)...)
		b = append(b, f.data...)
	}
	return append(b, rar4Block(0x7b, 0x4000, nil)...)
}

func rar4Block(typ byte, flags uint16, fields []byte) []byte {
	h := cat([]byte{typ}, le16(flags), le16(uint16(7+len(fields))), fields)
	return cat(le16(uint16(crc32.ChecksumIEEE(h))), h)
}

func vint(v uint64) []byte { return binary.AppendUvarint(nil, v) }
func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// walked is what a walk reported, for assertions.
type walked struct {
	members []*Member
	err     error
}

func walk(t testing.TB, name string, data []byte, lim Limits) walked {
	t.Helper()
	var w walked
	w.err = Walk(context.Background(), name, data, lim, func(m *Member) error {
		w.members = append(w.members, m)
		return nil
	})
	return w
}

// get returns the member at path (names joined with "/"), or nil.
func (w walked) get(path string) *Member {
	for _, m := range w.members {
		if strings.Join(m.Path, "/") == path {
			return m
		}
	}
	return nil
}

// paths lists the members' paths in walk order.
func (w walked) paths() []string {
	var out []string
	for _, m := range w.members {
		out = append(out, strings.Join(m.Path, "/"))
	}
	return out
}

// all opens every container.
func all() Limits { return Limits{ScanArchives: true, ScanMailBases: true} }
