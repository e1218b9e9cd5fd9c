package sigdb

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// engineFLevel is the ClamAV functionality level this engine claims (that of
// ClamAV 1.0, the long-term-support base). Signatures whose MinFL is above it
// are skipped, as ClamAV does, since they may rely on features we lack; those
// whose MaxFL is below it are skipped too, as they were retired for newer
// engines.
const engineFLevel = 150

// Target types that need special handling; the others are matched against
// raw bytes of any object (see the package documentation).
const (
	targetAny   = 0
	targetPE    = 1
	targetELF   = 6
	targetMachO = 9
	maxTarget   = 14
)

type offKind uint8

const (
	offAny    offKind = iota // *
	offAbs                   // n
	offEOF                   // EOF-n
	offEP                    // EP+n, EP-n
	offSec                   // Sx+n
	offSecAll                // SEx
	offLast                  // SL+n
)

// offset constrains where a body signature starts: [base+n, base+n+shift].
type offset struct {
	kind  offKind
	n     int // signed for EP
	sec   int
	shift int
}

func (o offset) needsPE() bool { return o.kind >= offEP }

// parseOffset parses "*", "n", "EOF-n", "EP+n", "EP-n", "Sx+n", "SEx" and
// "SL+n", each but "*" and "SEx" optionally followed by ",maxshift".
func parseOffset(s string) (offset, error) {
	if s == "*" {
		return offset{}, nil
	}
	base, shift, hasShift := strings.Cut(s, ",")
	var o offset
	var err error
	if hasShift {
		if o.shift, err = parseNum(shift); err != nil {
			return o, fmt.Errorf("bad offset %q: %v", s, err)
		}
	}
	switch {
	case strings.HasPrefix(base, "EOF-"):
		o.kind = offEOF
		o.n, err = parseNum(base[4:])
	case strings.HasPrefix(base, "EP+"), strings.HasPrefix(base, "EP-"):
		o.kind = offEP
		o.n, err = parseNum(base[3:])
		if base[2] == '-' {
			o.n = -o.n
		}
	case strings.HasPrefix(base, "SL+"):
		o.kind = offLast
		o.n, err = parseNum(base[3:])
	case strings.HasPrefix(base, "SE"):
		o.kind = offSecAll
		o.sec, err = parseNum(base[2:])
		if err == nil && hasShift {
			err = errors.New("SEx takes no maxshift")
		}
	case strings.HasPrefix(base, "S"):
		o.kind = offSec
		sec, n, ok := strings.Cut(base[1:], "+")
		if !ok {
			return o, fmt.Errorf("bad offset %q", s)
		}
		if o.sec, err = parseNum(sec); err == nil {
			o.n, err = parseNum(n)
		}
	default:
		o.kind = offAbs
		o.n, err = parseNum(base)
	}
	if err != nil {
		return o, fmt.Errorf("bad offset %q: %v", s, err)
	}
	return o, nil
}

// window returns the interval of allowed start positions in a buffer of n
// bytes, or ok=false when the signature cannot start anywhere.
func (o offset) window(n int, pe *peInfo) (lo, hi int, ok bool) {
	var base int
	switch o.kind {
	case offAny:
		return 0, n, true
	case offAbs:
		base = o.n
	case offEOF:
		base = n - o.n
	case offEP:
		if pe == nil || pe.ep < 0 {
			return 0, 0, false
		}
		base = pe.ep + o.n
	case offSec, offSecAll:
		if pe == nil || o.sec >= len(pe.sections) {
			return 0, 0, false
		}
		s := pe.sections[o.sec]
		base = s.raw + o.n
		if o.kind == offSecAll {
			return clip(s.raw, s.raw+s.rsz, n)
		}
	case offLast:
		if pe == nil || len(pe.sections) == 0 {
			return 0, 0, false
		}
		base = pe.sections[len(pe.sections)-1].raw + o.n
	}
	return clip(base, base+o.shift, n)
}

// clip bounds a start window by the object. A window starting before the
// object is no match at all, not clipped: ClamAV (checked with 1.4) drops
// a signature whose EOF-n or EP-n offset falls before the start.
func clip(lo, hi, n int) (int, int, bool) {
	hi = min(hi, n)
	return lo, hi, lo >= 0 && lo <= hi
}

// bodySig is one loaded .ndb signature.
type bodySig struct {
	sig    int32 // index in DB.sigs
	target int
	off    offset
	pat    *pattern
	// The anchor is the literal searched by the automaton: anchor[0] lies
	// aOff bytes into the single variant of part aPart. nil: no literal of
	// two bytes or more, the slow path checks every allowed start.
	anchor []byte
	aPart  int
	aOff   int
}

func (b *bodySig) needsPE() bool { return b.target == targetPE || b.off.needsPE() }

// parseNDB parses one .ndb line:
// Name:TargetType:Offset:HexSignature[:MinFL[:MaxFL]].
func parseNDB(line string) (name string, bs *bodySig, err error) {
	f := strings.Split(line, ":")
	if len(f) < 4 || len(f) > 6 {
		return "", nil, fmt.Errorf("want 4 to 6 fields, got %d", len(f))
	}
	name = f[0]
	if name == "" {
		return "", nil, errors.New("empty signature name")
	}
	if err := checkFLevel(f[4:]); err != nil {
		return name, nil, err
	}
	bs = &bodySig{}
	if bs.target, err = parseNum(f[1]); err != nil {
		return name, nil, fmt.Errorf("bad target type %q", f[1])
	}
	if bs.off, err = parseOffset(f[2]); err != nil {
		return name, nil, err
	}
	if bs.pat, err = parsePattern(f[3]); err != nil {
		if !errors.Is(err, errUnsupported) {
			err = fmt.Errorf("hex signature: %w", err)
		}
		return name, nil, err
	}
	switch {
	case bs.target > maxTarget:
		return name, nil, unsupported("target type %d", bs.target)
	case bs.off.needsPE() && (bs.target == targetELF || bs.target == targetMachO):
		return name, nil, unsupported("entry point or section offsets for ELF and Mach-O")
	}
	bs.pickAnchor()
	return name, bs, nil
}

// checkFLevel checks the optional MinFL and MaxFL fields against
// engineFLevel.
func checkFLevel(f []string) error {
	if len(f) > 0 && f[0] != "" {
		lo, err := strconv.Atoi(f[0])
		if err != nil {
			return fmt.Errorf("bad MinFL %q", f[0])
		}
		if lo > engineFLevel {
			return unsupported("needs functionality level %d (engine has %d)", lo, engineFLevel)
		}
	}
	if len(f) > 1 && f[1] != "" {
		hi, err := strconv.Atoi(f[1])
		if err != nil {
			return fmt.Errorf("bad MaxFL %q", f[1])
		}
		if hi < engineFLevel {
			return unsupported("retired at functionality level %d (engine has %d)", hi, engineFLevel)
		}
	}
	return nil
}

// maxAnchor bounds the automaton's depth: a longer literal filters no better
// in practice, and each anchor byte costs a trie state.
const maxAnchor = 16

// pickAnchor chooses the longest literal run of a single-variant part (the
// leftmost on ties), since its offset within the signature is known, and
// the best window of it (see anchorWindow).
func (b *bodySig) pickAnchor() {
	best := 1
	for pi, p := range b.pat.parts {
		if len(p.vars) != 1 {
			continue
		}
		off := 0
		for _, a := range p.vars[0].atoms {
			if a.kind == atomLit && len(a.lit) > best {
				best = len(a.lit)
				at, n := anchorWindow(a.lit)
				b.anchor, b.aPart, b.aOff = a.lit[at:at+n], pi, off+at
			}
			off += a.n
		}
	}
}

// anchorWindow picks the part of a literal the automaton searches: at most
// maxAnchor bytes, as varied as possible, and not starting with two padding
// bytes: the automaton skips fast only where no anchor starts, and zeros or
// spaces fill whole regions of real files.
func anchorWindow(lit []byte) (at, n int) {
	bestScore := -1 << 30
	for i := 0; i+2 <= len(lit); i++ {
		w := lit[i:min(len(lit), i+maxAnchor)]
		var seen byteSet
		score := 0
		for _, c := range w {
			if !seen.has(c) {
				seen.add(c)
				score += 2
			}
			if isPadding(c) {
				score--
			}
		}
		if isPadding(w[0]) && isPadding(w[1]) {
			score -= 3 * maxAnchor
		}
		if score > bestScore {
			at, n, bestScore = i, len(w), score
		}
	}
	return at, n
}

func isPadding(c byte) bool {
	switch c {
	case 0x00, 0xff, 0x20, 0x90, 0xcc:
		return true
	}
	return false
}
