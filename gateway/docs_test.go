package gateway

import (
	"os"
	"testing"
)

// TestReferenceIsCurrent fails when docs/configuration.md and the code
// disagree about any section, parameter, type, default or range.
func TestReferenceIsCurrent(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != Reference() {
		t.Fatal("docs/configuration.md is out of date with the code: run `make docs` and review the diff")
	}
}

func TestEmbeddedDefaultLoads(t *testing.T) {
	gw, err := Load("", configOptions())
	if err != nil {
		t.Fatal(err)
	}
	if gw.Policy.Default == nil || !gw.Policy.Default.Params.CheckAV {
		t.Errorf("default policy %+v", gw.Policy.Default)
	}
}
