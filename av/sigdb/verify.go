package sigdb

import "slices"

// Verification of body signatures.
//
// A signature is parts separated by gaps. Given where the anchor lies, the
// part holding it is placed exactly; the parts to its right are then matched
// forward and those to its left backward, each step keeping the sorted set
// of positions the next gap may start from (a "frontier"). This is
// polynomial whatever the gaps: no backtracking over combinations. When the
// gap after a step is unbounded only the extreme position matters, and the
// frontier is cut to it.

// window is a closed interval of start positions.
type window struct{ lo, hi int }

// windows merges [f+min, f+max] for sorted f into sorted disjoint windows.
func windows(dst []window, front []int, g gap, n int) []window {
	dst = dst[:0]
	for _, f := range front {
		lo, hi := f+g.min, f+g.max
		if g.max < 0 {
			hi = n
		}
		if lo > n {
			break
		}
		if k := len(dst) - 1; k >= 0 && lo <= dst[k].hi+1 {
			dst[k].hi = max(dst[k].hi, hi)
			continue
		}
		dst = append(dst, window{lo, hi})
	}
	return dst
}

// verifier holds the scratch of one scan.
type verifier struct {
	data  []byte
	win   []window
	front []int
	next  []int
	marks []mark
	memo  map[*bodySig]*boundMemo
}

// boundMemo remembers outcomes that are monotonic. Past an unbounded gap
// (before part j), what remains depends on one number only: forward, the
// earliest position the gap may start from, and a match from y implies one
// from any y' <= y; backward, the latest start of part j, and a match from
// x implies one from any x' >= x (the offset window is fixed per object).
// Signatures whose anchor is frequent would otherwise search the rest of
// the object again at each occurrence.
type boundMemo struct {
	fwd, bwd []bound // by j
}

// bound holds the best known success and failure keys.
type bound struct{ ok, fail int }

type mark struct{ j, key int }

func (v *verifier) memoOf(b *bodySig) *boundMemo {
	if v.memo == nil {
		v.memo = map[*bodySig]*boundMemo{}
	}
	m := v.memo[b]
	if m == nil {
		n := len(b.pat.parts)
		m = &boundMemo{fwd: make([]bound, n), bwd: make([]bound, n)}
		for j := range n {
			m.fwd[j] = bound{ok: -1, fail: 1 << 62}
			m.bwd[j] = bound{ok: 1 << 62, fail: -1}
		}
		v.memo[b] = m
	}
	return m
}

// anchored verifies b given that its anchor's last byte is at end, the start
// being allowed in [off.lo, off.hi].
func (v *verifier) anchored(b *bodySig, end int, off window) bool {
	parts := b.pat.parts
	s := end - len(b.anchor) + 1 - b.aOff
	vr := &parts[b.aPart].vars[0]
	if b.aPart == 0 && (s < off.lo || s > off.hi) {
		return false
	}
	if !vr.matchAt(v.data, s) {
		return false
	}
	if b.aPart > 0 && !v.backward(b, b.aPart-1, s, off) {
		return false
	}
	if b.aPart == len(parts)-1 {
		return true
	}
	v.front = append(v.front[:0], s+vr.n)
	return v.forwardFrom(b, b.aPart+1)
}

// unanchored verifies b by trying every start in off: the slow path.
func (v *verifier) unanchored(b *bodySig, off window) bool {
	v.win = append(v.win[:0], off)
	only := len(b.pat.parts) == 1 || b.pat.gaps[1].max < 0
	v.front = v.stepFwd(&b.pat.parts[0], v.win, v.front[:0], only)
	if len(v.front) == 0 {
		return false
	}
	return len(b.pat.parts) == 1 || v.forwardFrom(b, 1)
}

// forwardFrom reports whether parts[i:] match after one of the ends in
// v.front.
func (v *verifier) forwardFrom(b *bodySig, i int) bool {
	parts, gaps := b.pat.parts, b.pat.gaps
	v.marks = v.marks[:0]
	ok := true
	for ; ok && i < len(parts); i++ {
		if gaps[i].max < 0 {
			m, y := &v.memoOf(b).fwd[i], v.front[0]
			if y <= m.ok || y >= m.fail {
				ok = y <= m.ok
				break
			}
			v.marks = append(v.marks, mark{i, y})
		}
		only := i == len(parts)-1 || gaps[i+1].max < 0
		v.win = windows(v.win, v.front, gaps[i], len(v.data))
		v.next = v.stepFwd(&parts[i], v.win, v.next[:0], only)
		v.front, v.next = v.next, v.front
		ok = len(v.front) > 0
	}
	for _, k := range v.marks {
		m := &v.memoOf(b).fwd[k.j]
		if ok {
			m.ok = max(m.ok, k.key)
		} else {
			m.fail = min(m.fail, k.key)
		}
	}
	return ok
}

// stepFwd appends to dst the sorted ends of part p starting in wins; with
// onlyMin, just the smallest.
func (v *verifier) stepFwd(p *part, wins []window, dst []int, onlyMin bool) []int {
	best := -1
	for k := range p.vars {
		vr := &p.vars[k]
		for _, w := range wins {
			if onlyMin {
				if s := vr.first(v.data, w.lo, w.hi); s >= 0 {
					if best < 0 || s+vr.n < best {
						best = s + vr.n
					}
					break // later windows give later ends
				}
				continue
			}
			for lo := w.lo; ; {
				s := vr.first(v.data, lo, w.hi)
				if s < 0 {
					break
				}
				dst = append(dst, s+vr.n)
				lo = s + 1
			}
		}
	}
	if onlyMin {
		if best >= 0 {
			dst = append(dst, best)
		}
		return dst
	}
	return sortUnique(dst, len(p.vars) > 1)
}

// backward reports whether parts[:i+1] match with part i+1 starting at s and
// part 0 starting inside off.
func (v *verifier) backward(b *bodySig, i, s int, off window) bool {
	parts, gaps := b.pat.parts, b.pat.gaps
	v.front = append(v.front[:0], s)
	v.marks = v.marks[:0]
	ok := true
	for ; ok && i >= 0; i-- {
		if gaps[i+1].max < 0 {
			m, x := &v.memoOf(b).bwd[i+1], v.front[len(v.front)-1]
			if x >= m.ok || x <= m.fail {
				ok = x >= m.ok
				break
			}
			v.marks = append(v.marks, mark{i + 1, x})
		}
		onlyMax := i > 0 && gaps[i].max < 0
		v.next = v.stepBwd(&parts[i], gaps[i+1], i == 0, onlyMax, off)
		v.front, v.next = v.next, v.front
		ok = len(v.front) > 0
	}
	for _, k := range v.marks {
		m := &v.memoOf(b).bwd[k.j]
		if ok {
			m.ok = min(m.ok, k.key)
		} else {
			m.fail = max(m.fail, k.key)
		}
	}
	return ok
}

// stepBwd returns the sorted starts of part p ending gap g before a start in
// v.front; with onlyMax, just the largest; with final (part 0), any one
// start inside off.
func (v *verifier) stepBwd(p *part, g gap, final, onlyMax bool, off window) []int {
	dst, best := v.next[:0], -1
	for k := range p.vars {
		vr := &p.vars[k]
		v.win = windowsBack(v.win, v.front, g, vr.n)
		if final {
			v.win = intersect(v.win, off)
		}
		switch {
		case final:
			for _, w := range v.win {
				if s := vr.first(v.data, w.lo, w.hi); s >= 0 {
					return append(dst, s)
				}
			}
		case onlyMax:
			for j := len(v.win) - 1; j >= 0; j-- {
				if s := vr.last(v.data, v.win[j].lo, v.win[j].hi); s >= 0 {
					best = max(best, s)
					break // earlier windows give earlier starts
				}
			}
		default:
			for _, w := range v.win {
				for lo := w.lo; ; {
					s := vr.first(v.data, lo, w.hi)
					if s < 0 {
						break
					}
					dst = append(dst, s)
					lo = s + 1
				}
			}
		}
	}
	if onlyMax && best >= 0 {
		dst = append(dst, best)
	}
	return sortUnique(dst, len(p.vars) > 1)
}

// windowsBack merges the start windows of a part of length n that ends gap
// g before each of the sorted starts in front.
func windowsBack(dst []window, front []int, g gap, n int) []window {
	dst = dst[:0]
	for _, f := range front {
		lo, hi := f-g.max-n, f-g.min-n
		if g.max < 0 {
			lo = 0
		}
		if hi < 0 {
			continue
		}
		lo = max(lo, 0)
		if k := len(dst) - 1; k >= 0 && lo <= dst[k].hi+1 {
			dst[k].hi = max(dst[k].hi, hi)
			continue
		}
		dst = append(dst, window{lo, hi})
	}
	return dst
}

// intersect clips sorted windows to off, in place.
func intersect(ws []window, off window) []window {
	out := ws[:0]
	for _, w := range ws {
		w.lo, w.hi = max(w.lo, off.lo), min(w.hi, off.hi)
		if w.lo <= w.hi {
			out = append(out, w)
		}
	}
	return out
}

func sortUnique(s []int, unsorted bool) []int {
	if unsorted {
		slices.Sort(s)
		s = slices.Compact(s)
	}
	return s
}
