package dispatch

import (
	"fmt"
	"strings"

	"github.com/mailgw/mailgw/decision"
)

// reasons says why a copy is being quarantined, for the administrator who
// reviews the store: every status of the request, then the anti-spam
// verdict (for the anti-spam store) or the objects with a finding.
func reasons(req decision.Quarantine, dec *decision.Decision) []string {
	out := append([]string(nil), req.Statuses...)
	if req.Store == "as" {
		if dec.Spam.Status != "" {
			out = append(out, fmt.Sprintf("as_status %s score %g", dec.Spam.Status, dec.Spam.Score))
		}
		if len(dec.Spam.Rules) > 0 {
			out = append(out, "as_rules "+strings.Join(dec.Spam.Rules, " "))
		}
		return out
	}
	for _, o := range dec.Objects {
		if hasFinding(o.Status) {
			out = append(out, objectReason(o))
		}
	}
	return out
}

// hasFinding leaves out the objects that say nothing about the message.
func hasFinding(status string) bool {
	return status != "" && status != "clean" && status != "not_checked"
}

// objectReason describes one object on one line, e.g.
// `object 2 "invoice.exe" application/x-dosexec: infected Eicar-Signature (remove)`.
func objectReason(o decision.Object) string {
	var b strings.Builder
	fmt.Fprintf(&b, "object %s", o.Path)
	if o.Name != "" {
		fmt.Fprintf(&b, " %q", o.Name)
	}
	if o.MIME != "" {
		fmt.Fprintf(&b, " %s", o.MIME)
	}
	fmt.Fprintf(&b, ": %s", o.Status)
	if o.Signature != "" {
		fmt.Fprintf(&b, " %s", o.Signature)
	}
	if o.Detail != "" {
		fmt.Fprintf(&b, " [%s]", o.Detail)
	}
	if o.Action != "" {
		fmt.Fprintf(&b, " (%s)", o.Action)
	}
	return b.String()
}
