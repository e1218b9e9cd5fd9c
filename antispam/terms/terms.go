// Package terms finds typical spam phrases in a text: "lowest mortgage
// rates", "to be removed from our list", "next of kin". A database holds
// phrases of one to eight words, each in a category (finance, bulk mail,
// pharmacy…) with a weight; Match reports, per category, the summed weight
// of the distinct phrases a text holds. This is the phrase search of the
// guide's content filtering (4.3.2); what a hit is worth is the engine's
// rules table's business, not this package's.
//
// The matching is written here rather than with an Aho–Corasick library:
// phrases match whole words, case-insensitively, across any run of spaces,
// line breaks and punctuation, so a byte automaton would need the text
// normalized first and word boundaries checked after. Here each word of
// the text is hashed while it is found; only a word whose hash bit says it
// may end a phrase is looked up, and the words before it compared. That
// costs the same for a database of any size and allocates nothing for
// ASCII text.
package terms

import (
	_ "embed" // the default database
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailgw/mailgw/internal/samplefile"
)

// MaxWords is the most words a phrase may have.
const MaxWords = 8

// phrase is one database entry.
type phrase struct {
	category string
	weight   float64
	text     string   // as written in the file, for reports
	words    []string // lower-case
}

// DB is a phrase database. It is read-only once built and safe for
// concurrent use.
type DB struct {
	phrases []phrase
	byLast  map[string][]int // last word of a phrase → indexes in phrases
	// maybe has the bit wordBit of every phrase's last word set, so that
	// most words of a text are dismissed with a cheap hash of their own
	// instead of a map lookup.
	maybe [maybeBits / 64]uint64
	// lastLen is the length in bytes of the longest last word: a longer
	// ASCII word of a text ends no phrase, so eachWord need not hash it.
	// (Lower-casing keeps an ASCII word's length, not every other word's:
	// the Kelvin sign is 3 bytes, its "k" 1.)
	lastLen int
}

// maybeBits is the size of DB.maybe: with a few hundred phrases, a few
// per cent of other words share a bit with one of them.
const maybeBits = 1 << 13

// FNV-1a (32 bits), the hash of DB.maybe.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

// wordBit is the bit of DB.maybe for a lower-case ASCII word's FNV-1a
// hash h.
func wordBit(h uint32) (int, uint64) {
	b := h % maybeBits
	return int(b / 64), 1 << (b % 64)
}

// Hit is what one category found in a text.
type Hit struct {
	Category string
	// Weight is the sum of the weights of the distinct phrases found.
	Weight float64
	// Phrases are those phrases, as the database writes them, in the
	// order they were found.
	Phrases []string
}

// Parse reads a database: the sample-file format of the content checks
// (internal/samplefile: UTF-8 lines, '#' comments) with lines
// CATEGORY<TAB>WEIGHT<TAB>PHRASE. name is used in errors, which give the
// line.
func Parse(name string, data []byte) (*DB, error) {
	db := &DB{byLast: map[string][]int{}}
	err := samplefile.Parse(name, data, maxLine, func(cat, rest string) error {
		p, err := parsePhrase(cat, rest)
		if err == nil {
			db.add(p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// maxLine bounds a line: eight words and a category fit many times over.
const maxLine = 1000

func parsePhrase(cat, rest string) (phrase, error) {
	weight, text, ok := strings.Cut(rest, "\t")
	if !ok {
		return phrase{}, fmt.Errorf("want CATEGORY<TAB>WEIGHT<TAB>PHRASE")
	}
	if strings.ContainsFunc(cat, unicode.IsSpace) {
		return phrase{}, fmt.Errorf("category %q: want one word", cat)
	}
	w, err := strconv.ParseFloat(strings.TrimSpace(weight), 64)
	if err != nil || w <= 0 || w > 10 {
		return phrase{}, fmt.Errorf("weight %q: want a number above 0, at most 10", weight)
	}
	text = strings.TrimSpace(text)
	var words []string
	eachWord(text, 0, func(word string, _ uint32, _ bool) { words = append(words, strings.ToLower(word)) })
	if len(words) == 0 || len(words) > MaxWords {
		return phrase{}, fmt.Errorf("phrase %q: want 1 to %d words, has %d", text, MaxWords, len(words))
	}
	return phrase{category: cat, weight: w, text: text, words: words}, nil
}

func (db *DB) add(p phrase) {
	last := p.words[len(p.words)-1]
	for _, i := range db.byLast[last] {
		if slices.Equal(db.phrases[i].words, p.words) {
			return // the same phrase twice: the first one counts
		}
	}
	db.byLast[last] = append(db.byLast[last], len(db.phrases))
	db.lastLen = max(db.lastLen, len(last))
	if h, ok := asciiHash(last); ok {
		i, bit := wordBit(h)
		db.maybe[i] |= bit
	}
	db.phrases = append(db.phrases, p)
}

// defaultText is the embedded database; a string, so that it cannot
// change.
//
//go:embed default/terms.txt
var defaultText string

// DefaultFile names the embedded database in errors.
const DefaultFile = "builtin terms"

// Default returns the embedded database, written for this project (see
// default/terms.txt). It is parsed anew on each call, so callers keep it.
func Default() *DB {
	db, err := Parse(DefaultFile, []byte(defaultText))
	if err != nil {
		panic(err) // TestDefault parses the same file
	}
	return db
}

// asciiHash is the FNV-1a hash of an ASCII word; false for another.
func asciiHash(w string) (uint32, bool) {
	h := uint32(fnvOffset)
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return 0, false
		}
		h = (h ^ uint32(w[i])) * fnvPrime
	}
	return h, true
}

// Merge returns a database holding the phrases of all of dbs; a phrase
// in several keeps its first category and weight.
func Merge(dbs ...*DB) *DB {
	out := &DB{byLast: map[string][]int{}}
	for _, db := range dbs {
		for _, p := range db.phrases {
			out.add(p)
		}
	}
	return out
}

// Len returns the number of phrases.
func (db *DB) Len() int { return len(db.phrases) }

// Match returns the categories whose phrases occur in text, the heaviest
// first (then by name).
func (db *DB) Match(text string) []Hit {
	if len(db.phrases) == 0 {
		return nil
	}
	m := matcher{db: db}
	eachWord(text, db.lastLen, m.word)
	return m.hits()
}

// matcher is the state of one Match: the last MaxWords words of the text
// (as slices of it, in a ring) and the phrases found.
type matcher struct {
	db    *DB
	ring  [MaxWords]string
	n     int // words seen
	key   []byte
	found []int // indexes of the phrases found, in order
}

func (m *matcher) word(w string, h uint32, ascii bool) {
	m.ring[m.n%MaxWords] = w
	m.n++
	var cands []int
	if ascii {
		if len(w) > m.db.lastLen {
			return // longer than any last word, and not hashed (eachWord)
		}
		i, bit := wordBit(h)
		if m.db.maybe[i]&bit == 0 {
			return // no phrase ends in this word
		}
		m.lower(w)
		cands = m.db.byLast[string(m.key)] // indexing with string(bytes) does not allocate
	} else {
		cands = m.db.byLast[strings.ToLower(w)]
	}
	for _, i := range cands {
		if m.endsWith(m.db.phrases[i].words) && !m.has(i) {
			m.found = append(m.found, i)
		}
	}
}

// lower puts the ASCII word w lower-cased into m.key, a buffer reused
// for every word.
func (m *matcher) lower(w string) {
	m.key = m.key[:0]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		m.key = append(m.key, c)
	}
}

// endsWith reports whether the words seen so far end with words; the
// last one is known to match.
func (m *matcher) endsWith(words []string) bool {
	if len(words) > m.n {
		return false
	}
	for k := 2; k <= len(words); k++ {
		if !strings.EqualFold(m.ring[(m.n-k)%MaxWords], words[len(words)-k]) {
			return false
		}
	}
	return true
}

func (m *matcher) has(i int) bool {
	for _, j := range m.found {
		if j == i {
			return true
		}
	}
	return false
}

func (m *matcher) hits() []Hit {
	var out []Hit
	index := map[string]int{}
	for _, i := range m.found {
		p := m.db.phrases[i]
		k, ok := index[p.category]
		if !ok {
			k = len(out)
			index[p.category] = k
			out = append(out, Hit{Category: p.category})
		}
		out[k].Weight += p.weight
		out[k].Phrases = append(out[k].Phrases, p.text)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		return out[i].Category < out[j].Category
	})
	return out
}

// Classes of ASCII bytes for eachWord; other bytes are separators, or
// start a multi-byte character.
const (
	separator = iota
	wordByte
	apostrophe
)

// lowerBit is 0x20 for the ASCII capitals, which or-ing lower-cases, and 0
// for every other byte.
var lowerBit = func() (t [256]byte) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 0x20
	}
	return t
}()

var asciiClass = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = wordByte
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = wordByte, wordByte
	}
	t['\''] = apostrophe
	return t
}()

// eachWord calls f with each word of s, the FNV-1a hash of its
// lower-cased bytes (asciiHash; meaningful only for an ASCII word of at
// most hashLen bytes: longer words, such as runs of encoded data, are not
// hashed) and whether it is all ASCII. A word is a run of letters, digits
// and apostrophes inside a word ("don't"); everything else separates
// words, so "re-move" is two words, as is "re move". ASCII, most of any
// text, takes a fast path without decoding runes, and each run of ASCII
// letters is hashed right after it is found.
func eachWord(s string, hashLen int, f func(word string, h uint32, ascii bool)) {
	start, ascii, h := -1, true, uint32(fnvOffset)
	emit := func(end int) {
		w := s[start:end]
		if w[len(w)-1] == '\'' { // rare: hash the word without its trailing apostrophes
			w = strings.TrimRight(w, "'")
			h, _ = asciiHash(strings.ToLower(w))
		}
		f(w, h, ascii)
		start, ascii, h = -1, true, fnvOffset
	}
	for i := 0; i < len(s); {
		c := s[i]
		if asciiClass[c] == wordByte {
			// The common case: a run of ASCII letters and digits, in a
			// tight loop.
			if start < 0 {
				start = i
			}
			from := i
			for i < len(s) && asciiClass[s[i]] == wordByte {
				i++
			}
			if i-start <= hashLen {
				for j := from; j < i; j++ {
					h = (h ^ uint32(s[j]|lowerBit[s[j]])) * fnvPrime
				}
			}
			continue
		}
		size, inWord := 1, false
		switch {
		case asciiClass[c] == apostrophe:
			inWord = start >= 0
			h = (h ^ uint32(c)) * fnvPrime
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			inWord = unicode.IsLetter(r) || unicode.IsDigit(r)
			ascii = ascii && !inWord
		}
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			emit(i)
		}
		if !inWord {
			h = fnvOffset
		}
		i += size
	}
	if start >= 0 {
		emit(len(s))
	}
}
