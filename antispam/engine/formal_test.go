package engine_test

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/policy"
)

// msgWith is a normal message with one header replaced (or added).
func msgWith(field, value string) string {
	var b strings.Builder
	replaced := false
	for _, line := range strings.Split(strings.TrimSuffix(hamHeaders, "\n"), "\n") {
		if strings.HasPrefix(line, field+":") {
			line, replaced = field+": "+value, true
		}
		b.WriteString(line + "\n")
	}
	if !replaced {
		b.WriteString(field + ": " + value + "\n")
	}
	return b.String() + hamBody
}

// TestHeaderChecks has a positive and a negative case for every named
// header check, and shows that turning the check off silences it.
func TestHeaderChecks(t *testing.T) {
	tests := []struct {
		check, rule, field, spam, ham string
	}{
		{"SpamHeadersToUndisclosed", antispam.RuleToUndisclosed, "To", "undisclosed-recipients:;", "Bob <bob@example.com>"},
		{"SpamHeadersToUndisclosed", antispam.RuleToUndisclosed, "To", "Undisclosed Recipients <x@example.com>", "Disclosure Team <team@example.com>"},
		{"SpamHeadersFromOrToDigits", antispam.RuleFromDigits, "From", "offer <sales8127734@example.biz>", "Alice <alice2@example.org>"},
		{"SpamHeadersFromOrToDigits", antispam.RuleToDigits, "To", "u66123901@example.com", "bob1974@example.com"},
		{"SpamHeadersFromOrToNoDomain", antispam.RuleFromNoDomain, "From", "winner", "Alice <alice@example.org>"},
		{"SpamHeadersFromOrToNoDomain", antispam.RuleToNoDomain, "To", "Bob <bob>", "Bob <bob@example.com>"},
		{"SpamHeadersSubjectTooLong", antispam.RuleSubjectTooLong, "Subject", strings.Repeat("cheap watches ", 10), "Minutes of the board meeting of 23 November, with the budget attached"},
		{"SpamHeadersSubjectWSOrDots", antispam.RuleSubjectWSOrDots, "Subject", "Hello      friend", "Hello friend"},
		{"SpamHeadersSubjectWSOrDots", antispam.RuleSubjectWSOrDots, "Subject", "Act now......", "Wait..."},
		{"SpamHeadersSubjectDigitIDOrTimestamp", antispam.RuleSubjectDigitID, "Subject", "Your account statement #4830291", "Meeting in room 12"},
		{"SpamHeadersSubjectDigitIDOrTimestamp", antispam.RuleSubjectDigitID, "Subject", "Special deal 14:22:07", "Call at 14:30"},
		{"SpamHeadersMarkAllChinese", antispam.RuleChinese, "Subject", "=?UTF-8?B?" + b64("发票代开") + "?=", "Lunch on Friday"},
		{"SpamHeadersMarkAllKorean", antispam.RuleKorean, "Subject", "=?UTF-8?B?" + b64("광고 안내") + "?=", "=?UTF-8?B?" + b64("发票代开") + "?="},
		{"SpamHeadersMarkAllThai", antispam.RuleThai, "From", "=?UTF-8?B?" + b64("โปรโมชั่น") + "?= <p@example.com>", "Alice <alice@example.org>"},
		{"SpamHeadersMarkAllJapanese", antispam.RuleJapanese, "Subject", "=?UTF-8?B?" + b64("お知らせです") + "?=", "=?UTF-8?B?" + b64("发票代开") + "?="},
	}
	for _, tc := range tests {
		on := load(t, tc.check+"=true")
		off := load(t, tc.check+"=false")
		if r := check(t, on, nil, msgWith(tc.field, tc.spam)); !fired(r, tc.rule) {
			t.Errorf("%s: %s %q did not fire: %v", tc.rule, tc.field, tc.spam, ruleNames(r))
		}
		if r := check(t, on, nil, msgWith(tc.field, tc.ham)); fired(r, tc.rule) {
			t.Errorf("%s: %s %q fired on ham", tc.rule, tc.field, tc.ham)
		}
		if r := check(t, off, nil, msgWith(tc.field, tc.spam)); fired(r, tc.rule) {
			t.Errorf("%s: fired with %s=false", tc.rule, tc.check)
		}
	}
}

func TestStructureSigns(t *testing.T) {
	gw := load(t)
	tests := []struct {
		name, raw string
		want      []string
		not       []string
	}{
		{"bare", "Subject: hi\n\nbuy\n", []string{antispam.RuleNoFrom, antispam.RuleNoDate, antispam.RuleNoMessageID, antispam.RuleTinyMessage}, nil},
		{"normal", hamHeaders + hamBody, nil, []string{antispam.RuleNoFrom, antispam.RuleNoDate, antispam.RuleNoMessageID, antispam.RuleNoSubject, antispam.RuleHTMLOnly}},
		{"html only", hamHeaders + "MIME-Version: 1.0\nContent-Type: text/html\n\n<p>Hello Bob, see you on Friday at noon.</p>\n", []string{antispam.RuleHTMLOnly}, []string{antispam.RuleNoText}},
		{"image only", hamHeaders + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee\n--b\nContent-Type: image/gif\nContent-Disposition: inline\n\nGIF89a\n--b--\n",
			[]string{antispam.RuleImageOnly}, []string{antispam.RuleTinyMessage}},
		{"many hops", hamHeaders + strings.Repeat("Received: from a ([192.0.2.1]) by b\n", 16) + hamBody, []string{antispam.RuleManyHops}, nil},
	}
	for _, tc := range tests {
		r := check(t, gw, nil, tc.raw)
		for _, w := range tc.want {
			if !fired(r, w) {
				t.Errorf("%s: %s did not fire: %v", tc.name, w, ruleNames(r))
			}
		}
		for _, n := range tc.not {
			if fired(r, n) {
				t.Errorf("%s: %s fired", tc.name, n)
			}
		}
	}
}

func TestEnvelopeMismatch(t *testing.T) {
	gw := load(t)
	if r := check(t, gw, env("bounce@lists.example.net", "", "bob@example.com"), hamHeaders+hamBody); !fired(r, antispam.RuleFromMismatch) || fired(r, antispam.RuleRcptNotInHdr) {
		t.Errorf("other domain: %v", ruleNames(r))
	}
	if r := check(t, gw, env("alice@mail.example.org", "", "eve@example.com"), hamHeaders+hamBody); fired(r, antispam.RuleFromMismatch) || !fired(r, antispam.RuleRcptNotInHdr) {
		t.Errorf("subdomain, bcc: %v", ruleNames(r))
	}
}

// TestFormal: delivery reports, disposition notifications and
// auto-replies get the formal status; a spam that pretends to be one
// still is spam.
func TestFormal(t *testing.T) {
	gw := load(t)
	dsn := "From: MAILER-DAEMON@example.com\nTo: alice@example.org\nSubject: Undelivered Mail\nDate: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <d@example.com>\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\nYour message could not be delivered.\n" +
		"--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.com\n\nFinal-Recipient: rfc822; x@example.net\nAction: failed\nStatus: 5.1.1\n--r--\n"
	mdn := strings.Replace(dsn, "delivery-status;", "disposition-notification;", 1)
	tests := []struct {
		name, raw string
		rule      string
		want      policy.ASStatus
	}{
		{"dsn", dsn, antispam.RuleDSN, policy.ASFormal},
		{"mdn", mdn, antispam.RuleMDN, policy.ASFormal},
		{"auto-reply", msgWith("Auto-Submitted", "auto-replied"), antispam.RuleAutoSubmitted, policy.ASFormal},
		{"bulk", msgWith("Precedence", "bulk"), antispam.RulePrecedence, policy.ASFormal},
		{"not auto", msgWith("Auto-Submitted", "no"), "", policy.ASNotDetected},
		{"spam posing", msgWith("Auto-Submitted", "auto-generated") + gtube(), antispam.RuleAutoSubmitted, policy.ASSpam},
	}
	for _, tc := range tests {
		r := check(t, gw, env("", ""), tc.raw)
		if r.Status != tc.want || (tc.rule != "" && !fired(r, tc.rule)) {
			t.Errorf("%s: %s %v, want %s with %s", tc.name, r.Status, ruleNames(r), tc.want, tc.rule)
		}
	}
}
