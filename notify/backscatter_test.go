package notify

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/decision"
)

func TestShouldNotify(t *testing.T) {
	admin := decision.Notification{To: "admin", Addresses: []string{"pm@example.com"}, Statuses: []string{"av/infected"}}
	rcpt := decision.Notification{To: "recipient", Addresses: []string{"alice@example.com"}, Statuses: []string{"av/infected"}}
	sender := decision.Notification{To: "sender", Addresses: []string{"carol@example.org"}, Statuses: []string{"av/infected"}}
	spamReq := decision.Notification{To: "sender", Addresses: []string{"carol@example.org"}, Statuses: []string{"as/spam"}}
	infected := &decision.Decision{Statuses: []string{"av/infected"}}
	spamAndVirus := &decision.Decision{Statuses: []string{"as/probable", "av/infected"}}
	env := Envelope{From: "carol@example.org"}
	null := Envelope{From: ""}
	tests := []struct {
		name   string
		req    decision.Notification
		d      *decision.Decision
		env    Envelope
		hdr    []string
		want   bool
		reason string // substring of the reason when refused
	}{
		// 1: never about our own notices, whoever asks.
		{"own notice to admin", admin, infected, null, []string{HeaderName, "yes"}, false, HeaderName},
		{"own DSN to recipient", rcpt, infected, null, []string{HeaderName, "dsn"}, false, HeaderName},
		{"own notice to sender", sender, infected, env, []string{HeaderName, "yes"}, false, HeaderName},
		// 2: no addresses.
		{"no addresses", decision.Notification{To: "admin", Statuses: []string{"av/infected"}}, infected, env, nil, false, "no addresses"},
		// 3: admin notices for automatic messages.
		{"admin, ordinary", admin, infected, env, nil, true, ""},
		{"admin, null sender", admin, infected, null, nil, true, ""},
		{"admin, auto-replied", admin, infected, env, []string{"Auto-Submitted", "auto-replied"}, true, ""},
		{"admin, DSN", admin, infected, null, []string{"Content-Type", "multipart/report; report-type=delivery-status"}, true, ""},
		{"admin, spam", decision.Notification{To: "admin", Addresses: []string{"pm@example.com"}, Statuses: []string{"as/spam"}}, spamAndVirus, env, nil, true, ""},
		// 4: sender notices never about spam.
		{"sender, spam status requested", spamReq, nil, env, nil, false, "spam"},
		{"sender, virus in spam", sender, spamAndVirus, env, nil, false, "spam"},
		{"sender, virus only", sender, infected, env, nil, true, ""},
		{"recipient, spam", decision.Notification{To: "recipient", Addresses: []string{"alice@example.com"}, Statuses: []string{"as/spam"}}, spamAndVirus, env, nil, true, ""},
		// 5: null sender.
		{"recipient, null sender", rcpt, infected, null, nil, false, "null sender"},
		{"sender, null sender", sender, infected, null, nil, false, "null sender"},
		// 6: automatic messages.
		{"recipient, Auto-Submitted auto-generated", rcpt, infected, env, []string{"Auto-Submitted", "auto-generated"}, false, "Auto-Submitted: auto-generated"},
		{"sender, Auto-Submitted auto-replied", sender, infected, env, []string{"Auto-Submitted", "Auto-Replied; owner-email=x@example.org"}, false, "Auto-Submitted"},
		{"sender, Auto-Submitted no", sender, infected, env, []string{"Auto-Submitted", "no"}, true, ""},
		{"sender, Auto-Submitted no with comment", sender, infected, env, []string{"Auto-Submitted", " No (manual)"}, true, ""},
		{"sender, Precedence bulk", sender, infected, env, []string{"Precedence", "bulk"}, false, "Precedence: bulk"},
		{"recipient, Precedence junk", rcpt, infected, env, []string{"Precedence", "Junk"}, false, "Precedence: junk"},
		{"sender, Precedence list", sender, infected, env, []string{"Precedence", "list"}, false, "Precedence: list"},
		{"sender, Precedence first-class", sender, infected, env, []string{"Precedence", "first-class"}, true, ""},
		{"sender, DSN", sender, infected, env, []string{"Content-Type", "multipart/report; report-type=delivery-status; boundary=x"}, false, "multipart/report"},
		{"recipient, MDN", rcpt, infected, env, []string{"Content-Type", "Multipart/Report; report-type=disposition-notification"}, false, "multipart/report"},
		{"sender, report with broken parameters", sender, infected, env, []string{"Content-Type", "multipart/report; ="}, false, "multipart/report"},
		{"sender, ordinary multipart", sender, infected, env, []string{"Content-Type", "multipart/mixed; boundary=x"}, true, ""},
		// 7: list posts, sender notices only.
		{"sender, List-Id", sender, infected, env, []string{"List-Id", "<users.lists.example.org>"}, false, "List-Id"},
		{"sender, List-Unsubscribe", sender, infected, env, []string{"List-Unsubscribe", "<mailto:leave@example.org>"}, false, "List-Unsubscribe"},
		{"recipient, List-Id", rcpt, infected, env, []string{"List-Id", "<users.lists.example.org>"}, true, ""},
		// 8: automatic sender addresses.
		{"sender, MAILER-DAEMON", sender, infected, Envelope{From: "MAILER-DAEMON@example.org"}, nil, false, "automatic"},
		{"sender, owner-", sender, infected, Envelope{From: "owner-users@example.org"}, nil, false, "automatic"},
		{"sender, -request", sender, infected, Envelope{From: "users-request@example.org"}, nil, false, "automatic"},
		{"recipient, MAILER-DAEMON sender", rcpt, infected, Envelope{From: "mailer-daemon@example.org"}, nil, true, ""},
		{"sender, requester", sender, infected, Envelope{From: "requester@example.org"}, nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := ShouldNotify(tt.req, tt.d, tt.env, header(tt.hdr...))
			if ok != tt.want || (!ok && !strings.Contains(reason, tt.reason)) || (ok && reason != "") {
				t.Errorf("ShouldNotify = %v, %q; want %v, reason containing %q", ok, reason, tt.want, tt.reason)
			}
		})
	}
}

func TestShouldNotifyDoesNotAlterStatuses(t *testing.T) {
	req := decision.Notification{To: "sender", Addresses: []string{"a@example.org"}, Statuses: make([]string, 1, 4)}
	req.Statuses[0] = "av/infected"
	ShouldNotify(req, &decision.Decision{Statuses: []string{"as/spam"}}, Envelope{From: "a@example.org"}, header())
	if got := req.Statuses[:2]; got[1] != "" {
		t.Errorf("ShouldNotify wrote into the request's statuses: %q", got)
	}
}
