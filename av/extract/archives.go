package extract

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/bodgit/sevenzip"
	"github.com/nwaples/rardecode/v2"
)

// tar

func openTar(_ *walker, _ *Member, data []byte) (archive, error) {
	// Over a bytes.Reader, Next skips unread data by seeking.
	return &tarArchive{r: tar.NewReader(bytes.NewReader(data))}, nil
}

type tarArchive struct {
	untracked // not compressed: the container's size is the denominator
	r         *tar.Reader
}

func (t *tarArchive) next() (*entry, error) {
	for {
		h, err := t.r.Next()
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeGNUSparse {
			continue // directories, links, devices carry no content
		}
		// Size is exact (archive/tar returns neither more nor less); for
		// sparse files it counts the holes, which the ratio check of the
		// container catches.
		return &entry{name: h.Name, size: h.Size, exact: true,
			open: func() (io.Reader, error) { return t.r, nil }}, nil
	}
}

// 7z

func open7z(_ *walker, _ *Member, data []byte) (archive, error) {
	in := &countingReaderAt{r: bytes.NewReader(data)}
	r, err := sevenzip.NewReader(in, int64(len(data)))
	if err != nil {
		return nil, err // isPasswordError tells an encrypted header
	}
	return &sevenZipArchive{files: r.File, in: in, data: data}, nil
}

type sevenZipArchive struct {
	files []*sevenzip.File
	i     int
	in    *countingReaderAt
	data  []byte
}

func (z *sevenZipArchive) consumed() int64 { return z.in.n.Load() }

func (z *sevenZipArchive) next() (*entry, error) {
	for z.i < len(z.files) {
		f := z.files[z.i]
		z.i++
		if f.FileInfo().IsDir() {
			continue
		}
		// The declared size is not enforced by the reader: a hint only.
		// Members of a folder share one compressed stream, so the ratio is
		// the container's. Encryption shows when reading (ReadError).
		i := z.i - 1
		return &entry{name: f.Name, size: -1, open: func() (io.Reader, error) {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			return &sevenZipFile{rc: rc, want: f.CRC32, crc: crc32.NewIEEE(),
				probe: func(head []byte) bool { return z.passwordMatters(i, head) }}, nil
		}}, nil
	}
	return nil, io.EOF
}

// sevenZipFile checks a member's CRC, which sevenzip does not. A mismatch
// is damage, or encryption: sevenzip decrypts with an empty password
// without complaint, and AES over stored data then yields garbage with
// no error at all.
type sevenZipFile struct {
	rc    io.ReadCloser
	want  uint32 // 0: no CRC recorded
	crc   hash.Hash32
	head  []byte
	probe func(head []byte) bool
}

func (s *sevenZipFile) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	s.crc.Write(p[:n])
	if k := min(n, probeLen-len(s.head)); k > 0 {
		s.head = append(s.head, p[:k]...)
	}
	if err == io.EOF && s.want != 0 && s.crc.Sum32() != s.want {
		if s.probe(s.head) {
			return n, fmt.Errorf("7z: %w: content changes with the password", errEncrypted)
		}
		return n, fmt.Errorf("7z: CRC %08x, want %08x", s.crc.Sum32(), s.want)
	}
	return n, err
}

func (s *sevenZipFile) Close() error { return s.rc.Close() }

// probeLen is how much of a member is compared by passwordMatters.
const probeLen = 64

// passwordMatters reopens the archive with another password and reports
// whether file i starts differently than head: then it is encrypted.
// Only called on a CRC mismatch.
func (z *sevenZipArchive) passwordMatters(i int, head []byte) bool {
	r, err := sevenzip.NewReaderWithPassword(bytes.NewReader(z.data), int64(len(z.data)), "mailgw-probe")
	if err != nil || i >= len(r.File) {
		return isPasswordError(err)
	}
	rc, err := r.File[i].Open()
	if err != nil {
		return isPasswordError(err)
	}
	defer rc.Close()
	other := make([]byte, len(head))
	n, err := io.ReadFull(rc, other)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return isPasswordError(err)
	}
	return !bytes.Equal(other[:n], head)
}

// rar

func openRar(w *walker, _ *Member, data []byte) (archive, error) {
	in := &countingReader{r: bytes.NewReader(data)}
	r, err := rardecode.NewReader(in, rardecode.MaxDictionarySize(w.dictLimit()))
	if err != nil {
		return nil, rarError(err)
	}
	return &rarArchive{r: r, in: in}, nil
}

type rarArchive struct {
	r  *rardecode.Reader
	in *countingReader
}

func (a *rarArchive) consumed() int64 { return a.in.n }

func (a *rarArchive) next() (*entry, error) {
	for {
		h, err := a.r.Next()
		if err != nil {
			return nil, rarError(err)
		}
		if h.IsDir {
			continue
		}
		e := &entry{name: h.Name, encrypted: h.Encrypted, size: -1,
			open: func() (io.Reader, error) { return rarReader{a.r}, nil }}
		// A solid member's packed data leans on its predecessors': only a
		// non-solid member has a ratio of its own.
		if !h.Solid {
			e.packed = h.PackedSize
		}
		return e, nil
	}
}

// rarReader maps rardecode's errors while reading.
type rarReader struct{ r *rardecode.Reader }

func (r rarReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = rarError(err)
	}
	return n, err
}

// rarError turns rardecode's errors about dictionaries into ErrLimit.
func rarError(err error) error {
	if errors.Is(err, rardecode.ErrDictionaryTooLarge) {
		return fmt.Errorf("%w: %w", ErrLimit, err)
	}
	return err
}

// isPasswordError reports errors that mean a password is needed.
// sevenzip flags read errors in encrypted folders (ReadError.Encrypted)
// and fails to parse an encrypted header with one; rardecode has
// sentinels.
func isPasswordError(err error) bool {
	var re *sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted {
		return true
	}
	return errors.Is(err, errEncrypted) || errors.Is(err, rardecode.ErrArchiveEncrypted) ||
		errors.Is(err, rardecode.ErrArchivedFileEncrypted) || errors.Is(err, rardecode.ErrBadPassword)
}
