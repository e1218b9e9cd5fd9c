package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"reflect"
	"syscall"
	"time"

	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/queue"
	"github.com/mailgw/mailgw/relay"
)

// shutdownGrace bounds how long SIGTERM waits for open sessions; it is
// below the init system's usual kill timeout. Messages not yet answered
// with 250 are the client's to retry.
const shutdownGrace = 30 * time.Second

type daemonState struct {
	log    *slog.Logger
	reload func() (*gateway.Gateway, bool)
}

// serve runs the relay until a stop signal or a listener failure; it
// returns the exit code.
func (d *daemonState) serve(gw *gateway.Gateway, sigs <-chan os.Signal) int {
	q, err := queue.Open(gw.Service.Relay.QueueDirectory)
	if err != nil {
		d.log.Error("opening the queue", "error", err)
		return 1
	}
	res, err := relay.NewResolver(gw.Service.Relay.DNSServer, gw.Service.Timeouts.DNSNetworkTimeout, gw.Service.Timeouts.DNSResolveTimeout)
	if err != nil {
		d.log.Error("starting", "error", err)
		return 1
	}
	var srv *relay.Server
	rt, err := d.runtime(gw, func() dispatch.Submitter { return srv.Submitter() })
	if err != nil {
		d.log.Error("starting", "error", err)
		return 1
	}
	srv = relay.New(rt, q, relay.Options{Logger: d.log, Resolver: res, TLS: gw.Service.Relay.TLS})
	if err := srv.Recover(); err != nil {
		d.log.Error("recovering the queue", "error", err)
		return 1
	}
	lns, err := d.listen(gw)
	if err != nil {
		d.log.Error("listening", "error", err)
		return 1
	}
	served := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { served <- srv.Serve(ln) }()
	}
	ctx, stopSender := context.WithCancel(context.Background())
	senderDone := make(chan struct{})
	go func() { srv.RunSender(ctx); close(senderDone) }()
	d.log.Info("serving", "listen", gw.Service.Network.ListenOn, "queue", q.Dir(), "version", version)
	code := d.loop(srv, gw, sigs, served)
	stopSender()
	<-senderDone
	return code
}

// listen opens every ListenOn address; a failure names the line.
func (d *daemonState) listen(gw *gateway.Gateway) ([]net.Listener, error) {
	if len(gw.Service.Network.ListenOn) == 0 {
		return nil, errors.New("[mailgw.network] ListenOn is empty: the relay has nothing to listen on")
	}
	var lns []net.Listener
	for _, l := range gw.Service.Network.ListenOn {
		ln, err := net.Listen("tcp", l.Addr.String())
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			return nil, fmt.Errorf("%s: ListenOn %s: %w", l.Pos, l.Addr, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func (d *daemonState) loop(srv *relay.Server, gw *gateway.Gateway, sigs <-chan os.Signal, served <-chan error) int {
	for {
		select {
		case err := <-served:
			if err != nil {
				d.log.Error("serving stopped", "error", err)
				return 1
			}
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				d.reloadRuntime(srv, gw)
				continue
			}
			d.log.Info("stopping", "signal", sig.String())
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			err := srv.Shutdown(ctx)
			cancel()
			if err != nil {
				d.log.Error("stopped with sessions cut off", "error", err)
			}
			return 0
		}
	}
}

// reloadRuntime builds a new Runtime from the configuration file; on any
// error the running one stays.
func (d *daemonState) reloadRuntime(srv *relay.Server, running *gateway.Gateway) {
	gw, ok := d.reload()
	if !ok {
		d.log.Error("reload failed, keeping the running configuration")
		return
	}
	rt, err := d.runtime(gw, srv.Submitter)
	if err != nil {
		d.log.Error("reload failed, keeping the running configuration", "error", err)
		return
	}
	srv.Reload(rt)
	if gw.Service.Relay.QueueDirectory != running.Service.Relay.QueueDirectory || !reflect.DeepEqual(gw.Service.Network.ListenOn, running.Service.Network.ListenOn) {
		d.log.Warn("ListenOn, QueueDirectory and the TLS certificate take effect at the next start")
	}
	d.log.Info("reloaded")
}

// runtime builds everything a reload replaces. submitter is called
// lazily: at start-up the server that queues notices does not exist yet.
func (d *daemonState) runtime(gw *gateway.Gateway, submitter func() dispatch.Submitter) (*relay.Runtime, error) {
	if gw == nil {
		return nil, errors.New("no configuration")
	}
	return relay.BuildRuntime(gw, d.log, version, lazySubmitter(submitter))
}

// lazySubmitter resolves the submitter at the first notice.
type lazySubmitter func() dispatch.Submitter

func (l lazySubmitter) Submit(ctx context.Context, from string, to []string, data []byte) error {
	return l().Submit(ctx, from, to, data)
}
