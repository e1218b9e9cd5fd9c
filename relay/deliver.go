package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/queue"
	"github.com/mailgw/mailgw/routing"
)

// replyClosing is the reply of a server that is closing the session
// (RFC 5321 §3.8, §4.2.3): to MAIL on a cached session it usually means
// the server timed the idle session out, not that it refuses the mail.
const replyClosing = 421

// DSN statuses of DNS failures: RFC 3463 5.1.2 "bad destination system
// address" for a domain that does not exist, RFC 7505 §4.2's 5.1.10 for
// a null MX.
const (
	statusBadDomain = "5.1.2"
	statusNullMX    = "5.1.10"
)

// outcome is what happened to one recipient in one attempt.
type outcome struct {
	rcpt      queue.Recipient
	permanent bool   // 5xx, no such domain: bounce now
	ok        bool   // delivered
	reply     string // the last reply or error, for logs and DSNs
	remote    string // the host that answered
	status    string // RFC 3463 status for a DSN when reply is not an SMTP reply
}

// attempt tries every recipient of e once, grouped by destination.
func (d *Sender) attempt(ctx context.Context, e queue.Entry, data []byte) []outcome {
	rt := d.srv.rt.load()
	groups := map[string][]queue.Recipient{}
	routes := map[string]routing.Route{}
	var order []string
	for _, r := range e.Rcpts {
		rte := rt.Routes.Route(r.Addr)
		key := rte.Kind.String() + " " + rte.Host + ":" + strconv.Itoa(rte.Port)
		if _, ok := groups[key]; !ok {
			order = append(order, key)
			routes[key] = rte
		}
		groups[key] = append(groups[key], r)
	}
	var out []outcome
	for _, key := range order {
		out = append(out, d.toDestination(ctx, e, data, routes[key], groups[key])...)
	}
	return out
}

// toDestination delivers rcpts along one route, trying its hosts in
// order until one of them answers for the recipients.
func (d *Sender) toDestination(ctx context.Context, e queue.Entry, data []byte, rte routing.Route, rcpts []queue.Recipient) []outcome {
	targets, err := d.targets(ctx, rte)
	if err != nil {
		out := allOutcomes(rcpts, false, err.Error(), "")
		for i := range out {
			switch {
			case errors.Is(err, errNoDomain):
				out[i].permanent, out[i].status = true, statusBadDomain
			case errors.Is(err, errNullMX):
				out[i].permanent, out[i].status = true, statusNullMX
			}
		}
		return out
	}
	res := allOutcomes(rcpts, false, "no mail host could be reached", "")
	for _, addr := range targets {
		r, reached := d.deliverTo(ctx, addr, e, data, rcpts)
		if reached {
			return r
		}
		res = r
	}
	return res
}

// targets are the host:port addresses of a route. A [host] route is used
// as given (the system resolver handles names such as localhost); MX
// hosts are resolved with the relay's resolver.
func (d *Sender) targets(ctx context.Context, rte routing.Route) ([]string, error) {
	port := strconv.Itoa(rte.Port)
	if rte.Kind == routing.Host {
		return []string{net.JoinHostPort(rte.Host, port)}, nil
	}
	mx, err := d.srv.resolver.MX(ctx, rte.Host)
	if err != nil {
		return nil, err
	}
	if rte.Kind != routing.Host && d.srv.opts.MXPort != 0 {
		port = strconv.Itoa(d.srv.opts.MXPort)
	}
	var out []string
	for _, h := range mx.hosts {
		for _, ip := range d.srv.resolver.Addrs(ctx, h) {
			out = append(out, net.JoinHostPort(ip.String(), port))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no address for the mail hosts of %s", rte.Host)
	}
	return out, nil
}

func allOutcomes(rcpts []queue.Recipient, perm bool, reply, remote string) []outcome {
	out := make([]outcome, len(rcpts))
	for i, r := range rcpts {
		out[i] = outcome{rcpt: r, permanent: perm, reply: reply, remote: remote}
	}
	return out
}

// deliverTo delivers over a session to addr: an idle one from the cache
// when there is one, else a new one. reached is false when the host
// could not be talked to at all, so that the next MX is tried.
func (d *Sender) deliverTo(ctx context.Context, addr string, e queue.Entry, data []byte, rcpts []queue.Recipient) ([]outcome, bool) {
	release, err := d.hostSlot(ctx, addr)
	if err != nil {
		return allOutcomes(rcpts, false, err.Error(), addr), false
	}
	defer release()
	if cc := d.conns.take(addr); cc != nil {
		if out, ok := d.reuse(ctx, cc, addr, e, data, rcpts); ok {
			return out, true
		}
	}
	out, reached, tlsFailed := d.session(ctx, addr, e, data, rcpts, true)
	if tlsFailed {
		// Opportunistic TLS: a server that offers STARTTLS but fails the
		// handshake still gets the mail in clear text.
		out, reached, _ = d.session(ctx, addr, e, data, rcpts, false)
	}
	return out, reached
}

// reuse runs one transaction on a cached session. ok is false when the
// session was dead or closing before the host answered MAIL (it timed
// the idle session out): then nothing was sent and the caller opens a
// new session.
func (d *Sender) reuse(ctx context.Context, cc *cachedConn, addr string, e queue.Entry, data []byte, rcpts []queue.Recipient) (out []outcome, ok bool) {
	stop := context.AfterFunc(ctx, func() { cc.nc.Close() })
	out, answered, reusable := d.transfer(cc.c, addr, e, data, rcpts)
	if !answered {
		stop()
		cc.c.Close()
		return nil, false
	}
	d.keep(ctx, stop, addr, cc, reusable)
	return out, true
}

// keep gives a session back to the cache after a transaction, or ends
// it: when the transaction left it in doubt, or ctx ended (stop, the
// guard that closes the connection then, has already run).
func (d *Sender) keep(ctx context.Context, stop func() bool, addr string, cc *cachedConn, reusable bool) {
	cc.quit = d.srv.rt.load().Service.Timeouts.SendingQuitTimeout
	if !stop() || ctx.Err() != nil {
		cc.c.Close()
		return
	}
	if !reusable {
		cc.close()
		return
	}
	d.conns.put(addr, cc)
}

// session opens a new client session and runs one transaction on it; see
// deliverTo.
func (d *Sender) session(ctx context.Context, addr string, e queue.Entry, data []byte, rcpts []queue.Recipient, useTLS bool) (out []outcome, reached, tlsFailed bool) {
	t := d.srv.rt.load().Service.Timeouts
	dialer := net.Dialer{Timeout: t.SendingInitialTimeout}
	nc, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return allOutcomes(rcpts, false, err.Error(), addr), false, false
	}
	opened := time.Now()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	helo := d.srv.rt.load().Service.Network.Hostname
	conn, _, err := openTLS(nc, helo, addr, useTLS, max(t.SendingInitialTimeout, t.SendingHelloTimeout))
	if err != nil {
		stop()
		nc.Close()
		var re *peerReply
		if errors.As(err, &re) {
			return failed(rcpts, err, addr), true, false
		}
		return allOutcomes(rcpts, false, err.Error(), addr), false, errors.Is(err, errTLSHandshake)
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = max(t.SendingInitialTimeout, t.SendingHelloTimeout)
	if err := c.Hello(helo); err != nil {
		stop()
		c.Close()
		return failed(rcpts, err, addr), isReply(err), false
	}
	out, _, reusable := d.transfer(c, addr, e, data, rcpts)
	d.keep(ctx, stop, addr, &cachedConn{nc: nc, c: c, opened: opened}, reusable)
	return out, true, false
}

// transfer runs MAIL, RCPT and DATA on an open client. answered is false
// when MAIL got no reply at all or 421 (a dead or closing session:
// nothing was sent, another session may succeed); reusable is true
// when the session ended the transaction cleanly (the message accepted,
// or every recipient refused and RSET accepted), ready for the next.
func (d *Sender) transfer(c *smtp.Client, addr string, e queue.Entry, data []byte, rcpts []queue.Recipient) (out []outcome, answered, reusable bool) {
	t := d.srv.rt.load().Service.Timeouts
	c.CommandTimeout = t.SendingMailTimeout
	opts := &smtp.MailOptions{Size: int64(len(data)), UTF8: e.UTF8, Return: smtp.DSNReturn(e.Ret), EnvelopeID: e.EnvID}
	if err := c.Mail(e.From, opts); err != nil {
		var se *smtp.SMTPError
		answered := errors.As(err, &se) && se.Code != replyClosing
		return failed(rcpts, err, addr), answered, false
	}
	c.CommandTimeout = t.SendingRcptTimeout
	out = make([]outcome, len(rcpts))
	var accepted []int
	for i, r := range rcpts {
		out[i] = outcome{rcpt: r, remote: addr}
		if err := c.Rcpt(r.Addr, rcptOptions(r)); err != nil {
			out[i].permanent, out[i].reply = classify(err)
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		return out, true, c.Reset() == nil
	}
	c.CommandTimeout = t.SendingDataInitiationTimeout
	c.SubmissionTimeout = t.SendingDataTerminationTimeout
	err := sendData(c, data)
	for _, i := range accepted {
		if err != nil {
			out[i].permanent, out[i].reply = classify(err)
			continue
		}
		out[i].ok, out[i].reply = true, "250 accepted"
	}
	return out, true, err == nil
}

func sendData(c *smtp.Client, data []byte) error {
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := bytes.NewReader(data).WriteTo(w); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// rcptOptions passes the DSN parameters on (RFC 3461 §4.1, §4.2).
func rcptOptions(r queue.Recipient) *smtp.RcptOptions {
	o := &smtp.RcptOptions{}
	for _, n := range r.Notify {
		o.Notify = append(o.Notify, smtp.DSNNotify(n))
	}
	if typ, addr, ok := strings.Cut(r.ORCPT, ";"); ok {
		o.OriginalRecipientType, o.OriginalRecipient = smtp.DSNAddressType(strings.ToUpper(typ)), addr
	}
	return o
}

// failed gives every recipient the outcome of err.
func failed(rcpts []queue.Recipient, err error, addr string) []outcome {
	perm, reply := classify(err)
	return allOutcomes(rcpts, perm, reply, addr)
}

// classify: a 5xx reply is permanent; any other error (4xx, network,
// timeout) is temporary.
func classify(err error) (permanent bool, reply string) {
	var re *peerReply
	if errors.As(err, &re) {
		return re.code/100 == 5, re.msg
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code/100 == 5, replyString(se)
	}
	return false, err.Error()
}

// replyString writes a server's reply as received: the enhanced code only
// when the server gave one.
func replyString(se *smtp.SMTPError) string {
	ec := se.EnhancedCode
	if ec[0] <= 0 || ec[1] < 0 || ec[2] < 0 {
		return fmt.Sprintf("%d %s", se.Code, oneLine(se.Message))
	}
	return fmt.Sprintf("%d %d.%d.%d %s", se.Code, ec[0], ec[1], ec[2], oneLine(se.Message))
}

func isReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// backoff is the wait after the n-th failed attempt: MinimalBackoffTime
// doubled each time, up to MaximalBackoffTime.
func (d *Sender) backoff(n int) time.Duration {
	t := d.srv.rt.load().Service.Timeouts
	lo, hi := t.MinimalBackoffTime, t.MaximalBackoffTime
	if d.srv.opts.MinBackoff > 0 {
		lo = d.srv.opts.MinBackoff
	}
	if d.srv.opts.MaxBackoff > 0 {
		hi = d.srv.opts.MaxBackoff
	}
	b := lo
	for i := 1; i < n && b < hi; i++ {
		b *= 2
	}
	return min(b, hi)
}
