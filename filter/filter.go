// Package filter is the scanning module of the core: it parses a message
// once, splits it into one copy per policy group, runs anti-spam, the
// name/MIME filter and anti-virus on each copy in the order of guide 4.2,
// and returns one decision.Decision per copy. It never speaks SMTP or
// milter; front-ends only carry out the Decisions.
package filter

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// Envelope is what the SMTP session knows about a message.
type Envelope struct {
	QueueID    string
	From       string // envelope sender; "" for the null sender <>
	Rcpts      []string
	ClientIP   netip.Addr // invalid when unknown
	ClientHost string     // forward-confirmed reverse name of ClientIP, "" when none
	Helo       string
}

// SpamChecker checks one message copy for spam under the group's Params.
// It must be safe for concurrent use and honour ctx. An error means the
// check could not be done (an outage, a timeout); the copy then follows the
// group's FailureAction. It reports findings only and never modifies msg.
type SpamChecker interface {
	CheckSpam(ctx context.Context, env *Envelope, msg *mimetree.Message, p *policy.Params) (antispam.Result, error)
}

// VirusScanner scans one object (a leaf part or uuencoded block) under the
// group's Params. It must be safe for concurrent use and honour ctx. An
// error gives the object the error status — never clean.
type VirusScanner interface {
	ScanObject(ctx context.Context, obj *mimetree.Object, p *policy.Params) (av.Finding, error)
}

// Options configure a Filter. Every field is optional.
type Options struct {
	Spam    SpamChecker  // nil: copies that ask for spam checks get not_checked
	Virus   VirusScanner // nil: objects get not_checked
	Logger  *slog.Logger // nil: slog.Default()
	Version string       // for X-SpamTest-Version
	Limits  mimetree.Limits
	// Placeholder renders the text that replaces an object under the
	// placeholder action (the placeholder template); nil, or an error,
	// uses a built-in text.
	Placeholder func(obj decision.Object, env *Envelope, group string) (string, error)
	// Disclaimer renders the text appended to delivered copies of groups
	// with AddDisclaimer=true; nil or an error: no text is appended.
	Disclaimer func(d *decision.Decision, env *Envelope, g *policy.Group) (string, error)
}

// Filter runs the pipeline. It holds no per-message state and is safe for
// concurrent use.
type Filter struct {
	pol  *policy.Policy
	opts Options
	log  *slog.Logger
}

// New returns a Filter for the policy. It has no side effects.
func New(p *policy.Policy, opts Options) *Filter {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	return &Filter{pol: p, opts: opts, log: log}
}

// Result is the outcome for one message: the parsed message, shared by all
// copies, and one Decision per group copy.
type Result struct {
	Message   *mimetree.Message
	Decisions []*decision.Decision
}

// Parse parses raw with the filter's limits. Front-ends that need header
// data before filtering parse once with it and call ProcessMessage.
func (f *Filter) Parse(raw []byte) *mimetree.Message {
	return mimetree.Parse(raw, f.opts.Limits)
}

// Process runs the whole pipeline on raw with the given envelope.
func (f *Filter) Process(ctx context.Context, env *Envelope, raw []byte) *Result {
	return f.ProcessMessage(ctx, env, f.Parse(raw))
}

// ProcessMessage runs the pipeline on an already parsed message.
func (f *Filter) ProcessMessage(ctx context.Context, env *Envelope, msg *mimetree.Message) *Result {
	res := &Result{Message: msg}
	sender := policy.Sender{Address: env.From, IP: env.ClientIP, Host: env.ClientHost}
	for _, cp := range f.pol.Split(sender, env.Rcpts) {
		res.Decisions = append(res.Decisions, f.Decide(ctx, env, msg, cp))
	}
	return res
}

// Decide produces the Decision for one copy. A panic anywhere inside turns
// into a tempfail (or, with FailureAction=accept, delivery unchanged) and
// the process keeps serving.
func (f *Filter) Decide(ctx context.Context, env *Envelope, msg *mimetree.Message, cp policy.Copy) (d *decision.Decision) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			d = f.failed(cp, fmt.Errorf("internal error: %v\n%s", r, debug.Stack()))
		}
		f.logDecision(env, d, time.Since(start))
	}()
	return f.decide(ctx, env, msg, cp)
}

// failed is the Decision for a copy whose checks could not complete.
func (f *Filter) failed(cp policy.Copy, err error) *decision.Decision {
	d := &decision.Decision{Group: cp.Group.Name, Recipients: cp.Recipients, Error: err.Error(),
		Spam: decision.Spam{Status: string(policy.ASNotChecked)}}
	if cp.Group.Params.FailureAction == "accept" {
		d.Disposition = decision.Deliver
		return d
	}
	r := decision.TempfailReply()
	d.Disposition, d.Reply = decision.Tempfail, &r
	return d
}

func (f *Filter) logDecision(env *Envelope, d *decision.Decision, took time.Duration) {
	statuses := make([]string, 0, len(d.Objects))
	for _, o := range d.Objects {
		statuses = append(statuses, o.Status)
	}
	attrs := []any{"queue_id", env.QueueID, "group", d.Group, "recipients", len(d.Recipients),
		"as_status", d.Spam.Status, "as_score", d.Spam.Score, "av_statuses", statuses,
		"disposition", string(d.Disposition), "quarantine", len(d.Quarantine) > 0,
		"duration_ms", float64(took.Microseconds()) / 1000}
	if d.Error != "" {
		f.log.Error("decision", append(attrs, "error", d.Error)...)
		return
	}
	f.log.Info("decision", attrs...)
}
