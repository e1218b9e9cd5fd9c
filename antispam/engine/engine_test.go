package engine_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/policy"
)

func TestGTUBE(t *testing.T) {
	gw := load(t)
	tests := []struct {
		name string
		raw  string
	}{
		{"plain", hamHeaders + "\nhello\n" + gtube() + "\n"},
		{"base64", hamHeaders + "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" +
			base64.StdEncoding.EncodeToString([]byte("test\n"+gtube()+"\n")) + "\n"},
	}
	for _, tc := range tests {
		r := check(t, gw, nil, tc.raw)
		if r.Status != policy.ASSpam || !fired(r, antispam.RuleGTUBE) || r.Method != antispam.MethodTest || r.Score < 1000 {
			t.Errorf("%s: %+v", tc.name, r)
		}
	}
	if r := check(t, gw, nil, hamHeaders+hamBody); r.Status != policy.ASNotDetected || r.Score != 0 || r.Method != "" {
		t.Errorf("ham: %+v", r)
	}
}

// TestRateLimit: the same signs give a stricter verdict at a higher
// SpamRateLimit, and SpamDetection is read as its alias.
func TestRateLimit(t *testing.T) {
	// SUBJECT_TOO_LONG 1 + SUBJECT_WS_OR_DOTS 1.5 + SUBJECT_DIGIT_ID 1.5 + TO_UNDISCLOSED 1.5 = 5.5
	raw := "From: Alice <alice@example.org>\nTo: undisclosed-recipients:;\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n" +
		"Message-ID: <x@example.org>\nSubject: " + strings.Repeat("Best offer ", 12) + "....   now 834211\n" + hamBody
	tests := []struct {
		line string
		want policy.ASStatus
	}{
		{"SpamRateLimit=minimum", policy.ASNotDetected},
		{"SpamDetection=soft", policy.ASNotDetected},
		{"SpamRateLimit=standard", policy.ASProbable},
		{"SpamDetection=standard", policy.ASProbable},
		{"SpamRateLimit=high", policy.ASProbable},
		{"SpamDetection=hard", policy.ASProbable},
		{"SpamRateLimit=maximum", policy.ASSpam},
	}
	for _, tc := range tests {
		r := check(t, load(t, tc.line), nil, raw)
		if r.Status != tc.want || r.Score != 5.5 {
			t.Errorf("%s: %s %.2f %v, want %s 5.5", tc.line, r.Status, r.Score, ruleNames(r), tc.want)
		}
	}
	// SpamMarkProbable=false reports probable spam as not detected.
	if r := check(t, load(t, "SpamMarkProbable=false"), nil, raw); r.Status != policy.ASNotDetected {
		t.Errorf("SpamMarkProbable=false: %s", r.Status)
	}
}

// TestScoresAndThresholdsFromConfig: weights and thresholds are
// configuration, not code.
func TestScoresAndThresholdsFromConfig(t *testing.T) {
	raw := "From: Alice <alice@example.org>\nTo: undisclosed-recipients:;\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n" +
		"Message-ID: <x@example.org>\nSubject: hello\n" + hamBody
	gw := load(t, "[mailgw.antispam]", "BayesStore=none", "RuleScore=TO_UNDISCLOSED 9", "Thresholds=standard 2 8.5")
	r := check(t, gw, nil, raw)
	if r.Status != policy.ASSpam || r.Score != 9 || r.Rules[0].Reason == "" {
		t.Errorf("got %+v", r)
	}
	gw = load(t, "[mailgw.antispam]", "BayesStore=none", "RuleScore=TO_UNDISCLOSED 3")
	if r := check(t, gw, nil, raw); r.Status != policy.ASNotDetected || r.Score != 3 {
		t.Errorf("standard 5 8: %+v", r)
	}
}

func TestTrustedGroup(t *testing.T) {
	gw := load(t, "[mailgw.group:white]", "Senders=ip 10.10.0.0/16", "SpamTrusted=true")
	r := checkWith(t, engineOf(gw), &gw.Policy.Groups[0].Params, nil, hamHeaders+gtube())
	if r.Status != policy.ASTrusted || len(r.Rules) != 0 {
		t.Errorf("got %+v", r)
	}
}

func TestSizeLimitSkipsContent(t *testing.T) {
	html := hamHeaders + "MIME-Version: 1.0\nContent-Type: text/html\n\n<p>Hel<b>l</b>o W<i>o</i>rl<span>d</span> fr<b>i</b>end" +
		strings.Repeat("<p>padding text for size</p>\n", 60) + "</p>\n"
	if r := check(t, load(t, "SpamCheckSizeLimit=1"), nil, html); !fired(r, antispam.RuleSizeSkipped) || fired(r, antispam.RuleHTMLObfuscated) {
		t.Errorf("over the limit: %v", ruleNames(r))
	}
	if r := check(t, load(t, "SpamCheckSizeLimit=0"), nil, html); fired(r, antispam.RuleSizeSkipped) || !fired(r, antispam.RuleHTMLObfuscated) {
		t.Errorf("no limit: %v", ruleNames(r))
	}
}
