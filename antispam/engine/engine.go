// Package engine is the anti-spam engine: it runs the checks of package
// antispam's design on one message copy and implements filter.SpamChecker.
// It lives apart from package antispam because it needs filter's Envelope,
// and filter needs antispam's Result.
package engine

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/terms"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// Per-group switches read from policy.Params.Checks besides the named
// checks.
const (
	checkTrusted      = "SpamTrusted"
	checkMarkProbable = "SpamMarkProbable"
	checkMarkObscene  = "SpamMarkObscene"
	checkUseDNS       = "SpamUseDNS"
	checkPyzor        = "SpamCheckPyzor"
)

// Classifier scores the tokens of a message. ok is false when it has not
// learnt enough to say anything; an error means its store did not answer.
type Classifier interface {
	Classify(ctx context.Context, tokens []string) (prob float64, ok bool, err error)
}

// DigestChecker asks a digest service how often a message was reported.
// An error means the service did not answer.
type DigestChecker interface {
	CheckMessage(ctx context.Context, msg *mimetree.Message) (spam, ham int64, err error)
}

// TextSamples finds the known spam sample nearest to a message text (the
// Subject and the visible text, as SampleText returns them). name is ""
// when there is no sample or the text is too short to compare; similarity
// is from 0 (nothing in common) to 1 (the same text).
type TextSamples interface {
	Match(text string) (name string, similarity float64)
}

// ImageSamples finds the known spam image nearest to an image file and
// its distance, from 0 (the same picture) up; name is "" when there are
// no known images. An error means the file could not be compared: one
// wrapping imagehash.ErrFormat that it is no image at all (which costs
// nothing), any other that it is damaged or too large. Either way that
// part is skipped, never the message failed.
type ImageSamples interface {
	Match(data []byte) (name string, distance int, err error)
}

// Phrases finds typical spam phrases in a text (the Subject and the
// visible text, as SampleText returns them): for each category found, the
// summed weight of its distinct phrases and the phrases.
type Phrases interface {
	Match(text string) []terms.Hit
}

// Options configure an Engine. Only Settings is required.
type Options struct {
	Settings antispam.Settings
	DNSBL    []access.DNSBL // DNSBlackList of [mailgw.access]
	Resolver Resolver       // nil: DNS checks are off
	// DNSTimeout bounds all DNS checks of one message together
	// (DNSResolveTimeout), so that a dead server costs one timeout even
	// for checks that need several queries in a row; 0: only ctx.
	DNSTimeout time.Duration
	Bayes      Classifier    // nil: no Bayesian scoring
	Digest     DigestChecker // nil: no digest check
	Fuzzy      TextSamples   // nil: no fuzzy check (FUZZY_SAMPLE)
	Images     ImageSamples  // nil: no image check (IMAGE_SAMPLE)
	Terms      Phrases       // nil: no phrase check (SPAM_TERMS)
	// Obscene are the lower-case words of the obscene-text check
	// (OBSCENE_TEXT, switched by SpamMarkObscene); nil: no such check.
	Obscene map[string]bool
	Logger  *slog.Logger // nil: slog.Default()
}

// Engine is the anti-spam engine. It holds no per-message state and is
// safe for concurrent use.
type Engine struct {
	opts Options
	log  *slog.Logger
	defs map[string]antispam.RuleDef
}

var _ filter.SpamChecker = (*Engine)(nil)

// New returns an engine. It has no side effects.
func New(o Options) *Engine {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.Settings.Scores == nil {
		o.Settings.Scores = antispam.DefaultScores()
	}
	if o.Settings.Thresholds == nil {
		o.Settings.Thresholds = antispam.DefaultThresholds()
	}
	defs := map[string]antispam.RuleDef{}
	for _, d := range antispam.DefaultRules() {
		defs[d.Name] = d
	}
	return &Engine{opts: o, log: log, defs: defs}
}

// CheckSpam implements filter.SpamChecker. Failures of single checks are
// reported as _TEMPFAIL rules, so it returns an error only when ctx ends.
func (e *Engine) CheckSpam(ctx context.Context, env *filter.Envelope, msg *mimetree.Message, p *policy.Params) (antispam.Result, error) {
	if p.Checks[checkTrusted] {
		return antispam.Result{Status: policy.ASTrusted, Method: antispam.MethodTrusted}, nil
	}
	v := &verdict{engine: e}
	in := newInput(env, msg)
	checkGTUBE(v, in)
	checkFormal(v, in, p)
	content := true
	if limit := p.SpamCheckSizeLimit; limit > 0 && int64(len(msg.Raw)) > limit {
		v.add(antispam.RuleSizeSkipped, "")
		content = false
	}
	digest := e.startDigest(ctx, in, p, content)
	if content {
		e.checkContent(ctx, v, in)
		if p.Checks[checkMarkObscene] && e.opts.Obscene != nil {
			e.checkObscene(v, in)
		}
	}
	if p.Checks[checkUseDNS] && e.opts.Resolver != nil {
		e.checkDNS(ctx, v, in, p)
	}
	if d := digest(); d != nil {
		v.merge(d)
	}
	if err := ctx.Err(); err != nil {
		return antispam.Result{Status: policy.ASNotChecked}, err
	}
	return e.result(v, p), nil
}

// startDigest starts the digest check beside the others, so that a slow
// digest server and a slow DNS server cost one timeout, not two. It is a
// network check: off with SpamUseDNS as well as with SpamCheckPyzor, and
// skipped with the content of messages above SpamCheckSizeLimit. The
// returned function waits for its verdict (nil when it did not run).
func (e *Engine) startDigest(ctx context.Context, in *input, p *policy.Params, content bool) func() *verdict {
	if e.opts.Digest == nil || !content || !p.Checks[checkUseDNS] || !p.Checks[checkPyzor] {
		return func() *verdict { return nil }
	}
	v := &verdict{engine: e}
	done := make(chan struct{})
	go func() { defer close(done); e.checkDigest(ctx, v, in) }()
	return func() *verdict { <-done; return v }
}

// verdict collects the rules of one check run. Checks running at once
// each fill their own verdict, merged afterwards.
type verdict struct {
	engine   *Engine
	rules    []antispam.Rule
	dnsbl    int // summed DNSBlackList rating of the client IP
	formal   bool
	seen     map[string]bool
	tempfail []string // checks that could not be done, with why
}

// fail records a check that could not be done.
func (v *verdict) fail(what string, err error) {
	msg := "failed"
	if err != nil {
		msg = err.Error()
	}
	v.tempfail = append(v.tempfail, what+": "+msg)
}

// add fires rule name with its configured score.
func (v *verdict) add(name, reason string) { v.addScaled(name, 1, reason) }

// addScaled fires rule name with factor times its score; a rule fires at
// most once.
func (v *verdict) addScaled(name string, factor float64, reason string) {
	if v.seen == nil {
		v.seen = map[string]bool{}
	}
	if v.seen[name] {
		return
	}
	v.seen[name] = true
	v.rules = append(v.rules, antispam.Rule{Name: name, Score: v.engine.opts.Settings.Scores[name] * factor, Reason: reason})
}

func (v *verdict) merge(o *verdict) {
	for _, r := range o.rules {
		if !v.seen[r.Name] {
			if v.seen == nil {
				v.seen = map[string]bool{}
			}
			v.seen[r.Name] = true
			v.rules = append(v.rules, r)
		}
	}
	v.dnsbl += o.dnsbl
	v.formal = v.formal || o.formal
}

// result turns the rules into a status with the group's thresholds
// (guide 4.3.5): blacklisted whatever else was found, then spam,
// probable, formal. Probable comes before formal because formal means an
// automatic message without sufficient spam signs: a Precedence: bulk
// field must not shield a message that scores as probable spam.
func (e *Engine) result(v *verdict, p *policy.Params) antispam.Result {
	r := antispam.Result{Rules: v.rules}
	best := 0.0
	for _, rule := range v.rules {
		r.Score += rule.Score
		if rule.Score > best {
			best, r.Method = rule.Score, e.defs[rule.Name].Method
		}
	}
	r.Score = float64(int64(r.Score*100+copysign(0.5, r.Score))) / 100
	sort.SliceStable(r.Rules, func(i, j int) bool { return r.Rules[i].Score > r.Rules[j].Score })
	th, ok := e.opts.Settings.Thresholds[p.SpamRateLimit]
	if !ok {
		th = e.opts.Settings.Thresholds["standard"]
	}
	switch {
	case v.dnsbl >= access.DNSBLThreshold:
		r.Status, r.Method = policy.ASBlacklisted, antispam.MethodDNSBL
	case r.Score >= th.Spam:
		r.Status = policy.ASSpam
	case r.Score >= th.Probable && p.Checks[checkMarkProbable]:
		r.Status = policy.ASProbable
	case v.formal:
		r.Status, r.Method = policy.ASFormal, antispam.MethodFormal
	default:
		r.Status, r.Method = policy.ASNotDetected, ""
	}
	return r
}

func copysign(x, sign float64) float64 {
	if sign < 0 {
		return -x
	}
	return x
}
