package engine

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
	"golang.org/x/net/publicsuffix"
)

// Limits of the formal signs. They say what the sign is, not how much it
// weighs: the weights are in the rules table.
const (
	subjectMaxRunes = 120 // SpamHeadersSubjectTooLong
	digitRun        = 5   // SpamHeadersFromOrToDigits: digits in a row
	scriptMinRunes  = 2   // SpamHeadersMarkAll*: runes of the script
	maxHops         = 15  // Received headers of a normal path
	tinyBody        = 20  // characters of text
	imageOnlyText   = 50  // characters of text beside images
)

var (
	digitsRE  = regexp.MustCompile(fmt.Sprintf(`[0-9]{%d,}`, digitRun))
	wsDotsRE  = regexp.MustCompile(`[ \t\x{3000}]{3,}|\.{4,}|(?:\. ){3,}`)
	subjIDRE  = regexp.MustCompile(`(?i)(?:^|[\s\-_:#(\[])(?:#|id|no\.?|ref)?[:#]?\s*[0-9]{5,}[)\]]?\s*$|\b[0-9]{1,2}:[0-9]{2}:[0-9]{2}\s*$|\b[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ]?[0-9]{2}:?[0-9]{2}:?[0-9]{2}\s*$`)
	undiscRE  = regexp.MustCompile(`(?i)undisclosed[ _-]*recipients?|^\s*:;\s*$|^\s*$`)
	precedRE  = regexp.MustCompile(`(?i)^\s*(bulk|list|junk)\b`)
	autoSubRE = regexp.MustCompile(`(?i)^\s*no\s*$`)
)

// checkFormal runs the header, structure and envelope signs (guide 4.3.1)
// and marks automatically generated messages as formal.
func checkFormal(v *verdict, in *input, p *policy.Params) {
	on := func(name string) bool { return p.Checks[name] }
	checkAddresses(v, in, on)
	checkSubject(v, in, on)
	checkScripts(v, in, on)
	checkStructure(v, in)
	checkDates(v, in)
	checkMessageID(v, in)
	checkBase64Text(v, in)
	checkSender(v, in)
	checkPriority(v, in)
	checkSubjectShape(v, in)
	checkEnvelope(v, in)
	checkAutomatic(v, in)
}

func checkAddresses(v *verdict, in *input, on func(string) bool) {
	if on("SpamHeadersToUndisclosed") {
		for _, h := range in.to {
			if undiscRE.MatchString(h.raw) {
				v.add(antispam.RuleToUndisclosed, "To: "+short(h.raw))
				break
			}
		}
	}
	if on("SpamHeadersFromOrToDigits") {
		for _, a := range in.from.addrs {
			if digitsRE.MatchString(a) {
				v.add(antispam.RuleFromDigits, "From: "+short(a))
			}
		}
		for _, a := range allAddrs(in.to) {
			if digitsRE.MatchString(a) {
				v.add(antispam.RuleToDigits, "To: "+short(a))
			}
		}
	}
	if on("SpamHeadersFromOrToNoDomain") {
		for _, a := range in.from.addrs {
			if domainOf(a) == "" {
				v.add(antispam.RuleFromNoDomain, "From: "+short(a))
			}
		}
		for _, h := range in.to {
			if undiscRE.MatchString(h.raw) {
				continue // a group syntax without members is not an address
			}
			for _, a := range h.addrs {
				if domainOf(a) == "" {
					v.add(antispam.RuleToNoDomain, "To: "+short(a))
				}
			}
		}
	}
}

func checkSubject(v *verdict, in *input, on func(string) bool) {
	s := in.subject
	if n := utf8.RuneCountInString(s); on("SpamHeadersSubjectTooLong") && n > subjectMaxRunes {
		v.add(antispam.RuleSubjectTooLong, fmt.Sprintf("%d characters", n))
	}
	if on("SpamHeadersSubjectWSOrDots") && wsDotsRE.MatchString(strings.TrimSpace(s)) {
		v.add(antispam.RuleSubjectWSOrDots, "Subject: "+short(s))
	}
	if on("SpamHeadersSubjectDigitIDOrTimestamp") && subjIDRE.MatchString(s) {
		v.add(antispam.RuleSubjectDigitID, "Subject: "+short(s))
	}
}

// checkScripts looks for Chinese, Korean, Thai and Japanese text in the
// Subject and the display names of From and To. Han characters without
// kana count as Chinese: Japanese text almost always has kana.
func checkScripts(v *verdict, in *input, on func(string) bool) {
	text := in.subject + " " + strings.Join(in.from.names, " ")
	for _, h := range in.to {
		text += " " + strings.Join(h.names, " ")
	}
	var han, kana, hangul, thai int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Thai, r):
			thai++
		}
	}
	mark := func(check, rule string, n int, what string) {
		if on(check) && n >= scriptMinRunes {
			v.add(rule, what+" text in headers")
		}
	}
	mark("SpamHeadersMarkAllJapanese", antispam.RuleJapanese, kana, "Japanese")
	if kana == 0 {
		mark("SpamHeadersMarkAllChinese", antispam.RuleChinese, han, "Chinese")
	}
	mark("SpamHeadersMarkAllKorean", antispam.RuleKorean, hangul, "Korean")
	mark("SpamHeadersMarkAllThai", antispam.RuleThai, thai, "Thai")
}

// checkStructure looks at which headers are missing and at the shape of
// the body.
func checkStructure(v *verdict, in *input) {
	h := in.msg.Header
	if !in.from.present || len(in.from.addrs) == 0 {
		v.add(antispam.RuleNoFrom, "")
	}
	if !h.Has("Date") {
		v.add(antispam.RuleNoDate, "")
	}
	if !h.Has("Message-Id") {
		v.add(antispam.RuleNoMessageID, "")
	}
	if strings.TrimSpace(in.subject) == "" {
		v.add(antispam.RuleNoSubject, "")
	}
	if n := len(h.Values("Received")); n > maxHops {
		v.add(antispam.RuleManyHops, fmt.Sprintf("%d Received headers", n))
	}
	var plain, html, images, attachments int
	textLen := 0
	for _, o := range in.msg.Objects {
		if o.Kind != mimetree.KindLeaf {
			continue
		}
		isText := o.Disposition != "attachment" && (o.MediaType == "text/plain" || o.MediaType == "text/html")
		switch {
		case isText && o.MediaType == "text/plain":
			plain++
			textLen += len(bytes.TrimSpace(o.Content))
		case isText:
			html++
			textLen += len(bytes.TrimSpace(o.Content))
		case strings.HasPrefix(o.MediaType, "image/"):
			images++
		default:
			attachments++
		}
	}
	switch {
	case plain+html == 0 && images+attachments > 0:
		v.add(antispam.RuleNoText, "")
	case html > 0 && plain == 0:
		v.add(antispam.RuleHTMLOnly, "")
	}
	if images > 0 && textLen < imageOnlyText {
		v.add(antispam.RuleImageOnly, fmt.Sprintf("%d images", images))
	} else if images+attachments == 0 && textLen < tinyBody {
		v.add(antispam.RuleTinyMessage, "")
	}
}

// checkEnvelope compares what the SMTP session said with the header.
func checkEnvelope(v *verdict, in *input) {
	if in.env.From != "" && len(in.from.addrs) > 0 {
		ed, hd := registered(domainOf(in.env.From)), registered(domainOf(in.from.addrs[0]))
		if ed != "" && hd != "" && ed != hd {
			v.add(antispam.RuleFromMismatch, ed+" / "+hd)
		}
	}
	if len(in.env.Rcpts) > 0 && len(in.to)+len(in.cc) > 0 {
		inHeader := map[string]bool{}
		for _, a := range append(allAddrs(in.to), allAddrs(in.cc)...) {
			inHeader[strings.ToLower(a)] = true
		}
		for _, r := range in.env.Rcpts {
			if inHeader[strings.ToLower(r)] {
				return
			}
		}
		v.add(antispam.RuleRcptNotInHdr, "")
	}
}

// checkAutomatic marks delivery reports, disposition notifications and
// auto-replies: they get the formal status unless they score as spam or
// probable spam.
func checkAutomatic(v *verdict, in *input) {
	h := in.msg.Header
	if a := h.Get("Auto-Submitted"); a != "" && !autoSubRE.MatchString(a) {
		v.formal = true
		v.add(antispam.RuleAutoSubmitted, "Auto-Submitted: "+short(a))
	}
	root := in.msg.Root
	if root != nil && root.MediaType == "multipart/report" {
		switch strings.ToLower(root.Params["report-type"]) {
		case "delivery-status":
			v.formal = true
			v.add(antispam.RuleDSN, "")
		case "disposition-notification":
			v.formal = true
			v.add(antispam.RuleMDN, "")
		}
	}
	if p := h.Get("Precedence"); precedRE.MatchString(p) {
		v.formal = true
		v.add(antispam.RulePrecedence, "Precedence: "+short(p))
	}
}

// registered is the registered domain (eTLD+1) of a host, or the host
// itself when it has none.
func registered(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return ""
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

func allAddrs(hs []header) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.addrs...)
	}
	return out
}

// short keeps a reason readable in one header line.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		return string(r[:57]) + "..."
	}
	return s
}
