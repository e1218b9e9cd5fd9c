// Package fuzzy makes fuzzy text signatures of messages and finds the
// known spam sample nearest to one. Its one job is the similarity
// estimate; whether a similarity is high enough to count as spam is the
// caller's threshold (FuzzyThreshold of [mailgw.antispam]).
//
// A signature is a MinHash of the word shingles of the normalized text:
// the text is lower-cased, links and words with digits are dropped,
// punctuation separates words, and every run of ShingleWords words is
// hashed. The share of slots two signatures have in common estimates the
// Jaccard similarity of their shingle sets (Broder, "On the resemblance
// and containment of documents", 1997). The slots are filled by one
// permutation hashing: each shingle's hash picks one of Slots slots and
// the slot keeps the smallest value, and empty slots are then filled by
// densification (see densify). One hash per shingle, instead of one per
// shingle and slot, is what makes signing a long text cheap. A
// copy of a spam with some words changed, sentences added or paragraphs
// moved keeps most of its shingles, so it stays close to the original,
// while an unrelated text shares almost none.
package fuzzy

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shape of a signature. Changing any of these changes every signature, so
// they come with a new Scheme.
const (
	// Slots is the number of MinHash values: the standard error of the
	// estimate is about sqrt(J(1-J)/Slots), under 0.05 for 128.
	Slots = 128
	// ShingleWords is the words of a shingle: three words keep the order
	// of the text without letting one changed word break many shingles.
	ShingleWords = 3
	// MinShingles is the fewest distinct shingles a text must have for a
	// signature: a shorter text says too little to be matched.
	MinShingles = 8
	// Scheme prefixes the text form of a signature: one permutation
	// hashing, version 1. "mh1:" was the MinHash with one hash function
	// per slot of earlier versions.
	Scheme = "oph1:"
)

// Bounds, so that a huge text costs no more than a long message.
const (
	maxWords = 20000
	// MaxTextBytes is how much of a text is read: a spam's text is
	// short, and a large message must not cost its size in signing.
	MaxTextBytes = 32 << 10
	minWordLen   = 2  // single letters are mostly noise left by stripping
	maxWordLen   = 40 // longer runs are encoded data, not words
)

// FNV-1a (64 bit) hashes a shingle; its constants are those of the FNV
// specification (draft-eastlake-fnv).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// golden is the increment of SplitMix64 (see mix).
const golden = 0x9e3779b97f4a7c15

// Signature is the MinHash of one text.
type Signature [Slots]uint32

// ErrTooShort is returned by Sign for a text with fewer than MinShingles
// shingles.
var ErrTooShort = errors.New("fuzzy: text too short for a signature")

// Sign returns the signature of a text (the Subject and the visible text
// of a message, as the anti-spam engine extracts them).
func Sign(text string) (Signature, error) {
	var sig Signature
	for i := range sig {
		sig[i] = emptySlot
	}
	words := Words(text)
	// Only whether there are MinShingles distinct shingles matters: the
	// minimum of a slot is the same however often a shingle repeats.
	distinct := make([]uint64, 0, MinShingles)
	for i := 0; i+ShingleWords <= len(words); i++ {
		h := mix(shingleHash(words[i : i+ShingleWords]))
		if len(distinct) < MinShingles && !slices.Contains(distinct, h) {
			distinct = append(distinct, h)
		}
		slot, v := h>>(64-slotBits), uint32(h)>>1
		if v < sig[slot] {
			sig[slot] = v
		}
	}
	if len(distinct) < MinShingles {
		return Signature{}, ErrTooShort
	}
	densify(&sig)
	return sig, nil
}

// emptySlot marks a slot no shingle fell into; values are 31 bits, so no
// shingle gives it.
const emptySlot = ^uint32(0)

// slotBits is log2(Slots): the top bits of a shingle's hash choose its
// slot.
const slotBits = 7

// densify fills each empty slot with the value of a filled one, chosen by
// a sequence of slot numbers that depends on the empty slot only
// (Shrivastava, "Optimal densification for fast and accurate minwise
// hashing", ICML 2017): two texts with the same empty slots copy from the
// same places, so a slot still agrees with the probability that the
// shingle sets do, their Jaccard similarity.
func densify(sig *Signature) {
	filled := *sig
	for i := range sig {
		if filled[i] != emptySlot {
			continue
		}
		sig[i] = filled[firstFilled(&filled, i)]
	}
}

// maxProbes bounds the search of densify: even with a single filled slot
// all of them miss with a probability of (127/128)^4096, about e^-32, and
// a text of MinShingles shingles usually fills several.
const maxProbes = 1 << 12

// firstFilled is the slot that empty slot i copies: the first filled one
// of its probe sequence, or else the first filled one in order.
func firstFilled(filled *Signature, i int) int {
	for t := uint64(1); t <= maxProbes; t++ {
		if j := mix(uint64(i)<<32|t) >> (64 - slotBits); filled[j] != emptySlot {
			return int(j)
		}
	}
	for j, v := range filled {
		if v != emptySlot {
			return j
		}
	}
	return i // no slot filled: Sign does not get here
}

// Similarity estimates the Jaccard similarity of the shingle sets of the
// texts of a and b, from 0 (nothing in common) to 1 (the same shingles).
func Similarity(a, b Signature) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / Slots
}

// Words returns the normalized words of a text: lower-cased runs of
// letters, without links and without words holding digits (order
// numbers, prices and tracking ids change from copy to copy). It runs on
// every message's whole text, hence the hand-written scan instead of
// strings.Fields and FieldsFunc: the words are lower-cased back to back
// into one buffer and returned as slices of it, and only a field with
// bytes other than ASCII takes the rune by rune path.
func Words(text string) []string {
	if len(text) > MaxTextBytes {
		text = text[:MaxTextBytes]
	}
	w := words{room: len(text)}
	for i := 0; i < len(text) && len(w.ends) < maxWords; {
		i = skipSpace(text, i)
		start, end, seen := fieldEnd(text, i)
		i = end
		switch f := text[start:end]; {
		case f == "" || seen&classLink != 0 && isLink(f):
		case seen&classHigh != 0:
			w.field(f)
		default:
			w.asciiField(f)
		}
	}
	return w.list()
}

// words collects lower-cased words in one buffer: one allocation for the
// text of all of them, instead of one for each word with a capital.
type words struct {
	buf  []byte
	ends []int // where each word ends in buf
	room int   // the text's length: buf's capacity, allocated with the first word
}

func (w *words) add(word string) {
	w.grow()
	w.buf = append(w.buf, word...)
	w.ends = append(w.ends, len(w.buf))
}

// grow allocates the buffers once there is a word: a text of
// letter runs too long for words (encoded data) allocates nothing.
func (w *words) grow() {
	if w.buf == nil {
		w.buf = make([]byte, 0, w.room)
		w.ends = make([]int, 0, w.room/6+1)
	}
}

// addASCII adds an ASCII word, lower-cased.
func (w *words) addASCII(word string) {
	w.grow()
	from := len(w.buf)
	w.buf = append(w.buf, word...)
	for i, c := range w.buf[from:] {
		if 'A' <= c && c <= 'Z' {
			w.buf[from+i] = c + 'a' - 'A'
		}
	}
	w.ends = append(w.ends, len(w.buf))
}

func (w *words) list() []string {
	all := string(w.buf)
	out := make([]string, len(w.ends))
	from := 0
	for k, end := range w.ends {
		out[k], from = all[from:end], end
	}
	return out
}

// Byte classes of Words' scan.
const (
	classSpace  = 1 << iota // ASCII white space, as unicode.IsSpace
	classLetter             // a-z, A-Z
	classDigit              // 0-9
	classLink               // ':', '@', '.': what every link form of isLink holds
	classHigh               // not ASCII: the rune decides
)

// byteClass is the class of every byte value.
var byteClass = func() (t [256]byte) {
	for _, c := range " \t\n\r\v\f" {
		t[c] = classSpace
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = classLetter, classLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit
	}
	t[':'], t['@'], t['.'] = classLink, classLink, classLink
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = classHigh
	}
	return t
}()

// skipSpace returns the offset of the first byte at or after i that does
// not begin white space.
func skipSpace(text string, i int) int {
	for i < len(text) {
		switch cl := byteClass[text[i]]; {
		case cl&classSpace != 0:
			i++
		case cl&classHigh != 0 && isSpace(text, i):
			i += runeLen(text, i)
		default:
			return i
		}
	}
	return i
}

// fieldEnd returns the field starting at i, text[start:end], ended by
// white space or the end of text, and the classes of its bytes.
func fieldEnd(text string, i int) (start, end int, seen byte) {
	start = i
	for i < len(text) {
		cl := byteClass[text[i]]
		if cl&(classSpace|classHigh) == 0 {
			seen |= cl
			i++
			continue
		}
		if cl&classSpace != 0 || isSpace(text, i) {
			break
		}
		seen |= classHigh
		i += runeLen(text, i)
	}
	return start, i, seen
}

// asciiField adds the words of one ASCII field that is not a link.
func (w *words) asciiField(f string) {
	const alnum = classLetter | classDigit
	for i := 0; i < len(f); {
		for i < len(f) && byteClass[f[i]]&alnum == 0 {
			i++
		}
		start, seen := i, byte(0)
		for i < len(f) && byteClass[f[i]]&alnum != 0 {
			seen |= byteClass[f[i]]
			i++
		}
		if n := i - start; n >= minWordLen && n <= maxWordLen && seen&classDigit == 0 {
			w.addASCII(f[start:i])
		}
	}
}

// field adds the words of one field that is not a link, rune by rune.
func (w *words) field(f string) {
	for i := 0; i < len(f); {
		start, n, digit := i, 0, false
		for i < len(f) {
			if c := f[i]; c < utf8.RuneSelf {
				isDigit := '0' <= c && c <= '9'
				if !isDigit && !('a' <= c|0x20 && c|0x20 <= 'z') {
					break
				}
				digit = digit || isDigit
				i++
			} else if r, size := utf8.DecodeRuneInString(f[i:]); !notLetter(r) {
				digit = digit || unicode.IsDigit(r)
				i += size
			} else {
				break
			}
			n++
		}
		if n == 0 {
			i += runeLen(f, i)
			continue
		}
		if n >= minWordLen && n <= maxWordLen && !digit {
			w.add(strings.ToLower(f[start:i]))
		}
	}
}

// isSpace is unicode.IsSpace of the rune at text[i], as strings.Fields
// splits; runeLen is that rune's length.
func isSpace(text string, i int) bool {
	if c := text[i]; c < utf8.RuneSelf {
		return byteClass[c]&classSpace != 0
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsSpace(r)
}

func runeLen(text string, i int) int {
	if text[i] < utf8.RuneSelf {
		return 1
	}
	_, size := utf8.DecodeRuneInString(text[i:])
	return size
}

// notLetter separates words. Digits stay inside a word so that the
// whole word can be dropped ("x7k2q" is an id, not "x", "k", "q").
func notLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return !('a' <= r|0x20 && r|0x20 <= 'z' || '0' <= r && r <= '9')
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// isLink reports a field that is a URL, a mail address or a bare host
// name: the parts of spam that change most between copies. Words asks
// only about fields that hold one of the bytes of classLink.
func isLink(f string) bool {
	if strings.Contains(f, "://") || strings.IndexByte(f, '@') >= 0 ||
		len(f) >= len("mailto:") && strings.EqualFold(f[:len("mailto:")], "mailto:") {
		return true
	}
	t := strings.TrimFunc(f, notLetter)
	i := strings.LastIndexByte(t, '.')
	return i > 0 && i < len(t)-1 // a dot inside: example.com, but not "end."
}

func shingleHash(words []string) uint64 {
	h := uint64(fnvOffset)
	for i, w := range words {
		if i > 0 {
			h = (h ^ ' ') * fnvPrime
		}
		for j := 0; j < len(w); j++ {
			h = (h ^ uint64(w[j])) * fnvPrime
		}
	}
	return h
}

// mix is the output function of SplitMix64 (Steele, Lea, Flood: "Fast
// splittable pseudorandom number generators", 2014) at state z + golden:
// FNV-1a's low bits vary too little to pick slots by themselves.
func mix(z uint64) uint64 {
	z += golden
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// String is the text form of a signature: Scheme, then the Slots values as
// big-endian hex.
func (s Signature) String() string {
	b := make([]byte, 4*Slots)
	for i, v := range s {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	return Scheme + hex.EncodeToString(b)
}

// ParseSignature reads the text form of String.
func ParseSignature(text string) (Signature, error) {
	var s Signature
	rest, ok := strings.CutPrefix(text, Scheme)
	if strings.HasPrefix(text, "mh1:") {
		return s, fmt.Errorf("signature of scheme mh1: (an earlier mailgw); sign the samples again with mailgw sample")
	}
	if !ok {
		return s, fmt.Errorf("signature must start with %q", Scheme)
	}
	if len(rest) != 8*Slots {
		return s, fmt.Errorf("signature must have %d hex digits after %s", 8*Slots, Scheme)
	}
	b, err := hex.DecodeString(rest)
	if err != nil {
		return s, errors.New("signature is not hexadecimal")
	}
	for i := range s {
		s[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return s, nil
}
