package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message"

	"github.com/mailgw/mailgw/decision"
)

// HeaderName marks every message this package builds, so that the gateway
// never notifies about its own notices or DSNs (see ShouldNotify).
const HeaderName = "X-MailGW-Notification"

// Envelope is what the SMTP session knows about the original message.
type Envelope struct {
	QueueID string
	From    string    // envelope sender; "" for the null sender <>
	Arrival time.Time // when the message was received; zero: unknown
	// DSN parameters of MAIL FROM (RFC 3461), for BuildDSN.
	EnvID string // ENVID, "" when not given
	Ret   Ret    // RET; "" means RetHeaders
}

// Message is a message ready for the queue.
type Message struct {
	// From is the envelope sender: always "" (the null sender <>), so
	// that a notice or DSN that cannot be delivered is dropped instead of
	// bouncing back and forth (RFC 5321 §4.5.5).
	From string
	To   []string // envelope recipients
	Data []byte   // RFC 5322 message with CRLF line ends
}

// Builder builds notices and DSNs. Its zero value is not usable: set
// Templates. It has no mutable state; copy it to vary From per group.
type Builder struct {
	Templates  *Templates
	From       string // From: of notices, the group's NotifyFromAddress; "" uses Postmaster
	Hostname   string // [mailgw.network] Hostname: Reporting-MTA, Message-ID domain
	Postmaster string // [mailgw.network] Postmaster: From: of DSNs
	// Now and NewID make output reproducible in tests. nil: the clock,
	// and 16 random bytes in hex.
	Now   func() time.Time
	NewID func() string
}

// ErrSuppressed is returned (wrapped, with the reason) by Build for a
// notice that ShouldNotify refuses.
var ErrSuppressed = errors.New("notification suppressed")

// Build builds the notices requested by req for the copy d of a message
// whose envelope is env and top-level header hdr. Recipient notices go one
// per recipient, each naming only that recipient, so that a notice does
// not reveal the other (possibly Bcc) recipients; the admin and the
// sender get one notice naming every recipient of the copy.
func (b Builder) Build(req decision.Notification, d *decision.Decision, env Envelope, hdr message.Header) ([]Message, error) {
	if ok, reason := ShouldNotify(req, d, env, hdr); !ok {
		return nil, fmt.Errorf("%w: %s", ErrSuppressed, reason)
	}
	data := b.data(req.Statuses, d, env, hdr)
	if req.To != "recipient" {
		m, err := b.notice(req.Addresses, data)
		return []Message{m}, err
	}
	var out []Message
	for _, addr := range req.Addresses {
		one := *data
		one.Recipients = []string{addr}
		m, err := b.notice([]string{addr}, &one)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// notice renders the notify template for data and wraps it for to.
func (b Builder) notice(to []string, data *Data) (Message, error) {
	text, err := b.Templates.Render(KindNotify, data)
	if err != nil {
		return Message{}, err
	}
	subject, body := splitSubject(text)
	if subject == "" {
		subject = "Mail gateway notice: " + strings.Join(data.Statuses, ", ")
	}
	h := b.header(parseFrom(b.from()), to, subject, "auto-generated", "yes")
	var buf bytes.Buffer
	if err := writeText(&buf, h, body); err != nil {
		return Message{}, fmt.Errorf("writing notice: %w", err)
	}
	return Message{To: to, Data: buf.Bytes()}, nil
}

func (b Builder) from() string {
	if b.From != "" {
		return b.From
	}
	return b.Postmaster
}

// data collects the template variables for a notice or DSN.
func (b Builder) data(statuses []string, d *decision.Decision, env Envelope, hdr message.Header) *Data {
	data := &Data{
		Statuses:   statuses,
		Sender:     env.From,
		Subject:    subjectOf(hdr),
		QueueID:    env.QueueID,
		Date:       env.Arrival,
		Hostname:   b.Hostname,
		Postmaster: b.Postmaster,
	}
	if data.Date.IsZero() {
		data.Date = b.now()
	}
	if d != nil {
		data.Recipients, data.Group, data.Disposition = d.Recipients, d.Group, string(d.Disposition)
		data.Objects = findings(d.Objects)
		if d.Reply != nil {
			data.Reason = d.Reply.String()
		}
	}
	return data
}

// findings keeps the objects worth telling about: not clean, not
// unchecked.
func findings(objs []decision.Object) []Object {
	var out []Object
	for _, o := range objs {
		if o.Status != "clean" && o.Status != "not_checked" {
			out = append(out, ObjectOf(o))
		}
	}
	return out
}

// subjectOf decodes the Subject to one line: it goes into the notice's
// own Subject, where a line break would end the field.
func subjectOf(hdr message.Header) string {
	s, err := hdr.Text("Subject")
	if err != nil {
		s = hdr.Get("Subject")
	}
	return oneLine(s)
}

// oneLine replaces control characters (CR and LF among them) with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// splitSubject takes a leading "Subject: ..." line off a rendered text,
// with the blank lines after it.
func splitSubject(text string) (subject, body string) {
	first, rest, _ := strings.Cut(text, "\n")
	name, value, ok := strings.Cut(first, ":")
	if !ok || !strings.EqualFold(strings.TrimSpace(name), "Subject") {
		return "", text
	}
	return oneLine(strings.TrimSpace(value)), strings.TrimLeft(rest, "\r\n")
}

func (b Builder) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b Builder) newID() string {
	if b.NewID != nil {
		return b.NewID()
	}
	var r [16]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(r[:])
}
