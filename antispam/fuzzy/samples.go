package fuzzy

import (
	_ "embed" // the default file

	"github.com/mailgw/mailgw/internal/samplefile"
)

// maxLineLen bounds a line of a sample file; a signature line is about
// 1 KB.
const maxLineLen = 4096

// Sample is one known spam text.
type Sample struct {
	Name string
	Sig  Signature
}

// Collection is a set of samples. It is read-only once built and safe for
// concurrent use.
type Collection struct {
	samples []Sample
}

// NewCollection returns a collection of the given samples.
func NewCollection(samples ...Sample) *Collection {
	return &Collection{samples: append([]Sample(nil), samples...)}
}

// Len is the number of samples.
func (c *Collection) Len() int { return len(c.samples) }

// Sample returns sample i, 0 <= i < Len(), in file order.
func (c *Collection) Sample(i int) Sample { return c.samples[i] }

// Nearest returns the sample most similar to sig and the similarity; ok
// is false for an empty collection. It compares with every sample: a few
// microseconds a thousand samples.
func (c *Collection) Nearest(sig Signature) (s Sample, similarity float64, ok bool) {
	for _, cand := range c.samples {
		if sim := Similarity(sig, cand.Sig); !ok || sim > similarity {
			s, similarity, ok = cand, sim, true
		}
	}
	return s, similarity, ok
}

// Match signs text and returns the name of the nearest sample and the
// similarity; "" and 0 when the text is too short for a signature or
// the collection is empty.
func (c *Collection) Match(text string) (name string, similarity float64) {
	sig, err := Sign(text)
	if err != nil {
		return "", 0
	}
	s, sim, ok := c.Nearest(sig)
	if !ok {
		return "", 0
	}
	return s.Name, sim
}

// Line is the sample file line (without the line end) of a sample.
func Line(s Sample) string { return samplefile.Line(s.Name, s.Sig.String()) }

// Parse reads a sample file (docs/antispam.md, "Fuzzy signatures"):
// `NAME<TAB>SIGNATURE` lines in the format of package samplefile, with
// SIGNATURE as written by Signature.String. name names the file in
// errors, which carry the line number.
func Parse(name string, data []byte) (*Collection, error) {
	c := &Collection{}
	err := samplefile.Parse(name, data, maxLineLen, func(name, value string) error {
		sig, err := ParseSignature(value)
		c.samples = append(c.samples, Sample{Name: name, Sig: sig})
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Merge returns a collection holding the samples of all of cs.
func Merge(cs ...*Collection) *Collection {
	out := &Collection{}
	for _, c := range cs {
		if c != nil {
			out.samples = append(out.samples, c.samples...)
		}
	}
	return out
}

// defaultText is the embedded file; a string, so that it cannot change.
//
//go:embed default/samples.txt
var defaultText string

// DefaultFile names the embedded collection in errors.
const DefaultFile = "default/samples.txt"

// Default returns the embedded collection: signatures of synthetic spam
// written for this project (the messages are in default/src, and
// TestDefaultIsBuiltFromSources checks that the file matches them). It is
// parsed on each call rather than kept in a package variable.
func Default() *Collection {
	c, err := Parse(DefaultFile, []byte(defaultText))
	if err != nil {
		panic("fuzzy: " + err.Error()) // caught by the tests
	}
	return c
}
