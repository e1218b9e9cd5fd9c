package antispam

import "github.com/mailgw/mailgw/policy"

// Rule is one sign that contributed to a verdict.
type Rule struct {
	Name   string  // stable identifier, e.g. "SUBJECT_TOO_LONG"
	Score  float64 // contribution to Result.Score
	Reason string  // short human explanation, goes to X-SpamTest-Info
}

// Result is the anti-spam verdict on one message copy.
type Result struct {
	Status policy.ASStatus
	Score  float64
	Method string // the method that decided, e.g. "content", "dnsbl"; "" for none
	Rules  []Rule
}
