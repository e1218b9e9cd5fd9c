// Package defaultdb is the anti-spam database built into the program: a
// Bayes model learnt from the messages under corpus/, which the project
// wrote itself so that it may be redistributed with the code, and the
// word list of the obscene-text rule. It lets
// `mailgw scan` and the daemons classify out of the box; what a site
// learns with `mailgw learn` is added on top of it (bayes.Layered).
//
// bayes.model.gz is generated: after changing corpus/ or the tokenizer
// (package engine), run `go generate ./antispam/defaultdb`; a test fails
// while the embedded model is stale.
package defaultdb

//go:generate go run ./gen

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/mailgw/mailgw/antispam/bayes"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/mimetree"
)

// ModelFile is the generated model's name, in this directory.
const ModelFile = "bayes.model.gz"

//go:embed bayes.model.gz
var model []byte

//go:embed obscene.txt
var obscene string

// ObsceneWords is the built-in word list of the OBSCENE_TEXT rule
// (obscene.txt): lower-case words, as the tokenizer splits text.
func ObsceneWords() map[string]bool {
	words := map[string]bool{}
	for line := range strings.SplitSeq(obscene, "\n") {
		if w := strings.TrimSpace(line); w != "" && !strings.HasPrefix(w, "#") {
			words[w] = true
		}
	}
	return words
}

// Store is the built-in model as a read-only bayes.Store. It decodes the
// model at its first lookup, once; its zero value is ready to use.
type Store struct {
	once sync.Once
	m    *bayes.Memory
	err  error
}

var _ bayes.Store = (*Store)(nil)

func (s *Store) load() (*bayes.Memory, error) {
	s.once.Do(func() { s.m, s.err = Decode(model) })
	return s.m, s.err
}

// Lookup implements bayes.Store.
func (s *Store) Lookup(ctx context.Context, tokens []string) (bayes.Counts, []bayes.Counts, error) {
	m, err := s.load()
	if err != nil {
		return bayes.Counts{}, nil, err
	}
	return m.Lookup(ctx, tokens)
}

// Learn implements bayes.Store: the built-in model is read-only.
func (s *Store) Learn(ctx context.Context, messages [][]string, spam bool) error {
	return (&bayes.Memory{}).Learn(ctx, messages, spam)
}

// Close implements bayes.Store.
func (s *Store) Close() error { return nil }

// Decode reads a gzipped model file.
func Decode(gz []byte) (*bayes.Memory, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("built-in bayes model: %w", err)
	}
	m, err := bayes.ReadModel(zr)
	if err != nil {
		return nil, fmt.Errorf("built-in %w", err)
	}
	return m, nil
}

// Build learns a model from the messages in corpus, a tree with spam/ and
// ham/ directories of .eml files, with the engine's tokenizer.
func Build(corpus fs.FS) (*bayes.Memory, error) {
	var l bayes.Learner
	for _, class := range []string{"spam", "ham"} {
		names, err := fs.Glob(corpus, path.Join(class, "*.eml"))
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("corpus: no %s/*.eml", class)
		}
		sort.Strings(names)
		for _, name := range names {
			raw, err := fs.ReadFile(corpus, name)
			if err != nil {
				return nil, err
			}
			l.Add(engine.MessageTokens(mimetree.Parse(raw, mimetree.Limits{})), class == "spam")
		}
	}
	return l.Model(), nil
}

// Encode is a model as the gzipped file Decode reads; the same model
// gives the same bytes.
func Encode(m *bayes.Memory) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if err := bayes.WriteModel(zw, m); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
