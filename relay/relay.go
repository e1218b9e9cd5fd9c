// Package relay is the standalone SMTP relay front-end: it receives mail
// with github.com/emersion/go-smtp, checks [mailgw.access] rules and
// [mailgw.limits], runs the core filter at the end of DATA (so that block,
// reject and tempfail become SMTP replies in the session), writes one
// queued copy per policy group to package queue before answering 250,
// and delivers the queue by [mailgw.forward] routes or MX with retries and
// DSNs (RFC 3464).
//
// The library leaves gaps this package fills: go-smtp passes bare CR and
// bare LF in DATA through (the SMTP-smuggling class of attack), so Data
// refuses them; its 2000-byte line limit ends sessions on real mail, so
// the server raises it; and it has one read timeout, so timedConn applies
// the Receiving* timeouts per SMTP phase.
//
// Promise: every 250 this package sends means the message is on disk and
// will be delivered, bounced with a DSN, or was quarantined by dispatch.
package relay

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/notify"
	"github.com/mailgw/mailgw/routing"
	"github.com/mailgw/mailgw/service"

	"github.com/emersion/go-message"
)

// Processor runs the core on one message. *filter.Filter is one; the
// daemon passes one that follows reloads.
type Processor interface {
	Process(ctx context.Context, env *filter.Envelope, raw []byte) *filter.Result
}

// Dispatcher carries out a Decision's quarantine and notification
// requests with the contract of package dispatch: an error for which
// MustTempfail holds means the copy must be tempfailed.
type Dispatcher interface {
	Run(ctx context.Context, dec *decision.Decision, env *filter.Envelope, raw []byte, hdr message.Header) error
}

// Archiver keeps a copy of a message; *quarantine.Store, wrapped by
// archiveStore, is one.
type Archiver interface {
	Archive(status string, env *filter.Envelope, rcpts []string, raw []byte) error
}

// Runtime is everything a reload (SIGHUP) may change. Sessions and
// deliveries read the current one at each step, so a reload never drops
// a session.
type Runtime struct {
	Proc     Processor
	Dispatch Dispatcher // nil: copies with quarantine or notification requests tempfail
	Access   *access.Access
	Routes   *routing.Routes
	Service  *service.Service
	// DSN builds bounces; its Templates must be set.
	DSN notify.Builder
	// Incoming and Outgoing archive accepted and sent messages; nil: off.
	Incoming, Outgoing Archiver
}

// Options are the settings fixed for the life of a Server.
type Options struct {
	Logger   *slog.Logger // nil: slog.Default()
	Resolver *Resolver    // nil: the system's first nameserver
	// TLS enables STARTTLS on the receiving side; nil: not offered.
	TLS *tls.Config
	// ProcessTimeout bounds the core's work on one message; 0: 5 minutes.
	ProcessTimeout time.Duration
	// ScanInterval is how often the sender looks for messages due for a
	// retry or flushed by `mailgw queue flush`; 0: 10 seconds.
	ScanInterval time.Duration
	// MinBackoff and MaxBackoff override the configured backoff when not
	// zero; for tests, whose configuration cannot go below 64 s.
	MinBackoff, MaxBackoff time.Duration
	// MXPort is the port of hosts found by MX lookup; 0 is 25 (RFC 5321
	// §4.5.4). Tests use another, since they cannot bind port 25.
	MXPort int
}

// runtimeHolder is the swappable Runtime.
type runtimeHolder struct{ p atomic.Pointer[Runtime] }

func (h *runtimeHolder) load() *Runtime    { return h.p.Load() }
func (h *runtimeHolder) store(rt *Runtime) { h.p.Store(rt) }
