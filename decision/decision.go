// Package decision defines the Decision: the one result the core returns
// for each group copy of a message — a disposition plus an ordered list of
// modifications, quarantine and notification requests — and the single
// implementation of how those modifications turn into bytes.
//
// Both front-ends use Plan: the milter sends Plan.HeaderMods as
// add/change-header actions and Plan.Body as a body replacement; the relay
// writes Plan.Apply's bytes to its queue. Because both read the same Plan,
// they produce the same message.
package decision

import (
	"fmt"
	"strings"
)

// Disposition is what happens to the copy as a whole.
type Disposition string

// Dispositions.
const (
	Deliver  Disposition = "deliver"  // deliver the (modified) copy
	Block    Disposition = "block"    // accept and do not deliver (milter: discard)
	Reject   Disposition = "reject"   // refuse with Reply (permanent, 5xx)
	Tempfail Disposition = "tempfail" // refuse with Reply (temporary, 4xx); the client retries
)

// Op is the kind of a modification.
type Op string

// Modification kinds. Header operations follow milter semantics
// (smfi_addheader/smfi_chgheader) so that the milter can pass them on as is.
const (
	HeaderAdd    Op = "header-add"    // append Name: Value at the end of the header
	HeaderChange Op = "header-change" // replace the Index-th (1-based) Name field's value
	HeaderDelete Op = "header-delete" // delete the Index-th (1-based) Name field
	PartRemove   Op = "part-remove"   // remove the object at Path
	PartReplace  Op = "part-replace"  // replace the object at Path with a single part
	BodyAppend   Op = "body-append"   // append Text to the message's text
)

// Fold is the line break inside a folded header value, as the Decision
// holds it; it is always followed by a space or a tab.
const Fold = "\r\n"

// Modification is one change to the message, applied in list order.
type Modification struct {
	Op   Op     `json:"op"`
	Name string `json:"name,omitempty"`
	// Value of a header operation. It may be folded (RFC 5322 section
	// 2.2.3): lines joined by Fold, each continuation starting with a
	// space or tab. Each adapter writes the fold with its own line ending.
	Value string `json:"value,omitempty"`
	Index int    `json:"index,omitempty"`
	Path  string `json:"path,omitempty"`
	// PartReplace: the replacement's media type (with parameters), file
	// name and decoded content.
	ContentType string `json:"content_type,omitempty"`
	FileName    string `json:"filename,omitempty"`
	Content     []byte `json:"-"`
	Text        string `json:"text,omitempty"` // BodyAppend
}

// Reply is an SMTP reply: code, enhanced status code (RFC 3463) and text.
type Reply struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Text     string `json:"text"`
}

func (r Reply) String() string {
	if r.Enhanced == "" {
		return fmt.Sprintf("%d %s", r.Code, r.Text)
	}
	return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text)
}

// TempfailReply is the generic reply for a copy that could not be checked:
// RFC 3463 4.3.0 "other or undefined mail system status". Details go to the
// log, never to the client.
func TempfailReply() Reply {
	return Reply{Code: 451, Enhanced: "4.3.0", Text: "Temporary failure, please try again later"}
}

// ParseReply parses "550 5.7.1 text" or "550 text". The code must be 4xx or
// 5xx (RFC 5321 §4.2.1), and an enhanced code must agree with its class.
func ParseReply(s string) (Reply, error) {
	fields := strings.Fields(s)
	var r Reply
	if len(fields) == 0 {
		return r, fmt.Errorf("empty SMTP reply")
	}
	if _, err := fmt.Sscanf(fields[0], "%d", &r.Code); err != nil || r.Code < 400 || r.Code > 599 || len(fields[0]) != 3 {
		return r, fmt.Errorf("SMTP reply %q must start with a 4xx or 5xx code", s)
	}
	rest := fields[1:]
	if len(rest) > 0 && isEnhanced(rest[0]) {
		if rest[0][0] != fields[0][0] {
			return r, fmt.Errorf("enhanced status %s does not match reply code %d", rest[0], r.Code)
		}
		r.Enhanced, rest = rest[0], rest[1:]
	}
	r.Text = strings.Join(rest, " ")
	if r.Text == "" {
		r.Text = "Message refused"
	}
	return r, nil
}

// isEnhanced reports whether s looks like class.subject.detail (RFC 3463 §2).
func isEnhanced(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// Quarantine asks for a copy of the original message to be stored.
type Quarantine struct {
	Store    string   `json:"store"` // "as" or "av"
	Path     string   `json:"path"`
	Statuses []string `json:"statuses"`
}

// Notification asks for a notice to be sent.
type Notification struct {
	To        string   `json:"to"` // "admin", "recipient" or "sender"
	Addresses []string `json:"addresses"`
	Statuses  []string `json:"statuses"`
	// From is the From: of the notice, the group's NotifyFromAddress;
	// "" lets the notice builder choose.
	From string `json:"from,omitempty"`
}

// Object reports the outcome for one object of the message.
type Object struct {
	Path      string `json:"path"`
	Name      string `json:"name"`
	MIME      string `json:"mime"`
	Status    string `json:"status"`
	Signature string `json:"signature"`
	Action    string `json:"action"`
	Detail    string `json:"detail,omitempty"` // why an error status was given
}

// Spam reports the anti-spam outcome.
type Spam struct {
	Status string   `json:"as_status"`
	Score  float64  `json:"as_score"`
	Method string   `json:"as_method,omitempty"`
	Rules  []string `json:"as_rules"`
}

// Decision is the core's result for one group copy of a message.
type Decision struct {
	Group         string         `json:"group"`
	Recipients    []string       `json:"recipients"`
	Disposition   Disposition    `json:"disposition"`
	Reply         *Reply         `json:"reply,omitempty"`
	Modifications []Modification `json:"modifications"`
	Quarantine    []Quarantine   `json:"quarantine_requests,omitempty"`
	Notify        []Notification `json:"notify"`
	Spam
	Objects  []Object `json:"objects"`
	Statuses []string `json:"statuses"`        // every status of the copy, as/... and av/...
	Error    string   `json:"error,omitempty"` // internal failure behind a tempfail, for the log
}
