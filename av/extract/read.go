package extract

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// entry is one member as its container lists it.
type entry struct {
	name      string
	hint      string // type the container vouches for (an mbox entry is a message), or ""
	encrypted bool
	// size is the declared expanded size, -1 when unknown. When exact is
	// set the reader refuses to return more or fewer bytes (archive/zip,
	// archive/tar), so size can be trusted for prechecks and buffers.
	size  int64
	exact bool
	// packed is the member's own compressed size, 0 when unknown (or when
	// members share a compressed stream): the ratio is then judged on the
	// whole container.
	packed int64
	// independent: damage in this member does not break the following ones
	// (zip members are located through the central directory).
	independent bool
	open        func() (io.Reader, error)
}

// archive lists the members of an opened container.
type archive interface {
	// next returns the next member, io.EOF after the last one.
	next() (*entry, error)
	// consumed returns how many stored bytes the decoders have read so
	// far, -1 when not tracked (the container's size is then used).
	consumed() int64
}

// untracked is embedded by archives read from memory without compression.
type untracked struct{}

func (untracked) consumed() int64 { return -1 }

// countingReader counts what a decoder reads from a container, for the
// ratio: out of 1 KiB of a bomb's deflate stream comes 1 MiB of zeros,
// long before the whole stream is read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// countingReaderAt is countingReader for random-access readers (zip, 7z).
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64 // atomic: a library may read from several goroutines
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// openFunc opens data, the content of container m, and checks what can be
// checked before m is reported. Errors wrapping errEncrypted mean a
// password is needed to list it.
type openFunc func(w *walker, m *Member, data []byte) (archive, error)

// errEncrypted is returned (wrapped) by openers and readers that need a
// password; it never reaches a Member.
var errEncrypted = errors.New("encrypted")

// peeked is an archive whose first entry was read ahead, so that a
// container that cannot even list one entry is reported as such.
type peeked struct {
	archive
	first    *entry
	firstErr error
	used     bool
}

func (p *peeked) consumed() int64 { return p.archive.consumed() }

func (p *peeked) next() (*entry, error) {
	if !p.used {
		p.used = true
		return p.first, p.firstErr
	}
	return p.archive.next()
}

// peek reads a's first entry ahead; the error is that of the first entry
// (io.EOF, an empty container, is no error).
func peek(a archive) (archive, error) {
	e, err := a.next()
	if err != nil && err != io.EOF {
		return nil, err
	}
	return &peeked{archive: a, first: e, firstErr: err}, nil
}

// counter tracks what one container has expanded, for its ratio.
type counter struct {
	a    archive
	size int64 // stored bytes of the container
	out  int64 // bytes expanded from it so far
}

// in is the denominator of the container's ratio: the stored bytes read
// so far when tracked (read-ahead only makes it larger, so the ratio is
// never overstated), else the container's size.
func (c *counter) in() int64 {
	if n := c.a.consumed(); n >= 0 {
		return max(n, 1)
	}
	return c.size
}

// limitErr is what the meter returns when a limit trips; sentinel is
// ErrBomb or ErrLimit.
type limitErr struct {
	sentinel error
	msg      string
}

func (e *limitErr) Error() string { return e.sentinel.Error() + ": " + e.msg }
func (e *limitErr) Unwrap() error { return e.sentinel }

// meter counts what a member's reader expands and stops it at the limits
// and on cancellation. It is always the outermost reader, so its errors
// reach us unchanged.
type meter struct {
	r      io.Reader
	w      *walker
	cs     *counter
	packed int64
	n      int64
}

func (r *meter) Read(p []byte) (int, error) {
	if err := r.w.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	r.cs.out += int64(n)
	r.w.total += int64(n)
	if lerr := r.check(); lerr != nil {
		return n, lerr
	}
	return n, err
}

// check compares the counts with the limits. Ratios are compared by
// division: packed sizes come from headers and may be huge.
func (r *meter) check() error {
	ratio := int64(r.w.lim.MaxRatio)
	if r.packed > 0 && r.n > ratioFloor && r.n/ratio > r.packed {
		return &limitErr{ErrBomb, fmt.Sprintf("%d bytes expanded from %d, more than %d:1", r.n, r.packed, ratio)}
	}
	if in := r.cs.in(); r.cs.out > ratioFloor && r.cs.out/ratio > in {
		return &limitErr{ErrBomb, fmt.Sprintf("%d bytes expanded from %d read of %d stored, more than %d:1", r.cs.out, in, r.cs.size, ratio)}
	}
	if r.w.total > r.w.lim.MaxTotal {
		r.w.exhausted = true
		return &limitErr{ErrLimit, fmt.Sprintf("more than MaxTotal (%d bytes) expanded", r.w.lim.MaxTotal)}
	}
	return nil
}

// expandOne reads member m listed as e into memory, within the limits.
// It returns the data to visit (nil when m was settled here: encrypted,
// damaged or over a limit, with m's fields set), whether the container
// must stop, and a fatal error (cancellation).
func (w *walker) expandOne(m *Member, e *entry, cs *counter) ([]byte, bool, error) {
	m.Type = typeOctet
	if e.encrypted {
		m.Encrypted = true
		return nil, false, nil
	}
	if w.exhausted {
		m.Err = fmt.Errorf("%s: %w: not expanded, MaxTotal (%d bytes) used up", where(m), ErrLimit, w.lim.MaxTotal)
		return nil, false, nil
	}
	if stop, ok := w.precheck(m, e); !ok {
		return nil, stop, nil
	}
	var r io.Reader
	err := safely(func() (err error) {
		r, err = e.open()
		return err
	})
	if err != nil {
		return nil, w.settle(m, e, nil, err), nil
	}
	if c, ok := r.(io.Closer); ok {
		defer safely(c.Close) // frees pooled decoders (zip's zstd, 7z folders)
	}
	var data, head []byte
	err = safely(func() (err error) {
		data, head, err = w.slurp(&meter{r: r, w: w, cs: cs, packed: e.packed}, e)
		return err
	})
	if w.ctx.Err() != nil {
		return nil, false, w.cancelled(m)
	}
	if err == nil {
		return data, false, nil
	}
	if data != nil {
		head = data
	}
	if len(head) > 0 {
		m.Type = DetectType(head, m.Name)
	}
	return nil, w.settle(m, e, data, err), nil
}

// precheck judges a member by sizes its container guarantees, before
// expanding anything. It returns ok=false when m was settled.
func (w *walker) precheck(m *Member, e *entry) (stop, ok bool) {
	if !e.exact || e.size < 0 {
		return false, true
	}
	ratio := int64(w.lim.MaxRatio)
	if e.packed > 0 && e.size > ratioFloor && e.size/ratio > e.packed {
		m.Err = fmt.Errorf("%s: %w: declares %d bytes from %d, more than %d:1", where(m), ErrBomb, e.size, e.packed, ratio)
		return true, false
	}
	if e.size > w.lim.MaxTotal-w.total {
		m.Err = fmt.Errorf("%s: %w: declares %d bytes, more than left of MaxTotal (%d bytes)", where(m), ErrLimit, e.size, w.lim.MaxTotal)
		return false, false
	}
	return false, true
}

// settle sets m's fields for a member whose reading failed with err
// (data is what was read, if held) and tells whether the container must
// stop.
func (w *walker) settle(m *Member, e *entry, data []byte, err error) bool {
	var le *limitErr
	switch {
	case errors.As(err, &le):
		m.Err = fmt.Errorf("%s: %w", where(m), err)
		return le.sentinel == ErrBomb
	case errors.Is(err, ErrLimit), errors.Is(err, ErrUnsupported):
		m.Err = fmt.Errorf("%s: %w", where(m), err)
		return false
	case isPasswordError(err):
		m.Encrypted = true
		return false
	case errors.Is(err, zip.ErrAlgorithm):
		m.Err = fmt.Errorf("%s: %w: %w", where(m), ErrUnsupported, err)
		return false
	}
	m.Data = data
	m.Err = fmt.Errorf("%s: %w: %w", where(m), ErrDamaged, err)
	return !e.independent
}

// slurp reads r into memory up to MaxMemberSize. A longer member is read
// through and counted (so that a bomb is told from a big file), then
// dropped: data is nil, head holds its first bytes for DetectType, and err
// wraps ErrLimit unless a limit tripped first. On other errors data holds
// what was read.
func (w *walker) slurp(r io.Reader, e *entry) (data, head []byte, err error) {
	limit := w.lim.MaxMemberSize
	hint := int64(-1) // the size to grow to, when the container vouches for it
	if e.exact && e.size >= 0 {
		hint = min(e.size, limit)
	}
	// Start small even when the size is known: a lying header must not
	// make us allocate MaxMemberSize for every member.
	c := int64(32 << 10)
	if hint >= 0 {
		c = min(hint, preallocMax)
	}
	buf := make([]byte, 0, c)
	if w.scratch == nil {
		w.scratch = make([]byte, 32<<10)
	}
	scratch := w.scratch
	for {
		if len(buf) < cap(buf) {
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil {
				return eofOK(buf, err)
			}
			continue
		}
		// Full: probe for more before growing, so exact sizes never
		// double the buffer.
		n, err := r.Read(scratch[:])
		if n > 0 {
			if int64(len(buf)+n) > limit {
				return w.readThrough(r, buf, scratch[:n], err)
			}
			buf = append(growTo(buf, hint, limit), scratch[:n]...)
		}
		if err != nil {
			return eofOK(buf, err)
		}
	}
}

// preallocMax caps the first buffer of a member.
const preallocMax = 4 << 20

// growTo returns buf with room to grow: to hint when the data already
// went past what a lying header could cheaply claim, else double; capped
// at limit.
func growTo(buf []byte, hint, limit int64) []byte {
	c := max(2*int64(cap(buf)), 64<<10)
	if hint > int64(cap(buf)) {
		c = hint
	}
	c = min(c, limit)
	nb := make([]byte, len(buf), c)
	copy(nb, buf)
	return nb
}

func eofOK(buf []byte, err error) ([]byte, []byte, error) {
	if err == io.EOF {
		return buf, nil, nil
	}
	return buf, nil, err
}

// headSize is how much of a dropped member is kept for DetectType
// (mimetype reads no more).
const headSize = 4096

// readThrough drops buf (whose first bytes are kept as head), reads the rest
// of r into nothing, and reports the member as over MaxMemberSize.
func (w *walker) readThrough(r io.Reader, buf, more []byte, rerr error) ([]byte, []byte, error) {
	read := int64(len(buf) + len(more))
	head := append([]byte(nil), buf[:min(len(buf), headSize)]...)
	if rerr == nil {
		var n int64
		n, rerr = io.Copy(io.Discard, r)
		read += n
	}
	if rerr != nil && rerr != io.EOF {
		return nil, head, rerr
	}
	return nil, head, fmt.Errorf("%w: %d bytes, more than MaxMemberSize (%d bytes) held in memory", ErrLimit, read, w.lim.MaxMemberSize)
}
