package milter_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/emersion/go-message"
	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/milter"
)

// recordingDispatcher keeps the Decisions it was asked to carry out and
// answers with err.
type recordingDispatcher struct {
	err  error
	mu   sync.Mutex
	decs []*decision.Decision
	raws [][]byte
}

var _ milter.Dispatcher = (*recordingDispatcher)(nil)

func (r *recordingDispatcher) Run(_ context.Context, d *decision.Decision, _ *filter.Envelope, raw []byte, _ message.Header) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.decs = append(r.decs, d)
	r.raws = append(r.raws, raw)
	return r.err
}

// The side requests of a Decision are carried out before the verdict, and
// a quarantine copy that could not be stored holds the message back.
func TestDispatchBeforeVerdict(t *testing.T) {
	noticeLost := &dispatch.NotifyError{Errs: []error{errors.New("MTA down")}}
	for _, tc := range []struct {
		name     string
		opts     milter.Options
		disp     *recordingDispatcher
		want     gomilter.ActionCode
		wantHold bool
	}{
		{"stored, then discarded", milter.Options{}, &recordingDispatcher{}, gomilter.ActDiscard, false},
		{"stored and held by the MTA", milter.Options{Hold: true}, &recordingDispatcher{}, gomilter.ActContinue, true},
		{"notice lost, verdict stands", milter.Options{}, &recordingDispatcher{err: noticeLost}, gomilter.ActDiscard, false},
		{"store failed: tempfail", milter.Options{}, &recordingDispatcher{err: errors.New("disk full")}, gomilter.ActTempFail, false},
		{"store failed, fail open: accept", milter.Options{FailOpen: true}, &recordingDispatcher{err: errors.New("disk full")}, gomilter.ActAccept, false},
		{"no quarantine configured: tempfail", milter.Options{}, nil, gomilter.ActTempFail, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if tc.disp != nil {
				opts.Dispatch = tc.disp
			}
			_, addr := startServer(t, opts)
			s := session(t, addr)
			mods, act := send(t, s, "dave@keep.test", "virus", mime(fake.MarkInfected))
			got := act.Code
			if got == gomilter.ActReplyCode && act.SMTPCode/100 == 4 {
				got = gomilter.ActTempFail // our tempfail carries its own 4xx reply
			}
			if got != tc.want {
				t.Errorf("action %c (%d), want %c", act.Code, act.SMTPCode, tc.want)
			}
			held := false
			for _, m := range mods {
				held = held || m.Code == gomilter.ActQuarantine
			}
			if held != tc.wantHold {
				t.Errorf("hold requested: %v, want %v (%+v)", held, tc.wantHold, mods)
			}
			if tc.disp == nil {
				return
			}
			if len(tc.disp.decs) != 1 {
				t.Fatalf("dispatcher ran %d times, want once", len(tc.disp.decs))
			}
			d := tc.disp.decs[0]
			if d.Group != "keepers" || len(d.Quarantine) != 1 || d.Quarantine[0].Store != "av" || len(d.Notify) != 1 || d.Notify[0].To != "admin" {
				t.Errorf("dispatched %+v", d)
			}
			if !bytes.Contains(tc.disp.raws[0], []byte(fake.MarkInfected)) {
				t.Error("the quarantine copy is not the original message")
			}
		})
	}
}

// A Decision without side requests does not reach the dispatcher.
func TestDispatchOnlyWhenAsked(t *testing.T) {
	disp := &recordingDispatcher{}
	_, addr := startServer(t, milter.Options{Dispatch: disp})
	s := session(t, addr)
	if _, act := send(t, s, "bob@example.com", "clean", mime("clean")); act.Code != gomilter.ActContinue && act.Code != gomilter.ActAccept {
		t.Fatalf("action %c, want accept", act.Code)
	}
	if len(disp.decs) != 0 {
		t.Errorf("dispatcher ran for a plain delivery: %+v", disp.decs)
	}
}
