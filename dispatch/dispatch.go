// Package dispatch carries out the side requests of a decision.Decision —
// quarantine and notifications — for both front-ends, so that the milter
// and the relay store and notify exactly alike.
//
// # Contract with the front-ends
//
// Run is called once per group copy, after filtering and before the
// front-end answers the client for that copy. Its error says what the
// front-end must do:
//
//   - nil: every request was carried out; go on with the Disposition.
//   - a *NotifyError (test with errors.As, or use MustTempfail): the
//     quarantine requests were carried out but some notice was not sent.
//     It is logged here; go on with the Disposition. A user's mail is
//     never held back because a notice could not be sent.
//   - any other error: a quarantine request failed. The front-end must
//     tempfail the message (4xx), even when the Disposition is Block or
//     Deliver: a message that asked to be kept must never be dropped
//     unseen, and the client's retry stores it again. No notice is sent
//     then, since it would announce a quarantine that did not happen and
//     be sent again on the retry.
//
// When a copy has two quarantine requests (anti-spam and anti-virus) and
// only the second fails, the retry stores the first one again: a duplicate
// in a quarantine is preferred to a lost message.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-message"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/notify"
	"github.com/mailgw/mailgw/quarantine"
)

// Store keeps quarantined messages; *quarantine.Store is one.
type Store interface {
	Put(meta quarantine.Meta, raw []byte) (string, error)
}

// Submitter sends one notification. from is always "" (the null sender
// <>). In milter mode it is an SMTPSubmitter pointing at the MTA's
// submission address; in relay mode, the relay's queue.
type Submitter interface {
	Submit(ctx context.Context, from string, to []string, data []byte) error
}

var _ Store = (*quarantine.Store)(nil)

// Options configure a Dispatcher.
type Options struct {
	// Builder builds the notices; nil makes every notification fail with
	// a *NotifyError.
	Builder *notify.Builder
	// Submit sends the notices; nil makes every notification fail with a
	// *NotifyError.
	Submit Submitter
	// OpenStore opens the store of a quarantine request's directory; nil
	// means quarantine.Open with the zero Options, which creates the
	// directory. A store is opened when first needed, so that a
	// misconfigured path fails the messages that use it rather than the
	// start-up of a gateway that may never quarantine there.
	OpenStore func(dir string) (Store, error)
	Logger    *slog.Logger     // nil: slog.Default()
	Now       func() time.Time // arrival time given to stores and notices; nil: time.Now
}

// Dispatcher carries out Decisions' side requests. It is safe for
// concurrent use; its only state is the cache of opened stores.
type Dispatcher struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	stores map[string]Store // by directory
}

// New returns a Dispatcher. It opens nothing and sends nothing.
func New(o Options) *Dispatcher {
	if o.OpenStore == nil {
		o.OpenStore = openQuarantine
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{opts: o, log: log, stores: make(map[string]Store)}
}

func openQuarantine(dir string) (Store, error) {
	s, err := quarantine.Open(dir, quarantine.Options{})
	if err != nil {
		return nil, err // not a typed nil *quarantine.Store in the interface
	}
	return s, nil
}

// Run carries out the quarantine requests of dec, then its notifications,
// for the copy of the message raw (the original bytes, as received) with
// envelope env and top-level header hdr. See the package documentation
// for what the returned error asks of the caller.
func (d *Dispatcher) Run(ctx context.Context, dec *decision.Decision, env *filter.Envelope, raw []byte, hdr message.Header) error {
	now := d.opts.Now()
	for _, req := range dec.Quarantine {
		if err := d.quarantine(req, dec, env, raw, now); err != nil {
			d.log.Error("quarantine failed", "queue_id", env.QueueID, "group", dec.Group,
				"store", req.Store, "path", req.Path, "error", err)
			return err
		}
	}
	return d.notify(ctx, dec, env, hdr, now)
}

// MustTempfail reports whether err, returned by Run, obliges the
// front-end to tempfail the message: any error but a *NotifyError.
func MustTempfail(err error) bool {
	var ne *NotifyError
	return err != nil && !errors.As(err, &ne)
}

// store returns the cached store of dir, opening it on first use. A
// failed open is not cached, so that a directory fixed by the
// administrator works at the next message.
func (d *Dispatcher) store(dir string) (Store, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.stores[dir]; ok {
		return s, nil
	}
	s, err := d.opts.OpenStore(dir)
	if err != nil {
		return nil, err
	}
	d.stores[dir] = s
	return s, nil
}

// quarantine stores raw for one request.
func (d *Dispatcher) quarantine(req decision.Quarantine, dec *decision.Decision, env *filter.Envelope, raw []byte, now time.Time) error {
	if len(req.Statuses) == 0 {
		return fmt.Errorf("quarantine request for store %q without a status", req.Store)
	}
	s, err := d.store(req.Path)
	if err != nil {
		return fmt.Errorf("quarantine (%s): %w", req.Store, err)
	}
	meta := quarantine.Meta{
		Status:     req.Statuses[0],
		Arrival:    now,
		ClientIP:   env.ClientIP,
		Sender:     env.From,
		Recipients: dec.Recipients,
		Group:      dec.Group,
		Reasons:    reasons(req, dec),
		QueueID:    env.QueueID,
	}
	id, err := s.Put(meta, raw)
	if err != nil {
		return fmt.Errorf("quarantine (%s): %w", req.Store, err)
	}
	d.log.Info("quarantined", "queue_id", env.QueueID, "group", dec.Group, "store", req.Store,
		"path", req.Path, "id", id, "status", meta.Status)
	return nil
}
