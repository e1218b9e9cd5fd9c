// Package milter is the milter adapter: it speaks the Sendmail milter
// protocol (github.com/emersion/go-milter; the protocol is described in
// milter-protocol.txt shipped with that module) to Postfix or Sendmail,
// collects the envelope and the message, runs the core filter and carries
// out its Decisions with milter actions.
//
// go-milter negotiates protocol version 2. The connection (conn, wire.go)
// answers an MTA that offers version 6 with version 6 itself, to take
// header fields, body chunks, DATA and, when no access rule or deferred
// split can refuse anything there, the envelope stages without a reply
// each; otherwise it leaves go-milter's answer as it is. It asks for no macros
// (SMFIF_SETSYMLIST): everything the filter needs comes from the
// callbacks' arguments (Connect, Helo, MailFrom, RcptTo); the only macro
// read is the queue id `i`, which Postfix and Sendmail send by default with
// MAIL FROM and end of message. go-milter also forgets the connect and
// HELO data after each verdict; this package keeps them per connection
// itself (see conn).
package milter

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-message"
	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/policy"
	"github.com/mailgw/mailgw/service"
)

// Processor runs the core on one message. *filter.Filter is one; the daemon
// passes a value that swaps filters on reload.
type Processor interface {
	Process(ctx context.Context, env *filter.Envelope, raw []byte) *filter.Result
}

// Reinjector delivers one group's variant of a message to its recipients
// outside the milter session.
type Reinjector interface {
	Reinject(ctx context.Context, from string, rcpts []string, msg []byte) error
}

// Dispatcher carries out the quarantine and notification requests of one
// group copy's Decision, before the MTA gets the verdict. raw is the
// message as received and hdr its top-level header. A nil error means
// every request was carried out; an error for which MustTempfail is true
// means a quarantine copy was not stored, and the message must be
// tempfailed so the retry stores it; any other error (a notice that was
// not sent) is logged and the verdict stands. *dispatch.Dispatcher is one.
type Dispatcher interface {
	Run(ctx context.Context, dec *decision.Decision, env *filter.Envelope, raw []byte, hdr message.Header) error
}

var _ Dispatcher = (*dispatch.Dispatcher)(nil)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger // nil: slog.Default()
	// Split is service.SplitReinject or service.SplitDefer; "" is service.SplitReinject.
	Split string
	// Reinject carries other groups' variants under service.SplitReinject; nil
	// makes such messages tempfail.
	Reinject Reinjector
	// GroupOf names the policy group of one recipient; under service.SplitDefer
	// it lets RCPT TO refuse, for now, a recipient of another group than
	// the transaction's first. nil defers nothing at RCPT time.
	GroupOf func(sender policy.Sender, rcpt string) string
	// Dispatch carries out quarantine and notification requests. nil
	// makes a message whose Decisions ask for a quarantine copy tempfail
	// (a copy that cannot be kept must not be dropped unseen); notices
	// are then not sent.
	Dispatch Dispatcher
	// Hold asks the MTA to put a message on hold (SMFIR_QUARANTINE:
	// Postfix's hold queue, Sendmail's quarantine) instead of discarding
	// it, when the session's own Decision is a quarantined block.
	Hold bool
	// FailOpen accepts the message unchanged, instead of tempfailing it,
	// when the filter fails internally (panic, timeout, a quarantine that
	// could not be stored). It trades protection for availability.
	FailOpen bool
	// Access returns the current access rules (ConnectRule, HeloRule,
	// MailfromRule of [mailgw.access]) with the resolver of their lookups,
	// applied at the connect, HELO, MAIL and RCPT stages; nil applies
	// none. Relaying control (RelayRule) stays with the MTA.
	Access func() dnsfacts.Lookup
	// Timeout bounds the filter's work on one message; 0 is 5 minutes,
	// below Postfix's milter_content_timeout default of 300 s plus margin.
	Timeout time.Duration
}

// Actions are the modifications the milter announces in SMFIC_OPTNEG
// (milter-protocol.txt, "PROTOCOL NEGOTIATION"): header add/change
// (SMFIF_ADDHDRS, SMFIF_CHGHDRS), body replacement (SMFIF_CHGBODY) and
// recipient removal and addition for group splits (SMFIF_DELRCPT,
// SMFIF_ADDRCPT), and holding quarantined messages (SMFIF_QUARANTINE).
const Actions = gomilter.OptAddHeader | gomilter.OptChangeHeader | gomilter.OptChangeBody |
	gomilter.OptRemoveRcpt | gomilter.OptAddRcpt | gomilter.OptQuarantine

// Protocol are the steps the milter asks the MTA to leave out, in the same
// negotiation: the end of the header (SMFIP_NOEOH). The session knows the
// header has ended when the first body chunk or the end of the message
// arrives, so the MTA's SMFIC_EOH and its reply would be one round trip
// per message for nothing. With an MTA that speaks protocol version 6 the
// connection asks for more (noReply in wire.go).
const Protocol = gomilter.OptNoEOH

// Server accepts MTA connections and runs one milter session on each. It
// is safe for concurrent use; Shutdown stops it gracefully.
type Server struct {
	proc Processor
	opts Options
	log  *slog.Logger

	mu        sync.Mutex
	closing   bool
	listeners map[net.Listener]bool
	conns     map[*conn]bool
	wg        sync.WaitGroup
}

// NewServer returns a Server; it opens nothing.
func NewServer(p Processor, opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Split == "" {
		opts.Split = service.SplitReinject
	}
	return &Server{proc: p, opts: opts, log: log, listeners: map[net.Listener]bool{}, conns: map[*conn]bool{}}
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("milter: server closed")

// Serve accepts connections on ln until Shutdown or an accept error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = true
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.listeners, ln)
			if s.closing {
				return ErrServerClosed
			}
			return err
		}
		if !s.track(nc) {
			nc.Close()
		}
	}
}

// track starts the session of a new connection unless shutting down.
func (s *Server) track(nc net.Conn) bool {
	c := newConn(s, nc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = true
	s.wg.Add(1)
	go c.serve()
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// Shutdown stops accepting, lets every message in progress finish and
// ends idle connections (the MTA then opens new ones to the next
// instance). When ctx ends first, the remaining connections are closed;
// the MTA applies its milter_default_action to their messages.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.wakeIfIdle()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// judgesEnvelope tells whether the configuration can answer the connect,
// HELO, MAIL or RCPT stage with anything but continue: access rules of
// those stages, or recipients deferred under service.SplitDefer.
func (s *Server) judgesEnvelope() bool {
	if s.opts.Split == service.SplitDefer && s.opts.GroupOf != nil {
		return true
	}
	if s.opts.Access == nil {
		return false
	}
	return s.opts.Access().Access.JudgesEnvelope()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}
