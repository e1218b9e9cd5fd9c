package policy

import (
	"fmt"
	"strings"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/decision"
)

// Section names owned by this package.
const (
	PolicySection  = "mailgw.policy"
	GroupPrefix    = "mailgw.group:"
	NetlistPrefix  = "mailgw.netlist:"
	DefaultGroupID = "policy" // the name reported for the implicit default group
)

// Params are the rules of one group: everything a group section may set.
// A group inherits every parameter it does not set from [mailgw.policy].
type Params struct {
	CheckSpam, CheckAV           bool
	AVCure                       bool
	AVScanArchives               bool
	AVScanMailBases              bool
	SpamRateLimit                string // minimum | standard | high | maximum
	SpamCheckSizeLimit           int64  // bytes; larger messages skip content analysis
	MarkSubject                  Flag   // AS flags only
	SubjectMarks                 map[ASStatus]string
	Actions                      map[AVStatus]Action
	BlockMessage                 Flag
	QuarantineMessage            Flag
	NotifyAdmin                  Flag
	NotifyRecipient              Flag
	NotifySender                 Flag
	IncludeByName, ExcludeByName []string
	IncludeByMime, ExcludeByMime []string
	AVQuarantinePath             string
	ASQuarantinePath             string
	AdminNotifyAddress           string
	NotifyFromAddress            string
	BlockReply                   *decision.Reply // nil: a blocked message is dropped without a reply
	FailureAction                string          // tempfail | accept
	AddDisclaimer                bool            // append the disclaimer text to delivered copies (guide 6.12)
	DisclaimerTemplate           config.Value    // this group's disclaimer template file; empty: [mailgw.templates]
	// Checks lists the switches read by the anti-spam engine
	// (SpamUseDNS, SpamCheckDNSBL, SpamHeaders*...), by canonical name.
	Checks map[string]bool
}

// rateLimitAliases maps the older SpamDetection spellings onto SpamRateLimit.
var rateLimitAliases = map[string]string{"soft": "minimum", "hard": "high"}

func decodeParams(c *config.Config, section string, errs *config.ErrorList) Params {
	p := Params{
		CheckSpam:          c.Bool(section, "CheckSpam"),
		CheckAV:            c.Bool(section, "CheckAV"),
		AVCure:             c.Bool(section, "AVCure"),
		AVScanArchives:     c.Bool(section, "AVScanArchives"),
		AVScanMailBases:    c.Bool(section, "AVScanMailBases"),
		SpamCheckSizeLimit: c.Int(section, "SpamCheckSizeLimit") * 1024,
		AVQuarantinePath:   c.String(section, "AVQuarantinePath"),
		ASQuarantinePath:   c.String(section, "ASQuarantinePath"),
		AdminNotifyAddress: c.String(section, "AdminNotifyAddress"),
		NotifyFromAddress:  c.String(section, "NotifyFromAddress"),
		FailureAction:      strings.ToLower(c.String(section, "FailureAction")),
		AddDisclaimer:      c.Bool(section, "AddDisclaimer"),
		Checks:             map[string]bool{},
	}
	rate := strings.ToLower(c.String(section, "SpamRateLimit"))
	if alias, ok := rateLimitAliases[rate]; ok {
		rate = alias
	}
	p.SpamRateLimit = rate
	p.MarkSubject = decodeMarks(c, section, errs)
	p.SubjectMarks = map[ASStatus]string{
		ASSpam:        c.String(section, "SubjectMarkSpam"),
		ASProbable:    c.String(section, "SubjectMarkProbable"),
		ASFormal:      c.String(section, "SubjectMarkFormal"),
		ASBlacklisted: c.String(section, "SubjectMarkBlacklisted"),
	}
	p.BlockMessage = decodeFlags(c, section, "BlockMessage", errs)
	p.QuarantineMessage = decodeFlags(c, section, "QuarantineMessage", errs)
	p.NotifyAdmin = decodeFlags(c, section, "NotifyAdmin", errs)
	p.NotifyRecipient = decodeFlags(c, section, "NotifyRecipient", errs)
	p.NotifySender = decodeFlags(c, section, "NotifySender", errs)
	p.Actions = decodeActions(c, section, errs)
	p.IncludeByName = texts(c.List(section, "IncludeByName"))
	p.ExcludeByName = texts(c.List(section, "ExcludeByName"))
	p.IncludeByMime = lower(texts(c.List(section, "IncludeByMime")))
	p.ExcludeByMime = lower(texts(c.List(section, "ExcludeByMime")))
	p.BlockReply = decodeReply(c, section, errs)
	if vals, _ := c.Lookup(section, "DisclaimerTemplate"); len(vals) > 0 && vals[len(vals)-1].Text != "" {
		p.DisclaimerTemplate = vals[len(vals)-1]
	}
	for _, name := range engineChecks {
		p.Checks[name] = c.Bool(section, name)
	}
	return p
}

func decodeFlags(c *config.Config, section, key string, errs *config.ErrorList) Flag {
	var set Flag
	for _, v := range c.List(section, key) {
		f, err := ParseFlag(v.Text)
		if err != nil {
			errs.Add(v.Pos, "%s: %v", key, err)
			continue
		}
		set |= f
	}
	return set
}

// decodeMarks reads MarkSubject, whose items are AS statuses written with or
// without the "as/" prefix (the guide writes MarkSubject=spam,probable).
func decodeMarks(c *config.Config, section string, errs *config.ErrorList) Flag {
	var set Flag
	for _, v := range c.List(section, "MarkSubject") {
		item := strings.ToLower(strings.TrimSpace(v.Text))
		if item != "" && item != "all" && item != "none" && !strings.Contains(item, "/") {
			item = "as/" + item
		}
		f, err := ParseFlag(item)
		if err == nil && f&^FlagsAS != 0 && item != "all" {
			err = fmt.Errorf("only anti-spam statuses can mark the subject")
		}
		if err != nil {
			errs.Add(v.Pos, "MarkSubject: %v", err)
			continue
		}
		set |= f & FlagsAS
	}
	return set
}

func decodeActions(c *config.Config, section string, errs *config.ErrorList) map[AVStatus]Action {
	keys := map[AVStatus]string{
		AVInfected: "ActionInfected", AVSuspicious: "ActionSuspicious",
		AVProtected: "ActionProtected", AVError: "ActionError",
		AVFiltered: "ActionFiltered", AVDisinfected: "ActionDisinfected",
	}
	out := map[AVStatus]Action{}
	for status, key := range keys {
		a := Action(strings.ToLower(c.String(section, key)))
		// Only a disinfected object has a cured version to put back (guide 4.4).
		if a == ActCure && status != AVDisinfected {
			vals, _ := c.Lookup(section, key)
			errs.Add(lastPos(vals, section), "%s=cure: only ActionDisinfected can cure; use pass, remove or placeholder", key)
			a = ActRemove
		}
		out[status] = a
	}
	return out
}

func decodeReply(c *config.Config, section string, errs *config.ErrorList) *decision.Reply {
	vals, _ := c.Lookup(section, "BlockReply")
	if len(vals) == 0 || strings.TrimSpace(vals[len(vals)-1].Text) == "" {
		return nil
	}
	r, err := decision.ParseReply(vals[len(vals)-1].Text)
	if err != nil {
		errs.Add(vals[len(vals)-1].Pos, "BlockReply: %v", err)
		return nil
	}
	return &r
}

func lastPos(vals []config.Value, section string) config.Pos {
	if len(vals) == 0 {
		return config.Pos{File: "[" + section + "]"}
	}
	return vals[len(vals)-1].Pos
}

func texts(vals []config.Value) []string {
	var out []string
	for _, v := range vals {
		if t := strings.TrimSpace(v.Text); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func lower(s []string) []string {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	return s
}
