package notify

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/mailgw/mailgw/decision"
)

// Ret is the RET parameter of MAIL FROM (RFC 3461 §4.3): how much of the
// message a DSN returns.
type Ret string

// RET values.
const (
	RetHeaders Ret = "HDRS" // the header only (the default)
	RetFull    Ret = "FULL" // the whole message
)

// Failure is one recipient a DSN reports as failed.
type Failure struct {
	Recipient  string // Final-Recipient
	ORCPT      string // ORCPT parameter of RCPT TO as given ("rfc822;addr"); "" when none
	Status     string // enhanced status code 5.x.x; "" takes it from Diagnostic, else 5.0.0
	Diagnostic string // the SMTP reply, "550 5.7.1 ..."; "" when there is none
	RemoteMTA  string // host that refused, "" when this gateway did
}

// FailuresOf lists the recipients of a copy the core refused, each with
// the copy's reply (or a generic refusal for a blocked copy).
func FailuresOf(d *decision.Decision) []Failure {
	reply := decision.Reply{Code: 550, Enhanced: "5.7.1", Text: "Message refused by content policy"}
	if d.Reply != nil {
		reply = *d.Reply
	}
	var out []Failure
	for _, r := range d.Recipients {
		out = append(out, Failure{Recipient: r, Status: reply.Enhanced, Diagnostic: reply.String()})
	}
	return out
}

// BuildDSN builds a delivery status notification (RFC 3464) to env.From
// about the failed recipients of the message raw (as received). d, when
// not nil, is the core's Decision on the copy, for the template's
// statuses and objects.
//
// It refuses (with ErrSuppressed) a DSN to the null sender, which RFC 5321
// §4.5.5 forbids, and one about a message judged spam, whose sender is
// usually forged. With RET=FULL it returns the whole message, except
// when d has findings: returning a virus to a probably forged sender
// would spread it, so such a DSN carries the header only.
func (b Builder) BuildDSN(env Envelope, failed []Failure, raw []byte, d *decision.Decision) (Message, error) {
	if err := dsnAllowed(env, failed, d); err != nil {
		return Message{}, err
	}
	head := headerBlock(raw)
	hdr := parseHeader(head)
	data := b.data(nil, d, env, hdr)
	data.Recipients = nil
	for _, f := range failed {
		data.Recipients = append(data.Recipients, f.Recipient)
	}
	if r := reasons(failed); r != "" {
		data.Reason = r
	}
	if d != nil {
		data.Statuses = d.Statuses
	}
	text, err := b.Templates.Render(KindDSN, data)
	if err != nil {
		return Message{}, err
	}
	parts := b.dsnParts(env, failed, text, raw, head, d)
	subject, _ := splitSubject(text)
	if subject == "" {
		subject = "Undelivered mail"
	}
	from := &mail.Address{Name: "Mail Delivery System", Address: b.Postmaster}
	msg, err := writeReport(b.header(from, []string{env.From}, subject, "auto-replied", "dsn"), parts)
	if err != nil {
		return Message{}, fmt.Errorf("writing DSN: %w", err)
	}
	return Message{To: []string{env.From}, Data: msg}, nil
}

// reasons joins the distinct replies of the failures with "; ".
func reasons(failed []Failure) string {
	var out []string
	for _, f := range failed {
		if f.Diagnostic != "" && !slices.Contains(out, f.Diagnostic) {
			out = append(out, f.Diagnostic)
		}
	}
	return strings.Join(out, "; ")
}

func dsnAllowed(env Envelope, failed []Failure, d *decision.Decision) error {
	switch {
	case env.From == "":
		return fmt.Errorf("%w: no DSN to the null sender <>", ErrSuppressed)
	case d != nil && aboutSpam(decision.Notification{}, d):
		return fmt.Errorf("%w: no DSN about spam: its sender address is usually forged", ErrSuppressed)
	case len(failed) == 0:
		return fmt.Errorf("DSN without failed recipients")
	}
	for _, f := range failed {
		if s := failureStatus(f); !validStatus(s) {
			return fmt.Errorf("DSN for %s: status %q is not a permanent failure 5.x.x", f.Recipient, s)
		}
	}
	return nil
}

// part is one body part of the report.
type part struct {
	fields []field
	body   []byte
}

// dsnParts builds the three parts of RFC 3464 §2: the human-readable
// text, the delivery-status fields and the returned message or header.
func (b Builder) dsnParts(env Envelope, failed []Failure, text string, raw, head []byte, d *decision.Decision) []part {
	_, body := splitSubject(text)
	body = crlf(body)
	human := part{[]field{{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Description", "Notification"}, {"Content-Transfer-Encoding", textEncoding(body)}}, []byte(body)}
	status := b.deliveryStatus(env, failed)
	statusType := "message/delivery-status"
	if !isASCII(status) {
		statusType = "message/global-delivery-status" // RFC 6533
	}
	report := part{[]field{{"Content-Type", statusType}, {"Content-Description", "Delivery report"}}, status}
	return []part{human, report, returned(env.Ret, raw, head, d)}
}

// returned is the third part: the header (text/rfc822-headers) or, for
// RET=FULL without findings, the whole message (message/rfc822).
func returned(ret Ret, raw, head []byte, d *decision.Decision) part {
	if strings.EqualFold(string(ret), string(RetFull)) && (d == nil || len(d.Statuses) == 0) {
		body := crlfBytes(raw)
		return part{[]field{{"Content-Type", "message/rfc822"}, {"Content-Description", "Undelivered message"},
			{"Content-Transfer-Encoding", bitEncoding(body)}}, body}
	}
	body := crlfBytes(head)
	typ := "text/rfc822-headers"
	if !isASCII(body) {
		typ = "message/global-headers" // RFC 6533 §3.4: headers in UTF-8
	}
	return part{[]field{{"Content-Type", typ}, {"Content-Description", "Undelivered message headers"},
		{"Content-Transfer-Encoding", bitEncoding(body)}}, body}
}

// bitEncoding labels returned data, which is never re-encoded: message
// types allow only 7bit, 8bit and binary (RFC 2046 §5.2.1).
func bitEncoding(b []byte) string {
	if isASCII(b) {
		return "7bit"
	}
	return "8bit"
}

// writeReport writes a multipart/report with the given top fields.
func writeReport(top []field, parts []part) ([]byte, error) {
	boundary := reportBoundary(top, parts)
	top = append(top, field{"Content-Type",
		`multipart/report; report-type=delivery-status; boundary="` + boundary + `"`})
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, toHeader(top))
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		pw, err := w.CreatePart(toHeader(p.fields))
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(p.body); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reportBoundary derives the boundary from the Message-ID, so that tests
// with a fixed ID get fixed output, and lengthens it in the unlikely case
// that a part contains it.
func reportBoundary(top []field, parts []part) string {
	boundary := "=_mailgw_"
	for _, f := range top {
		if f.k == "Message-ID" {
			boundary += strings.Map(boundaryRune, strings.Trim(f.v, "<>"))
		}
	}
	for containsBoundary(parts, boundary) {
		boundary += "_x"
	}
	return boundary
}

func boundaryRune(r rune) rune {
	if r < 0x80 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("._-", r)) {
		return r
	}
	return -1
}

func containsBoundary(parts []part, boundary string) bool {
	for _, p := range parts {
		if bytes.Contains(p.body, []byte("--"+boundary)) {
			return true
		}
	}
	return false
}

// headerBlock returns the header of a raw message, up to the first empty
// line; all of raw when there is none.
func headerBlock(raw []byte) []byte {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			break
		}
		line := bytes.TrimRight(raw[i:i+j], "\r")
		if len(line) == 0 {
			return raw[:i]
		}
		i += j + 1
	}
	return raw
}

// parseHeader reads a header block leniently; what cannot be read is left
// out (the template then lacks the Subject, nothing else).
func parseHeader(head []byte) message.Header {
	h, _ := textproto.ReadHeader(bufio.NewReader(io.MultiReader(bytes.NewReader(head), strings.NewReader("\r\n"))))
	return message.Header{Header: h}
}
