package av

import (
	"context"
	"fmt"
	"time"

	"github.com/mailgw/mailgw/av/clamd"
	"github.com/mailgw/mailgw/av/extract"
	"github.com/mailgw/mailgw/av/icap"
	"github.com/mailgw/mailgw/av/sigdb"
)

// Build makes the engine the settings describe. It reads the signature
// directory of the builtin engine but contacts no server: an unreachable
// clamd or ICAP server shows up as error statuses, not as a failed start.
// sessions is AntiviralSessions; scanTimeout is ScanTimeout.
func Build(s Settings, sessions int, scanTimeout time.Duration) (*Engine, error) {
	opts := Options{
		ScanTimeout: scanTimeout,
		CacheSize:   s.CacheSize,
		Heuristics:  s.Heuristics,
		Limits: extract.Limits{MaxDepth: s.ArchiveMaxDepth, MaxMembers: s.ArchiveMaxCount,
			MaxTotal: s.ArchiveMaxTotal, MaxMemberSize: s.ArchiveMaxMember, MaxRatio: s.ArchiveMaxRatio},
	}
	for _, name := range s.Engines {
		switch name {
		case "builtin":
			db := sigdb.Default()
			if s.SignatureDir != "" {
				extra, err := sigdb.Load(s.SignatureDir)
				if err != nil {
					return nil, fmt.Errorf("builtin anti-virus signatures: %w", err)
				}
				db = sigdb.Merge(db, extra)
			}
			opts.Matcher = db
		case "clamd":
			c, err := clamd.New(clamd.Options{Addrs: s.ClamdAddresses, Sessions: sessions, Timeout: scanTimeout})
			if err != nil {
				return nil, fmt.Errorf("clamd: %w", err)
			}
			opts.Backends = append(opts.Backends, clamdBackend{c})
		case "icap":
			c, err := icap.New(icap.Options{URL: s.ICAPURL, Method: s.ICAPMethod, Sessions: sessions, Timeout: scanTimeout})
			if err != nil {
				return nil, fmt.Errorf("icap: %w", err)
			}
			opts.Backends = append(opts.Backends, icapBackend{c})
		}
	}
	return NewEngine(opts), nil
}

// clamdBackend and icapBackend adapt the clients' own result types.
type clamdBackend struct{ c *clamd.Client }

func (b clamdBackend) Name() string { return b.c.Name() }

func (b clamdBackend) Scan(ctx context.Context, name string, data []byte) (Verdict, error) {
	r, err := b.c.Scan(ctx, name, data)
	return Verdict{Infected: r.Infected, Signature: r.Signature}, err
}

type icapBackend struct{ c *icap.Client }

func (b icapBackend) Name() string { return b.c.Name() }

func (b icapBackend) Scan(ctx context.Context, name string, data []byte) (Verdict, error) {
	r, err := b.c.Scan(ctx, name, data)
	return Verdict{Infected: r.Infected, Signature: r.Signature}, err
}

var (
	_ Matcher = (*sigdb.DB)(nil)
	_ Backend = clamdBackend{}
	_ Backend = icapBackend{}
)
