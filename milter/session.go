package milter

import (
	"context"
	"fmt"
	"net"
	"net/textproto"
	"runtime/debug"
	"strings"

	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/policy"
	"github.com/mailgw/mailgw/service"
)

// macroQueueID is Sendmail's queue id macro `i` (milter-protocol.txt,
// SMFIC_MACRO 'M'); Postfix sends it by default with MAIL FROM and at end
// of message.
const macroQueueID = "i"

// unknownHost is the host name Postfix and Sendmail pass to SMFIC_CONNECT
// when the client's address has no verified name.
const unknownHost = "unknown"

// session is one message of a connection: go-milter makes a new one after
// each verdict; the client data live in the shared conn.
type session struct {
	c       *conn
	queueID string
	from    string
	rcpts   []string
	group   string      // policy group of rcpts[0], under service.SplitDefer
	access  accessFacts // the connection's facts with this sender's
	// msg is the message as received: header fields, then the blank
	// line at the end of the header (eoh), then the body.
	msg []byte
	eoh bool
}

var _ gomilter.Milter = (*session)(nil)

func newSession(c *conn) *session { return &session{c: c, msg: c.spare} }

// Connect keeps the client's address and verified name for every message
// of the SMTP session.
func (s *session) Connect(host, family string, port uint16, addr net.IP, m *gomilter.Modifier) (gomilter.Response, error) {
	s.c.setClient(func(cd *clientData) {
		*cd = clientData{}
		if addr != nil {
			cd.ip = addr.String()
		}
		if host != unknownHost && !strings.HasPrefix(host, "[") {
			cd.host = host // Postfix passes "[addr]" or "unknown" when the name is not verified
		}
	})
	return s.checkConnect(clientIP(s.c.clientData().ip)), nil
}

func (s *session) Helo(name string, m *gomilter.Modifier) (gomilter.Response, error) {
	s.c.setClient(func(cd *clientData) { cd.helo = name })
	return s.checkHelo(name), nil
}

func (s *session) MailFrom(from string, m *gomilter.Modifier) (gomilter.Response, error) {
	s.c.setBusy(true)
	s.from = from
	s.noteQueueID(m)
	return s.checkMailFrom(), nil
}

// RcptTo collects the recipients. Under service.SplitDefer a recipient of another
// group than the first one gets a temporary 452: the client keeps it for a
// new transaction (RFC 5321 4.5.3.1.10), so each message has one group
// and one variant.
func (s *session) RcptTo(rcpt string, m *gomilter.Modifier) (gomilter.Response, error) {
	if resp := s.checkRcpt(rcpt); resp != gomilter.RespContinue {
		return resp, nil
	}
	opts := &s.c.srv.opts
	if opts.Split == service.SplitDefer && opts.GroupOf != nil {
		env := s.envelope()
		g := opts.GroupOf(policy.Sender{Address: env.From, IP: env.ClientIP, Host: env.ClientHost}, rcpt)
		if len(s.rcpts) == 0 {
			s.group = g
		} else if g != s.group {
			return replyResponse(nil, 4, deferReply), nil
		}
	}
	s.rcpts = append(s.rcpts, rcpt)
	return gomilter.RespContinue, nil
}

// Header rebuilds the header field as it was received. Without
// SMFIP_HDR_LEADSPC (a version 6 option) the MTA strips the space after
// the colon; folded values arrive with bare LF line breaks.
func (s *session) Header(name, value string, m *gomilter.Modifier) (gomilter.Response, error) {
	s.msg = append(append(append(append(s.msg, name...), ": "...), toCRLF(value)...), "\r\n"...)
	return gomilter.RespContinue, nil
}

func (s *session) Headers(h textproto.MIMEHeader, m *gomilter.Modifier) (gomilter.Response, error) {
	s.endHeader()
	return gomilter.RespContinue, nil
}

// endHeader adds the blank line that ends the header, once.
func (s *session) endHeader() {
	if !s.eoh {
		s.msg, s.eoh = append(s.msg, "\r\n"...), true
	}
}

func (s *session) BodyChunk(chunk []byte, m *gomilter.Modifier) (gomilter.Response, error) {
	s.endHeader()
	s.msg = append(s.msg, chunk...)
	return gomilter.RespContinue, nil
}

// Abort ends the message without a verdict (RSET, or the client left);
// the connection data stay.
func (s *session) Abort(m *gomilter.Modifier) error {
	s.reset()
	return nil
}

// reset readies the session for the next message of the connection: go-milter
// keeps the same session after a verdict of SMFIR_CONTINUE or
// SMFIR_REPLYCODE, and makes a new one after the others.
//
// The message buffer is kept for the next message (in conn, since go-milter
// may make a new session): nothing holds on to a message after its
// verdict, and a connection carries messages of similar sizes.
func (s *session) reset() {
	s.c.spare = nil
	if cap(s.msg) <= maxKeptMessage {
		s.c.spare = s.msg[:0]
	}
	*s = session{c: s.c, msg: s.c.spare}
	s.c.setBusy(false)
}

// maxKeptMessage is the largest message buffer a connection keeps between
// messages.
const maxKeptMessage = 1 << 20

// Body is the end of the message: filter it and carry out the Decisions.
// A panic anywhere in here is a temporary failure for the client, never a
// lost message.
func (s *session) Body(m *gomilter.Modifier) (resp gomilter.Response, err error) {
	defer s.reset()
	s.noteQueueID(m)
	srv := s.c.srv
	defer func() {
		if r := recover(); r != nil {
			srv.log.Error("milter verdict", "queue_id", s.queueID, "action", "tempfail",
				"error", fmt.Sprintf("internal error: %v\n%s", r, debug.Stack()))
			resp, err = tempfailResponse(), nil
			if srv.opts.FailOpen {
				resp = gomilter.RespAccept
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), srv.opts.Timeout)
	defer cancel()
	env := s.envelope()
	raw := s.raw()
	res := srv.proc.Process(ctx, env, raw)
	return srv.carryOut(ctx, env, raw, res, m), nil
}

func (s *session) noteQueueID(m *gomilter.Modifier) {
	if id := m.Macros[macroQueueID]; id != "" {
		s.queueID = id
	}
}

func (s *session) envelope() *filter.Envelope {
	cd := s.c.clientData()
	env := &filter.Envelope{QueueID: s.queueID, From: s.from, Rcpts: s.rcpts, ClientHost: cd.host, Helo: cd.helo}
	env.ClientIP = clientIP(cd.ip)
	return env
}

// raw is the message as the MTA received it: header, blank line, body
// (which the MTA sends with CRLF line endings). It is valid until reset.
func (s *session) raw() []byte {
	s.endHeader()
	return s.msg
}

func toCRLF(v string) string {
	return strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\n", "\r\n")
}
