package sigdb

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// addDB appends the content of another DB, shifting its signature indices.
func (b *builder) addDB(o *DB) {
	d := b.db
	off := int32(len(d.sigs))
	d.sigs = append(d.sigs, o.sigs...)
	b.redirect = map[int32]int32{}
	d.fileHash.merge(o.fileHash, off)
	d.secHash.merge(o.secHash, off)
	for f, list := range o.dups {
		h := f + off
		if r, ok := b.redirect[h]; ok {
			h = r
		}
		for _, x := range list {
			d.dups[h] = append(d.dups[h], x+off)
		}
	}
	b.redirect = nil
	d.allow.merge(o.allow, 0)
	for _, ob := range o.bodies {
		c := *ob
		c.sig += off
		d.bodies = append(d.bodies, &c)
	}
	d.ignores = append(d.ignores, o.ignores...)
	d.skipped += o.skipped
	d.files = append(d.files, o.files...)
	d.warnings = append(d.warnings, o.warnings...)
}

// finish reports the errors, or compiles the DB.
func (b *builder) finish() (*DB, error) {
	var files []string
	for _, e := range b.errs {
		if le, ok := e.(*lineError); ok && !slices.Contains(files, le.file) {
			files = append(files, le.file)
		}
	}
	for _, f := range files {
		if n := b.errCount[f]; n > maxErrorsPerFile {
			b.errs = append(b.errs, fmt.Errorf("%s: %d more bad lines not shown", f, n-maxErrorsPerFile))
		}
	}
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	for _, k := range b.skipKeys {
		a := b.skips[k]
		b.db.warnings = append(b.db.warnings, fmt.Sprintf("%s: %d signatures skipped: %s (first at line %d)",
			k.file, a.count, k.reason, a.firstLine))
	}
	for _, l := range b.db.dups {
		slices.Sort(l) // chains must ascend: the first live one is the lowest
	}
	b.db.compile()
	return b.db, nil
}

// compile applies the ignore lists and builds the automaton.
func (db *DB) compile() {
	db.applyIgnores()
	db.counts, db.ignored = [3]int{}, 0
	for _, s := range db.sigs {
		if s.ignored {
			db.ignored++
		} else {
			db.counts[s.kind]++
		}
	}
	ids := map[string]uint32{}
	var pats [][]byte
	db.anchors, db.slow, db.minBody, db.ac = nil, nil, math.MaxInt32, nil
	for i, bs := range db.bodies {
		if db.sigs[bs.sig].ignored {
			continue
		}
		db.minBody = min(db.minBody, bs.sig)
		if bs.anchor == nil {
			db.slow = append(db.slow, int32(i))
			continue
		}
		id, ok := ids[string(bs.anchor)]
		if !ok {
			id = uint32(len(pats))
			ids[string(bs.anchor)] = id
			pats = append(pats, bs.anchor)
			db.anchors = append(db.anchors, nil)
		}
		db.anchors[id] = append(db.anchors[id], int32(i))
	}
	if len(pats) > 0 {
		db.ac = buildAutomaton(pats)
	}
}

func (db *DB) applyIgnores() {
	if len(db.ignores) == 0 {
		return
	}
	by := map[string][]ignoreEntry{}
	for _, e := range db.ignores {
		by[e.name] = append(by[e.name], e)
	}
	for i := range db.sigs {
		s := &db.sigs[i]
		for _, e := range by[s.name] {
			if e.any || e.digest == s.digest {
				s.ignored = true
			}
		}
	}
}
