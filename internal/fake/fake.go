// Package fake provides deterministic anti-spam and anti-virus engines for
// tests and benchmarks of the core. They read markers planted in test
// messages instead of analysing anything, so a test states its expected
// findings in the message itself. Never used by a program.
package fake

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// Header that sets the fake anti-spam verdict: "STATUS [SCORE [RULE...]]",
// e.g. "X-Fake-AS: spam 9.5 BAYES_99 URIBL". "fail" makes the check fail.
const SpamHeader = "X-Fake-AS"

// Body markers that set the fake anti-virus verdict of the object holding them.
const (
	MarkInfected   = "FAKE-VIRUS"      // infected, signature Fake.Virus
	MarkCurable    = "FAKE-CURABLE"    // disinfected; the cured copy has the marker replaced by CURED
	MarkSuspicious = "FAKE-SUSPICIOUS" // suspicious, signature Fake.Heur
	MarkProtected  = "FAKE-PROTECTED"  // protected
	MarkFail       = "FAKE-SCANFAIL"   // the scanner returns an error
	MarkPanic      = "FAKE-PANIC"      // the scanner panics
)

// Spam is a filter.SpamChecker driven by SpamHeader.
type Spam struct{}

var _ filter.SpamChecker = Spam{}

// CheckSpam implements filter.SpamChecker.
func (Spam) CheckSpam(_ context.Context, _ *filter.Envelope, msg *mimetree.Message, _ *policy.Params) (antispam.Result, error) {
	fields := strings.Fields(msg.Header.Get(SpamHeader))
	if len(fields) == 0 {
		return antispam.Result{Status: policy.ASNotDetected, Method: "fake"}, nil
	}
	if fields[0] == "fail" {
		return antispam.Result{}, errors.New("fake anti-spam outage")
	}
	if fields[0] == "panic" {
		panic("fake anti-spam panic")
	}
	r := antispam.Result{Status: policy.ASStatus(fields[0]), Method: "fake"}
	if len(fields) > 1 {
		r.Score, _ = strconv.ParseFloat(fields[1], 64)
	}
	for _, name := range fields[min(2, len(fields)):] {
		r.Rules = append(r.Rules, antispam.Rule{Name: name, Score: 1, Reason: "fake rule"})
	}
	return r, nil
}

// Virus is a filter.VirusScanner driven by the Mark* body markers.
type Virus struct{}

var _ filter.VirusScanner = Virus{}

// ScanObject implements filter.VirusScanner.
func (Virus) ScanObject(_ context.Context, obj *mimetree.Object, p *policy.Params) (av.Finding, error) {
	c := obj.Content
	switch {
	case bytes.Contains(c, []byte(MarkPanic)):
		panic("fake scanner panic")
	case bytes.Contains(c, []byte(MarkFail)):
		return av.Finding{}, errors.New("fake scanner outage")
	case bytes.Contains(c, []byte(MarkCurable)) && p.AVCure:
		return av.Finding{Status: policy.AVDisinfected, Signature: "Fake.Curable",
			Cured: bytes.ReplaceAll(c, []byte(MarkCurable), []byte("CURED"))}, nil
	case bytes.Contains(c, []byte(MarkCurable)):
		return av.Finding{Status: policy.AVInfected, Signature: "Fake.Curable"}, nil
	case bytes.Contains(c, []byte(MarkInfected)):
		return av.Finding{Status: policy.AVInfected, Signature: "Fake.Virus"}, nil
	case bytes.Contains(c, []byte(MarkSuspicious)):
		return av.Finding{Status: policy.AVSuspicious, Signature: "Fake.Heur"}, nil
	case bytes.Contains(c, []byte(MarkProtected)):
		return av.Finding{Status: policy.AVProtected}, nil
	}
	return av.Finding{Status: policy.AVClean}, nil
}
