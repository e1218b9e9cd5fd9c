package extract

import (
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Zip compression methods we add to archive/zip's store and deflate.
const (
	zipBzip2 = 12
	zipZstd  = 93
	zipXz    = 95
	zipAES   = 99 // WinZip AES: the real method is in the 0x9901 extra field
)

// openZip lists a zip through its central directory. When that cannot be
// read (truncated or mangled archives, which mail clients and 7-Zip still
// open), the local headers are scanned instead.
func openZip(w *walker, m *Member, data []byte) (archive, error) {
	in := &countingReaderAt{r: bytes.NewReader(data)}
	r, err := zip.NewReader(in, int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if s := salvageZip(data); s != nil {
			return s, nil
		}
		return nil, err
	}
	// Registered on this reader only: no global state.
	r.RegisterDecompressor(zipBzip2, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })
	r.RegisterDecompressor(zipXz, newXzDecompressor(w))
	r.RegisterDecompressor(zipZstd, newZstdDecompressor(w))
	return &zipArchive{files: r.File, in: in}, nil
}

type zipArchive struct {
	files []*zip.File
	i     int
	in    *countingReaderAt
}

func (z *zipArchive) consumed() int64 { return z.in.n.Load() }

func (z *zipArchive) next() (*entry, error) {
	for z.i < len(z.files) {
		f := z.files[z.i]
		z.i++
		if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 == 0 {
			continue // a directory
		}
		return &entry{
			name:        f.Name,
			encrypted:   zipEncrypted(f.Flags, f.Method, f.Extra),
			size:        clampSize(f.UncompressedSize64),
			exact:       true, // archive/zip fails a member that expands past or short of it
			packed:      clampSize(f.CompressedSize64),
			independent: true,
			open:        func() (io.Reader, error) { return f.Open() },
		}, nil
	}
	return nil, io.EOF
}

// zipEncrypted: general-purpose bit 0 (traditional PKWARE encryption, also
// set by WinZip AES), method 99 or a WinZip AES extra field (0x9901).
func zipEncrypted(flags, method uint16, extra []byte) bool {
	return flags&1 != 0 || method == zipAES || hasZipExtra(extra, 0x9901)
}

// hasZipExtra reports whether the extra field block holds a record of id.
func hasZipExtra(extra []byte, id uint16) bool {
	for len(extra) >= 4 {
		tag := binary.LittleEndian.Uint16(extra)
		size := int(binary.LittleEndian.Uint16(extra[2:]))
		if tag == id {
			return true
		}
		if 4+size > len(extra) {
			return false
		}
		extra = extra[4+size:]
	}
	return false
}

// clampSize turns a declared uint64 size into int64 (huge values stay huge).
func clampSize(n uint64) int64 {
	if n > 1<<62 {
		return 1 << 62
	}
	return int64(n)
}

// newXzDecompressor returns a zip decompressor for xz members, refusing
// dictionaries over the walk's limit like openXz does.
func newXzDecompressor(w *walker) zip.Decompressor {
	return func(r io.Reader) io.ReadCloser {
		br := &bytes.Buffer{}
		// The stream header and first block header fit in 1 KiB.
		if _, err := io.CopyN(br, r, 1024); err != nil && err != io.EOF {
			return errReadCloser(err)
		}
		if err := w.checkXzDict(br.Bytes()); err != nil {
			return errReadCloser(err)
		}
		xr, err := xz.NewReader(io.MultiReader(br, r))
		if err != nil {
			return errReadCloser(err)
		}
		return io.NopCloser(xr)
	}
}

// newZstdDecompressor returns a zip decompressor for zstd members: one
// goroutine, a window no larger than the walk allows in memory.
func newZstdDecompressor(w *walker) zip.Decompressor {
	return func(r io.Reader) io.ReadCloser {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(uint64(w.dictLimit())), zstd.WithDecoderMaxMemory(uint64(w.lim.MaxTotal)))
		if err != nil {
			return errReadCloser(err)
		}
		return d.IOReadCloser()
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func errReadCloser(err error) io.ReadCloser { return io.NopCloser(errReader{err}) }

// salvageZip lists the members of a zip whose central directory is lost
// by walking its local headers; nil when the first one is not readable.
func salvageZip(data []byte) archive {
	s := &zipSalvage{data: data}
	if _, ok := s.header(0); !ok {
		return nil
	}
	return s
}

type zipSalvage struct {
	untracked // members are read from slices; their own sizes judge them
	data      []byte
	pos       int
	done      bool
}

// local is what a local file header says.
type local struct {
	name               string
	flags, method      uint16
	csize, usize       uint32
	extra              []byte
	dataStart, dataEnd int
}

const localHeaderLen = 30

func (s *zipSalvage) header(pos int) (local, bool) {
	d := s.data
	if pos < 0 || len(d)-pos < localHeaderLen || !bytes.HasPrefix(d[pos:], []byte("PK\x03\x04")) {
		return local{}, false
	}
	h := d[pos:]
	l := local{
		flags: binary.LittleEndian.Uint16(h[6:]), method: binary.LittleEndian.Uint16(h[8:]),
		csize: binary.LittleEndian.Uint32(h[18:]), usize: binary.LittleEndian.Uint32(h[22:]),
	}
	nameLen, extraLen := int(binary.LittleEndian.Uint16(h[26:])), int(binary.LittleEndian.Uint16(h[28:]))
	l.dataStart = pos + localHeaderLen + nameLen + extraLen
	if l.dataStart > len(d) {
		return local{}, false
	}
	l.name = string(h[localHeaderLen : localHeaderLen+nameLen])
	l.extra = h[localHeaderLen+nameLen : localHeaderLen+nameLen+extraLen]
	l.dataEnd = len(d)
	if l.flags&8 == 0 || l.csize != 0 {
		l.dataEnd = min(len(d), l.dataStart+int(l.csize))
	} else if i := bytes.Index(d[l.dataStart:], []byte("PK\x03\x04")); i >= 0 {
		l.dataEnd = l.dataStart + i // sizes in a data descriptor: guess the end
	}
	return l, true
}

func (s *zipSalvage) next() (*entry, error) {
	for !s.done {
		l, ok := s.header(s.pos)
		if !ok {
			s.done = true
			break
		}
		s.pos = l.dataEnd
		if i := bytes.Index(s.data[s.pos:], []byte("PK\x03\x04")); i >= 0 {
			s.pos += i
		} else {
			s.done = true
		}
		if strings.HasSuffix(l.name, "/") && l.usize == 0 {
			continue
		}
		return s.entry(l), nil
	}
	return nil, io.EOF
}

// entry reads a salvaged member without its CRC: what the header says is
// unverified, so sizes are no more than hints.
func (s *zipSalvage) entry(l local) *entry {
	raw := s.data[l.dataStart:l.dataEnd]
	e := &entry{name: l.name, encrypted: zipEncrypted(l.flags, l.method, l.extra), size: -1,
		packed: int64(len(raw)), independent: true}
	e.open = func() (io.Reader, error) {
		switch l.method {
		case zip.Store:
			return bytes.NewReader(raw), nil
		case zip.Deflate:
			return flate.NewReader(bytes.NewReader(raw)), nil
		case zipBzip2:
			return bzip2.NewReader(bytes.NewReader(raw)), nil
		}
		return nil, fmt.Errorf("%w: zip method %d", ErrUnsupported, l.method)
	}
	return e
}
