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
	mono  map[*bodySig]*monoCache
}

// monoCache remembers outcomes that are monotonic in the anchor position.
// With an unbounded gap right after the anchor's part, a forward match from
// end e implies one from any earlier end; with one right before it, a
// backward match from start s implies one from any later start (the offset
// window does not depend on s). Anchors arrive in increasing order, so after
// one failure of a forward check every later candidate fails too: this
// bounds the work of signatures whose anchor is frequent.
type monoCache struct {
	fwdOK, fwdFail int // forward succeeded from ends <= fwdOK, failed from >= fwdFail
	bwdOK, bwdFail int // backward succeeded from starts >= bwdOK, failed from <= bwdFail
}

func (v *verifier) cache(b *bodySig) *monoCache {
	if v.mono == nil {
		v.mono = map[*bodySig]*monoCache{}
	}
	c := v.mono[b]
	if c == nil {
		c = &monoCache{fwdOK: -1, fwdFail: 1 << 62, bwdOK: 1 << 62, bwdFail: -1}
		v.mono[b] = c
	}
	return c
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
	e := s + vr.n
	if b.aPart > 0 && !v.backwardCached(b, s, off) {
		return false
	}
	return b.aPart == len(parts)-1 || v.forwardCached(b, e)
}

func (v *verifier) forwardCached(b *bodySig, e int) bool {
	if b.pat.gaps[b.aPart+1].max >= 0 {
		return v.forward(b, b.aPart+1, e)
	}
	c := v.cache(b)
	switch {
	case e <= c.fwdOK:
		return true
	case e >= c.fwdFail:
		return false
	}
	ok := v.forward(b, b.aPart+1, e)
	if ok {
		c.fwdOK = e
	} else {
		c.fwdFail = e
	}
	return ok
}

func (v *verifier) backwardCached(b *bodySig, s int, off window) bool {
	if b.pat.gaps[b.aPart].max >= 0 {
		return v.backward(b, b.aPart-1, s, off)
	}
	c := v.cache(b)
	switch {
	case s >= c.bwdOK:
		return true
	case s <= c.bwdFail:
		return false
	}
	ok := v.backward(b, b.aPart-1, s, off)
	if ok {
		c.bwdOK = s
	} else {
		c.bwdFail = s
	}
	return ok
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

// forward reports whether parts[i:] match with part i-1 ending at e.
func (v *verifier) forward(b *bodySig, i, e int) bool {
	v.front = append(v.front[:0], e)
	return v.forwardFrom(b, i)
}

// forwardFrom continues from the ends in v.front.
func (v *verifier) forwardFrom(b *bodySig, i int) bool {
	parts, gaps := b.pat.parts, b.pat.gaps
	for ; i < len(parts); i++ {
		only := i == len(parts)-1 || gaps[i+1].max < 0
		v.win = windows(v.win, v.front, gaps[i], len(v.data))
		v.next = v.stepFwd(&parts[i], v.win, v.next[:0], only)
		v.front, v.next = v.next, v.front
		if len(v.front) == 0 {
			return false
		}
	}
	return true
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
	for ; i >= 0; i-- {
		onlyMax := i > 0 && gaps[i].max < 0
		v.next = v.stepBwd(&parts[i], gaps[i+1], i == 0, onlyMax, off)
		v.front, v.next = v.next, v.front
		if len(v.front) == 0 {
			return false
		}
	}
	return true
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
