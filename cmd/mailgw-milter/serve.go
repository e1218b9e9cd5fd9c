package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-message"

	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/policy"
	"github.com/mailgw/mailgw/service"
)

// shutdownGrace bounds how long SIGTERM waits for messages in progress;
// Postfix's own milter timeouts are of the same order.
const shutdownGrace = 2 * time.Minute

// daemonState is one running daemon.
type daemonState struct {
	log    *slog.Logger
	reload func() (*gateway.Gateway, bool)
	filter swappable
	// listen opens the socket; nil is milter.Listen. Tests use it to learn
	// the address.
	listen func(service.Milter) (net.Listener, error)
}

// swappable is the Processor and Dispatcher the server uses: SIGHUP
// replaces the core while sessions keep running; each message uses the
// core that was current when it ended. The policy travels with it, so
// that RCPT-time group checks (Split=defer) follow reloads too.
type swappable struct{ c atomic.Pointer[core] }

// core is what one configuration builds.
type core struct {
	filter   *filter.Filter
	policy   *policy.Policy
	dispatch *dispatch.Dispatcher
	access   dnsfacts.Lookup
}

var (
	_ milter.Processor  = (*swappable)(nil)
	_ milter.Dispatcher = (*swappable)(nil)
)

// access is milter.Options.Access over the current configuration.
func (s *swappable) access() dnsfacts.Lookup { return s.c.Load().access }

// groupOf is milter.Options.GroupOf over the current policy.
func (s *swappable) groupOf(sender policy.Sender, rcpt string) string {
	return s.c.Load().policy.GroupFor(sender, rcpt).Name
}

func (s *swappable) Process(ctx context.Context, env *filter.Envelope, raw []byte) *filter.Result {
	return s.c.Load().filter.Process(ctx, env, raw)
}

func (s *swappable) Run(ctx context.Context, dec *decision.Decision, env *filter.Envelope, raw []byte, hdr message.Header) error {
	return s.c.Load().dispatch.Run(ctx, dec, env, raw, hdr)
}

// serve runs until a stop signal or a listener failure; it returns the
// exit code.
func (d *daemonState) serve(gw *gateway.Gateway, sigs <-chan os.Signal) int {
	settings := gw.Service.Milter
	c, err := buildCore(gw, d.log)
	if err != nil {
		d.log.Error("starting", "error", err)
		return 1
	}
	d.filter.c.Store(c)
	listen := d.listen
	if listen == nil {
		listen = milter.Listen
	}
	ln, err := listen(settings)
	if err != nil {
		d.log.Error("listening", "address", settings.Address, "error", err)
		return 1
	}
	srv := milter.NewServer(&d.filter, milter.Options{Logger: d.log, Split: settings.Split, GroupOf: d.filter.groupOf, Access: d.filter.access,
		Reinject: milter.SMTPReinjector{Address: settings.ReinjectAddress, Helo: gw.Service.Network.Hostname},
		Dispatch: &d.filter, Hold: settings.HoldQuarantined, FailOpen: settings.FailOpen})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	d.log.Info("serving", "network", settings.Network, "address", settings.Address, "version", version)
	return d.loop(srv, settings, sigs, served)
}

func (d *daemonState) loop(srv *milter.Server, settings service.Milter, sigs <-chan os.Signal, served <-chan error) int {
	for {
		select {
		case err := <-served:
			d.log.Error("serving stopped", "error", err)
			return 1
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				d.reloadFilter(settings)
				continue
			}
			d.log.Info("stopping", "signal", sig.String())
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			err := srv.Shutdown(ctx)
			cancel()
			if err != nil {
				d.log.Error("stopped with sessions cut off", "error", err)
				return 1
			}
			return 0
		}
	}
}

// reloadFilter builds a new filter from the configuration file; on any
// error the running one stays.
func (d *daemonState) reloadFilter(running service.Milter) {
	gw, ok := d.reload()
	if !ok {
		d.log.Error("reload failed, keeping the running configuration")
		return
	}
	settings := gw.Service.Milter
	c, err := buildCore(gw, d.log)
	if err != nil {
		d.log.Error("reload failed, keeping the running configuration", "error", err)
		return
	}
	d.filter.c.Store(c)
	if settings != running {
		d.log.Warn("[mailgw.milter] changes take effect at the next start")
	}
	d.log.Info("reloaded")
}

// buildCore assembles the pipeline as `mailgw scan` does, and the
// dispatcher that submits notices to [mailgw.milter] NotifyAddress.
func buildCore(gw *gateway.Gateway, log *slog.Logger) (*core, error) {
	if gw == nil {
		return nil, errors.New("no configuration")
	}
	f, templates, err := gw.Core(log, version)
	if err != nil {
		return nil, err
	}
	submit := dispatch.SMTPSubmitter{Addr: gw.Service.Milter.NotifyAddress, Helo: gw.Service.Network.Hostname}
	return &core{filter: f, policy: gw.Policy, dispatch: gw.Dispatcher(templates, submit, log), access: gw.AccessLookup()}, nil
}
