package relay

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/notify"
	"github.com/mailgw/mailgw/quarantine"
	"github.com/mailgw/mailgw/queue"
)

// transaction is one received message with its envelope.
type transaction struct {
	qid        string
	from       string
	opts       smtp.MailOptions
	rcpts      []queue.Recipient
	raw        []byte // as received, then with our Received field first
	clientIP   netip.Addr
	clientHost string
	helo       string
	tls        bool
	arrival    time.Time
}

func (t *transaction) envelope() *filter.Envelope {
	env := &filter.Envelope{QueueID: t.qid, From: t.from, ClientIP: t.clientIP, ClientHost: t.clientHost, Helo: t.helo}
	for _, r := range t.rcpts {
		env.Rcpts = append(env.Rcpts, r.Addr)
	}
	return env
}

func (t *transaction) notifyEnvelope() notify.Envelope {
	return notify.Envelope{QueueID: t.qid, From: t.from, Arrival: t.arrival, EnvID: t.opts.EnvelopeID, Ret: notify.Ret(t.opts.Return)}
}

// accept runs the core on t and carries out its Decisions: nil means 250.
func (s *Server) accept(ctx context.Context, t *transaction) error {
	rt := s.rt.load()
	t.arrival = time.Now()
	t.qid = quarantine.NewID(t.arrival)
	if countReceived(t.raw) >= rt.Service.Limits.MaximalIncomingHops {
		s.log.Warn("message refused: mail loop", "queue_id", t.qid, "client_ip", clientIPString(t.clientIP))
		return errLoop
	}
	t.raw = append(receivedHeader(t, rt.Service.Network.Hostname, t.qid, t.arrival), t.raw...)
	env := t.envelope()
	if rt.Incoming != nil {
		if err := rt.Incoming.Archive("incoming", env, env.Rcpts, t.raw); err != nil {
			s.log.Error("incoming archive failed", "queue_id", t.qid, "error", err)
			return errTempfail
		}
	}
	start := time.Now()
	res, err := s.process(ctx, rt, env, t.raw)
	if err != nil {
		s.log.Error("relay verdict", "queue_id", t.qid, "disposition", "tempfail", "error", err.Error(),
			"duration", time.Since(start))
		return errTempfail
	}
	reply := s.carryOut(ctx, rt, t, res)
	for _, d := range res.Decisions {
		s.log.Info("relay verdict", "queue_id", t.qid, "group", d.Group, "disposition", string(d.Disposition),
			"statuses", d.Statuses, "recipients", len(d.Recipients), "reply", replyText(reply), "duration", time.Since(start))
	}
	return reply
}

// process runs the core with a time limit. A panic in the core is a
// tempfail for the client, never a pass.
func (s *Server) process(ctx context.Context, rt *Runtime, env *filter.Envelope, raw []byte) (res *filter.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, s.opts.ProcessTimeout)
	defer cancel()
	res = rt.Proc.Process(ctx, env, raw)
	if res == nil || len(res.Decisions) == 0 {
		return nil, errors.New("the core returned no decision")
	}
	return res, nil
}

// carryOut queues one copy per delivered Decision, bounces the recipients
// of rejected copies when others are accepted, and returns the reply.
// Nothing is promised until the batch commits.
func (s *Server) carryOut(ctx context.Context, rt *Runtime, t *transaction, res *filter.Result) error {
	ds := res.Decisions
	for _, d := range ds {
		if d.Disposition == decision.Tempfail {
			return replyError(d.Reply, 4, decision.TempfailReply())
		}
	}
	env := t.envelope()
	hdr := res.Message.Header
	var rejected []*decision.Decision
	batch := s.queue.Begin()
	var queued []queue.Entry
	for _, d := range ds {
		if err := s.runDispatch(ctx, rt, d, env, t, hdr); err != nil {
			batch.Abort()
			return errTempfail
		}
		switch d.Disposition {
		case decision.Reject:
			rejected = append(rejected, d)
			continue
		case decision.Block:
			continue
		case decision.Deliver:
		default:
			batch.Abort()
			s.log.Error("unknown disposition", "queue_id", t.qid, "disposition", string(d.Disposition))
			return errTempfail
		}
		out, err := d.Apply(res.Message)
		if err != nil {
			batch.Abort()
			s.log.Error("applying decision", "queue_id", t.qid, "group", d.Group, "error", err)
			return errTempfail
		}
		e, err := batch.Add(t.entry(d.Group, d.Recipients), out)
		if err != nil {
			batch.Abort()
			s.log.Error("queueing", "queue_id", t.qid, "error", err)
			return errTempfail
		}
		queued = append(queued, e)
	}
	if len(rejected) == len(ds) {
		batch.Abort()
		return replyError(rejected[0].Reply, 5, genericReject)
	}
	more, err := s.extraCopies(rt, t, rejected, batch)
	if err == nil {
		err = batch.Commit()
	}
	if err != nil {
		batch.Abort()
		s.log.Error("queueing", "queue_id", t.qid, "error", err)
		return errTempfail
	}
	s.sender.push(append(queued, more...)...)
	return nil
}

// runDispatch carries out the copy's side requests; an error means
// tempfail (see package dispatch).
func (s *Server) runDispatch(ctx context.Context, rt *Runtime, d *decision.Decision, env *filter.Envelope, t *transaction, hdr message.Header) error {
	if len(d.Quarantine) == 0 && len(d.Notify) == 0 {
		return nil
	}
	if rt.Dispatch == nil {
		s.log.Error("quarantine or notification requested, but no dispatcher", "queue_id", t.qid, "group", d.Group)
		return errors.New("no dispatcher")
	}
	err := rt.Dispatch.Run(ctx, d, env, t.raw, hdr)
	if dispatch.MustTempfail(err) {
		return err
	}
	return nil
}

// extraCopies adds to batch the DSN for rejected copies (the client got
// 250 for the message as a whole) and the IncomingBcc copy.
func (s *Server) extraCopies(rt *Runtime, t *transaction, rejected []*decision.Decision, batch *queue.Batch) ([]queue.Entry, error) {
	var out []queue.Entry
	for _, d := range rejected {
		msg, err := rt.DSN.BuildDSN(t.notifyEnvelope(), withORCPT(notify.FailuresOf(d), t.rcpts), t.raw, d)
		if errors.Is(err, notify.ErrSuppressed) {
			s.log.Info("DSN suppressed", "queue_id", t.qid, "group", d.Group, "reason", err.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		e, err := batch.Add(bounceEntry(t.qid, msg), msg.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if bcc := rt.Service.Archive.IncomingBcc; len(bcc) > 0 {
		e := t.entry("", nil)
		for _, a := range bcc {
			e.Rcpts = append(e.Rcpts, queue.Recipient{Addr: a, Notify: []string{string(smtp.DSNNotifyNever)}})
		}
		e, err := batch.Add(e, t.raw)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// entry is the queue entry of one group copy for rcpts.
func (t *transaction) entry(group string, rcpts []string) queue.Entry {
	e := queue.Entry{QueueID: t.qid, Group: group, From: t.from, ClientIP: clientIPString(t.clientIP),
		EnvID: t.opts.EnvelopeID, Ret: string(t.opts.Return), UTF8: t.opts.UTF8, Arrival: t.arrival}
	for _, r := range rcpts {
		e.Rcpts = append(e.Rcpts, t.recipient(r))
	}
	return e
}

// recipient returns the RCPT TO parameters given for addr.
func (t *transaction) recipient(addr string) queue.Recipient {
	for _, r := range t.rcpts {
		if strings.EqualFold(r.Addr, addr) {
			return r
		}
	}
	return queue.Recipient{Addr: addr}
}

// bounceEntry queues a DSN or notice: from the null sender, never
// bounced itself (RFC 3461 §4.1: NOTIFY=NEVER).
func bounceEntry(qid string, m notify.Message) queue.Entry {
	e := queue.Entry{QueueID: qid, From: "", Arrival: time.Now()}
	for _, to := range m.To {
		e.Rcpts = append(e.Rcpts, queue.Recipient{Addr: to, Notify: []string{string(smtp.DSNNotifyNever)}})
	}
	return e
}

func withORCPT(fs []notify.Failure, rcpts []queue.Recipient) []notify.Failure {
	for i := range fs {
		for _, r := range rcpts {
			if strings.EqualFold(r.Addr, fs[i].Recipient) {
				fs[i].ORCPT = r.ORCPT
			}
		}
	}
	return fs
}

// genericReject is used when a rejecting Decision has no 5xx reply.
var genericReject = decision.Reply{Code: 550, Enhanced: "5.7.1", Text: "Message rejected"}

// replyError turns a Decision's reply into go-smtp's error, falling back
// to def when the reply is missing or of the wrong class.
func replyError(r *decision.Reply, class int, def decision.Reply) error {
	if r == nil || r.Code/100 != class {
		r = &def
	}
	se := &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: oneLine(r.Text)}
	var a, b, c int
	if _, err := fmt.Sscanf(r.Enhanced, "%d.%d.%d", &a, &b, &c); err == nil {
		se.EnhancedCode = smtp.EnhancedCode{a, b, c}
	}
	return se
}

func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

func replyText(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
	}
	if err == nil {
		return "250 queued"
	}
	return err.Error()
}
