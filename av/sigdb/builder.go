package sigdb

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// maxErrorsPerFile bounds the error report of a file that is not a
// signature database at all.
const maxErrorsPerFile = 50

// builder accumulates databases into one DB, then compiles it.
type builder struct {
	db       *DB
	errs     []error
	errCount map[string]int
	skips    map[skipKey]*skipAgg
	skipKeys []skipKey
	redirect map[int32]int32 // while merging: a duplicate key's index -> its chain head
}

type skipKey struct{ file, reason string }

type skipAgg struct{ count, firstLine int }

// lineError is one bad line of a database file.
type lineError struct {
	file string
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

func newBuilder() *builder {
	b := &builder{db: &DB{dups: map[int32][]int32{}}, errCount: map[string]int{}, skips: map[skipKey]*skipAgg{}}
	dup := func(first, idx int32) {
		if h, ok := b.redirect[first]; ok {
			first = h
		}
		b.db.dups[first] = append(b.db.dups[first], idx)
		if b.redirect != nil {
			b.redirect[idx] = first
		}
	}
	b.db.fileHash, b.db.secHash = newHashIndex(dup), newHashIndex(dup)
	b.db.allow = newHashIndex(func(int32, int32) {})
	return b
}

// lineErr records a bad line; past maxErrorsPerFile it only counts.
func (b *builder) lineErr(file string, line int, err error) {
	b.errCount[file]++
	if b.errCount[file] <= maxErrorsPerFile {
		b.errs = append(b.errs, &lineError{file, line, err})
	}
}

func (b *builder) fileErr(file string, err error) {
	b.errs = append(b.errs, fmt.Errorf("%s: %w", file, err))
}

// skip counts a signature not loaded because of an unsupported construct.
func (b *builder) skip(file string, line int, err error) {
	k := skipKey{file, strings.TrimPrefix(err.Error(), errUnsupported.Error()+": ")}
	a := b.skips[k]
	if a == nil {
		a = &skipAgg{firstLine: line}
		b.skips[k] = a
		b.skipKeys = append(b.skipKeys, k)
	}
	a.count++
	b.db.skipped++
}

// bad sorts a line's error into a skip or an error.
func (b *builder) bad(file string, line int, err error) {
	if errors.Is(err, errUnsupported) {
		b.skip(file, line, err)
	} else {
		b.lineErr(file, line, err)
	}
}

// parse dispatches on the extension of name.
func (b *builder) parse(name string, data []byte) {
	b.db.files = append(b.db.files, name)
	switch ext := extOf(name); {
	case ext == ".cvd" || ext == ".cld":
		b.parseContainer(name, ext, data)
	case b.lineParser(ext) != nil:
		b.parseFlat(name, ext, data)
	default:
		b.fileErr(name, fmt.Errorf("unsupported database format %q", ext))
	}
}

// lineParser returns the parser of one line of a line-oriented database
// format, nil for other extensions.
func (b *builder) lineParser(ext string) func(line string) error {
	switch ext {
	case ".hdb", ".hsb":
		return func(l string) error { return b.addHash(l, false, kindFile) }
	case ".mdb", ".msb":
		return func(l string) error { return b.addHash(l, true, kindSection) }
	case ".fp", ".sfp":
		return b.addAllow
	case ".ndb":
		return b.addBody
	case ".ign2":
		return b.addIgnore
	}
	return nil
}

// parseFlat parses a line-oriented database.
func (b *builder) parseFlat(name, ext string, data []byte) {
	fn := b.lineParser(ext)
	eachLine(data, func(no int, line string) {
		if err := fn(line); err != nil {
			b.bad(name, no, err)
		}
	})
}

// eachLine calls fn for every line that is neither blank nor a comment,
// without its line ending.
func eachLine(data []byte, fn func(no int, line string)) {
	for no := 1; len(data) > 0; no++ {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 || l[0] == '#' {
			continue
		}
		fn(no, string(l))
	}
}

// lineDigest is what an .ign2 "Name:MD5" entry is compared with.
func lineDigest(line string) uint64 {
	s := md5.Sum([]byte(line))
	return binary.BigEndian.Uint64(s[:8])
}

func (b *builder) addSig(name, line string, k sigKind) int32 {
	b.db.sigs = append(b.db.sigs, sigInfo{name: strings.Clone(name), digest: lineDigest(line), kind: k})
	return int32(len(b.db.sigs) - 1)
}

func (b *builder) addHash(line string, sizeFirst bool, k sigKind) error {
	e, err := parseHashLine(line, sizeFirst)
	if err != nil {
		return err
	}
	idx := b.addSig(e.name, line, k)
	if k == kindSection {
		b.db.secHash.add(&e, idx)
	} else {
		b.db.fileHash.add(&e, idx)
	}
	return nil
}

func (b *builder) addAllow(line string) error {
	e, err := parseHashLine(line, false)
	if err == nil {
		b.db.allow.add(&e, 0)
	}
	return err
}

func (b *builder) addBody(line string) error {
	name, bs, err := parseNDB(line)
	if err != nil {
		return err
	}
	bs.sig = b.addSig(name, line, kindBody)
	b.db.bodies = append(b.db.bodies, bs)
	return nil
}

type ignoreEntry struct {
	name   string
	digest uint64
	any    bool // no MD5 given: every signature of that name
}

// addIgnore parses an .ign2 line: "Name" or "Name:MD5-of-the-database-line".
func (b *builder) addIgnore(line string) error {
	name, sum, hasSum := strings.Cut(line, ":")
	if name == "" {
		return errors.New("empty signature name")
	}
	e := ignoreEntry{name: name, any: !hasSum}
	if hasSum {
		d, err := hex.DecodeString(sum)
		if err != nil || len(d) != md5.Size {
			return fmt.Errorf("bad MD5 %q", sum)
		}
		e.digest = binary.BigEndian.Uint64(d[:8])
	}
	b.db.ignores = append(b.db.ignores, e)
	return nil
}
