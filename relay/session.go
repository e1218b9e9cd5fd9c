package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/queue"
)

// SMTP replies of the receiving side, each with its RFC 5321 reply code
// and RFC 3463 enhanced status code.
var (
	// errDenied: an access rule refused the client, sender or recipient
	// (550, 5.7.1 "delivery not authorized, message refused").
	errDenied = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Access denied"}
	// errRelayDenied: the recipient is not ours and the client may not
	// relay (554 5.7.1, as Postfix's "Relay access denied").
	errRelayDenied = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relay access denied"}
	// errQueueFull: MinimalQueueFreeSpaceSize reached (452, 4.3.1 "mail
	// system full").
	errQueueFull = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient system storage, try again later"}
	// errTooManyMessages: MaximalIncomingMessagesPerSession (421 closes
	// nothing here; 451 4.7.0 asks for a new session later).
	errTooManyMessages = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages in this session, reconnect"}
	// errSessionTooBig: MaximalIncomingSessionSize (552 5.3.4 "message
	// too big for system").
	errSessionTooBig = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Session size limit exceeded"}
	// errDataAborted: the data did not arrive (timeout, broken
	// connection); 451 4.4.2 "bad connection".
	errDataAborted = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Message data not received, try again later"}
	// errTempfail is the generic temporary failure (451 4.3.0); details go
	// to the log.
	// errDNSTempfail: a lookup an access rule depends on failed
	// temporarily (451 4.4.3 "directory server failure").
	errDNSTempfail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 3}, Message: "Temporary lookup failure, please try again later"}
	errTempfail    = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, please try again later"}
)

// backend makes one session per SMTP connection (and a new one after
// STARTTLS).
type backend struct{ srv *Server }

var _ smtp.Backend = backend{}

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	tc := timedOf(c.Conn())
	if tc == nil {
		return nil, errTempfail
	}
	s := &session{srv: b.srv, conn: c, tc: tc}
	s.facts.ClientIP = remoteIP(tc.Conn)
	ctx, cancel := b.srv.dnsContext()
	defer cancel()
	s.lookupClient(ctx)
	if s.dnsErr != nil {
		// Decided at RCPT, where the rules' recipient masks are known.
	} else if v := b.srv.rt.load().Access.Connect(s.facts, ""); !v.Allow {
		b.srv.log.Info("connection denied", "client_ip", s.facts.ClientIP.String(), "rule", v.Rule, "at", v.Pos.String())
		return nil, errDenied
	}
	return s, nil
}

// timedOf finds our connection under go-smtp's (a *tls.Conn after
// STARTTLS).
func timedOf(nc net.Conn) *timedConn {
	for {
		switch c := nc.(type) {
		case *timedConn:
			return c
		case *tls.Conn:
			nc = c.NetConn()
		default:
			return nil
		}
	}
}

// session is one SMTP connection's state for go-smtp.
type session struct {
	srv   *Server
	conn  *smtp.Conn
	tc    *timedConn
	facts access.Facts
	host  string // verified reverse name of the client, "" when none
	// dnsErr is the outage that left a fact of the connection unknown;
	// every recipient of the session is tempfailed.
	dnsErr error

	from     string
	mailOpts smtp.MailOptions
	rcpts    []queue.Recipient
}

var _ smtp.Session = (*session)(nil)

func (s *session) Reset() {
	s.from, s.mailOpts, s.rcpts = "", smtp.MailOptions{}, nil
	s.tc.setPhase(phaseCommand)
}

func (s *session) Logout() error { return nil }

// Mail starts a transaction after the per-session limits and the queue's
// free space allow it.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.Reset()
	rt := s.srv.rt.load()
	if s.tc.messages >= rt.Service.Limits.MaximalIncomingMessagesPerSession {
		return errTooManyMessages
	}
	if min := rt.Service.Limits.MinimalQueueFreeSpaceSize; min > 0 {
		free, err := s.srv.queue.FreeSpace()
		if err != nil || free < min {
			s.srv.log.Warn("queue free space below MinimalQueueFreeSpaceSize", "free", free, "error", err)
			return errQueueFull
		}
	}
	s.from = from
	if opts != nil {
		s.mailOpts = *opts
	}
	return nil
}

// Rcpt checks the access rules for this recipient: ConnectRule, HeloRule
// and MailfromRule (whose masks may name recipients), then RelayRule.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	rt := s.srv.rt.load()
	ctx, cancel := s.srv.dnsContext()
	defer cancel()
	a := rt.Access
	if err := s.lookupSender(ctx, a); err != nil || s.dnsErr != nil {
		s.srv.log.Warn("recipient tempfailed: access rule lookup", "client_ip", s.facts.ClientIP.String(), "rcpt", to,
			"error", errors.Join(s.dnsErr, err))
		return errDNSTempfail
	}
	if v := a.Recipient(s.facts, s.from, to); !v.Allow {
		s.srv.log.Info("recipient denied", "client_ip", s.facts.ClientIP.String(), "rcpt", to, "rule", v.Rule, "at", v.Pos.String())
		return errDenied
	}
	if v := a.Relay(s.facts.ClientIP, to); !v.Allow {
		s.srv.log.Info("relay denied", "client_ip", s.facts.ClientIP.String(), "rcpt", to, "rule", v.Rule, "at", v.Pos.String())
		return errRelayDenied
	}
	r := queue.Recipient{Addr: to}
	if opts != nil {
		for _, n := range opts.Notify {
			r.Notify = append(r.Notify, string(n))
		}
		if opts.OriginalRecipient != "" {
			r.ORCPT = strings.ToLower(string(opts.OriginalRecipientType)) + ";" + opts.OriginalRecipient
		}
	}
	s.rcpts = append(s.rcpts, r)
	s.tc.setPhase(phaseRcpt)
	return nil
}

// Data reads the message and accepts, refuses or tempfails it. go-smtp
// reads the rest of the data itself when Data returns early.
func (s *session) Data(r io.Reader) error {
	s.tc.setPhase(phaseData)
	defer s.tc.setPhase(phaseCommand)
	s.tc.messages++ // refused messages count too: the limit is on attempts
	lim := s.srv.rt.load().Service.Limits
	raw, err := readData(r, s.mailOpts.Size, lim.MaximalIncomingMessageSize)
	s.tc.bytes += int64(len(raw))
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se // the message size limit
		}
		s.srv.log.Info("message data not received", "client_ip", s.facts.ClientIP.String(), "error", err)
		return errDataAborted
	}
	if s.tc.bytes > lim.MaximalIncomingSessionSize {
		return errSessionTooBig
	}
	if err := checkLineEnds(raw); err != nil {
		s.srv.log.Warn("message refused: bare CR or LF in DATA", "client_ip", s.facts.ClientIP.String(), "error", err)
		return errBareLineEnd
	}
	s.tc.setPhase(phaseFinished)
	return s.srv.accept(context.Background(), s.transaction(raw))
}

// readData reads a message into a buffer of the size the client
// declared in MAIL FROM (RFC 1870 SIZE), at most limit, so that a large
// message is not copied again at every growth of the buffer; without a
// declaration the buffer doubles as it fills.
func readData(r io.Reader, declared, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if declared > 0 {
		buf.Grow(int(min(declared, limit)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// transaction is what accept needs of this session's message.
func (s *session) transaction(raw []byte) *transaction {
	_, tlsOn := s.conn.TLSConnectionState()
	return &transaction{from: s.from, opts: s.mailOpts, rcpts: s.rcpts, raw: raw,
		clientIP: s.facts.ClientIP, clientHost: s.host, helo: s.conn.Hostname(), tls: tlsOn}
}

// lookupClient finds the facts ConnectRule needs: the client's verified
// name and DNSBL score (package dnsfacts).
func (s *session) lookupClient(ctx context.Context) {
	c, err := s.srv.facts(s.srv.rt.load()).Client(ctx, &s.facts)
	s.host, s.dnsErr = c.Host, err
	if len(c.Unanswered) > 0 {
		s.srv.log.Warn("DNSBL did not answer: counted as not listing", "client_ip", s.facts.ClientIP.String(), "zones", c.Unanswered)
	}
}

// lookupSender finds the facts of HeloRule and MailfromRule, once per
// transaction and only when rules ask for them.
func (s *session) lookupSender(ctx context.Context, a *access.Access) error {
	if len(s.rcpts) > 0 {
		return nil // looked up at the first recipient
	}
	l := dnsfacts.Lookup{Access: a, Resolver: s.srv.accessDNS}
	return errors.Join(l.Helo(ctx, &s.facts, s.conn.Hostname()), l.Mailfrom(ctx, &s.facts, s.from))
}

// clientIPString is ip as text, "" when unknown.
func clientIPString(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}
