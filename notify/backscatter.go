package notify

import (
	"strings"

	"github.com/emersion/go-message"

	"github.com/mailgw/mailgw/decision"
)

// ShouldNotify decides whether the notice req about the copy d (nil when
// unknown) of the message with envelope env and top-level header hdr may
// be sent, and if not, why. The rules, in order:
//
//  1. Never about a notice or DSN of this gateway (X-MailGW-Notification
//     present), for any audience: two gateways notifying each other, or
//     one notifying itself, would loop.
//  2. Never without addresses.
//  3. Admin notices are sent for every other message, automatic ones
//     included: the administrator wants to know about a virus in a bounce
//     or a list post, and the address is the administrator's own, so it
//     cannot be backscatter.
//  4. Sender notices never concern spam (any as/ status in req or d): the
//     sender address of spam is almost always forged, and a notice would
//     go to an innocent third party (backscatter).
//  5. Sender and recipient notices are never sent about a message with the
//     null sender <>: it is itself a bounce or another automatic message
//     (RFC 5321 §4.5.5), and answering it risks a loop.
//  6. Nor about a message that says it was generated automatically:
//     Auto-Submitted other than "no" (RFC 3834 §5), Precedence bulk, junk
//     or list (RFC 3834 §2), or a multipart/report content type (a DSN or
//     MDN, RFC 6522).
//  7. Sender notices are not sent about mailing list posts (List-Id,
//     RFC 2919, or List-Unsubscribe, RFC 2369): the envelope sender is the
//     list's bounce address, where a notice would count as a bounce and
//     unsubscribe the recipient, or reach every member. Recipient notices
//     stay: the recipient subscribed and may want to know.
//  8. Sender notices are not sent to addresses that are automatic by
//     convention (MAILER-DAEMON, owner-*, *-request; RFC 3834 §2).
func ShouldNotify(req decision.Notification, d *decision.Decision, env Envelope, hdr message.Header) (bool, string) {
	switch {
	case hdr.Has(HeaderName):
		return false, "the message is a notice of this gateway (" + HeaderName + ")"
	case len(req.Addresses) == 0:
		return false, "no addresses to notify"
	case req.To == "admin":
		return true, ""
	case req.To == "sender" && aboutSpam(req, d):
		return false, "sender notices never concern spam: its sender address is usually forged"
	case env.From == "":
		return false, "the message has the null sender <>"
	}
	if why := automatic(hdr); why != "" {
		return false, "the message was generated automatically (" + why + ")"
	}
	if req.To != "sender" {
		return true, ""
	}
	if why := listPost(hdr); why != "" {
		return false, "the message is a mailing list post (" + why + ")"
	}
	if automaticAddress(env.From) {
		return false, "the sender address " + env.From + " is an automatic one"
	}
	return true, ""
}

// aboutSpam reports whether req or the copy carries an anti-spam status.
func aboutSpam(req decision.Notification, d *decision.Decision) bool {
	statuses := req.Statuses
	if d != nil {
		statuses = append(append([]string(nil), statuses...), d.Statuses...)
	}
	for _, s := range statuses {
		if strings.HasPrefix(strings.ToLower(s), "as/") {
			return true
		}
	}
	return false
}

// automatic names the header field showing hdr's message was generated
// automatically, "" when none does.
func automatic(hdr message.Header) string {
	if v := strings.ToLower(strings.TrimSpace(hdr.Get("Auto-Submitted"))); v != "" && !isNo(v) {
		return "Auto-Submitted: " + v
	}
	switch v := strings.ToLower(strings.TrimSpace(hdr.Get("Precedence"))); v {
	case "bulk", "junk", "list":
		return "Precedence: " + v
	}
	// The raw value, not a parsed one: a report with broken parameters is
	// still a report.
	if t := strings.ToLower(strings.TrimSpace(hdr.Get("Content-Type"))); strings.HasPrefix(t, "multipart/report") {
		return "Content-Type: multipart/report"
	}
	return ""
}

// isNo reports whether an Auto-Submitted value is "no", which may carry
// a comment or parameters (RFC 3834 §5: auto-submitted-field).
func isNo(v string) bool {
	word, _, _ := strings.Cut(v, ";")
	word, _, _ = strings.Cut(word, "(")
	return strings.TrimSpace(word) == "no"
}

func listPost(hdr message.Header) string {
	for _, k := range []string{"List-Id", "List-Unsubscribe"} {
		if hdr.Has(k) {
			return k
		}
	}
	return ""
}

// automaticAddress reports local parts that RFC 3834 §2 names as signs of
// automatic senders.
func automaticAddress(addr string) bool {
	local := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local = addr[:i]
	}
	local = strings.ToLower(local)
	return local == "mailer-daemon" || strings.HasPrefix(local, "owner-") || strings.HasSuffix(local, "-request")
}
