package filter

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/av/extract"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// noEngine explains a not_checked status when no engine is configured.
const noEngine = "no anti-virus engine configured"

// scanned is one object with its outcome, before actions turn into edits.
type scanned struct {
	obj     *mimetree.Object
	finding av.Finding
	detail  string
}

// decide runs guide 4.2 steps 3–8 for one copy.
func (f *Filter) decide(ctx context.Context, env *Envelope, msg *mimetree.Message, cp policy.Copy) *decision.Decision {
	p := &cp.Group.Params
	spam, err := f.checkSpam(ctx, env, msg, p)
	if err != nil && p.FailureAction != "accept" {
		return f.failed(cp, fmt.Errorf("anti-spam: %w", err))
	}
	objs := f.scanObjects(ctx, msg, p, spam.Status)
	statuses := make([]policy.AVStatus, len(objs))
	for i, o := range objs {
		statuses[i] = o.finding.Status
	}
	verdict := p.Decide(spam.Status, statuses, env.From == "")
	d := &decision.Decision{
		Group:       cp.Group.Name,
		Recipients:  cp.Recipients,
		Disposition: decision.Deliver,
		Spam:        spamReport(spam),
		Statuses:    verdict.Flags.Names(),
	}
	if err != nil {
		d.Error = "anti-spam failed, accepted unchecked: " + err.Error()
	}
	d.Modifications = f.headerMods(env, msg, cp.Group, spam, objs, verdict)
	d.Modifications = append(d.Modifications, f.objectMods(env, d, objs, p)...)
	f.finish(d, env, cp, verdict)
	f.disclaimer(d, env, cp.Group)
	return d
}

// disclaimer appends the group's informational text to a delivered copy. A
// failing template costs the text, never the message: it is logged.
func (f *Filter) disclaimer(d *decision.Decision, env *Envelope, g *policy.Group) {
	if !g.Params.AddDisclaimer || d.Disposition != decision.Deliver || f.opts.Disclaimer == nil {
		return
	}
	text, err := f.opts.Disclaimer(d, env, g)
	if err != nil {
		f.log.Error("disclaimer template failed, no text appended", "queue_id", env.QueueID, "group", g.Name, "error", err)
		return
	}
	if strings.TrimSpace(text) != "" {
		d.Modifications = append(d.Modifications, decision.Modification{Op: decision.BodyAppend, Text: text})
	}
}

// checkSpam runs the anti-spam engine, turning a panic into an error.
func (f *Filter) checkSpam(ctx context.Context, env *Envelope, msg *mimetree.Message, p *policy.Params) (res antispam.Result, err error) {
	res.Status = policy.ASNotChecked
	if !p.CheckSpam || f.opts.Spam == nil {
		return res, nil
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = antispam.Result{Status: policy.ASNotChecked}, fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	res, err = f.opts.Spam.CheckSpam(ctx, env, msg, p)
	if err != nil {
		return antispam.Result{Status: policy.ASNotChecked}, err
	}
	if res.Status == "" {
		res.Status = policy.ASNotDetected
	}
	return res, nil
}

// scanObjects gives every leaf object its status: guide 4.2 steps 4–6.
func (f *Filter) scanObjects(ctx context.Context, msg *mimetree.Message, p *policy.Params, as policy.ASStatus) []scanned {
	skip := p.SkipAV(as)
	var out []scanned
	for _, obj := range msg.Objects {
		if obj.Kind == mimetree.KindMultipart || obj.Kind == mimetree.KindMessage {
			// An attached message (.eml) is an attachment for the name/MIME
			// filter as a whole; its parts are still scanned one by one.
			if !skip && obj.Kind == mimetree.KindMessage && isAttachment(obj) && filtered(obj, p) {
				out = append(out, scanned{obj: obj, finding: av.Finding{Status: policy.AVFiltered}})
			}
			continue
		}
		s := scanned{obj: obj, finding: av.Finding{Status: policy.AVNotChecked}}
		switch {
		case skip:
		case obj.Err != nil:
			s.finding.Status, s.detail = policy.AVError, obj.Err.Error()
		case isAttachment(obj) && filtered(obj, p):
			s.finding.Status = policy.AVFiltered
		case f.opts.Virus == nil:
			s.detail = noEngine
		default:
			s.finding, s.detail = f.scanOne(ctx, obj, p)
		}
		out = append(out, s)
	}
	return out
}

// scanOne calls the scanner. Failures and panics give the error status,
// never clean; a disinfected finding without cured content counts as
// infected because there is nothing clean to deliver.
func (f *Filter) scanOne(ctx context.Context, obj *mimetree.Object, p *policy.Params) (fd av.Finding, detail string) {
	defer func() {
		if r := recover(); r != nil {
			fd, detail = av.Finding{Status: policy.AVError}, fmt.Sprintf("scanner panic: %v", r)
		}
	}()
	fd, err := f.opts.Virus.ScanObject(ctx, obj, p)
	switch {
	case err != nil:
		return av.Finding{Status: policy.AVError}, err.Error()
	case fd.Status == "":
		return av.Finding{Status: policy.AVError}, "scanner returned no status"
	case fd.Status == policy.AVDisinfected && fd.Cured == nil:
		fd.Status = policy.AVInfected
	}
	return fd, fd.Detail
}

// filtered applies the name/MIME filter with both the declared type and the
// type the content really has: a declared type can lie either way.
func filtered(obj *mimetree.Object, p *policy.Params) bool {
	return p.Filtered(obj.Name, obj.MediaType) || p.Filtered(obj.Name, extract.DetectType(obj.Content, obj.Name))
}

// isAttachment reports whether the name/MIME filter applies to obj: named
// parts, parts marked as attachments, and uuencoded blocks. The text of the
// message itself is never filtered away.
func isAttachment(obj *mimetree.Object) bool {
	return obj.Name != "" || obj.Disposition == "attachment" || obj.Kind == mimetree.KindUUEncoded
}

func spamReport(r antispam.Result) decision.Spam {
	s := decision.Spam{Status: string(r.Status), Score: r.Score, Method: r.Method, Rules: []string{}}
	for _, rule := range r.Rules {
		s.Rules = append(s.Rules, rule.Name)
	}
	return s
}

// objectMods turns per-object actions into part edits, and fills
// d.Objects. An object inside one already removed or replaced needs no
// edit of its own.
func (f *Filter) objectMods(env *Envelope, d *decision.Decision, objs []scanned, p *policy.Params) []decision.Modification {
	var mods []decision.Modification
	edited := map[*mimetree.Object]bool{}
	for _, s := range objs {
		action := p.ObjectAction(s.finding.Status)
		rep := decision.Object{Path: s.obj.Path, Name: s.obj.Name, MIME: s.obj.MediaType,
			Status: string(s.finding.Status), Signature: s.finding.Signature, Action: string(action), Detail: s.detail}
		d.Objects = append(d.Objects, rep)
		if action == policy.ActPass || insideEdited(s.obj, edited) {
			continue
		}
		edited[s.obj] = true
		switch action {
		case policy.ActRemove:
			mods = append(mods, decision.Modification{Op: decision.PartRemove, Path: s.obj.Path})
		case policy.ActPlaceholder:
			mods = append(mods, decision.Modification{Op: decision.PartReplace, Path: s.obj.Path,
				ContentType: "text/plain; charset=utf-8", Content: []byte(f.placeholder(rep, env, d.Group))})
		case policy.ActCure:
			mods = append(mods, decision.Modification{Op: decision.PartReplace, Path: s.obj.Path,
				ContentType: s.obj.MediaType, FileName: s.obj.Name, Content: s.finding.Cured})
		}
	}
	return mods
}

func insideEdited(obj *mimetree.Object, edited map[*mimetree.Object]bool) bool {
	for o := obj.Parent; o != nil; o = o.Parent {
		if edited[o] {
			return true
		}
	}
	return false
}

// placeholder renders the configured placeholder text, falling back to the
// built-in one (and logging why) so that a broken template never keeps an
// infected object in the message.
func (f *Filter) placeholder(o decision.Object, env *Envelope, group string) string {
	if f.opts.Placeholder != nil {
		text, err := f.opts.Placeholder(o, env, group)
		if err == nil {
			return text
		}
		f.log.Error("placeholder template failed, built-in text used", "queue_id", env.QueueID, "error", err)
	}
	return defaultPlaceholder(o)
}

func defaultPlaceholder(o decision.Object) string {
	name := o.Name
	if name == "" {
		name = "(unnamed " + o.MIME + " part)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The attachment %s was removed by the mail gateway.\n", name)
	fmt.Fprintf(&b, "Status: %s\n", o.Status)
	if o.Signature != "" {
		fmt.Fprintf(&b, "Detected: %s\n", o.Signature)
	}
	return b.String()
}

// finish sets the disposition and the quarantine and notification requests.
func (f *Filter) finish(d *decision.Decision, env *Envelope, cp policy.Copy, v policy.Verdict) {
	p := &cp.Group.Params
	if v.Block {
		d.Disposition = decision.Block
		if p.BlockReply != nil {
			r := *p.BlockReply
			d.Reply = &r
			d.Disposition = decision.Reject
			if r.Code < 500 {
				d.Disposition = decision.Tempfail
			}
		}
	}
	if as := v.Quarantine & policy.FlagsAS; as != 0 {
		d.Quarantine = append(d.Quarantine, decision.Quarantine{Store: "as", Path: p.ASQuarantinePath, Statuses: as.Names()})
	}
	if avf := v.Quarantine &^ policy.FlagsAS; avf != 0 {
		d.Quarantine = append(d.Quarantine, decision.Quarantine{Store: "av", Path: p.AVQuarantinePath, Statuses: avf.Names()})
	}
	d.Notify = []decision.Notification{}
	add := func(to string, flags policy.Flag, addrs []string) {
		if flags != 0 && len(addrs) > 0 {
			d.Notify = append(d.Notify, decision.Notification{To: to, Addresses: addrs, Statuses: flags.Names(),
				From: p.NotifyFromAddress})
		}
	}
	add("admin", v.NotifyAdmin, []string{p.AdminNotifyAddress})
	add("recipient", v.NotifyRecipient, cp.Recipients)
	if env.From != "" {
		add("sender", v.NotifySender, []string{env.From})
	}
}
