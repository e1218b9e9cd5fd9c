package relay

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// errBareLineEnd refuses a message with a bare CR or bare LF. RFC 5321
// §2.3.8 allows CR and LF in DATA only as the CRLF pair, and §4.1.1.4
// makes CRLF.CRLF the only end of data; a next hop that also accepts
// "LF.LF" or "LF.CRLF" would end the message early and run the rest as
// commands (SMTP smuggling). 550 with RFC 3463 5.6.0 "other or undefined
// media error": the content is refused, not the client.
var errBareLineEnd = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
	Message: "Bare CR or LF in message data is not allowed, lines must end with CRLF (RFC 5321 section 2.3.8)"}

// errLoop refuses a message with more than MaximalIncomingHops Received
// fields: RFC 5321 §6.3 asks servers to detect loops by counting them,
// and RFC 3463 5.4.6 is "routing loop detected".
var errLoop = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 6}, Message: "Too many hops, mail loop detected"}

// checkLineEnds reports the first CR not followed by LF and LF not
// preceded by CR in b.
func checkLineEnds(b []byte) error {
	if pairedLineEnds(b) {
		return nil
	}
	return firstBareLineEnd(b)
}

// pairedLineEnds is the quick answer for clean data, which nearly all
// is: every LF follows a CR, and there are as many CRs as LFs, so that
// every CR is the one before some LF. bytes.IndexByte and bytes.Count
// use vector instructions where a loop looks at one byte at a time.
func pairedLineEnds(b []byte) bool {
	lf := 0
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		i += j
		if i == 0 || b[i-1] != '\r' {
			return false
		}
		lf++
	}
	return bytes.Count(b, []byte{'\r'}) == lf
}

// firstBareLineEnd finds where unclean data goes wrong, for the log.
func firstBareLineEnd(b []byte) error {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\r':
			if i+1 >= len(b) || b[i+1] != '\n' {
				return fmt.Errorf("bare CR at byte %d", i)
			}
			i++
		case '\n':
			return fmt.Errorf("bare LF at byte %d", i)
		}
	}
	return nil
}

// countReceived counts the Received fields of the header block of raw
// (up to the first empty line).
func countReceived(raw []byte) int {
	n := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		if len(line) > 9 && strings.EqualFold(string(line[:9]), "received:") {
			n++
		}
	}
	return n
}

// receivedHeader is the trace field this relay prepends (RFC 5321
// §4.4), with the queue id so that a message can be followed through
// the logs. The protocol is ESMTP or, with TLS, ESMTPS (RFC 3848), and
// UTF8SMTP(S) for SMTPUTF8 transactions (RFC 6531 §3.7.3). "for" names
// the recipient only when there is one, not to reveal Bcc recipients.
func receivedHeader(t *transaction, hostname, qid string, now time.Time) []byte {
	proto := "ESMTP"
	if t.opts.UTF8 {
		proto = "UTF8SMTP"
	}
	if t.tls {
		proto += "S"
	}
	from := t.helo
	if from == "" {
		from = "unknown"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s (%s[%s])\r\n\tby %s (mailgw) with %s id %s", from, withSpace(t.clientHost), addrText(t.clientIP), hostname, proto, qid)
	if len(t.rcpts) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", t.rcpts[0].Addr)
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", now.Format(time.RFC1123Z))
	return []byte(b.String())
}

func withSpace(s string) string {
	if s == "" {
		return ""
	}
	return s + " "
}

// addrText is an address literal's content (RFC 5321 §4.1.3).
func addrText(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "unknown"
	case ip.Is6():
		return "IPv6:" + ip.String()
	}
	return ip.String()
}
