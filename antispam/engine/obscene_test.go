package engine_test

import (
	"slices"
	"testing"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
)

func TestObscene(t *testing.T) {
	words := map[string]bool{"crude": true, "rude": true, "lewd": true, "übel": true}
	e := engine.New(engine.Options{Settings: load(t).AntiSpam, Logger: quiet(), Obscene: words})
	for _, tt := range []struct {
		name, conf, subject, body string
		want                      bool
	}{
		{"two words", "SpamMarkObscene=true", "hello", "Some CRUDE and lewd text.", true},
		{"subject and body", "SpamMarkObscene=true", "Rude offer", "very lewd", true},
		{"non-ASCII, case", "SpamMarkObscene=true", "ÜBEL", "lewd", true},
		{"one word twice", "SpamMarkObscene=true", "crude", "crude CRUDE", false},
		{"inside other words", "SpamMarkObscene=true", "prudent", "crudeness lewdly", false},
		{"clean", "SpamMarkObscene=true", "meeting", "agenda attached", false},
		{"off by default", "", "rude", "lewd crude", false},
	} {
		gw := load(t, tt.conf)
		raw := "From: a@example.org\nTo: b@example.com\nSubject: " + tt.subject + "\nContent-Type: text/plain; charset=utf-8\n\n" + tt.body + "\n"
		r := checkWith(t, e, &gw.Policy.Default.Params, nil, raw)
		if got := slices.ContainsFunc(r.Rules, func(h antispam.Rule) bool { return h.Name == antispam.RuleObscene }); got != tt.want {
			t.Errorf("%s: rules %v, want OBSCENE_TEXT %v", tt.name, r.Rules, tt.want)
		}
	}
}
