package service_test

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/routing"
	"github.com/mailgw/mailgw/service"
)

func schema() config.Schema {
	var s config.Schema
	s = append(s, service.Schema()...)
	s = append(s, access.Schema()...)
	return append(s, routing.Schema()...)
}

func parse(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse("mailgw.conf", []byte(text), schema(), config.Options{})
	if err != nil {
		t.Fatalf("config.Parse:\n%v", err)
	}
	return c
}

// load parses and decodes text, failing on any error.
func load(t *testing.T, text string) *service.Service {
	t.Helper()
	s, errs := service.FromConfig(parse(t, text))
	if len(errs) > 0 {
		t.Fatalf("unexpected errors:\n%v", errs)
	}
	return s
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// errorLines are the sorted lines of errs.
func errorLines(errs config.ErrorList) []int {
	var out []int
	if err := errs.Err(); err != nil {
		for _, e := range err.(config.ErrorList) {
			out = append(out, e.Pos.Line)
		}
	}
	return out
}
