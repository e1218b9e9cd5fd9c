package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam"
)

// TestSpamTerms: typical phrases of the built-in database or the site's
// own fire SPAM_TERMS, scored per point of summed weight up to
// TermsMaxWeight; the rule's score, the limit and the files are
// configuration.
func TestSpamTerms(t *testing.T) {
	own := filepath.Join(t.TempDir(), "own.txt")
	if err := os.WriteFile(own, []byte("local\t2\tmeet at noon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bulk := hamHeaders + "\nDear Friend, this is not spam: you opted in. To be removed from our mailing list, " +
		"reply with REMOVE in the subject. Act now!\n"
	tests := []struct {
		name   string
		lines  []string // of [mailgw.antispam] after BayesStore=none
		raw    string
		score  float64 // of SPAM_TERMS; 0: does not fire
		reason string
	}{
		{"ham", nil, hamHeaders + hamBody, 0, ""},
		{"bulk boilerplate, at most TermsMaxWeight", nil, bulk, 3, "bulk: this is not spam, opted in"},
		{"one weak phrase", nil, hamHeaders + "\nOrder now.\n", 0.5, "offer: order now"},
		{"phrase in the Subject", nil, strings.Replace(hamHeaders, "Lunch on Friday", "Lose weight", 1) + hamBody, 1, "pharmacy: lose weight"},
		{"TermsMaxWeight", []string{"TermsMaxWeight=1"}, bulk, 1, ""},
		{"RuleScore", []string{"RuleScore=SPAM_TERMS 2"}, bulk, 6, ""},
		{"own file only", []string{"TermFiles=" + own}, hamHeaders + hamBody, 2, "local: meet at noon"},
		{"own file only, no built-in phrases", []string{"TermFiles=" + own}, bulk, 0, ""},
		{"off", []string{"TermFiles="}, bulk, 0, ""},
	}
	for _, tc := range tests {
		gw := load(t, append([]string{"SpamUseDNS=false", "[mailgw.antispam]", "BayesStore=none"}, tc.lines...)...)
		r := checkWith(t, gw.SpamChecker(quiet()), &gw.Policy.Default.Params, nil, tc.raw)
		var got *antispam.Rule
		for i := range r.Rules {
			if r.Rules[i].Name == antispam.RuleSpamTerms {
				got = &r.Rules[i]
			}
		}
		switch {
		case got == nil && tc.score != 0:
			t.Errorf("%s: no SPAM_TERMS; rules %v", tc.name, ruleNames(r))
		case got != nil && got.Score != tc.score:
			t.Errorf("%s: SPAM_TERMS %v (%s), want %v", tc.name, got.Score, got.Reason, tc.score)
		case got != nil && !strings.HasPrefix(got.Reason, tc.reason):
			t.Errorf("%s: reason %q, want %q...", tc.name, got.Reason, tc.reason)
		}
	}
}
