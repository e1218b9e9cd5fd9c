package gateway

import (
	"errors"
	"io/fs"
	"os"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/antispam/fuzzy"
	"github.com/mailgw/mailgw/antispam/imagehash"
	"github.com/mailgw/mailgw/antispam/terms"
	"github.com/mailgw/mailgw/config"
)

var (
	_ engine.TextSamples  = (*fuzzy.Collection)(nil)
	_ engine.ImageSamples = (*imagehash.List)(nil)
	_ engine.Phrases      = (*terms.DB)(nil)
)

// samples are the loaded sample files of the fuzzy and the image check
// and the phrase databases. A nil collection, list or database turns its
// check off.
type samples struct {
	text    *fuzzy.Collection
	images  *imagehash.List
	terms   *terms.DB
	missing []string // configured files that do not exist (yet)
}

// loadSamples reads FuzzySamples, ImageSamples and TermFiles at load
// time, so that a damaged file is a configuration error with its place. A
// file that does not exist holds no samples, as a missing BayesPath means
// an untrained classifier: `mailgw sample --add` creates it, and the
// engine's builder logs it.
func (g *Gateway) loadSamples() config.ErrorList {
	var errs, e config.ErrorList
	s := g.AntiSpam
	var texts []*fuzzy.Collection
	texts, errs = loadSampleFiles(g, s.FuzzySamples, "FuzzySamples", fuzzy.Default, fuzzy.Parse)
	if len(s.FuzzySamples) > 0 {
		g.samples.text = fuzzy.Merge(texts...)
	}
	var dbs []*terms.DB
	dbs, e = loadSampleFiles(g, s.TermFiles, "TermFiles", terms.Default, terms.Parse)
	errs = append(errs, e...)
	if len(s.TermFiles) > 0 {
		g.samples.terms = terms.Merge(dbs...)
	}
	var images []*imagehash.List
	images, e = loadSampleFiles(g, s.ImageSamples, "ImageSamples", imagehash.Default, imagehash.Parse)
	if len(s.ImageSamples) > 0 {
		g.samples.images = imagehash.Merge(images...)
	}
	return append(errs, e...)
}

// loadSampleFiles parses the files of vals (Builtin: the embedded one);
// key names the parameter in errors.
func loadSampleFiles[T any](g *Gateway, vals []config.Value, key string, builtin func() T, parse func(string, []byte) (T, error)) ([]T, config.ErrorList) {
	var out []T
	var errs config.ErrorList
	for _, v := range vals {
		if v.Text == antispam.Builtin {
			out = append(out, builtin())
			continue
		}
		data, err := g.readSampleFile(v.Text)
		var t T
		if err == nil {
			t, err = parse(v.Text, data)
		}
		if err != nil {
			errs.Add(v.Pos, "%s: %v", key, err)
			continue
		}
		out = append(out, t)
	}
	return out, errs
}

// readSampleFile reads a sample file; one that does not exist reads as
// empty and is remembered in samples.missing.
func (g *Gateway) readSampleFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		g.samples.missing = append(g.samples.missing, path)
		return nil, nil
	}
	return data, err
}
