package relay

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/antispam/resolver"
	"github.com/mailgw/mailgw/queue"
)

// maxLineLength replaces go-smtp's 2000-byte line limit, which ends the
// session on real mail (long base64 lines, unfolded headers): RFC 5321
// §4.5.3.1.6 sets 1000 as a minimum servers must accept, not a maximum
// they must enforce. One MiB still bounds a single line's memory.
const maxLineLength = 1 << 20

// Server is the relay: the receiving SMTP server and the queue's sender.
type Server struct {
	opts     Options
	log      *slog.Logger
	rt       runtimeHolder
	queue    *queue.Queue
	resolver *Resolver
	// accessDNS answers the access rules' lookups, with a cache.
	accessDNS dnsfacts.Resolver
	smtp      *smtp.Server
	sender    *Sender

	mu        sync.Mutex
	listeners []net.Listener
}

// New returns a relay for rt and the queue q. It opens nothing.
func New(rt *Runtime, q *queue.Queue, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ProcessTimeout == 0 {
		opts.ProcessTimeout = 5 * time.Minute
	}
	if opts.ScanInterval == 0 {
		opts.ScanInterval = 10 * time.Second
	}
	if opts.Resolver == nil {
		opts.Resolver = &Resolver{Server: "127.0.0.1:53"}
	}
	s := &Server{opts: opts, log: opts.Logger, queue: q, resolver: opts.Resolver,
		accessDNS: resolver.New(resolver.Options{Servers: []string{opts.Resolver.Server}, NetworkTimeout: opts.Resolver.Query,
			ResolveTimeout: opts.Resolver.Total, MaxTTL: rt.Service.Timeouts.DNSCacheMaximalTTL})}
	s.rt.store(rt)
	s.smtp = s.newSMTPServer(rt)
	s.sender = newSender(s)
	return s
}

// facts is the access-rule lookup of rt's rules.
func (s *Server) facts(rt *Runtime) dnsfacts.Lookup {
	return dnsfacts.Lookup{Access: rt.Access, Resolver: s.accessDNS}
}

// newSMTPServer configures go-smtp with the ESMTP extensions of the issue:
// PIPELINING, 8BITMIME and ENHANCEDSTATUSCODES are always on in go-smtp;
// SIZE, DSN, SMTPUTF8 and STARTTLS are switched on here.
func (s *Server) newSMTPServer(rt *Runtime) *smtp.Server {
	srv := smtp.NewServer(backend{srv: s})
	srv.Domain = rt.Service.Network.Hostname
	srv.MaxLineLength = maxLineLength
	srv.MaxMessageBytes = rt.Service.Limits.MaximalIncomingMessageSize
	srv.MaxRecipients = rt.Service.Limits.MaximalIncomingRcptsPerMessage
	srv.WriteTimeout = rt.Service.Timeouts.WriteTimeout
	srv.EnableSMTPUTF8 = true
	srv.EnableDSN = true
	srv.TLSConfig = s.opts.TLS
	srv.ErrorLog = log.New(slogWriter{s.log}, "", 0)
	return srv
}

// slogWriter sends go-smtp's error log lines to slog.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("smtp server", "error", string(p))
	return len(p), nil
}

var _ io.Writer = slogWriter{}

// Reload swaps the Runtime; sessions and deliveries in progress finish
// with the one they started with. Limits given to go-smtp at start
// (message size, recipients) and the listeners stay until restart.
func (s *Server) Reload(rt *Runtime) { s.rt.store(rt) }

// Recover cleans what a crash left in the queue; call it before Serve.
func (s *Server) Recover() error {
	n, err := s.queue.Recover()
	if n > 0 {
		s.log.Info("queue recovered", "removed_incomplete_files", n)
	}
	return err
}

// Serve accepts SMTP connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	err := s.smtp.Serve(newLimitListener(ln, s))
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// RunSender delivers the queue until ctx ends; deliveries in progress
// finish first.
func (s *Server) RunSender(ctx context.Context) { s.sender.run(ctx) }

// Shutdown stops accepting and waits for open sessions until ctx ends,
// then closes them. The queue is kept as it is.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.smtp.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		s.smtp.Close()
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// dnsContext bounds the lookups of one SMTP command.
func (s *Server) dnsContext() (context.Context, context.CancelFunc) {
	d := s.rt.load().Service.Timeouts.DNSResolveTimeout
	if d <= 0 {
		d = 30 * time.Second
	}
	return context.WithTimeout(context.Background(), d)
}
