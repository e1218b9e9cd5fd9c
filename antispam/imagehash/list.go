package imagehash

import (
	_ "embed" // the default file
	"fmt"
	"strings"

	"github.com/mailgw/mailgw/internal/samplefile"
)

// Scheme prefixes the hash in a list file, so that another kind of hash
// can be told apart later.
const Scheme = "dhash:"

// maxLineLen bounds a line of a list file.
const maxLineLen = 512

// Entry is one known spam image.
type Entry struct {
	Name string
	Hash Hash
}

// List is a set of known spam images. It is read-only once built and
// safe for concurrent use.
type List struct {
	entries []Entry
}

// NewList returns a list of the given entries.
func NewList(entries ...Entry) *List { return &List{entries: append([]Entry(nil), entries...)} }

// Len is the number of entries.
func (l *List) Len() int { return len(l.entries) }

// Entry returns entry i, 0 <= i < Len(), in file order.
func (l *List) Entry(i int) Entry { return l.entries[i] }

// Nearest returns the entry nearest to h and its distance; ok is false
// for an empty list.
func (l *List) Nearest(h Hash) (e Entry, distance int, ok bool) {
	for _, cand := range l.entries {
		if d := Distance(h, cand.Hash); !ok || d < distance {
			e, distance, ok = cand, d, true
		}
	}
	return e, distance, ok
}

// Match hashes an image file and returns the name of the nearest entry
// and the distance. An image that cannot be hashed (see Of) gives the
// error; an empty list gives "" and 65, farther than any hash.
func (l *List) Match(data []byte) (name string, distance int, err error) {
	h, _, err := Of(data)
	if err != nil {
		return "", 0, err
	}
	e, d, ok := l.Nearest(h)
	if !ok {
		return "", 65, nil
	}
	return e.Name, d, nil
}

// Line is the list file line (without the line end) of an entry.
func Line(e Entry) string { return samplefile.Line(e.Name, Scheme+e.Hash.String()) }

// Parse reads a list file (docs/antispam.md, "Image samples"):
// `NAME<TAB>dhash:HASH` lines in the format of package samplefile, with
// HASH as written by Hash.String. name names the file in errors, which
// carry the line number.
func Parse(name string, data []byte) (*List, error) {
	l := &List{}
	err := samplefile.Parse(name, data, maxLineLen, func(name, value string) error {
		hex, ok := strings.CutPrefix(value, Scheme)
		if !ok {
			return fmt.Errorf("the hash must start with %q", Scheme)
		}
		h, err := ParseHash(hex)
		l.entries = append(l.entries, Entry{Name: name, Hash: h})
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Merge returns a list holding the entries of all of ls.
func Merge(ls ...*List) *List {
	out := &List{}
	for _, l := range ls {
		if l != nil {
			out.entries = append(out.entries, l.entries...)
		}
	}
	return out
}

// defaultText is the embedded file; a string, so that it cannot change.
//
//go:embed default/images.txt
var defaultText string

// DefaultFile names the embedded list in errors.
const DefaultFile = "default/images.txt"

// Default returns the embedded list: hashes of synthetic spam images made
// for this project (default/src; TestDefaultIsBuiltFromSources checks the
// file against them). It is parsed on each call rather than kept in a
// package variable.
func Default() *List {
	l, err := Parse(DefaultFile, []byte(defaultText))
	if err != nil {
		panic("imagehash: " + err.Error()) // caught by the tests
	}
	return l
}
