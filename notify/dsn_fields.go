package notify

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mailgw/mailgw/decision"
)

// deliveryStatus writes the message/delivery-status body (RFC 3464 §2.2,
// §2.3): per-message fields, then one block per recipient.
func (b Builder) deliveryStatus(env Envelope, failed []Failure) []byte {
	var buf bytes.Buffer
	line := func(name, value string) { fmt.Fprintf(&buf, "%s: %s\r\n", name, oneLine(value)) }
	line("Reporting-MTA", "dns; "+b.host())
	if env.EnvID != "" {
		line("Original-Envelope-Id", env.EnvID)
	}
	if !env.Arrival.IsZero() {
		line("Arrival-Date", rfc5322Date(env.Arrival))
	}
	for _, f := range failed {
		buf.WriteString("\r\n")
		line("Final-Recipient", addressType(f.Recipient)+"; "+f.Recipient)
		if f.ORCPT != "" {
			line("Original-Recipient", f.ORCPT)
		}
		line("Action", "failed")
		line("Status", failureStatus(f))
		if f.RemoteMTA != "" {
			line("Remote-MTA", "dns; "+f.RemoteMTA)
		}
		if f.Diagnostic != "" {
			line("Diagnostic-Code", "smtp; "+f.Diagnostic)
		}
	}
	return buf.Bytes()
}

// addressType is rfc822 for ASCII addresses, utf-8 for internationalised
// ones (RFC 6533 §3).
func addressType(addr string) string {
	if isASCII(addr) {
		return "rfc822"
	}
	return "utf-8"
}

// failureStatus is the Status of a failure: given, or taken from the
// enhanced code of its SMTP reply, or 5.0.0 (RFC 3463: permanent failure,
// other or undefined).
func failureStatus(f Failure) string {
	if f.Status != "" {
		return f.Status
	}
	if r, err := decision.ParseReply(f.Diagnostic); err == nil && r.Enhanced != "" {
		return r.Enhanced
	}
	return "5.0.0"
}

// validStatus reports whether s is 5.x.x (RFC 3463 §2).
func validStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] != "5" {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
