package engine_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/mailgw/mailgw/internal/golden"

	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/antispam/fuzzy"
	"github.com/mailgw/mailgw/antispam/imagehash"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/mimetree"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden checks the verdict on every testdata/*.eml against its
// .golden file (status, score, method and rules with reasons), with the
// Korean check on so that korean.eml shows it and the embedded samples so
// that sample-copy.eml (a changed copy of a sample, with a rescaled known
// image) shows FUZZY_SAMPLE and IMAGE_SAMPLE.
func TestGolden(t *testing.T) {
	gw := load(t, "SpamHeadersMarkAllKorean=true")
	e := engine.New(engine.Options{Settings: gw.AntiSpam, Logger: quiet(), Fuzzy: fuzzy.Default(), Images: imagehash.Default()})
	files, _ := filepath.Glob("testdata/*.eml")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg := mimetree.Parse(raw, mimetree.Limits{})
		r, err := e.CheckSpam(context.Background(), &filter.Envelope{From: "sender@example.org", Rcpts: []string{"bob@example.com"}}, msg, &gw.Policy.Default.Params)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.MarshalIndent(r, "", "  ")
		got = append(got, '\n')
		goldenfile.Check(t, strings.TrimSuffix(f, ".eml")+".golden", got, *update)
	}
}
