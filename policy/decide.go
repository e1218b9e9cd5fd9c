package policy

import (
	"path"
	"strings"

	"github.com/mailgw/mailgw/mask"
)

// SkipAV reports whether anti-virus scanning and name/MIME filtering are
// skipped for a copy: CheckAV=false, or the anti-spam status already blocks
// the message (guide 4.2 step 3).
func (p *Params) SkipAV(as ASStatus) bool {
	return !p.CheckAV || p.BlockMessage&ASFlag(as) != 0
}

// ObjectAction returns what to do with an object of the given status.
func (p *Params) ObjectAction(s AVStatus) Action {
	if a, ok := p.Actions[s]; ok {
		return a
	}
	return ActPass
}

// Filtered applies IncludeByName/ExcludeByName/IncludeByMime/ExcludeByMime
// to an attachment. An object is filtered when it matches any Include mask,
// or when Exclude masks are set and it matches none of them. Only
// attachments are filtered: the message's own text is never removed because
// of ExcludeBy*.
func (p *Params) Filtered(name, mime string) bool {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "" {
		base = ""
	}
	if base != "" && anyMask(p.IncludeByName, base) || anyMask(p.IncludeByMime, mime) {
		return true
	}
	if len(p.ExcludeByName)+len(p.ExcludeByMime) == 0 {
		return false
	}
	return !(base != "" && anyMask(p.ExcludeByName, base)) && !anyMask(p.ExcludeByMime, mime)
}

func anyMask(masks []string, s string) bool {
	for _, m := range masks {
		if mask.Match(m, s) {
			return true
		}
	}
	return false
}

// Verdict is what the policy decides for one message copy once every check
// has reported.
type Verdict struct {
	Flags           Flag   // every status the copy has
	Block           bool   // BlockMessage matched
	Quarantine      Flag   // the statuses that matched QuarantineMessage
	NotifyAdmin     Flag   // statuses that matched NotifyAdmin
	NotifyRecipient Flag   //
	NotifySender    Flag   // never holds anti-spam statuses, and empty for the null sender
	SubjectMark     string // prefix for the Subject, "" for none
}

// Decide turns the statuses of a copy into message-level actions (guide 4.2
// step 8). objects holds the final status of every object.
func (p *Params) Decide(as ASStatus, objects []AVStatus, nullSender bool) Verdict {
	flags := ASFlag(as)
	for _, s := range objects {
		flags |= AVFlag(s)
	}
	v := Verdict{
		Flags:           flags,
		Block:           p.BlockMessage&flags != 0,
		Quarantine:      p.QuarantineMessage & flags,
		NotifyAdmin:     p.NotifyAdmin & flags,
		NotifyRecipient: p.NotifyRecipient & flags,
		// Telling a forged sender that their "spam" was caught only
		// produces backscatter, so anti-spam statuses never notify senders.
		NotifySender: p.NotifySender & flags &^ FlagsAS,
	}
	if nullSender {
		v.NotifySender = 0
	}
	if p.MarkSubject&ASFlag(as) != 0 {
		v.SubjectMark = p.SubjectMarks[as]
	}
	return v
}
