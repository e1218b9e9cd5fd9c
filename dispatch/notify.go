package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/notify"
)

// NotifyError reports notices that could not be built or sent. It is not
// a reason to tempfail the message (see the package documentation): the
// notices are lost, the user's mail is not.
type NotifyError struct {
	Errs []error // one per failed request or message
}

func (e *NotifyError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return "notification failed: " + strings.Join(msgs, "; ")
}

// Unwrap lets errors.Is and errors.As look at each failure.
func (e *NotifyError) Unwrap() []error { return e.Errs }

// notify carries out every notification request of dec. A failure of one
// does not stop the others.
func (d *Dispatcher) notify(ctx context.Context, dec *decision.Decision, env *filter.Envelope, hdr message.Header, now time.Time) error {
	nenv := notify.Envelope{QueueID: env.QueueID, From: env.From, Arrival: now}
	var errs []error
	for _, req := range dec.Notify {
		errs = append(errs, d.notifyOne(ctx, req, dec, env, nenv, hdr)...)
	}
	if len(errs) == 0 {
		return nil
	}
	return &NotifyError{Errs: errs}
}

// notifyOne builds and submits the notices of one request, logging each
// failure.
func (d *Dispatcher) notifyOne(ctx context.Context, req decision.Notification, dec *decision.Decision,
	env *filter.Envelope, nenv notify.Envelope, hdr message.Header) []error {
	attrs := []any{"queue_id", env.QueueID, "group", dec.Group, "to", req.To}
	if d.opts.Builder == nil || d.opts.Submit == nil {
		err := fmt.Errorf("notify %s: no notice builder or submitter configured", req.To)
		d.log.Error("notification failed", append(attrs, "error", err)...)
		return []error{err}
	}
	b := *d.opts.Builder // a copy per request: From is the group's own
	if req.From != "" {
		b.From = req.From
	}
	msgs, err := b.Build(req, dec, nenv, hdr)
	if errors.Is(err, notify.ErrSuppressed) {
		d.log.Info("notification suppressed", append(attrs, "reason", err.Error())...)
		return nil
	}
	if err != nil {
		err = fmt.Errorf("notify %s: %w", req.To, err)
		d.log.Error("notification failed", append(attrs, "error", err)...)
		return []error{err}
	}
	var errs []error
	for _, m := range msgs {
		// Always the null sender, whatever m.From says: a notice that
		// bounces must not bounce back to us (RFC 5321 §4.5.5).
		if err := d.opts.Submit.Submit(ctx, "", m.To, m.Data); err != nil {
			err = fmt.Errorf("notify %s %v: %w", req.To, m.To, err)
			d.log.Error("notification failed", append(attrs, "error", err)...)
			errs = append(errs, err)
			continue
		}
		d.log.Info("notification sent", append(attrs, "recipients", m.To)...)
	}
	return errs
}
