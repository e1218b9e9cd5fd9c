package sigdb

import (
	"embed"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DB is a loaded signature database. It is immutable and safe for
// concurrent use.
type DB struct {
	sigs     []sigInfo
	dups     map[int32][]int32 // later signatures sharing the key of the first
	fileHash *hashIndex        // .hdb .hsb
	secHash  *hashIndex        // .mdb .msb
	allow    *hashIndex        // .fp .sfp
	bodies   []*bodySig        // .ndb, in signature order
	ignores  []ignoreEntry     // .ign2
	skipped  int               // signatures not loaded (unsupported, functionality level)
	files    []string
	warnings []string

	// Built by compile.
	ac      *automaton
	anchors [][]int32 // anchor id -> indices in bodies, ascending
	slow    []int32   // bodies without an anchor
	minBody int32     // lowest signature index of a live body signature
	counts  [3]int    // live signatures by kind
	ignored int
}

type sigKind uint8

const (
	kindFile sigKind = iota
	kindSection
	kindBody
)

type sigInfo struct {
	name    string
	digest  uint64 // MD5 of its database line, first 8 bytes: for .ign2 "Name:MD5"
	kind    sigKind
	ignored bool
}

// Stats describes a DB. Hash, Body and PE count the live whole-file hash,
// body and PE-section hash signatures; Skipped those read but not used
// (unsupported constructs, functionality level, .ign2).
type Stats struct {
	Hash, Body, PE, Skipped int
	Files                   []string
	Warnings                []string
}

// Stats returns counts, the files loaded and the load warnings.
func (db *DB) Stats() Stats {
	st := Stats{
		Hash: db.counts[kindFile], Body: db.counts[kindBody], PE: db.counts[kindSection],
		Skipped:  db.skipped + db.ignored,
		Files:    append([]string(nil), db.files...),
		Warnings: append([]string(nil), db.warnings...),
	}
	if db.ignored > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d signatures dropped by .ign2 entries", db.ignored))
	}
	if len(db.slow) > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf(
			"%d body signatures have no fixed run of 2 bytes: checked at every allowed offset (slow path)", len(db.slow)))
	}
	return st
}

// Load loads every supported database in dir (not recursively). The error
// lists every bad line as file:line.
func Load(dir string) (*DB, error) {
	names, warns, err := listDir(dir)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("sigdb: no signature database in %s", dir)
	}
	b := newBuilder()
	b.db.warnings = append(b.db.warnings, warns...)
	for _, n := range names {
		b.loadFile(filepath.Join(dir, n))
	}
	return b.finish()
}

// LoadFiles loads the given database files, whatever their directory.
func LoadFiles(paths ...string) (*DB, error) {
	b := newBuilder()
	for _, p := range paths {
		b.loadFile(p)
	}
	return b.finish()
}

// Parse parses one database file's content; its format is chosen by the
// extension of name, which also names it in errors.
func Parse(name string, data []byte) (*DB, error) {
	b := newBuilder()
	b.parse(name, data)
	return b.finish()
}

// Merge returns a DB holding the signatures of dbs in order; the ignore
// lists and allow lists of each apply to all.
func Merge(dbs ...*DB) *DB {
	b := newBuilder()
	for _, db := range dbs {
		if db != nil {
			b.addDB(db)
		}
	}
	db, _ := b.finish() // merging parsed databases cannot fail
	return db
}

//go:embed default/mailgw.ndb default/mailgw.hdb
var defaultFS embed.FS

// defaultFiles are loaded in this order: on EICAR, Match reports the body
// signature's well-known name before the hash signature's.
var defaultFiles = []string{"default/mailgw.ndb", "default/mailgw.hdb"}

// Default returns the built-in test signatures (EICAR and the MailGW-Test-*
// patterns). It is built on each call: it is tiny, and a DB cached in a
// package variable would be shared state.
func Default() *DB {
	b := newBuilder()
	for _, p := range defaultFiles {
		data, err := defaultFS.ReadFile(p)
		if err != nil {
			panic("sigdb: embedded " + p + ": " + err.Error())
		}
		b.parse(p, data)
	}
	db, err := b.finish()
	if err != nil {
		panic("sigdb: embedded default signatures: " + err.Error()) // caught by the tests
	}
	return db
}

// loadFile reads and parses one file.
func (b *builder) loadFile(p string) {
	data, err := os.ReadFile(p)
	if err != nil {
		b.fileErr(p, err)
		return
	}
	b.parse(p, data)
}

// Database extensions this package loads, and ClamAV ones it knowingly
// skips (so that Load warns about them instead of staying silent).
var (
	loadable  = []string{".hdb", ".hsb", ".mdb", ".msb", ".ndb", ".fp", ".sfp", ".ign2", ".cvd", ".cld"}
	clamavExt = []string{
		".db", ".ldb", ".ldu", ".cdb", ".cbc", ".crb", ".cat", ".idb", ".ftm", ".pdb",
		".gdb", ".wdb", ".hdu", ".hsu", ".mdu", ".msu", ".ndu", ".ign", ".yar", ".yara",
		".pwdb", ".imp", ".cfg", ".info", ".cud",
	}
)

func extOf(name string) string { return strings.ToLower(path.Ext(name)) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// listDir returns the loadable files of dir in name order, a .cvd and a
// .cld of one database reduced to the newer.
func listDir(dir string) ([]string, []string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("sigdb: %w", err)
	}
	var names, warns, skipped []string
	for _, e := range ents {
		n := e.Name()
		if info, err := os.Stat(filepath.Join(dir, n)); err != nil || !info.Mode().IsRegular() {
			continue
		}
		switch ext := extOf(n); {
		case contains(loadable, ext):
			names = append(names, n)
		case contains(clamavExt, ext):
			skipped = append(skipped, n)
		}
	}
	if len(skipped) > 0 {
		warns = append(warns, fmt.Sprintf("%s: skipped %d databases of formats this engine does not load: %s",
			dir, len(skipped), strings.Join(skipped, " ")))
	}
	names, dw := newerContainers(dir, names)
	return names, append(warns, dw...), nil
}

// newerContainers keeps, of daily.cvd and daily.cld, the one with the
// higher version (the .cld on a tie), as ClamAV does.
func newerContainers(dir string, names []string) ([]string, []string) {
	var out, warns []string
	for _, n := range names {
		ext := extOf(n)
		if ext != ".cvd" && ext != ".cld" {
			out = append(out, n)
			continue
		}
		other := n[:len(n)-4] + ".cld"
		if ext == ".cld" {
			other = n[:len(n)-4] + ".cvd"
		}
		if !contains(names, other) {
			out = append(out, n)
			continue
		}
		mine, theirs := containerVersion(filepath.Join(dir, n)), containerVersion(filepath.Join(dir, other))
		if mine > theirs || mine == theirs && ext == ".cld" {
			out = append(out, n)
			warns = append(warns, fmt.Sprintf("%s: also found %s, loading the newer %s only", dir, other, n))
		}
	}
	return out, warns
}

func containerVersion(p string) int {
	f, err := os.Open(p)
	if err != nil {
		return -1
	}
	defer f.Close()
	head := make([]byte, cvdHeaderSize)
	if _, err := io.ReadFull(f, head); err != nil {
		return -1
	}
	h, err := parseCVDHeader(head)
	if err != nil {
		return -1
	}
	return h.version
}
