package access_test

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/routing"
	"github.com/mailgw/mailgw/service"
)

// schema is what a daemon assembles: access alone cannot hold
// ProtectedDomains, which lives in [mailgw.network] and [mailgw.forward].
func schema() config.Schema {
	var s config.Schema
	s = append(s, access.Schema()...)
	s = append(s, routing.Schema()...)
	return append(s, service.Schema()...)
}

// load parses text as mailgw.conf and decodes it, failing the test on any
// error.
func load(t *testing.T, text string) *access.Access {
	t.Helper()
	a, errs := loadErrs(t, text)
	if len(errs) > 0 {
		t.Fatalf("unexpected errors:\n%v", errs)
	}
	return a
}

// loadErrs parses text (which must pass the loader) and returns what
// FromConfig reports.
func loadErrs(t *testing.T, text string) (*access.Access, config.ErrorList) {
	t.Helper()
	c, err := config.Parse("mailgw.conf", []byte(text), schema(), config.Options{})
	if err != nil {
		t.Fatalf("config.Parse:\n%v", err)
	}
	return access.FromConfig(c)
}

// lines joins configuration lines.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
