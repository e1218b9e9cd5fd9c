package relay

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/notify"
	"github.com/mailgw/mailgw/queue"
)

// expiredStatus is the DSN status of a recipient still deferred after
// MaximalQueueLifetime: RFC 3463 5.4.7 "delivery time expired".
const expiredStatus = "5.4.7"

// record writes the outcome of one attempt to the queue: delivered and
// bounced recipients leave the entry, the others wait for the next try.
func (d *Sender) record(e queue.Entry, data []byte, results []outcome) {
	rt := d.srv.rt.load()
	var failures []notify.Failure
	var pending, delivered []queue.Recipient
	expired := time.Since(e.Arrival) > rt.Service.Timeouts.MaximalQueueLifetime
	for _, r := range results {
		switch {
		case r.ok:
			delivered = append(delivered, r.rcpt)
		case r.permanent || expired:
			f := notify.Failure{Recipient: r.rcpt.Addr, ORCPT: r.rcpt.ORCPT, Status: r.status, Diagnostic: r.reply, RemoteMTA: hostOf(r.remote)}
			switch {
			case !r.permanent:
				f.Status = expiredStatus
			case f.Status == "" && !hasEnhanced(r.reply):
				f.Status = "5.0.0" // RFC 3463: other undefined status
			}
			if !isSMTPReply(r.reply) {
				f.Diagnostic = ""
			}
			if wantsFailureDSN(r.rcpt) {
				failures = append(failures, f)
			}
			d.srv.log.Info("delivery failed", "id", e.ID, "queue_id", e.QueueID, "rcpt", r.rcpt.Addr, "reply", r.reply, "expired", expired)
		default:
			pending = append(pending, r.rcpt)
			e.LastError = r.reply
		}
	}
	if len(delivered) > 0 {
		d.srv.log.Info("delivered", "id", e.ID, "queue_id", e.QueueID, "recipients", len(delivered), "remote", results[0].remote)
		d.archiveSent(rt, e, delivered, data)
	}
	if len(failures) > 0 && !d.bounce(rt, e, data, failures) {
		// The DSN could not be queued: keep the recipients for another try
		// rather than lose the bounce.
		for _, f := range failures {
			pending = append(pending, recipientOf(e, f.Recipient))
		}
	}
	d.reschedule(e, pending)
}

// reschedule removes a finished entry or defers the rest.
func (d *Sender) reschedule(e queue.Entry, pending []queue.Recipient) {
	q := d.srv.queue
	if len(pending) == 0 {
		if err := q.Done(e.ID); err != nil && !errors.Is(err, queue.ErrNotFound) {
			d.srv.log.Error("removing delivered message", "id", e.ID, "error", err)
		}
		return
	}
	e.Rcpts = pending
	e.Attempts++
	e.NextAttempt = time.Now().Add(d.backoff(e.Attempts))
	if err := q.Update(e); err != nil && !errors.Is(err, queue.ErrNotFound) {
		d.srv.log.Error("deferring message", "id", e.ID, "error", err)
		return
	}
	d.srv.log.Info("deferred", "id", e.ID, "queue_id", e.QueueID, "recipients", len(pending), "attempts", e.Attempts,
		"next_attempt", e.NextAttempt.Format(time.RFC3339), "reply", e.LastError)
}

// bounce queues a DSN to the sender; false means it must be tried again.
func (d *Sender) bounce(rt *Runtime, e queue.Entry, data []byte, failures []notify.Failure) bool {
	env := notify.Envelope{QueueID: e.QueueID, From: e.From, Arrival: e.Arrival, EnvID: e.EnvID, Ret: notify.Ret(e.Ret)}
	msg, err := rt.DSN.BuildDSN(env, failures, data, nil)
	if errors.Is(err, notify.ErrSuppressed) {
		d.srv.log.Info("DSN suppressed", "id", e.ID, "reason", err.Error())
		return true
	}
	if err == nil {
		err = d.enqueue(bounceEntry(e.QueueID, msg), msg.Data)
	}
	if err != nil {
		d.srv.log.Error("queueing DSN", "id", e.ID, "error", err)
		return false
	}
	d.srv.log.Info("DSN queued", "id", e.ID, "queue_id", e.QueueID, "to", e.From, "recipients", len(failures))
	return true
}

// enqueue commits one new message and hands it to the sender.
func (d *Sender) enqueue(e queue.Entry, data []byte) error {
	b := d.srv.queue.Begin()
	e, err := b.Add(e, data)
	if err == nil {
		err = b.Commit()
	}
	if err != nil {
		b.Abort()
		return err
	}
	d.push(e)
	return nil
}

// archiveSent keeps a copy of a sent message in OutgoingArchivePath.
func (d *Sender) archiveSent(rt *Runtime, e queue.Entry, rcpts []queue.Recipient, data []byte) {
	if rt.Outgoing == nil {
		return
	}
	env := &filter.Envelope{QueueID: e.QueueID, From: e.From}
	addrs := make([]string, len(rcpts))
	for i, r := range rcpts {
		addrs[i] = r.Addr
	}
	if err := rt.Outgoing.Archive("outgoing", env, addrs, data); err != nil {
		d.srv.log.Error("outgoing archive failed", "id", e.ID, "error", err)
	}
}

// wantsFailureDSN: without NOTIFY the default is FAILURE (RFC 3461
// §4.1); NOTIFY=NEVER or a list without FAILURE asks for none.
func wantsFailureDSN(r queue.Recipient) bool {
	return len(r.Notify) == 0 || slices.Contains(r.Notify, string(smtp.DSNNotifyFailure))
}

func recipientOf(e queue.Entry, addr string) queue.Recipient {
	for _, r := range e.Rcpts {
		if r.Addr == addr {
			return r
		}
	}
	return queue.Recipient{Addr: addr}
}

func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// hasEnhanced reports whether reply "NNN X.Y.Z text" carries a
// permanent enhanced code.
func hasEnhanced(reply string) bool {
	f := strings.Fields(reply)
	return len(f) > 1 && strings.HasPrefix(f[1], "5.") && strings.Count(f[1], ".") == 2
}

// isSMTPReply: a Diagnostic-Code is an SMTP reply "NNN ..." (RFC 3464
// §2.3.6); a network error is not one.
func isSMTPReply(s string) bool {
	return len(s) >= 4 && s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' && s[3] == ' '
}
