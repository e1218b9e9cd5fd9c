package gateway

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/mailgw/mailgw/policy"
	"github.com/mailgw/mailgw/quarantine"
)

// StoreDirs are the directories of every quarantine and archive the
// configuration names: the groups' AVQuarantinePath and ASQuarantinePath
// and [mailgw.archive]'s paths, each once, sorted.
func (g *Gateway) StoreDirs() []string {
	seen := map[string]bool{}
	add := func(dir string) {
		if dir != "" {
			seen[dir] = true
		}
	}
	if g.Policy != nil {
		for _, grp := range append([]*policy.Group{g.Policy.Default}, g.Policy.Groups...) {
			add(grp.Params.AVQuarantinePath)
			add(grp.Params.ASQuarantinePath)
		}
	}
	if g.Service != nil {
		add(g.Service.Archive.IncomingArchivePath)
		add(g.Service.Archive.OutgoingArchivePath)
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// PurgeExpired applies [mailgw.quarantine] Retention to every store of
// StoreDirs: messages older than it are removed. A store that does not
// exist yet (nothing was ever stored there) is skipped. Each store's
// outcome is logged; one failing store does not stop the others.
func (g *Gateway) PurgeExpired(log *slog.Logger) {
	if g.Quarantine.Retention <= 0 {
		return
	}
	for _, dir := range g.StoreDirs() {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		st, err := quarantine.Open(dir, quarantine.Options{MustExist: true})
		n := 0
		if err == nil {
			n, err = st.Purge(g.Quarantine.Retention)
		}
		if err != nil {
			log.Error("retention", "dir", dir, "removed", n, "error", err)
		} else if n > 0 {
			log.Info("retention", "dir", dir, "removed", n, "older_than", g.Quarantine.Retention)
		}
	}
}

// RetentionInterval is how often a daemon runs PurgeExpired: retention is
// counted in days, so hourly keeps every store within an hour of it.
const RetentionInterval = time.Hour

// RunRetention calls PurgeExpired with the current configuration at once
// and then every interval until ctx ends; current is read each time, so a
// reload takes effect at the next round.
func RunRetention(ctx context.Context, current func() *Gateway, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		current().PurgeExpired(log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
