package relay

import (
	"fmt"
	"log/slog"

	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/quarantine"
)

// BuildRuntime builds what mailgw-relay replaces on reload from a loaded
// configuration: the core, access rules, routes, DSN builder, the
// dispatcher (whose notices go to submit, the relay's own queue) and the
// archives. It opens the archive stores but contacts no server.
func BuildRuntime(g *gateway.Gateway, log *slog.Logger, version string, submit dispatch.Submitter) (*Runtime, error) {
	f, templates, err := g.Core(log, version)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{Proc: f, Access: g.Access, Routes: g.Routes, Service: g.Service,
		Dispatch: g.Dispatcher(templates, submit, log)}
	rt.DSN = *g.Builder(templates)
	if rt.Incoming, err = archive(g.Service.Archive.IncomingArchivePath); err != nil {
		return nil, fmt.Errorf("IncomingArchivePath: %w", err)
	}
	if rt.Outgoing, err = archive(g.Service.Archive.OutgoingArchivePath); err != nil {
		return nil, fmt.Errorf("OutgoingArchivePath: %w", err)
	}
	return rt, nil
}

// archive opens an archive store; "" is none.
func archive(path string) (Archiver, error) {
	if path == "" {
		return nil, nil
	}
	st, err := quarantine.Open(path, quarantine.Options{})
	if err != nil {
		return nil, err
	}
	return ArchiveStore{Store: st}, nil
}
