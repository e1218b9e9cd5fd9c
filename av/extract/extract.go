package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits bound the work of one Walk. Zero (or negative) numeric fields mean
// the defaults given with each field.
type Limits struct {
	MaxDepth      int   // nesting of archives inside archives (default 8)
	MaxMembers    int   // members in total for one object (default 10000)
	MaxTotal      int64 // total expanded bytes for one object (default 512 MiB)
	MaxMemberSize int64 // largest single member held in memory (default 64 MiB); larger ones are read through, counted, and reported with ErrLimit
	MaxRatio      int   // compression ratio beyond which a member is a bomb (default 200, for members above 1 MiB expanded)
	ScanArchives  bool  // AVScanArchives: open zip/gzip/bzip2/xz/tar/7z/rar
	ScanMailBases bool  // AVScanMailBases: open mbox files and message/rfc822 (.eml) attachments
}

// Defaults of Limits.
const (
	DefaultMaxDepth      = 8
	DefaultMaxMembers    = 10000
	DefaultMaxTotal      = 512 << 20
	DefaultMaxMemberSize = 64 << 20
	DefaultMaxRatio      = 200
)

// ratioFloor is the expanded size under which the ratio is not judged:
// tiny members of zeros compress 1000:1 and are no threat.
const ratioFloor = 1 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultMaxMembers
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	if l.MaxMemberSize <= 0 {
		l.MaxMemberSize = DefaultMaxMemberSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}

// Member is one object of the walk: the object given to Walk (Depth 0) or
// something found inside it. See the package documentation for Data and Err.
type Member struct {
	Path      []string // names from the attachment down, e.g. ["a.zip", "inner.tar", "x.exe"]
	Name      string   // last element of Path
	Type      string   // real type from content (magic bytes), e.g. "application/zip", "application/x-dosexec"
	Data      []byte   // content; nil for opened containers, encrypted members and members over MaxMemberSize
	Depth     int      // len(Path)-1
	Encrypted bool     // password-protected member or archive
	Err       error    // damaged or over a limit: wraps ErrDamaged, ErrLimit, ErrBomb or ErrUnsupported
}

// Sentinel errors wrapped by Member.Err; test with errors.Is. The package
// documentation says which limit gives which.
var (
	ErrDamaged     = errors.New("damaged")
	ErrLimit       = errors.New("over a limit")
	ErrBomb        = errors.New("decompression bomb")
	ErrUnsupported = errors.New("unsupported compression method")
)

// errStop ends the whole walk quietly (MaxMembers reached); Walk returns nil.
var errStop = errors.New("extract: walk stopped")

// Walk reports the object data, named name, to fn, then every member
// inside it in pre-order (see the package documentation). It returns fn's
// error unchanged if fn fails, an error wrapping ctx.Err() if ctx is done,
// and nil otherwise: problems with members are on Member.Err.
func Walk(ctx context.Context, name string, data []byte, lim Limits, fn func(*Member) error) error {
	w := &walker{ctx: ctx, lim: lim.withDefaults(), fn: fn}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("extract: walk of %q not started: %w", name, err)
	}
	root := &Member{Path: []string{name}, Name: name}
	err := w.visit(root, data, "")
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// walker is the state of one Walk.
type walker struct {
	ctx       context.Context
	lim       Limits
	fn        func(*Member) error
	members   int   // members reported, the root excluded
	total     int64 // bytes expanded so far, at every level
	exhausted bool  // MaxTotal used up: members are listed, not expanded
	scratch   []byte
}

// where names a member in errors: its path joined with "/".
func where(m *Member) string { return strings.Join(m.Path, "/") }

// cancelled wraps ctx's error with the place where the walk noticed it.
func (w *walker) cancelled(m *Member) error {
	return fmt.Errorf("extract: walk cancelled at %s: %w", where(m), w.ctx.Err())
}

// visit reports m, whose content is data, and opens it when it is a
// container the limits allow. hint is a type known from the container
// (an mbox entry is a message) or "".
func (w *walker) visit(m *Member, data []byte, hint string) error {
	typ, k := detect(data, m.Name)
	if hint != "" && k == kindNone {
		typ, k = hint, kindOf(hint)
	}
	m.Type = typ
	m.Data = data
	op := w.opener(k)
	if op == nil {
		return w.fn(m)
	}
	if m.Depth >= w.lim.MaxDepth {
		m.Err = fmt.Errorf("%s: %w: %s nested deeper than %d containers, not opened", where(m), ErrLimit, typ, w.lim.MaxDepth)
		return w.fn(m)
	}
	a, err := w.open(op, m, data)
	if err != nil {
		setContainerErr(m, m, err)
		return w.fn(m)
	}
	m.Data = nil
	if err := w.fn(m); err != nil {
		return err
	}
	return w.expand(m, a, int64(len(data)))
}

// open opens container m with op and reads its first entry ahead.
func (w *walker) open(op openFunc, m *Member, data []byte) (a archive, err error) {
	err = safely(func() (err error) {
		if a, err = op(w, m, data); err == nil {
			a, err = peek(a)
		}
		return err
	})
	return a, err
}

// opener returns the function that opens containers of kind k, or nil when
// k is no container or the limits leave it closed.
func (w *walker) opener(k kind) openFunc {
	switch {
	case k.isArchive() && w.lim.ScanArchives, k.isMailBase() && w.lim.ScanMailBases:
		return openerFor(k)
	}
	return nil
}

// child returns the member named name inside parent.
func child(parent *Member, name string) *Member {
	p := make([]string, len(parent.Path), len(parent.Path)+1)
	copy(p, parent.Path)
	return &Member{Path: append(p, name), Name: name, Depth: parent.Depth + 1}
}

// expand reports the members of the opened container parent, whose stored
// size is size.
func (w *walker) expand(parent *Member, a archive, size int64) error {
	cs := &counter{a: a, size: size}
	for i := 1; ; i++ {
		if w.ctx.Err() != nil {
			return w.cancelled(parent)
		}
		var e *entry
		err := safely(func() (err error) {
			e, err = a.next()
			return err
		})
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// The directory broke: report it on the entry that could not
			// be read and give up this container only.
			m := child(parent, "#"+strconv.Itoa(i))
			if !w.count(m) {
				return stopErr(w.fn(m))
			}
			m.Type = typeOctet
			setContainerErr(m, parent, fmt.Errorf("entry %d: %w", i, err))
			return w.fn(m)
		}
		m := child(parent, e.name)
		if !w.count(m) {
			return stopErr(w.fn(m))
		}
		data, stop, err := w.expandOne(m, e, cs)
		if err != nil {
			return err
		}
		if data == nil {
			err = w.fn(m) // settled by expandOne: encrypted, damaged or over a limit
		} else {
			err = w.visit(m, data, e.hint)
		}
		if err != nil {
			return err
		}
		if stop {
			return nil
		}
	}
}

// stopErr turns a nil error from fn after a fatal member into errStop.
func stopErr(err error) error {
	if err != nil {
		return err
	}
	return errStop
}

// count counts m against MaxMembers; past it, m gets ErrLimit and false.
func (w *walker) count(m *Member) bool {
	w.members++
	if w.members <= w.lim.MaxMembers {
		return true
	}
	m.Err = fmt.Errorf("%s: %w: more than %d members", where(m), ErrLimit, w.lim.MaxMembers)
	m.Type = typeOctet
	return false
}

// safely runs f, a call into a decoder, turning a panic into an error.
// The decoders are fed hostile input and not all of them survive it
// (sevenzip v1.6.5 dereferences nil on some malformed headers, found by
// Fuzz7z): the object is then damaged, the daemon lives on. fn is never
// called under safely, so the caller's panics are its own.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	return f()
}

// setContainerErr settles m after container c could not be opened or
// listed: encrypted, over a limit, or damaged.
func setContainerErr(m, c *Member, err error) {
	switch {
	case isPasswordError(err):
		m.Encrypted = true
	case errors.Is(err, ErrLimit), errors.Is(err, ErrUnsupported):
		m.Err = fmt.Errorf("%s: %w", where(c), err)
	default:
		m.Err = fmt.Errorf("%s: %w: %w", where(c), ErrDamaged, err)
	}
}
