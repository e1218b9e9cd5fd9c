package milter

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/decision"
)

// Replies of the access rules; the relay gives the same ones, so that a
// client is told the same in both deployments.
var (
	// accessDeniedReply: a rule refused the client, sender or recipient
	// (RFC 3463 5.7.1 "delivery not authorized, message refused").
	accessDeniedReply = decision.Reply{Code: 550, Enhanced: "5.7.1", Text: "Access denied"}
	// dnsTempfailReply: a lookup a rule depends on failed temporarily
	// (RFC 3463 4.4.3 "directory server failure").
	dnsTempfailReply = decision.Reply{Code: 451, Enhanced: "4.4.3", Text: "Temporary lookup failure, please try again later"}
)

// accessTimeout bounds the lookups of one stage, below Postfix's
// milter_command_timeout (30 s) so that the MTA hears a verdict, not a
// timeout.
const accessTimeout = 20 * time.Second

// accessFacts are the facts of the connection (connect and HELO stages)
// with the outage that left one of them unknown.
type accessFacts struct {
	facts  access.Facts
	dnsErr error
}

// lookup is the current access-rule lookup; ok is false without rules.
func (s *session) lookup() (l dnsfacts.Lookup, ok bool) {
	if s.c.srv.opts.Access == nil {
		return l, false
	}
	l = s.c.srv.opts.Access()
	return l, l.Access != nil
}

// checkConnect looks up the client's facts and applies ConnectRule with
// the rules whose recipient mask matches any recipient; the others wait
// for RCPT. An outage is answered at RCPT as well, so that the MTA's
// milter_default_action does not decide it.
func (s *session) checkConnect(ip netip.Addr) gomilter.Response {
	l, ok := s.lookup()
	if !ok {
		return gomilter.RespContinue
	}
	ctx, cancel := context.WithTimeout(context.Background(), accessTimeout)
	defer cancel()
	af := accessFacts{facts: access.Facts{ClientIP: ip}}
	c, err := l.Client(ctx, &af.facts)
	af.dnsErr = err
	if len(c.Unanswered) > 0 {
		s.c.srv.log.Warn("DNSBL did not answer: counted as not listing", "client_ip", ip.String(), "zones", c.Unanswered)
	}
	s.c.setClient(func(cd *clientData) { cd.access = af })
	if err != nil {
		return gomilter.RespContinue
	}
	return s.accessVerdict(l.Access.Connect(af.facts, ""), "")
}

// checkHelo looks up the HELO name and applies HeloRule as checkConnect
// does ConnectRule.
func (s *session) checkHelo(name string) gomilter.Response {
	l, ok := s.lookup()
	if !ok {
		return gomilter.RespContinue
	}
	ctx, cancel := context.WithTimeout(context.Background(), accessTimeout)
	defer cancel()
	af := s.c.clientData().access
	err := l.Helo(ctx, &af.facts, name)
	af.dnsErr = errors.Join(af.dnsErr, err)
	s.c.setClient(func(cd *clientData) { cd.access = af })
	if af.dnsErr != nil {
		return gomilter.RespContinue
	}
	return s.accessVerdict(l.Access.Helo(af.facts, ""), "")
}

// checkMailFrom looks up the sender's domain for this transaction and
// applies MailfromRule; the null sender is not judged (see
// access.Access.Mailfrom).
func (s *session) checkMailFrom() gomilter.Response {
	l, ok := s.lookup()
	if !ok {
		return gomilter.RespContinue
	}
	ctx, cancel := context.WithTimeout(context.Background(), accessTimeout)
	defer cancel()
	s.access = s.c.clientData().access
	err := l.Mailfrom(ctx, &s.access.facts, s.from)
	s.access.dnsErr = errors.Join(s.access.dnsErr, err)
	if s.access.dnsErr != nil || s.from == "" {
		return gomilter.RespContinue
	}
	return s.accessVerdict(l.Access.Mailfrom(s.access.facts, ""), "")
}

// checkRcpt applies all three rule lists with the recipient, and answers
// an outage of any stage with a temporary failure.
func (s *session) checkRcpt(rcpt string) gomilter.Response {
	l, ok := s.lookup()
	if !ok {
		return gomilter.RespContinue
	}
	if err := s.access.dnsErr; err != nil {
		s.c.srv.log.Warn("recipient tempfailed: access rule lookup", "client_ip", s.access.facts.ClientIP.String(), "rcpt", rcpt, "error", err)
		return replyResponse(nil, 4, dnsTempfailReply)
	}
	return s.accessVerdict(l.Access.Recipient(s.access.facts, s.from, rcpt), rcpt)
}

// accessVerdict is the response to v, logged when it denies.
func (s *session) accessVerdict(v access.Verdict, rcpt string) gomilter.Response {
	if v.Allow {
		return gomilter.RespContinue
	}
	s.c.srv.log.Info("access denied", "client_ip", s.c.clientData().access.facts.ClientIP.String(), "rcpt", rcpt,
		"rule", v.Rule, "at", v.Pos.String())
	return replyResponse(nil, 5, accessDeniedReply)
}

// clientIP is the address the MTA gave at connect, IPv4-mapped addresses
// as IPv4; the zero Addr when it gave none (a local submission).
func clientIP(text string) netip.Addr {
	ip, err := netip.ParseAddr(strings.TrimPrefix(text, "IPv6:"))
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}
