// Package bombtest builds decompression bombs for tests and benchmarks:
// 42.zip-like nested archives of zeros that are kilobytes on the wire and
// terabytes expanded. They are generated, never stored, because a stored
// bomb would trip every scanner that touches the repository.
package bombtest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"
)

const Size = 4 << 30 // 4 GiB of zeros in the innermost member

// ZerosDeflate returns a raw deflate stream of size zero bytes (size a
// multiple of 1 MiB) and its CRC-32, in well under a second: 1 MiB of
// zeros is compressed and flushed twice, and the second chunk, which only
// refers back into zeros, is repeated. The stream is as regular as it is
// small, so the zip levels above it compress it to almost nothing.
func ZerosDeflate(t testing.TB, size int64) ([]byte, uint32) {
	t.Helper()
	const mib = 1 << 20
	zeros := make([]byte, mib)
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	var chunks [2][]byte
	for i := range chunks {
		if _, err := fw.Write(zeros); err != nil {
			t.Fatal(err)
		}
		if err := fw.Flush(); err != nil {
			t.Fatal(err)
		}
		chunks[i] = bytes.Clone(b.Bytes())
		b.Reset()
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(chunks[0])
	crc := crc32.Update(0, crc32.IEEETable, zeros)
	for range size/mib - 1 {
		out = append(out, chunks[1]...)
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	return append(out, b.Bytes()...), crc
}

// Nested builds a 42.zip-like bomb: levels of zips, level i holding
// copies[i] copies of the level below (copied raw, compressed once), the
// innermost holding copies of 4 GiB of zeros. Each level deflates the one inside at
// the best level, so the whole stays small.
func Nested(t testing.TB, copies ...int) []byte {
	t.Helper()
	raw, crc := ZerosDeflate(t, Size)
	member := zipMember{FileHeader: zip.FileHeader{Name: "zeros.bin", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: Size}, raw: raw}
	var inner []byte
	for level, n := range copies {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for i := range n {
			fh := member.FileHeader
			fh.Name = fmt.Sprintf("%d-%s", i, member.Name)
			w, err := zw.CreateRaw(&fh)
			if err == nil {
				_, err = w.Write(member.raw)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if level < len(copies)-1 {
			member = deflatedMember(t, fmt.Sprintf("level%d.zip", level+1), b.Bytes())
		}
		inner = b.Bytes()
	}
	return inner
}

// zipMember is a member's header and compressed bytes, to copy raw.
type zipMember struct {
	zip.FileHeader
	raw []byte
}

// rawMember takes the first member of a zip, compressed.
func rawMember(t testing.TB, z []byte) zipMember {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := r.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	fh := r.File[0].FileHeader
	fh.Flags &^= 8 // sizes are known: no data descriptor
	return zipMember{FileHeader: fh, raw: raw}
}

// deflatedMember compresses data at the best level into a member.
func deflatedMember(t testing.TB, name string, data []byte) zipMember {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return rawMember(t, b.Bytes())
}

// Message is a small message carrying the nested bomb as a base64
// attachment.
func Message(zipData []byte) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nTo: b@example.com\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--XX\r\nContent-Type: application/zip; name=bomb.zip\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=bomb.zip\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(zipData)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--XX--\r\n")
	return []byte(b.String())
}
