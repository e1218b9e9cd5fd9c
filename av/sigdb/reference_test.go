package sigdb

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// A naive reference matcher for body signatures, written independently of
// the package's parser and matcher: it reads the hex text itself and
// backtracks over every start and every gap length. Exponential in theory,
// fine on the small inputs of the fuzz target.

type refElem struct {
	set      byteSet // one byte
	min, max int     // a gap when isGap; max < 0: unbounded
	isGap    bool
	alts     [][]refElem
	neg      bool
	negLen   int
}

func refParse(s string) []refElem {
	var out []refElem
	for i := 0; i < len(s); {
		switch {
		case s[i] == '*':
			out = append(out, refElem{isGap: true, max: -1})
			i++
		case s[i] == '{' || s[i] == '[':
			end := strings.IndexAny(s[i:], "}]")
			e := refRange(s[i+1 : i+end])
			if s[i] == '{' && e.max == 0 {
				e.max = -1 // ClamAV's reading of {0}, {-0} and {0-0}
			}
			out = append(out, e)
			i += end + 1
		case s[i] == '!' || s[i] == '(':
			neg := s[i] == '!'
			if neg {
				i++
			}
			end := strings.IndexByte(s[i:], ')')
			if s[i+1:i+end] == "W" {
				var set byteSet
				for c := range 256 {
					if !strings.ContainsRune("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", rune(c)) {
						set.add(byte(c))
					}
				}
				out = append(out, refElem{set: set})
				i += end + 1
				continue
			}
			e := refElem{neg: neg}
			for _, br := range strings.Split(s[i+1:i+end], "|") {
				e.alts = append(e.alts, refParse(br))
				e.negLen = len(br) / 2
			}
			out = append(out, e)
			i += end + 1
		default:
			out = append(out, refElem{set: refByte(s[i : i+2])})
			i += 2
		}
	}
	return out
}

func refRange(r string) refElem {
	e := refElem{isGap: true}
	lo, hi, dash := strings.Cut(r, "-")
	e.min, _ = strconv.Atoi(lo)
	switch {
	case !dash:
		e.max = e.min
	case hi == "":
		e.max = -1
	default:
		e.max, _ = strconv.Atoi(hi)
	}
	return e
}

func refByte(h string) byteSet {
	var s byteSet
	for v := range 256 {
		x := fmt.Sprintf("%02x", v)
		if (h[0] == '?' || h[0] == x[0]) && (h[1] == '?' || h[1] == x[1]) {
			s.add(byte(v))
		}
	}
	return s
}

// refMatch reports whether elems match data at pos, followed by k.
func refMatch(elems []refElem, data []byte, pos int, k func(int) bool) bool {
	if len(elems) == 0 {
		return k(pos)
	}
	e, rest := elems[0], elems[1:]
	switch {
	case e.isGap:
		for q := pos + e.min; q <= len(data) && (e.max < 0 || q <= pos+e.max); q++ {
			if refMatch(rest, data, q, k) {
				return true
			}
		}
		return false
	case e.neg:
		end := pos + e.negLen
		if end > len(data) {
			return false
		}
		for _, br := range e.alts {
			if refMatch(br, data, pos, func(p int) bool { return p == end }) {
				return false
			}
		}
		return refMatch(rest, data, end, k)
	case e.alts != nil:
		for _, br := range e.alts {
			if refMatch(br, data, pos, func(p int) bool { return refMatch(rest, data, p, k) }) {
				return true
			}
		}
		return false
	}
	return pos < len(data) && e.set.has(data[pos]) && refMatch(rest, data, pos+1, k)
}

// refSig is a generated signature: its offset (only *, n and EOF-n, with
// maxshift) and its hex.
type refSig struct {
	name, offset, hex string
}

func (r refSig) line() string { return r.name + ":0:" + r.offset + ":" + r.hex }

// refMatches reports whether sig matches data, trying every start.
func refMatches(r refSig, data []byte) bool {
	elems := refParse(r.hex)
	lo, hi := 0, len(data)
	if r.offset != "*" {
		base, shift, _ := strings.Cut(r.offset, ",")
		sh, _ := strconv.Atoi(shift)
		if n, ok := strings.CutPrefix(base, "EOF-"); ok {
			v, _ := strconv.Atoi(n)
			lo = len(data) - v
		} else {
			lo, _ = strconv.Atoi(base)
		}
		hi = lo + sh
	}
	if lo < 0 {
		return false // as ClamAV: an offset before the start voids the signature
	}
	for s := lo; s <= min(hi, len(data)); s++ {
		if refMatch(elems, data, s, func(int) bool { return true }) {
			return true
		}
	}
	return false
}

// genSig generates a random valid signature, its literals often taken from
// data so that it has a chance to match.
func genSig(rng *rand.Rand, name string, data []byte) refSig {
	var b strings.Builder
	gaps := 0
	for n := 1 + rng.IntN(6); n > 0; n-- {
		switch k := rng.IntN(20); {
		case k < 6:
			b.WriteString(genLit(rng, data, 1+rng.IntN(6)))
		case k < 8:
			b.WriteString([]string{"??", "?" + genHex(rng)[1:], genHex(rng)[:1] + "?"}[rng.IntN(3)])
		case k < 9:
			fmt.Fprintf(&b, "{%d}", rng.IntN(4))
		case k < 12 && gaps < 3:
			gaps++
			b.WriteString([]string{"*", fmt.Sprintf("{%d-%d}", rng.IntN(3), 3+rng.IntN(4)),
				fmt.Sprintf("{-%d}", 1+rng.IntN(4)), fmt.Sprintf("{%d-}", rng.IntN(4)),
				fmt.Sprintf("[%d-%d]", rng.IntN(2), 2+rng.IntN(3))}[rng.IntN(5)])
		case k < 16:
			b.WriteString(genAlt(rng, data))
		default:
			b.WriteString(genNeg(rng, data))
		}
	}
	b.WriteString(genLit(rng, data, 1+rng.IntN(3))) // never all gaps
	offs := []string{"*", "*", "0", strconv.Itoa(rng.IntN(8)), fmt.Sprintf("%d,%d", rng.IntN(8), rng.IntN(8)),
		fmt.Sprintf("EOF-%d", rng.IntN(16)), fmt.Sprintf("EOF-%d,%d", rng.IntN(16), rng.IntN(8))}
	return refSig{name: name, offset: offs[rng.IntN(len(offs))], hex: b.String()}
}

func genHex(rng *rand.Rand) string { return fmt.Sprintf("%02x", rng.IntN(256)) }

// genLit returns n bytes, from data when it is long enough.
func genLit(rng *rand.Rand, data []byte, n int) string {
	if len(data) > n && rng.IntN(4) > 0 {
		at := rng.IntN(len(data) - n)
		return fmt.Sprintf("%x", data[at:at+n])
	}
	var b strings.Builder
	for range n {
		b.WriteString(genHex(rng))
	}
	return b.String()
}

// genAlt returns alternatives: single bytes, fixed length or generic.
func genAlt(rng *rand.Rand, data []byte) string {
	kind := rng.IntN(3)
	n := 1 + rng.IntN(3)
	var brs []string
	for range 2 + rng.IntN(3) {
		switch kind {
		case 0:
			brs = append(brs, genLit(rng, data, 1))
		case 1:
			brs = append(brs, genLit(rng, data, n))
		default:
			br := genLit(rng, data, 1+rng.IntN(3))
			switch rng.IntN(4) {
			case 0:
				br += "??"
			case 1:
				br += fmt.Sprintf("{%d-%d}", rng.IntN(2), 2+rng.IntN(2)) + genLit(rng, data, 1)
			}
			brs = append(brs, br)
		}
	}
	return "(" + strings.Join(brs, "|") + ")"
}

func genNeg(rng *rand.Rand, data []byte) string {
	n := 1 + rng.IntN(2)
	var brs []string
	for range 2 + rng.IntN(2) {
		brs = append(brs, genLit(rng, data, n))
	}
	return "!(" + strings.Join(brs, "|") + ")"
}
