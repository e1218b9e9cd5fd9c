package notify

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// field is one header field, value already formatted.
type field struct{ k, v string }

// header lists the fields every message of this package starts with, in
// the order they are written. autoSubmitted is the RFC 3834 value: a
// notice is auto-generated, a DSN auto-replied (it answers a message).
func (b Builder) header(from *mail.Address, to []string, subject, autoSubmitted, mark string) []field {
	var h mail.Header // go-message formats and encodes the values
	var addrs []*mail.Address
	for _, a := range to {
		addrs = append(addrs, &mail.Address{Address: a})
	}
	h.SetAddressList("To", addrs)
	h.SetSubject(subject)
	h.SetDate(b.now())
	h.SetMessageID(b.newID() + "@" + b.host())
	return []field{
		{"From", from.String()}, {"To", h.Get("To")}, {"Subject", h.Get("Subject")},
		{"Date", h.Get("Date")}, {"Message-ID", h.Get("Message-Id")}, {"MIME-Version", "1.0"},
		{"Auto-Submitted", autoSubmitted}, {HeaderName, mark},
	}
}

func (b Builder) host() string {
	if b.Hostname != "" {
		return b.Hostname
	}
	return "localhost"
}

// parseFrom reads a configured sender address, which may carry a display
// name ("Mail Gateway <mailgw@example.com>").
func parseFrom(s string) *mail.Address {
	if a, err := mail.ParseAddress(s); err == nil {
		return a
	}
	return &mail.Address{Address: s}
}

// toHeader builds a go-message header writing fs in order. go-message
// writes fields last-added first, hence the reversed loop. Fields are
// added raw so that names keep their usual spelling (MIME-Version, not
// Mime-Version); go-message still folds long values.
func toHeader(fs []field) message.Header {
	var h message.Header
	for i := len(fs) - 1; i >= 0; i-- {
		var one textproto.Header
		one.Add(fs[i].k, fs[i].v)
		raw, err := one.Raw(fs[i].k)
		if err != nil {
			h.Add(fs[i].k, fs[i].v) // writing reports the bad value
			continue
		}
		h.AddRaw(append([]byte(fs[i].k), raw[len(fs[i].k):]...))
	}
	return h
}

// writeText writes a single-part text/plain message.
func writeText(w io.Writer, fs []field, body string) error {
	body = crlf(body)
	fs = append(fs, field{"Content-Type", "text/plain; charset=utf-8"},
		field{"Content-Transfer-Encoding", textEncoding(body)})
	mw, err := message.CreateWriter(w, toHeader(fs))
	if err != nil {
		return err
	}
	if _, err := io.WriteString(mw, body); err != nil {
		return err
	}
	return mw.Close()
}

// crlf normalises line ends to CRLF and ends the text with one.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// textEncoding is 7bit for ASCII text with lines SMTP can carry, else
// quoted-printable, which every relay can carry without 8BITMIME.
func textEncoding(s string) string {
	for line := range strings.SplitSeq(s, "\r\n") {
		if len(line) > 998 || !isASCII(line) {
			return "quoted-printable"
		}
	}
	return "7bit"
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// rfc5322Date formats t as in a Date header.
func rfc5322Date(t time.Time) string { return t.Format("Mon, 02 Jan 2006 15:04:05 -0700") }

// crlfBytes normalises the line ends of raw message data to CRLF.
func crlfBytes(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}
