package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/mimetree"
)

// digestStub answers every digest check with fixed counts or an error.
type digestStub struct {
	spam, ham int64
	err       error
	calls     *atomic.Int32
}

func (d *digestStub) CheckMessage(context.Context, *mimetree.Message) (int64, int64, error) {
	d.calls.Add(1)
	return d.spam, d.ham, d.err
}

var _ engine.DigestChecker = (*digestStub)(nil)

// TestDigestRules: the counts become PYZOR_LISTED from PyzorMinCount
// reports net of whitelist entries, an outage PYZOR_TEMPFAIL, and the
// check asks nothing when the group or the size limit says no.
func TestDigestRules(t *testing.T) {
	const msg = "Subject: offer\n\nBuy now, cheap watches for everyone.\n"
	for _, c := range []struct {
		name   string
		lines  []string
		stub   digestStub // calls is set per case
		rule   string     // "" for none
		called bool
	}{
		{"listed", nil, digestStub{spam: 3}, antispam.RulePyzor, true},
		{"below the count", nil, digestStub{spam: 2}, "", true},
		{"whitelisted too", nil, digestStub{spam: 5, ham: 3}, "", true},
		{"outage", nil, digestStub{err: errors.New("no answer")}, antispam.RulePyzorTempfail, true},
		{"SpamCheckPyzor=no", []string{"SpamCheckPyzor=no"}, digestStub{spam: 9}, "", false},
		{"SpamUseDNS=no", []string{"SpamUseDNS=no"}, digestStub{spam: 9}, "", false},
		{"above SpamCheckSizeLimit", []string{"SpamCheckSizeLimit=1"}, digestStub{spam: 9}, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := append(c.lines, "[mailgw.antispam]", "BayesStore=none", "PyzorMinCount=3")
			gw := load(t, lines...)
			raw := msg
			if c.name == "above SpamCheckSizeLimit" {
				for len(raw) < 2048 {
					raw += "padding line to pass one kilobyte\n"
				}
			}
			c.stub.calls = new(atomic.Int32)
			e := engine.New(engine.Options{Settings: gw.AntiSpam, Digest: &c.stub, Logger: quiet()})
			r := checkWith(t, e, &gw.Policy.Default.Params, nil, raw)
			for _, name := range []string{antispam.RulePyzor, antispam.RulePyzorTempfail} {
				if fired(r, name) != (name == c.rule) {
					t.Errorf("rules %v, want %q", ruleNames(r), c.rule)
				}
			}
			if got := c.stub.calls.Load() > 0; got != c.called {
				t.Errorf("digest service asked: %v, want %v", got, c.called)
			}
		})
	}
}
