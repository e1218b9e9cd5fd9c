package filter

import (
	"sort"
	"strconv"
	"strings"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// Header names the gateway writes. Every header of these families found in
// incoming mail is deleted before ours are added, so a sender cannot forge
// a verdict (docs/headers.md).
const (
	HdrStatus         = "X-SpamTest-Status"
	HdrStatusExtended = "X-SpamTest-Status-Extended"
	HdrRate           = "X-SpamTest-Rate"
	HdrMethod         = "X-SpamTest-Method"
	HdrInfo           = "X-SpamTest-Info"
	HdrGroupID        = "X-SpamTest-Group-ID"
	HdrEnvelopeFrom   = "X-SpamTest-Envelope-From"
	HdrVersion        = "X-SpamTest-Version"
	HdrAVStatus       = "X-MailGW-AV-Status"

	ownPrefixSpam = "x-spamtest-"
	ownPrefixGW   = "x-mailgw-"
	maxInfoRules  = 20 // more X-SpamTest-Info lines help nobody and bloat the header
)

// headerMods builds the header part of a Decision: remove forged copies of
// our headers, mark the subject, then add our headers in a fixed order.
func (f *Filter) headerMods(env *Envelope, msg *mimetree.Message, g *policy.Group, spam antispam.Result,
	objs []scanned, v policy.Verdict) []decision.Modification {
	p := &g.Params
	mods := stripOwnHeaders(msg)
	mods = append(mods, subjectMods(msg, v.SubjectMark)...)
	add := func(name, value string) {
		mods = append(mods, decision.Modification{Op: decision.HeaderAdd, Name: name, Value: value})
	}
	if p.CheckSpam {
		for _, h := range f.spamHeaders(env, g.Name, spam) {
			add(h[0], h[1])
		}
	}
	if p.CheckAV {
		add(HdrAVStatus, avSummary(objs))
	}
	return mods
}

func stripOwnHeaders(msg *mimetree.Message) []decision.Modification {
	counts := map[string]int{}
	var names []string
	fields := msg.Header.Fields()
	for fields.Next() {
		k := fields.Key()
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, ownPrefixSpam) && !strings.HasPrefix(lk, ownPrefixGW) {
			continue
		}
		if counts[lk] == 0 {
			names = append(names, k)
		}
		counts[lk]++
	}
	sort.Strings(names)
	var mods []decision.Modification
	for _, k := range names {
		// Last occurrence first: indexes stay right whether the MTA applies
		// deletions one after another or against the original header.
		for i := counts[strings.ToLower(k)]; i >= 1; i-- {
			mods = append(mods, decision.Modification{Op: decision.HeaderDelete, Name: k, Index: i})
		}
	}
	return mods
}

// subjectMods prefixes the Subject with mark, once: a message marked by an
// earlier pass is not marked again.
func subjectMods(msg *mimetree.Message, mark string) []decision.Modification {
	if mark == "" {
		return nil
	}
	raw, ok := decision.RawValue(msg, "Subject", 1)
	if !ok {
		return []decision.Modification{{Op: decision.HeaderAdd, Name: "Subject", Value: mark}}
	}
	if strings.HasPrefix(raw, mark) {
		return nil
	}
	value := mark
	if raw != "" {
		value += " " + raw
	}
	return []decision.Modification{{Op: decision.HeaderChange, Name: "Subject", Index: 1, Value: value}}
}

// spamHeaders returns the X-SpamTest-* headers as name/value pairs.
func (f *Filter) spamHeaders(env *Envelope, group string, r antispam.Result) [][2]string {
	hs := [][2]string{}
	if r.Status == policy.ASNotChecked {
		hs = append(hs, [2]string{HdrInfo, "Not processed"})
	} else {
		method := r.Method
		if method == "" {
			method = "none"
		}
		hs = append(hs,
			[2]string{HdrStatus, statusText(r.Status)},
			[2]string{HdrStatusExtended, extendedStatus(r.Status)},
			[2]string{HdrRate, strconv.FormatFloat(r.Score, 'f', -1, 64)},
			[2]string{HdrMethod, method})
		if info := infoValue(r.Rules); info != "" {
			hs = append(hs, [2]string{HdrInfo, info})
		}
	}
	from := env.From
	return append(hs,
		[2]string{HdrGroupID, group},
		[2]string{HdrEnvelopeFrom, "<" + from + ">"},
		[2]string{HdrVersion, "mailgw " + f.opts.Version})
}

// infoValue is the rules that fired, one per line of a single folded
// field. One field rather than one per rule: each header a milter adds is
// a separate edit of the MTA's queue file (for Postfix, two seeks and
// writes), so the count of added fields is the largest cost a clean
// message puts on the MTA. Header filters (Sieve :contains, procmail)
// match inside a folded field just the same.
func infoValue(rules []antispam.Rule) string {
	var b strings.Builder
	for i, rule := range rules {
		if i == maxInfoRules {
			break
		}
		if i > 0 {
			b.WriteString(decision.Fold + "\t")
		}
		b.WriteString(infoLine(rule))
	}
	return b.String()
}

func infoLine(r antispam.Rule) string {
	s := r.Name
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return sanitize(s)
}

// sanitize keeps a header value on one line of printable text.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// statusText is the short X-SpamTest-Status value mail clients filter on.
func statusText(s policy.ASStatus) string {
	switch s {
	case policy.ASSpam, policy.ASBlacklisted:
		return "Spam"
	case policy.ASProbable:
		return "Probable Spam"
	}
	return "Not detected"
}

func extendedStatus(s policy.ASStatus) string {
	if s == policy.ASProbable {
		return "probable_spam"
	}
	return string(s)
}

// avSummary is the X-MailGW-AV-Status value: the worst object status, then
// the signatures found, e.g. "infected (EICAR-Test-File)".
func avSummary(objs []scanned) string {
	worst := policy.AVNotChecked
	var sigs []string
	seen := map[string]bool{}
	for _, o := range objs {
		if policy.Worse(o.finding.Status, worst) {
			worst = o.finding.Status
		}
		if sig := o.finding.Signature; sig != "" && !seen[sig] {
			seen[sig] = true
			sigs = append(sigs, sanitize(sig))
		}
	}
	if len(sigs) == 0 {
		return string(worst)
	}
	return string(worst) + " (" + strings.Join(sigs, ", ") + ")"
}
