package sigdb

import (
	"math"
	"slices"
)

// Match returns the name of the matching signature with the lowest index
// (load order), or ok=false when none matches or an allow list (.fp, .sfp)
// holds the object's hash.
func (db *DB) Match(data []byte) (name string, ok bool) {
	m := db.find(data, false)
	if len(m) == 0 {
		return "", false
	}
	return db.sigs[m[0]].name, true
}

// MatchAll returns the distinct names of every matching signature in index
// order, at most max of them (no limit when max <= 0). It is meant for tests
// and diagnostics: unlike Match it cannot stop early.
func (db *DB) MatchAll(data []byte, max int) []string {
	var names []string
	for _, i := range db.find(data, true) {
		if n := db.sigs[i].name; !slices.Contains(names, n) {
			names = append(names, n)
		}
		if max > 0 && len(names) == max {
			break
		}
	}
	return names
}

// search is the state of one find call.
type search struct {
	db    *DB
	data  []byte
	all   bool
	best  int32          // !all: lowest match so far
	found map[int32]bool // all: every match
	dig   digests
	pe    *peInfo
	peErr bool
	v     verifier
}

// find returns the matching signature indices: in all mode every one,
// sorted; otherwise only the lowest.
func (db *DB) find(data []byte, all bool) []int32 {
	s := &search{db: db, data: data, all: all, best: math.MaxInt32, dig: digests{data: data}}
	s.v.data = data
	if all {
		s.found = map[int32]bool{}
	}
	s.fileHashes()
	s.sectionHashes()
	s.bodies()
	var out []int32
	if all {
		for i := range s.found {
			out = append(out, i)
		}
		slices.Sort(out)
	} else if s.best != math.MaxInt32 {
		out = []int32{s.best}
	}
	if len(out) > 0 && s.allowed() {
		return nil
	}
	return out
}

// wanted reports whether signature i could still change the result.
func (s *search) wanted(i int32) bool {
	if s.all {
		return !s.found[i]
	}
	return i < s.best
}

func (s *search) record(i int32) {
	if s.all {
		s.found[i] = true
	} else {
		s.best = min(s.best, i)
	}
}

// chain records the live signatures sharing a hash key with first.
func (s *search) chain(first int32) {
	if first < 0 || s.try(first) && !s.all {
		return
	}
	for _, i := range s.db.dups[first] {
		if s.try(i) && !s.all {
			return // chains ascend
		}
	}
}

func (s *search) try(i int32) bool {
	if s.db.sigs[i].ignored || !s.wanted(i) {
		return false
	}
	s.record(i)
	return true
}

func (s *search) fileHashes() {
	x, n := s.db.fileHash, len(s.data)
	for a := range nAlgos {
		if x.wants(a, n) {
			e, any := x.lookup(a, s.dig.sum(a), n)
			s.chain(e)
			s.chain(any)
		}
	}
}

func (s *search) sectionHashes() {
	x := s.db.secHash
	if x.len() == 0 {
		return
	}
	pe := s.peInfo()
	if pe == nil {
		return
	}
	for _, sec := range pe.sections {
		if sec.rsz == 0 {
			continue
		}
		d := digests{data: s.data[sec.raw : sec.raw+sec.rsz]}
		for a := range nAlgos {
			if x.wants(a, sec.rsz) {
				e, any := x.lookup(a, d.sum(a), sec.rsz)
				s.chain(e)
				s.chain(any)
			}
		}
	}
}

// allowed reports whether an allow list holds the object's hash.
func (s *search) allowed() bool {
	x, n := s.db.allow, len(s.data)
	for a := range nAlgos {
		if x.wants(a, n) {
			if e, any := x.lookup(a, s.dig.sum(a), n); e >= 0 || any >= 0 {
				return true
			}
		}
	}
	return false
}

// peInfo parses the object as PE once; nil when it is not one.
func (s *search) peInfo() *peInfo {
	if s.pe == nil && !s.peErr {
		pe, ok := parsePE(s.data)
		if ok {
			s.pe = &pe
		}
		s.peErr = !ok
	}
	return s.pe
}

// window returns where b may start in this object.
func (s *search) window(b *bodySig) (window, bool) {
	var pe *peInfo
	if b.needsPE() {
		if pe = s.peInfo(); pe == nil {
			return window{}, false
		}
	}
	lo, hi, ok := b.off.window(len(s.data), pe)
	return window{lo, hi}, ok
}

// bodies runs the slow path, then the automaton over the anchors.
func (s *search) bodies() {
	db := s.db
	for _, bi := range db.slow {
		b := db.bodies[bi]
		if !s.wanted(b.sig) {
			continue
		}
		if w, ok := s.window(b); ok && s.v.unanchored(b, w) {
			s.record(b.sig)
		}
	}
	if db.ac == nil || !s.all && s.best <= db.minBody {
		return
	}
	db.ac.scan(s.data, s.anchorHit)
}

// anchorHit verifies the signatures of one anchor occurrence; false stops
// the scan once nothing can beat the best match.
func (s *search) anchorHit(end int, anchor uint32) bool {
	for _, bi := range s.db.anchors[anchor] {
		b := s.db.bodies[bi]
		if !s.wanted(b.sig) {
			if s.all {
				continue
			}
			break // ascending: the rest cannot beat best either
		}
		if w, ok := s.window(b); ok && s.v.anchored(b, end, w) {
			s.record(b.sig)
		}
	}
	return s.all || s.best > s.db.minBody
}
