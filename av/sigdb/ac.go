package sigdb

import "slices"

// automaton is an Aho–Corasick automaton over the anchors of the body
// signatures. It reports every occurrence of every anchor, overlapping ones
// included.
//
// The root and the states one byte deep have full 256-entry transition rows
// (a DFA: failures already resolved); deeper states keep sorted sparse
// children and a failure link, so memory grows with the anchors' total
// length, not 1 KiB per state.
type automaton struct {
	pairs  [1 << 16 / 64]uint64 // the first two bytes of each anchor
	nDense uint32
	dense  []uint32 // nDense rows of 256 next states
	start  []uint32 // children of s: labels/next[start[s]:start[s+1]]
	labels []byte
	next   []uint32
	fail   []uint32
	own    []uint32 // 1 + the anchor ending at s, 0 for none
	dict   []uint32 // nearest state down the failure chain with own output; 0 for none
}

// The scan skips ahead while no anchor can start: as long as the last two
// bytes are not the first two of an anchor, the automaton stays at depth 0
// or 1, in a state fixed by the last byte alone, and no anchor (all are 2
// bytes or more) can end. Testing a bit in an 8 KiB table per byte, loads
// that do not depend on one another, is several times faster than walking
// the 256 KiB of dense rows, where each load waits for the previous one.

func pairIndex(a, b byte) (int, uint64) {
	x := int(a)<<8 | int(b)
	return x >> 6, 1 << (x & 63)
}

// outFlag marks, in a transition, a target state that reports something, so
// the scan loop tests one bit instead of loading more tables.
const outFlag = 1 << 31

type trieNode struct {
	kids  []trieEdge
	fail  uint32
	depth int
	own   uint32
}

type trieEdge struct {
	c  byte
	to uint32
}

func (n *trieNode) child(c byte) (uint32, bool) {
	for _, e := range n.kids {
		if e.c == c {
			return e.to, true
		}
	}
	return 0, false
}

// buildAutomaton builds the automaton for distinct patterns of 2 bytes or
// more; anchor ids are indices in pats.
func buildAutomaton(pats [][]byte) *automaton {
	nodes := []trieNode{{}}
	for id, p := range pats {
		s := uint32(0)
		for _, c := range p {
			t, ok := nodes[s].child(c)
			if !ok {
				t = uint32(len(nodes))
				nodes = append(nodes, trieNode{depth: nodes[s].depth + 1})
				nodes[s].kids = append(nodes[s].kids, trieEdge{c, t})
			}
			s = t
		}
		nodes[s].own = uint32(id) + 1
	}
	a := compile(nodes, bfs(nodes))
	for _, p := range pats {
		w, bit := pairIndex(p[0], p[1])
		a.pairs[w] |= bit
	}
	return a
}

// bfs sets failure links and returns the states in breadth-first order, so
// that the dense states come first and every failure link points backwards.
func bfs(nodes []trieNode) []uint32 {
	order := []uint32{0}
	for i := 0; i < len(order); i++ {
		u := order[i]
		slices.SortFunc(nodes[u].kids, func(a, b trieEdge) int { return int(a.c) - int(b.c) })
		for _, e := range nodes[u].kids {
			order = append(order, e.to)
			if u == 0 {
				continue
			}
			f := nodes[u].fail
			for {
				if t, ok := nodes[f].child(e.c); ok {
					nodes[e.to].fail = t
					break
				}
				if f == 0 {
					break
				}
				f = nodes[f].fail
			}
		}
	}
	return order
}

// compile lays the trie out in arrays, states renumbered in order.
func compile(nodes []trieNode, order []uint32) *automaton {
	n := len(order)
	id := make([]uint32, n) // old id -> new id
	for i, old := range order {
		id[old] = uint32(i)
	}
	a := &automaton{
		start: make([]uint32, n+1), fail: make([]uint32, n),
		own: make([]uint32, n), dict: make([]uint32, n),
	}
	for i, old := range order {
		nd := &nodes[old]
		a.fail[i], a.own[i] = id[nd.fail], nd.own
		if f := a.fail[i]; i > 0 && a.own[f] != 0 {
			a.dict[i] = f
		} else if i > 0 {
			a.dict[i] = a.dict[f]
		}
		if nd.depth <= 1 {
			a.nDense++
		}
	}
	ref := func(old uint32) uint32 {
		s := id[old]
		if a.own[s] != 0 || a.dict[s] != 0 {
			s |= outFlag
		}
		return s
	}
	for i, old := range order {
		a.start[i] = uint32(len(a.labels))
		for _, e := range nodes[old].kids {
			a.labels = append(a.labels, e.c)
			a.next = append(a.next, ref(e.to))
		}
	}
	a.start[n] = uint32(len(a.labels))
	a.fillDense(nodes, order, ref)
	return a
}

// fillDense builds the full rows of the root and depth-1 states: a missing
// child takes the row of the failure state, which comes earlier.
func (a *automaton) fillDense(nodes []trieNode, order []uint32, ref func(uint32) uint32) {
	a.dense = make([]uint32, int(a.nDense)*256)
	for s := range a.nDense {
		for c := range 256 {
			t, ok := nodes[order[s]].child(byte(c))
			switch {
			case ok:
				a.dense[s<<8|uint32(c)] = ref(t)
			case s > 0:
				a.dense[s<<8|uint32(c)] = a.dense[a.fail[s]<<8|uint32(c)]
			}
		}
	}
}

// scan calls hit for every anchor occurrence, with the index of its last
// byte, in increasing order of end; it stops when hit returns false.
func (a *automaton) scan(data []byte, hit func(end int, anchor uint32) bool) {
	if len(data) == 0 {
		return
	}
	s := a.dense[data[0]] &^ outFlag // depth 1 or root: anchors are 2 bytes or more
	for i := 1; i < len(data); i++ {
		if s < a.nDense {
			i = a.skip(data, i)
			if i == len(data) {
				return
			}
			s = a.dense[a.dense[data[i-1]]<<8|uint32(data[i])]
		} else {
			s = a.step(s, data[i])
		}
		if s&outFlag != 0 {
			s &^= outFlag
			if !a.report(s, i, hit) {
				return
			}
		}
	}
}

// skip returns the first i' >= i where data[i'-1:i'+1] starts an anchor,
// or len(data). Four pairs a round: the loads are independent.
func (a *automaton) skip(data []byte, i int) int {
	p := &a.pairs
	for ; i+4 <= len(data); i += 4 {
		d := data[i-1 : i+4]
		x0, x1 := uint(d[0])<<8|uint(d[1]), uint(d[1])<<8|uint(d[2])
		x2, x3 := uint(d[2])<<8|uint(d[3]), uint(d[3])<<8|uint(d[4])
		if (p[x0>>6&1023]>>(x0&63)|p[x1>>6&1023]>>(x1&63)|p[x2>>6&1023]>>(x2&63)|p[x3>>6&1023]>>(x3&63))&1 != 0 {
			break
		}
	}
	for ; i < len(data); i++ {
		if w, bit := pairIndex(data[i-1], data[i]); p[w]&bit != 0 {
			break
		}
	}
	return i
}

// step follows sparse children and failure links until a state with a
// child for c, or a dense state. Deep states have few children: a linear
// search beats a binary one there.
func (a *automaton) step(s uint32, c byte) uint32 {
	for s >= a.nDense {
		lo, hi := a.start[s], a.start[s+1]
		if hi-lo <= 8 {
			for k := lo; k < hi; k++ {
				if a.labels[k] == c {
					return a.next[k]
				}
			}
		} else if k, ok := slices.BinarySearch(a.labels[lo:hi], c); ok {
			return a.next[int(lo)+k]
		}
		s = a.fail[s]
	}
	return a.dense[s<<8|uint32(c)]
}

func (a *automaton) report(s uint32, end int, hit func(int, uint32) bool) bool {
	if a.own[s] == 0 {
		s = a.dict[s]
	}
	for ; s != 0; s = a.dict[s] {
		if !hit(end, a.own[s]-1) {
			return false
		}
	}
	return true
}
