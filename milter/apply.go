package milter

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/mimetree"
)

// Reply and body packets of milter-protocol.txt, "RESPONSE CODES".
const (
	// smfirReplyCode is SMFIR_REPLYCODE: reject or tempfail with our own
	// SMTP reply instead of the MTA's generic one.
	smfirReplyCode = byte(gomilter.ActReplyCode)
	// bodyChunk bounds one SMFIR_REPLBODY packet: the body may be split
	// across several, and MTAs limit the packet size (go-milter reads at
	// most 1 MB; Sendmail and Postfix expect chunks like SMFIC_BODY's 64 KB).
	bodyChunk = 64 << 10
)

// Generic replies, used when a Decision's own reply is missing or of the
// wrong class: a reject must be permanent (5xx), a tempfail temporary (4xx).
var (
	genericReject = decision.Reply{Code: 550, Enhanced: "5.7.1", Text: "Message rejected"}
	// deferReply refuses a recipient of a second policy group for this
	// transaction only: 452 is RFC 5321's "too many recipients", which
	// clients answer by sending the rest in a new transaction, and 4.5.3
	// is RFC 3463's enhanced code for it.
	deferReply = decision.Reply{Code: 452, Enhanced: "4.5.3", Text: "Too many recipients, send the rest in a new transaction"}
)

// carryOut turns the Decisions into the verdict for this session and logs
// one line for it. Side requests (quarantine, notices) of every group copy
// are carried out first: a re-injected or accepted copy is gone from our
// hands afterwards, while a tempfail still lets the client retry.
func (s *Server) carryOut(ctx context.Context, env *filter.Envelope, raw []byte, res *filter.Result, m *gomilter.Modifier) gomilter.Response {
	ds := res.Decisions
	if len(ds) == 0 {
		s.logVerdict(env, "accept", nil, "", "no recipients")
		return gomilter.RespContinue
	}
	if err := s.dispatch(ctx, env, raw, res); err != nil {
		return s.failed(env, ds, err)
	}
	if len(ds) > 1 {
		if err := s.split(ctx, env, res, m); err != nil {
			// Never fail open here: recipients may already be removed, and
			// a tempfail is the only answer that loses no group's copy.
			s.logVerdict(env, "tempfail", ds, "", err.Error())
			return tempfailResponse()
		}
	}
	resp, action, err := s.apply(ds[0], res.Message, m)
	if err != nil {
		return s.failed(env, ds, err)
	}
	s.logVerdict(env, action, ds, replyOf(resp), "")
	return resp
}

// dispatch runs the side requests of every Decision. Only a quarantine
// copy that was not stored is an error here; a notice that was not sent
// is logged by the Dispatcher and does not hold the message back.
func (s *Server) dispatch(ctx context.Context, env *filter.Envelope, raw []byte, res *filter.Result) error {
	for _, d := range res.Decisions {
		if len(d.Quarantine) == 0 && len(d.Notify) == 0 {
			continue
		}
		if s.opts.Dispatch == nil {
			if len(d.Quarantine) > 0 {
				return fmt.Errorf("group %s: quarantine requested, but no quarantine is configured", d.Group)
			}
			s.log.Warn("notices not sent: no notifier configured", "queue_id", env.QueueID, "group", d.Group)
			continue
		}
		if err := s.opts.Dispatch.Run(ctx, d, env, raw, res.Message.Header); dispatch.MustTempfail(err) {
			return fmt.Errorf("group %s: %w", d.Group, err)
		}
	}
	return nil
}

// failed is the verdict after an internal failure: tempfail, or accept
// unchanged under FailOpen. Either way the reason goes to the log.
func (s *Server) failed(env *filter.Envelope, ds []*decision.Decision, err error) gomilter.Response {
	if s.opts.FailOpen {
		s.logVerdict(env, "accept (fail open)", ds, "", err.Error())
		return gomilter.RespAccept
	}
	s.logVerdict(env, "tempfail", ds, "", err.Error())
	return tempfailResponse()
}

// apply carries out the session's own Decision.
func (s *Server) apply(d *decision.Decision, msg *mimetree.Message, m *gomilter.Modifier) (gomilter.Response, string, error) {
	switch d.Disposition {
	case decision.Deliver:
		if err := modify(d, msg, m); err != nil {
			return nil, "", err
		}
		// SMFIR_CONTINUE at end of message works as SMFIR_ACCEPT
		// (milter-protocol.txt, 'c').
		return gomilter.RespContinue, "accept", nil
	case decision.Block:
		if s.opts.Hold && len(d.Quarantine) > 0 {
			// The MTA keeps the message on hold, where postsuper -H (or
			// Sendmail's -qQ) can release it: the quarantine copy is then
			// a record, not the only one.
			if err := m.Quarantine("mailgw: " + d.Quarantine[0].Statuses[0]); err != nil {
				return nil, "", fmt.Errorf("asking the MTA to hold the message: %w", err)
			}
			return gomilter.RespContinue, "hold", nil
		}
		return gomilter.RespDiscard, "discard", nil
	case decision.Reject:
		return replyResponse(d.Reply, 5, genericReject), "reject", nil
	case decision.Tempfail:
		return replyResponse(d.Reply, 4, decision.TempfailReply()), "tempfail", nil
	}
	return nil, "", fmt.Errorf("unknown disposition %q", d.Disposition)
}

// modify sends the Plan's header operations in order, then the new body.
func modify(d *decision.Decision, msg *mimetree.Message, m *gomilter.Modifier) error {
	p, err := d.Plan(msg)
	if err != nil {
		return err
	}
	for _, mod := range p.HeaderMods {
		if err := headerAction(mod, m); err != nil {
			return fmt.Errorf("sending %s %s: %w", mod.Op, mod.Name, err)
		}
	}
	if !p.BodyChanged {
		return nil
	}
	// go-milter converts CRLF to LF per packet; converting first keeps a
	// CRLF split across two packets from leaving a stray CR.
	body := bytes.ReplaceAll(p.Body, []byte("\r\n"), []byte("\n"))
	for len(body) > 0 {
		n := min(len(body), bodyChunk)
		if err := m.ReplaceBody(body[:n]); err != nil {
			return fmt.Errorf("replacing body: %w", err)
		}
		body = body[n:]
	}
	return nil
}

// headerAction maps a Plan operation onto SMFIR_ADDHEADER or
// SMFIR_CHGHEADER; the Plan already uses milter semantics (1-based index
// per name, an empty value deletes). go-milter sends a folded value
// (decision.Fold) with bare LF line breaks, the form in which Postfix and
// Sendmail take a multi-line header from a milter.
func headerAction(mod decision.Modification, m *gomilter.Modifier) error {
	switch mod.Op {
	case decision.HeaderAdd:
		return m.AddHeader(mod.Name, mod.Value)
	case decision.HeaderChange:
		return m.ChangeHeader(mod.Index, mod.Name, mod.Value)
	case decision.HeaderDelete:
		return m.ChangeHeader(mod.Index, mod.Name, "")
	}
	return fmt.Errorf("not a header operation: %s", mod.Op)
}

// replyResponse is SMFIR_REPLYCODE with r when r has the wanted class
// (4 or 5), else with def. The data is "CODE ENHANCED TEXT" NUL-terminated;
// '%' is doubled because Sendmail expands it in reply texts.
func replyResponse(r *decision.Reply, class int, def decision.Reply) gomilter.Response {
	if r == nil || r.Code/100 != class {
		r = &def
	}
	rr := *r
	rr.Text = strings.ReplaceAll(strings.ReplaceAll(rr.Text, "\r", " "), "\n", " ")
	rr.Text = strings.ReplaceAll(rr.Text, "%", "%%")
	return gomilter.NewResponseStr(smfirReplyCode, rr.String())
}

func tempfailResponse() gomilter.Response {
	return replyResponse(nil, 4, decision.TempfailReply())
}

// replyOf returns the SMTP reply inside a SMFIR_REPLYCODE response.
func replyOf(r gomilter.Response) string {
	msg := r.Response()
	if msg.Code != smfirReplyCode {
		return ""
	}
	return strings.TrimRight(string(msg.Data), "\x00")
}

func (s *Server) logVerdict(env *filter.Envelope, action string, ds []*decision.Decision, reply, errText string) {
	groups := make([]string, len(ds))
	for i, d := range ds {
		groups[i] = d.Group + ":" + string(d.Disposition)
	}
	attrs := []any{"queue_id", env.QueueID, "action", action, "groups", groups, "recipients", len(env.Rcpts)}
	if reply != "" {
		attrs = append(attrs, "reply", reply)
	}
	if errText != "" {
		s.log.Error("milter verdict", append(attrs, "error", errText)...)
		return
	}
	if len(ds) == 1 && reply == "" && (action == "accept" || action == "discard") {
		// The filter's decision line already says all of it (queue id,
		// group, disposition): a second line per message would double the
		// log of a busy gateway for nothing.
		s.log.Debug("milter verdict", attrs...)
		return
	}
	s.log.Info("milter verdict", attrs...)
}
