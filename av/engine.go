package av

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mailgw/mailgw/av/extract"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// Matcher is the built-in signature engine: it looks for known malware in
// one object's bytes. It must be safe for concurrent use.
type Matcher interface {
	Match(data []byte) (name string, ok bool)
}

// Verdict is what an external backend says about one object.
type Verdict struct {
	Infected  bool
	Signature string
}

// Backend is an external scanner (clamd, an ICAP server) that receives a
// whole object and unpacks it itself. An error means the object could not be
// scanned: it then gets the error status, never clean. It must be safe for
// concurrent use and honour ctx.
type Backend interface {
	Name() string
	Scan(ctx context.Context, name string, data []byte) (Verdict, error)
}

// Options configure an Engine.
type Options struct {
	Matcher     Matcher   // nil: no built-in signatures
	Backends    []Backend // scanned in addition; the worst result wins
	Limits      extract.Limits
	ScanTimeout time.Duration // per object; 0: none
	CacheSize   int           // results kept by content hash; 0: no cache
	Heuristics  bool          // report executables posing as documents as suspicious
}

// Engine is the anti-virus engine of the core: it opens archives and mail
// bases, runs the built-in signatures, the heuristics and the external
// backends over an object, and reports one Finding. It implements
// filter.VirusScanner (the guard is in package gateway, which may import
// both).
type Engine struct {
	opts  Options
	cache *lru.Cache[cacheKey, Finding]
}

type cacheKey struct {
	sum  [sha256.Size]byte
	opts string // the group parameters that change the outcome
}

// NewEngine returns an engine; it does no I/O.
func NewEngine(opts Options) *Engine {
	e := &Engine{opts: opts}
	if opts.CacheSize > 0 {
		e.cache, _ = lru.New[cacheKey, Finding](opts.CacheSize)
	}
	return e
}

// ScanObject scans one MIME object under the group's parameters. One
// attachment sent to many recipients or groups is scanned once, thanks to
// the cache keyed by content hash and the parameters that matter.
func (e *Engine) ScanObject(ctx context.Context, obj *mimetree.Object, p *policy.Params) (Finding, error) {
	cache := e.cache
	if cache != nil && messageText(obj) {
		cache = nil
	}
	var key cacheKey
	if cache != nil {
		key = cacheKey{sum: sha256.Sum256(obj.Content), opts: paramsKey(obj.Name, p)}
		if f, ok := cache.Get(key); ok {
			return f, nil
		}
	}
	if e.opts.ScanTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opts.ScanTimeout)
		defer cancel()
	}
	f, transient, err := e.scan(ctx, obj.Name, obj.Content, p)
	if err != nil {
		return Finding{}, err
	}
	// A finding that a backend outage shaped is not kept: the next copy
	// of the attachment gets a real answer once the backend is back.
	if cache != nil && !transient {
		cache.Add(key, f)
	}
	return f, nil
}

// messageText is an inline text part: a message's own text, written for
// this message and not seen again, so hashing it for the cache would cost
// more (SHA-256 runs at about 1.7 GB/s, as long as scanning a text) than
// the cache ever returns. Attachments are what mass mailings repeat.
func messageText(obj *mimetree.Object) bool {
	return strings.HasPrefix(obj.MediaType, "text/") && obj.Disposition != "attachment"
}

// paramsKey lists what, besides the content, decides a finding: the name
// (heuristics, filters), archive switches, cure and the filter lists.
func paramsKey(name string, p *policy.Params) string {
	return fmt.Sprintf("%s|%t|%t|%t|%q|%q|%q|%q", name, p.AVScanArchives, p.AVScanMailBases, p.AVCure,
		p.IncludeByName, p.ExcludeByName, p.IncludeByMime, p.ExcludeByMime)
}

// scan walks the object and merges what every check says; the worst
// status wins. A backend that fails adds an error finding rather than
// ending the scan, so that a virus another engine found stays infected
// (infected is worse than error); transient reports such a failure.
func (e *Engine) scan(ctx context.Context, name string, data []byte, p *policy.Params) (f Finding, transient bool, err error) {
	lim := e.opts.Limits
	lim.ScanArchives, lim.ScanMailBases = p.AVScanArchives, p.AVScanMailBases
	var acc accumulator
	var infected [][]string
	err = extract.Walk(ctx, name, data, lim, func(m *extract.Member) error {
		f := e.judgeMember(m, p)
		acc.add(f)
		if f.Status == policy.AVInfected {
			infected = append(infected, slices.Clone(m.Path))
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return Finding{}, false, fmt.Errorf("scan of %q: %w", name, ctx.Err())
		}
		acc.add(Finding{Status: policy.AVError, Detail: "unpacking: " + err.Error()})
	}
	for _, b := range e.opts.Backends {
		v, err := b.Scan(ctx, name, data)
		switch {
		case err != nil:
			acc.add(Finding{Status: policy.AVError, Detail: b.Name() + ": " + err.Error()})
			transient = true
		case v.Infected:
			acc.add(Finding{Status: policy.AVInfected, Signature: v.Signature, Detail: "found by " + b.Name()})
			infected = append(infected, []string{name})
		}
	}
	if ctx.Err() != nil {
		// Out of time (ScanTimeout or the message's deadline): the scan is
		// incomplete, whatever was found so far.
		return Finding{}, false, fmt.Errorf("scan of %q: %w", name, ctx.Err())
	}
	f = acc.result()
	// A cure needs every engine's word that nothing else is left.
	if f.Status == policy.AVInfected && p.AVCure && !transient {
		if cured, ok := e.cure(ctx, name, data, infected, p); ok {
			f.Status, f.Cured = policy.AVDisinfected, cured
		}
	}
	return f, transient, nil
}

// judgeMember gives one object of the walk its status.
func (e *Engine) judgeMember(m *extract.Member, p *policy.Params) Finding {
	where := strings.Join(m.Path, "/")
	switch {
	case m.Encrypted:
		return Finding{Status: policy.AVProtected, Detail: where + ": password-protected"}
	case errors.Is(m.Err, extract.ErrBomb):
		return Finding{Status: policy.AVSuspicious, Signature: "Heuristics.Archive.Bomb", Detail: where + ": " + m.Err.Error()}
	case m.Err != nil:
		return Finding{Status: policy.AVError, Detail: where + ": " + m.Err.Error()}
	}
	if m.Depth > 0 && p.Filtered(m.Name, m.Type) {
		return Finding{Status: policy.AVFiltered, Detail: where + ": filtered by name or type"}
	}
	if e.opts.Matcher != nil && m.Data != nil {
		if sig, ok := e.opts.Matcher.Match(m.Data); ok {
			return Finding{Status: policy.AVInfected, Signature: sig, Detail: where}
		}
	}
	if e.opts.Heuristics {
		if sig := heuristic(m); sig != "" {
			return Finding{Status: policy.AVSuspicious, Signature: sig, Detail: where}
		}
	}
	return Finding{Status: policy.AVClean}
}

// accumulator keeps the worst finding of a walk; the first one of the worst
// status gives the signature and detail, so results are deterministic.
type accumulator struct {
	f Finding
}

func (a *accumulator) add(f Finding) {
	if a.f.Status == "" || policy.Worse(f.Status, a.f.Status) {
		a.f = f
	}
}

func (a *accumulator) result() Finding {
	if a.f.Status == "" {
		return Finding{Status: policy.AVClean}
	}
	return a.f
}
