package sigdb

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// errUnsupported marks a construct that is valid ClamAV syntax but that this
// engine does not implement: the signature is skipped and counted, never
// loaded with a different meaning.
var errUnsupported = errors.New("unsupported")

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUnsupported, fmt.Sprintf(format, args...))
}

// Limits that keep a hostile or broken database from exhausting memory or
// time at load or scan time.
const (
	maxVariants = 256     // expansions of one alternative group
	maxNumber   = 1 << 30 // any number inside a pattern or an offset
)

// byteSet is a set of byte values, one bit each.
type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) union(o *byteSet) {
	for i := range s {
		s[i] |= o[i]
	}
}
func (s *byteSet) invert() {
	for i := range s {
		s[i] = ^s[i]
	}
}

// pos is what one byte of a pattern may be: exact, any, or a set (nibble
// wildcards, single-byte alternatives, character classes).
type pos struct {
	set   byteSet
	b     byte
	exact bool
	any   bool
}

func exactPos(b byte) pos { return pos{b: b, exact: true} }

func anyPos() pos {
	p := pos{any: true}
	p.set.invert()
	return p
}

type atomKind uint8

const (
	atomLit  atomKind = iota // exact bytes
	atomSkip                 // n bytes of anything
	atomSet                  // one byte from set
	atomAlt                  // one of alts (all n bytes long); none of them when neg
)

type atom struct {
	kind atomKind
	neg  bool
	n    int
	lit  []byte
	set  byteSet
	alts []variant
}

// variant is a fixed-length sequence of atoms.
type variant struct {
	atoms  []atom
	n      int
	key    []byte // its longest literal: windows are searched for it first
	keyOff int
}

// part is a piece of a signature between two variable gaps. It has one
// variant, or several of different lengths (generic alternatives).
type part struct{ vars []variant }

// gap is a variable distance between two parts; max < 0 means unbounded.
type gap struct{ min, max int }

func (g gap) add(o gap) gap {
	r := gap{g.min + o.min, g.max + o.max}
	if g.max < 0 || o.max < 0 {
		r.max = -1
	}
	return r
}

// pattern is a parsed hex signature: parts[i] follows parts[i-1] after
// gaps[i]; gaps[0] is always zero.
type pattern struct {
	parts []part
	gaps  []gap
}

// appendAtom appends a to atoms, merging runs of literals and of skips so
// that the longest literal run is one atom. Literals are never appended to
// in place: expanded alternatives share atoms.
func appendAtom(atoms []atom, a atom) []atom {
	if last := len(atoms) - 1; last >= 0 && a.kind == atoms[last].kind {
		switch a.kind {
		case atomLit:
			atoms[last].lit = append(slices.Clip(atoms[last].lit), a.lit...)
			atoms[last].n += a.n
			return atoms
		case atomSkip:
			atoms[last].n += a.n
			return atoms
		}
	}
	if a.kind == atomLit {
		a.lit = bytes.Clone(a.lit)
	}
	return append(atoms, a)
}

func posAtom(p pos) atom {
	switch {
	case p.exact:
		return atom{kind: atomLit, n: 1, lit: []byte{p.b}}
	case p.any:
		return atom{kind: atomSkip, n: 1}
	}
	return atom{kind: atomSet, n: 1, set: p.set}
}

func newVariant(atoms []atom) variant {
	v := variant{atoms: atoms}
	for _, a := range atoms {
		if a.kind == atomLit && len(a.lit) > len(v.key) {
			v.key, v.keyOff = a.lit, v.n
		}
		v.n += a.n
	}
	return v
}

// matchAt reports whether v matches data at start.
func (v *variant) matchAt(data []byte, start int) bool {
	if start < 0 || start > len(data)-v.n {
		return false
	}
	d := data[start : start+v.n]
	for i := range v.atoms {
		a := &v.atoms[i]
		switch a.kind {
		case atomLit:
			if !bytes.Equal(d[:a.n], a.lit) {
				return false
			}
		case atomSet:
			if !a.set.has(d[0]) {
				return false
			}
		case atomAlt:
			if a.altMatch(d[:a.n]) == a.neg {
				return false
			}
		}
		d = d[a.n:]
	}
	return true
}

func (a *atom) altMatch(d []byte) bool {
	for i := range a.alts {
		if a.alts[i].matchAt(d, 0) {
			return true
		}
	}
	return false
}

// first returns the lowest start in [lo, hi] where v matches, or -1.
func (v *variant) first(data []byte, lo, hi int) int {
	lo, hi = max(lo, 0), min(hi, len(data)-v.n)
	for lo <= hi {
		if len(v.key) > 0 {
			j := bytes.Index(data[lo+v.keyOff:hi+v.keyOff+len(v.key)], v.key)
			if j < 0 {
				return -1
			}
			lo += j
		}
		if v.matchAt(data, lo) {
			return lo
		}
		lo++
	}
	return -1
}

// last returns the highest start in [lo, hi] where v matches, or -1.
func (v *variant) last(data []byte, lo, hi int) int {
	lo, hi = max(lo, 0), min(hi, len(data)-v.n)
	for lo <= hi {
		if len(v.key) > 0 {
			j := bytes.LastIndex(data[lo+v.keyOff:hi+v.keyOff+len(v.key)], v.key)
			if j < 0 {
				return -1
			}
			hi = lo + j
		}
		if v.matchAt(data, hi) {
			return hi
		}
		hi--
	}
	return -1
}

// parsePattern parses a ClamAV hex signature.
func parsePattern(s string) (*pattern, error) {
	if s == "" {
		return nil, errors.New("empty hex signature")
	}
	var b patBuilder
	for i := 0; i < len(s); {
		n, err := b.token(s, i)
		if err != nil {
			return nil, err
		}
		i += n
	}
	return b.finish()
}

// patBuilder assembles tokens into parts and gaps.
type patBuilder struct {
	p       pattern
	cur     []atom
	pending gap
	hasGap  bool
	hasAtom bool
}

func (b *patBuilder) token(s string, i int) (int, error) {
	switch c := s[i]; c {
	case '*':
		b.addGap(gap{0, -1})
		return 1, nil
	case '{':
		return b.brace(s, i)
	case '[':
		end := strings.IndexByte(s[i:], ']')
		if end < 0 {
			return 0, fmt.Errorf("unterminated '[' at column %d", i+1)
		}
		g, err := parseRange(s[i+1 : i+end])
		if err != nil || g.max < 0 {
			return 0, fmt.Errorf("bad anchored range %q at column %d", s[i:i+end+1], i+1)
		}
		b.addGap(g)
		return end + 1, nil
	case '!', '(':
		return b.group(s, i)
	default:
		p, err := parsePos(s, i)
		if err != nil {
			return 0, err
		}
		b.cur = appendAtom(b.cur, posAtom(p))
		b.hasAtom = true
		return 2, nil
	}
}

// brace parses {n}, {-n}, {n-} and {n-m}.
func (b *patBuilder) brace(s string, i int) (int, error) {
	end := strings.IndexByte(s[i:], '}')
	if end < 0 {
		return 0, fmt.Errorf("unterminated '{' at column %d", i+1)
	}
	g, err := parseRange(s[i+1 : i+end])
	if err != nil {
		return 0, fmt.Errorf("bad range %q at column %d: %v", s[i:i+end+1], i+1, err)
	}
	if g.max == 0 {
		// {0}, {-0} and {0-0}: ClamAV (checked with 1.4) matches these as
		// '*', any number of bytes; so do we, for the same detections.
		g.max = -1
	}
	if g.min == g.max {
		if g.min > 0 {
			b.cur = appendAtom(b.cur, atom{kind: atomSkip, n: g.min})
			b.hasAtom = true
		}
	} else {
		b.addGap(g)
	}
	return end + 1, nil
}

// parseRange parses the inside of {} or []: n, -n, n- or n-m.
func parseRange(s string) (gap, error) {
	lo, hi, dash := strings.Cut(s, "-")
	if !dash {
		n, err := parseNum(lo)
		return gap{n, n}, err
	}
	g := gap{0, -1}
	var err error
	if lo != "" {
		if g.min, err = parseNum(lo); err != nil {
			return g, err
		}
	}
	if hi != "" {
		if g.max, err = parseNum(hi); err != nil {
			return g, err
		}
		if g.max < g.min {
			return g, errors.New("upper bound below lower bound")
		}
	}
	if lo == "" && hi == "" {
		return g, errors.New("no bounds")
	}
	return g, nil
}

func parseNum(s string) (int, error) {
	if s == "" || len(s) > 10 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("bad number %q", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxNumber {
		return 0, fmt.Errorf("number %q too large", s)
	}
	return n, nil
}

func (b *patBuilder) addGap(g gap) {
	switch {
	case len(b.cur) > 0 || len(b.p.parts) == 0:
		b.flush()
		b.pending, b.hasGap = g, true
	case b.hasGap:
		b.pending = b.pending.add(g)
	default: // right after a variable part
		b.pending, b.hasGap = g, true
	}
}

// flush closes the fixed part being built, possibly empty.
func (b *patBuilder) flush() {
	b.addPart(part{vars: []variant{newVariant(b.cur)}})
	b.cur = nil
}

func (b *patBuilder) addPart(p part) {
	g := gap{}
	if b.hasGap {
		g = b.pending
	}
	b.p.parts = append(b.p.parts, p)
	b.p.gaps = append(b.p.gaps, g)
	b.pending, b.hasGap = gap{}, false
}

func (b *patBuilder) finish() (*pattern, error) {
	if !b.hasAtom {
		return nil, errors.New("hex signature matches no byte")
	}
	if len(b.cur) > 0 || b.hasGap || len(b.p.parts) == 0 {
		b.flush()
	}
	b.p.gaps[0] = gap{}
	return &b.p, nil
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parsePos parses one byte position: "ab", "??", "a?" or "?a".
func parsePos(s string, i int) (pos, error) {
	if i+2 > len(s) {
		return pos{}, fmt.Errorf("odd number of hex digits at column %d", i+1)
	}
	hi, lo := s[i], s[i+1]
	h, hok := hexVal(hi)
	l, lok := hexVal(lo)
	switch {
	case hok && lok:
		return exactPos(h<<4 | l), nil
	case hi == '?' && lo == '?':
		return anyPos(), nil
	case hok && lo == '?':
		var p pos
		for x := range byte(16) {
			p.set.add(h<<4 | x)
		}
		return p, nil
	case hi == '?' && lok:
		var p pos
		for x := range byte(16) {
			p.set.add(x<<4 | l)
		}
		return p, nil
	}
	return pos{}, fmt.Errorf("bad hex %q at column %d", s[i:i+2], i+1)
}
