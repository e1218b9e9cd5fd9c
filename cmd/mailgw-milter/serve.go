package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/notify"
	"github.com/mailgw/mailgw/policy"
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
	listen func(milter.Settings) (net.Listener, error)
}

// swappable is the Processor the server uses: SIGHUP replaces the filter
// while sessions keep running; each message uses the filter that was
// current when it ended.
// The policy travels with it, so that RCPT-time group checks (Split=defer)
// follow reloads too.
type swappable struct {
	p   atomic.Pointer[filter.Filter]
	pol atomic.Pointer[policy.Policy]
}

func (s *swappable) store(f *filter.Filter, pol *policy.Policy) {
	s.pol.Store(pol)
	s.p.Store(f)
}

// groupOf is milter.Options.GroupOf over the current policy.
func (s *swappable) groupOf(sender policy.Sender, rcpt string) string {
	return s.pol.Load().GroupFor(sender, rcpt).Name
}

func (s *swappable) Process(ctx context.Context, env *filter.Envelope, raw []byte) *filter.Result {
	return s.p.Load().Process(ctx, env, raw)
}

func notifySignals() <-chan os.Signal {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	return ch
}

// serve runs until a stop signal or a listener failure; it returns the
// exit code.
func (d *daemonState) serve(gw *gateway.Gateway, sigs <-chan os.Signal) int {
	settings, errs := milter.FromConfig(gw.Config)
	if err := errs.Err(); err != nil {
		d.log.Error("configuration", "error", err)
		return 1
	}
	f, err := buildFilter(gw, d.log)
	if err != nil {
		d.log.Error("starting", "error", err)
		return 1
	}
	d.filter.store(f, gw.Policy)
	listen := d.listen
	if listen == nil {
		listen = milter.Listen
	}
	ln, err := listen(settings)
	if err != nil {
		d.log.Error("listening", "address", settings.Address, "error", err)
		return 1
	}
	srv := milter.NewServer(&d.filter, milter.Options{Logger: d.log, Split: settings.Split, GroupOf: d.filter.groupOf,
		Reinject: milter.SMTPReinjector{Address: settings.ReinjectAddress, Helo: gw.Service.Network.Hostname}})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	d.log.Info("serving", "network", settings.Network, "address", settings.Address, "version", version)
	return d.loop(srv, settings, sigs, served)
}

func (d *daemonState) loop(srv *milter.Server, settings milter.Settings, sigs <-chan os.Signal, served <-chan error) int {
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
func (d *daemonState) reloadFilter(running milter.Settings) {
	gw, ok := d.reload()
	if !ok {
		d.log.Error("reload failed, keeping the running configuration")
		return
	}
	settings, errs := milter.FromConfig(gw.Config)
	if err := errs.Err(); err != nil {
		d.log.Error("reload failed, keeping the running configuration", "error", err)
		return
	}
	f, err := buildFilter(gw, d.log)
	if err != nil {
		d.log.Error("reload failed, keeping the running configuration", "error", err)
		return
	}
	d.filter.store(f, gw.Policy)
	if settings != running {
		d.log.Warn("[mailgw.milter] changes take effect at the next start")
	}
	d.log.Info("reloaded")
}

// buildFilter assembles the pipeline as `mailgw scan` does.
func buildFilter(gw *gateway.Gateway, log *slog.Logger) (*filter.Filter, error) {
	if gw == nil {
		return nil, errors.New("no configuration")
	}
	engine, err := gw.VirusScanner()
	if err != nil {
		return nil, fmt.Errorf("anti-virus: %w", err)
	}
	templates, err := notify.Load(gw.Templates)
	if err != nil {
		return nil, err
	}
	return gw.Filter(filter.Options{Logger: log, Version: version, Virus: engine, Spam: gw.SpamChecker(log),
		Placeholder: gw.Placeholder(templates), Disclaimer: gw.Disclaimer(templates)}), nil
}
