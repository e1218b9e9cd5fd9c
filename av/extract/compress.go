package extract

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/ulikunitz/xz"
)

// single is a container of one member: a compressed stream.
type single struct {
	e    *entry
	done bool
	in   *countingReader
}

func (s *single) consumed() int64 { return s.in.n }

func (s *single) next() (*entry, error) {
	if s.done {
		return nil, io.EOF
	}
	s.done = true
	return s.e, nil
}

// streamName names the content of a compressed stream called name: the
// name without the compression suffix; the t*z abbreviations give .tar.
func streamName(name string, suffixes ...string) string {
	lower := strings.ToLower(name)
	for _, s := range suffixes {
		if strings.HasSuffix(lower, s) && len(name) > len(s) {
			base := name[:len(name)-len(s)]
			if strings.HasPrefix(s, ".t") && s != ".tar" {
				return base + ".tar"
			}
			return base
		}
	}
	return name
}

func openGzip(_ *walker, m *Member, data []byte) (archive, error) {
	in := &countingReader{r: bytes.NewReader(data)}
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	name := streamName(m.Name, ".gz", ".gzip", ".tgz", ".taz")
	if n := baseName(zr.Name); n != "" {
		name = n
	}
	return &single{in: in, e: &entry{name: name, size: -1, open: func() (io.Reader, error) { return zr, nil }}}, nil
}

// baseName keeps the last element of a stored path, whatever the
// separator, so a crafted header cannot fake a path.
func baseName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	if n == "." || n == "/" {
		return ""
	}
	return n
}

func openBzip2(_ *walker, m *Member, data []byte) (archive, error) {
	name := streamName(m.Name, ".bz2", ".bz", ".tbz2", ".tbz")
	in := &countingReader{r: bytes.NewReader(data)}
	return &single{in: in, e: &entry{name: name, size: -1, open: func() (io.Reader, error) {
		return bzip2.NewReader(in), nil
	}}}, nil
}

func openXz(w *walker, m *Member, data []byte) (archive, error) {
	if err := w.checkXzDict(data); err != nil {
		return nil, err
	}
	in := &countingReader{r: bytes.NewReader(data)}
	xr, err := xz.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("xz header: %w", err)
	}
	name := streamName(m.Name, ".xz", ".txz")
	return &single{in: in, e: &entry{name: name, size: -1, open: func() (io.Reader, error) { return xr, nil }}}, nil
}

// dictLimit is the largest LZMA/rar/zstd dictionary (window) we let a
// decoder allocate: MaxMemberSize, but at least the 64 MiB of xz -9 so
// that ordinary archives always open.
func (w *walker) dictLimit() int64 {
	return max(64<<20, w.lim.MaxMemberSize)
}

// checkXzDict refuses an xz stream whose first block declares an LZMA2
// dictionary over dictLimit: ulikunitz/xz allocates what the header says.
func (w *walker) checkXzDict(d []byte) error {
	if dict := xzFirstDict(d); dict > uint64(w.dictLimit()) {
		return fmt.Errorf("%w: xz dictionary of %d bytes, more than %d", ErrLimit, dict, w.dictLimit())
	}
	return nil
}

// xzFirstDict returns the LZMA2 dictionary size declared in the first
// block header of the xz stream d, 0 when there is none to read. Block
// header layout: size byte, flags, optional sizes, filter flags
// (id, properties size, properties), padding, CRC32.
func xzFirstDict(d []byte) uint64 {
	const streamHeaderLen = 12
	if len(d) < streamHeaderLen+2 || d[streamHeaderLen] == 0 {
		return 0
	}
	size := (int(d[streamHeaderLen]) + 1) * 4
	if len(d) < streamHeaderLen+size {
		return 0
	}
	h := d[streamHeaderLen+1 : streamHeaderLen+size-4]
	flags := h[0]
	h = h[1:]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			if _, n := binary.Uvarint(h); n > 0 {
				h = h[n:]
			}
		}
	}
	var dict uint64
	for range int(flags&3) + 1 {
		id, n := binary.Uvarint(h)
		if n <= 0 {
			return dict
		}
		psize, m := binary.Uvarint(h[n:])
		if m <= 0 || psize > uint64(len(h[n+m:])) {
			return dict
		}
		props := h[n+m : n+m+int(psize)]
		h = h[n+m+int(psize):]
		if id == 0x21 && len(props) == 1 {
			dict = max(dict, lzma2Dict(props[0]))
		}
	}
	return dict
}

// lzma2Dict decodes the LZMA2 dictionary-size byte.
func lzma2Dict(b byte) uint64 {
	bits := uint64(b & 0x3f)
	if bits >= 40 {
		return 1<<32 - 1
	}
	return (2 | bits&1) << (bits/2 + 11)
}
