package dispatch

import (
	"errors"
	"slices"
	"testing"

	"github.com/mailgw/mailgw/decision"
)

func TestNotificationsSentWithNullSender(t *testing.T) {
	sink := startSink(t)
	dec := virusDecision(t.TempDir())
	dec.Notify = []decision.Notification{
		{To: "admin", Addresses: []string{"admin@example.com"}, Statuses: []string{"av/infected"}},
		{To: "recipient", Addresses: dec.Recipients, Statuses: []string{"av/infected"}},
		{To: "sender", Addresses: []string{"alice@example.org"}, Statuses: []string{"av/infected"}},
	}
	d := testDispatcher(t, SMTPSubmitter{Addr: sink.Addr, Helo: "gw.example.com"})

	if err := run(t, d, dec, testEnvelope(), rawMessage); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	want := [][]string{{"admin@example.com"}, {"bob@example.com"}, {"carol@example.com"}, {"alice@example.org"}}
	if len(msgs) != len(want) {
		t.Fatalf("%d notices received, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		if m.From != "" {
			t.Errorf("notice %d: envelope sender %q, want <>", i, m.From)
		}
		if !slices.Equal(m.Rcpts, want[i]) {
			t.Errorf("notice %d: recipients %q, want %q", i, m.Rcpts, want[i])
		}
		h := dataHeader(t, m.Data)
		if got := h.Get("Auto-Submitted"); got != "auto-generated" {
			t.Errorf("notice %d: Auto-Submitted %q", i, got)
		}
		if h.Get("X-MailGW-Notification") != "yes" {
			t.Errorf("notice %d: no X-MailGW-Notification", i)
		}
	}
}

func TestSuppressedNotificationsAreNotErrors(t *testing.T) {
	cases := []struct {
		name string
		from string
		req  decision.Notification
	}{
		{"null sender", "", decision.Notification{To: "recipient", Addresses: []string{"bob@example.com"}, Statuses: []string{"av/infected"}}},
		{"spam to sender", "alice@example.org", decision.Notification{To: "sender", Addresses: []string{"alice@example.org"}, Statuses: []string{"as/spam"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := startSink(t)
			dec := virusDecision(t.TempDir())
			dec.Notify = []decision.Notification{c.req}
			env := testEnvelope()
			env.From = c.from
			if err := run(t, testDispatcher(t, SMTPSubmitter{Addr: sink.Addr}), dec, env, rawMessage); err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
			if n := len(sink.Messages()); n != 0 {
				t.Errorf("%d notices sent, want none", n)
			}
		})
	}
}

func TestSMTPDownIsNotifyErrorAfterQuarantine(t *testing.T) {
	avDir := t.TempDir()
	dec := virusDecision(avDir)
	dec.Notify = []decision.Notification{{To: "admin", Addresses: []string{"admin@example.com"}, Statuses: []string{"av/infected"}}}
	d := testDispatcher(t, SMTPSubmitter{Addr: deadAddr(t)})

	err := run(t, d, dec, testEnvelope(), rawMessage)
	var ne *NotifyError
	if !errors.As(err, &ne) || len(ne.Errs) != 1 || MustTempfail(err) {
		t.Fatalf("Run = %v; want a NotifyError with one failure", err)
	}
	if meta, _ := storedOne(t, avDir); meta.Status != "av/infected" {
		t.Errorf("quarantined as %q", meta.Status)
	}
}

func TestMissingSubmitterIsNotifyError(t *testing.T) {
	dec := virusDecision(t.TempDir())
	dec.Notify = []decision.Notification{{To: "admin", Addresses: []string{"admin@example.com"}, Statuses: []string{"av/infected"}}}
	err := run(t, New(Options{Builder: testBuilder(t)}), dec, testEnvelope(), rawMessage)
	var ne *NotifyError
	if !errors.As(err, &ne) {
		t.Fatalf("Run = %v; want a NotifyError", err)
	}
}
