package gateway

import (
	"errors"
	"io/fs"
	"os"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/antispam/fuzzy"
	"github.com/mailgw/mailgw/antispam/imagehash"
	"github.com/mailgw/mailgw/config"
)

var (
	_ engine.TextSamples  = (*fuzzy.Collection)(nil)
	_ engine.ImageSamples = (*imagehash.List)(nil)
)

// samples are the loaded sample files of the fuzzy and the image check.
// A nil collection or list turns its check off.
type samples struct {
	text    *fuzzy.Collection
	images  *imagehash.List
	missing []string // configured files that do not exist (yet)
}

// loadSamples reads FuzzySamples and ImageSamples at load time, so that a
// damaged file is a configuration error with its place. A file that does
// not exist holds no samples, as a missing BayesPath means an untrained
// classifier: `mailgw sample --add` creates it, and the engine's builder
// logs it.
func (g *Gateway) loadSamples() config.ErrorList {
	var errs config.ErrorList
	s := g.AntiSpam
	if len(s.FuzzySamples) > 0 {
		g.samples.text = fuzzy.NewCollection()
	}
	for _, v := range s.FuzzySamples {
		c := fuzzy.Default()
		if v.Text != antispam.Builtin {
			data, err := g.readSampleFile(v.Text)
			if err == nil {
				c, err = fuzzy.Parse(v.Text, data)
			}
			if err != nil {
				errs.Add(v.Pos, "FuzzySamples: %v", err)
				continue
			}
		}
		g.samples.text = fuzzy.Merge(g.samples.text, c)
	}
	if len(s.ImageSamples) > 0 {
		g.samples.images = imagehash.NewList()
	}
	for _, v := range s.ImageSamples {
		l := imagehash.Default()
		if v.Text != antispam.Builtin {
			data, err := g.readSampleFile(v.Text)
			if err == nil {
				l, err = imagehash.Parse(v.Text, data)
			}
			if err != nil {
				errs.Add(v.Pos, "ImageSamples: %v", err)
				continue
			}
		}
		g.samples.images = imagehash.Merge(g.samples.images, l)
	}
	return errs
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
