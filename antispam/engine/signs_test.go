package engine_test

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/policy"
)

// TestDateAndShapeSigns has a positive and a negative case for each sign
// of signs.go, and the cases where a sign must stay silent because the
// evidence is missing.
func TestDateAndShapeSigns(t *testing.T) {
	const rcvd = "Received: from mx.example.org ([192.0.2.7]) by mail.example.com; Mon, 23 Nov 2026 10:05:00 +0000\n"
	tests := []struct {
		name, raw, rule string
		want            bool
	}{
		{"date hours ahead", rcvd + msgWith("Date", "Mon, 23 Nov 2026 18:00:00 +0000"), antispam.RuleDateInFuture, true},
		{"date ahead by zone", rcvd + msgWith("Date", "Mon, 23 Nov 2026 10:00:00 -0500"), antispam.RuleDateInFuture, true},
		{"date minutes ahead", rcvd + msgWith("Date", "Mon, 23 Nov 2026 10:30:00 +0000"), antispam.RuleDateInFuture, false},
		{"date same time other zone", rcvd + msgWith("Date", "Mon, 23 Nov 2026 11:00:00 +0100"), antispam.RuleDateInFuture, false},
		{"date long past", rcvd + msgWith("Date", "Fri, 3 Jan 1997 17:24:47 -0700"), antispam.RuleDateInFuture, false},
		{"date ahead, no Received", msgWith("Date", "Tue, 24 Nov 2027 18:00:00 +0000"), antispam.RuleDateInFuture, false},
		{"date unreadable", rcvd + msgWith("Date", "tomorrow"), antispam.RuleDateInFuture, false},
		{"newest Received without time", "Received: from a by b\n" + rcvd + msgWith("Date", "Mon, 23 Nov 2026 18:00:00 +0000"), antispam.RuleDateInFuture, true},
		{"zone -1600", msgWith("Date", "Wed, 21 Aug 2002 20:31:57 -1600"), antispam.RuleDateBadZone, true},
		{"zone minutes 75", msgWith("Date", "Wed, 21 Aug 2002 20:31:57 +0175"), antispam.RuleDateBadZone, true},
		{"zone +1400", msgWith("Date", "Wed, 21 Aug 2002 20:31:57 +1400 (LINT)"), antispam.RuleDateBadZone, false},
		{"zone -0700 comment", msgWith("Date", "Wed, 21 Aug 2002 20:31:57 -0700 (PDT)"), antispam.RuleDateBadZone, false},
		{"zone name", msgWith("Date", "Wed, 21 Aug 2002 20:31:57 EST"), antispam.RuleDateBadZone, false},
		{"link to an address", hamHeaders + "\nOrder at http://192.0.2.77/shop/ today.\n", antispam.RuleURLIP, true},
		{"link to a number", hamHeaders + "MIME-Version: 1.0\nContent-Type: text/html\n\n<p><a href=\"http://3221226061/x\">order</a> here today, friends.</p>\n", antispam.RuleURLIP, true},
		{"link to a name", hamHeaders + "\nOrder at http://shop.example.org/192.0.2.77 today.\n", antispam.RuleURLIP, false},
		{"message-id bare", msgWith("Message-ID", "20261123100000.1234@example.org"), antispam.RuleMessageIDMalformed, true},
		{"message-id no at", msgWith("Message-ID", "<20261123100000.1234>"), antispam.RuleMessageIDMalformed, true},
		{"message-id two", msgWith("Message-ID", "<a@example.org> <b@example.org>"), antispam.RuleMessageIDMalformed, true},
		{"message-id normal", msgWith("Message-ID", "<CAF=x+1@mail.example.org>"), antispam.RuleMessageIDMalformed, false},
		{"base64 ascii", hamHeaders + "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + b64("Buy cheap watches now, limited offer.") + "\n", antispam.RuleBase64ASCII, true},
		{"base64 8-bit", hamHeaders + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + b64("Grüße aus München, bis Freitag.") + "\n", antispam.RuleBase64ASCII, false},
		{"base64 attachment", hamHeaders + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee the notes\n--b\nContent-Type: text/plain; name=notes.txt\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64\n\n" + b64("plain notes") + "\n--b--\n", antispam.RuleBase64ASCII, false},
		{"7bit text", hamHeaders + hamBody, antispam.RuleBase64ASCII, false},
		{"from bare address", msgWith("From", "deals@shop.example.net"), antispam.RuleFromNoName, true},
		{"from address as name", msgWith("From", `"deals@shop.example.net" <deals@shop.example.net>`), antispam.RuleFromNoName, true},
		{"from with name", msgWith("From", "Alice Example <alice@example.org>"), antispam.RuleFromNoName, false},
		{"from two addresses", msgWith("From", "a@example.org, b@example.org"), antispam.RuleFromNoName, false},
		{"priority highest", msgWith("X-Priority", "1 (Highest)"), antispam.RulePriorityHigh, true},
		{"msmail priority high", msgWith("X-MSMail-Priority", "High"), antispam.RulePriorityHigh, true},
		{"priority normal", msgWith("X-Priority", "3 (Normal)"), antispam.RulePriorityHigh, false},
		{"msmail priority normal", msgWith("X-MSMail-Priority", "Normal"), antispam.RulePriorityHigh, false},
		{"subject dollars", msgWith("Subject", "Earn $5000 a week from home"), antispam.RuleSubjectMoney, true},
		{"subject no dollars", msgWith("Subject", "Budget for 2027 in EUR"), antispam.RuleSubjectMoney, false},
		{"text shouting", hamHeaders + "\nAct now!!! Offer ends today.\n", antispam.RuleExclamationRun, true},
		{"subject shouting marks", msgWith("Subject", "You won!!!!"), antispam.RuleExclamationRun, true},
		{"text exclaiming", hamHeaders + "\nThanks! See you on Friday!\n", antispam.RuleExclamationRun, false},
		{"subject shouting", msgWith("Subject", "FREE CASH FOR YOU TODAY!!!"), antispam.RuleSubjectAllCaps, true},
		{"subject short caps", msgWith("Subject", "FYI: CVS"), antispam.RuleSubjectAllCaps, false},
		{"subject mixed", msgWith("Subject", "RE: NEW Release of the BUILD tools"), antispam.RuleSubjectAllCaps, false},
		{"subject caseless script", msgWith("Subject", "=?UTF-8?B?"+b64("会议记录会议记录会议记录")+"?="), antispam.RuleSubjectAllCaps, false},
	}
	gw := load(t)
	for _, tc := range tests {
		r := check(t, gw, nil, tc.raw)
		if got := fired(r, tc.rule); got != tc.want {
			t.Errorf("%s: %s fired %v, want %v: %v", tc.name, tc.rule, got, tc.want, ruleNames(r))
		}
	}
}

// TestProbableBeforeFormal: a bulk message (Precedence: bulk, formal)
// with enough spam signs for probable is probable spam, not formal; one
// without stays formal.
func TestProbableBeforeFormal(t *testing.T) {
	gw := load(t, "SpamMarkProbable=true")
	bulk := "Precedence: bulk\n"
	signs := "From: winner\nTo: undisclosed-recipients:;\nSubject: CLAIM YOUR PRIZE NOW\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <p-1@example.net>\n" + bulk + hamBody
	if r := check(t, gw, nil, signs); r.Status != policy.ASProbable {
		t.Errorf("bulk with spam signs: %s (score %.2f, %v), want probable", r.Status, r.Score, ruleNames(r))
	}
	if r := check(t, gw, nil, hamHeaders+bulk+hamBody); r.Status != policy.ASFormal {
		t.Errorf("plain bulk: %s %v, want formal", r.Status, ruleNames(r))
	}
}

// FuzzDateSigns feeds arbitrary Date and Received values to the date
// sign: it must never panic, and a Date equal to the Received time
// stamp is never in the future.
func FuzzDateSigns(f *testing.F) {
	f.Add("Mon, 23 Nov 2026 10:05:00 +0000", "from a by b; Mon, 23 Nov 2026 10:05:00 +0000")
	f.Add("Fri, 3 Jan 1997 17:24:47 -0700", "from a by b;")
	f.Add("23 Nov 2026 10:05 EST", ";;; Mon, 23 Nov 2026 10:05:00 (x)")
	gw := load(f)
	f.Fuzz(func(t *testing.T, date, received string) {
		if strings.ContainsAny(date+received, "\r\n") {
			return
		}
		check(t, gw, nil, "Received: "+received+"\n"+msgWith("Date", date))
		if i := strings.LastIndexByte(received, ';'); i >= 0 {
			stamp := strings.TrimSpace(received[i+1:])
			if r := check(t, gw, nil, "Received: "+received+"\n"+msgWith("Date", stamp)); fired(r, antispam.RuleDateInFuture) {
				t.Errorf("Date %q equal to the Received time is in the future", stamp)
			}
		}
	})
}
