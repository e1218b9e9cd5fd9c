package engine

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/mimetree"
)

// Limits of the date and Subject-shape signs. As in formal.go they say
// what the sign is; the weights are in the rules table.
const (
	// dateFutureSlack is how far the Date field may lie after the time
	// the newest Received field was written: minutes of clock drift are
	// common, hours are not, unless the sender writes local time with a
	// wrong zone, as bulk-mail tools do.
	dateFutureSlack = 3 * time.Hour
	// capsMinLetters is how many letters a Subject needs before its
	// case says anything: "FYI" or "RE: CVS" are not shouting.
	capsMinLetters = 10
)

// Patterns of the shape signs.
var (
	// exclaimRE: three exclamation marks in a row, shouting that mail
	// between people rarely has.
	exclaimRE = regexp.MustCompile(`!{3,}`)
	// zoneRE: the numeric zone that ends a date-time (RFC 5322 3.3),
	// before an optional comment such as "(PDT)".
	zoneRE = regexp.MustCompile(`\s([+-][0-9]{4})\s*(?:\([^)]*\))?\s*$`)
	// moneyRE: an amount in dollars, or "$$".
	moneyRE = regexp.MustCompile(`\$\s?[0-9]|\$\$`)
	// priorityRE: X-Priority 1 (highest) or 2 (high), as Outlook writes
	// it ("1 (Highest)"), and X-MSMail-Priority: High.
	priorityRE = regexp.MustCompile(`(?i)^\s*(?:[12]\b|high\b)`)
)

// msgIDRE is one msg-id (RFC 5322 3.6.4) in its common dot-atom form;
// the obsolete and quoted forms are accepted as far as they keep the
// angle brackets and one "@".
var msgIDRE = regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`)

// checkDates fires DATE_BAD_ZONE for a numeric zone no place on earth
// has (RFC 5322 3.3; the offsets in use run from -12:00 to +14:00): bulk
// tools compute it wrongly. It also compares the Date field (RFC 5322 3.6.1, when the author
// sent the message) with the time stamp of the newest Received field
// (RFC 5321 4.4, after its last ";"), written by the relay the message
// passed last. Spam tools often write a date in the future, to stay on
// top of a mailbox sorted by date. A date long past is not a sign: mail
// resent from archives has one too. Without both time stamps nothing is
// said; NO_DATE covers a missing Date.
func checkDates(v *verdict, in *input) {
	h := in.msg.Header
	raw := strings.TrimSpace(h.Get("Date"))
	if z := zoneRE.FindStringSubmatch(raw); z != nil && !validZone(z[1]) {
		v.add(antispam.RuleDateBadZone, "Date: "+short(raw))
	}
	date, err := mail.ParseDate(raw)
	if err != nil {
		return
	}
	received, ok := receivedTime(h.Values("Received"))
	if !ok {
		return
	}
	if d := date.Sub(received); d > dateFutureSlack {
		v.add(antispam.RuleDateInFuture, fmt.Sprintf("Date %s after the newest Received", roundHours(d)))
	}
}

// validZone reports whether a numeric zone ("+hhmm" or "-hhmm", RFC 5322
// 3.3) is one of this world: from -12:00 to +14:00, minutes under 60.
func validZone(z string) bool {
	hh := int(z[1]-'0')*10 + int(z[2]-'0')
	mm := int(z[3]-'0')*10 + int(z[4]-'0')
	limit := 12
	if z[0] == '+' {
		limit = 14
	}
	return mm < 60 && hh*60+mm <= limit*60
}

// receivedTime returns the time stamp of the first (newest) Received
// field that has a readable one.
func receivedTime(fields []string) (time.Time, bool) {
	for _, f := range fields {
		i := strings.LastIndexByte(f, ';')
		if i < 0 {
			continue
		}
		if t, err := mail.ParseDate(strings.TrimSpace(f[i+1:])); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func roundHours(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%d hours", int(d/time.Hour))
}

// checkMessageID fires MESSAGE_ID_MALFORMED for a Message-ID that is not
// one msg-id of RFC 5322 3.6.4, "<" id-left "@" id-right ">": every MTA
// and mail program writes that form, hand-made bulk tools often do not.
// A missing field is NO_MESSAGE_ID's.
func checkMessageID(v *verdict, in *input) {
	h := in.msg.Header
	if !h.Has("Message-Id") {
		return
	}
	if id := strings.TrimSpace(h.Get("Message-Id")); !msgIDRE.MatchString(id) {
		v.add(antispam.RuleMessageIDMalformed, "Message-ID: "+short(id))
	}
}

// checkBase64Text fires TEXT_BASE64_ASCII for a text part sent in base64
// (RFC 2045 6.8) although it holds only 7-bit characters: mail programs
// choose base64 for text that needs it (8-bit charsets), and for plain
// ASCII write 7bit or quoted-printable; base64 of ASCII text hides its
// words from filters that read the raw message.
func checkBase64Text(v *verdict, in *input) {
	for _, o := range in.msg.Objects {
		if o.Kind != mimetree.KindLeaf || o.Disposition == "attachment" || len(o.Content) == 0 ||
			(o.MediaType != "text/plain" && o.MediaType != "text/html") {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(o.Header.Get("Content-Transfer-Encoding")), "base64") && ascii(o.Content) {
			v.add(antispam.RuleBase64ASCII, o.MediaType)
			return
		}
	}
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkSender fires FROM_NO_NAME for a From field with an address and no
// display name (or the address again as its name): people's mail
// programs write the name the user configured; bulk tools often write
// the bare address.
func checkSender(v *verdict, in *input) {
	if len(in.from.addrs) != 1 {
		return
	}
	name := ""
	if len(in.from.names) == 1 { // a broken field may have none
		name = strings.Trim(strings.TrimSpace(in.from.names[0]), `"'`)
	}
	if name == "" || strings.EqualFold(name, in.from.addrs[0]) || !strings.ContainsFunc(name, unicode.IsLetter) {
		v.add(antispam.RuleFromNoName, "From: "+short(in.from.addrs[0]))
	}
}

// checkPriority fires PRIORITY_HIGH for a message marked urgent by the
// sender's program (X-Priority, X-MSMail-Priority; no RFC, written by
// Outlook and its imitators): mail tools mark everything urgent.
func checkPriority(v *verdict, in *input) {
	h := in.msg.Header
	for _, k := range []string{"X-Priority", "X-MSMail-Priority"} {
		if p := h.Get(k); p != "" && priorityRE.MatchString(p) {
			v.add(antispam.RulePriorityHigh, k+": "+short(p))
			return
		}
	}
}

// checkTextSigns runs with the content checks, which read the text: it
// fires EXCLAMATION_RUN for "!!!" in the Subject or the text, and URL_IP
// for a link to a bare IP address: senders of mail people want have a
// name for their web server, senders of spam often a rented address.
func checkTextSigns(v *verdict, subject string, c *content) {
	if exclaimRE.MatchString(subject) || exclaimRE.MatchString(c.text) {
		v.add(antispam.RuleExclamationRun, "")
	}
	for _, l := range c.links {
		u, err := url.Parse(strings.TrimSpace(l))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		if h := u.Hostname(); h != "" && isIPHost(h) {
			v.add(antispam.RuleURLIP, short(l))
			return
		}
	}
}

// checkSubjectShape fires SUBJECT_ALL_CAPS for a Subject whose letters
// are all capitals, counted only for scripts that have case, and
// SUBJECT_MONEY for a dollar amount in it.
func checkSubjectShape(v *verdict, in *input) {
	letters, upper := 0, 0
	for _, r := range in.subject {
		if unicode.IsUpper(r) || unicode.IsLower(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	if letters >= capsMinLetters && upper == letters {
		v.add(antispam.RuleSubjectAllCaps, "Subject: "+short(in.subject))
	}
	if moneyRE.MatchString(in.subject) {
		v.add(antispam.RuleSubjectMoney, "Subject: "+short(in.subject))
	}
}
