// Package antispam is the anti-spam engine of the core (guide 4.3). Its one
// job is to look at a message copy and report what it found: a status, a
// score and the rules that fired, each with a short reason. It never
// decides what happens to the message; package policy does, from the
// group's configuration.
//
// A check is a function that adds rules to a verdict. The score of a rule
// comes from the rules table (rules.go, documented in docs/antispam.md)
// unless [mailgw.antispam] RuleScore overrides it, and the score at which
// a message becomes probable spam or spam comes from Thresholds for the
// group's SpamRateLimit: no check holds a weight of its own.
//
// The checks, in the order they run:
//   - GTUBE, the standard anti-spam test string;
//   - formal signs of the header, the structure and the envelope
//     (formal.go), each switchable per group with SpamHeaders*;
//   - content: the text of plain and HTML parts and the Subject, scored by
//     a Bayesian token classifier (package antispam/bayes) and compared
//     with known spam samples by fuzzy signatures (package
//     antispam/fuzzy); attached images compared with known spam images
//     by perceptual hashes (package antispam/imagehash);
//   - DNS checks (dnscheck.go) through a Resolver: forward-confirmed
//     reverse DNS, DNSBL on the client and the Received relays, SPF and
//     SURBL-style URI lists;
//   - a Pyzor digest check (package antispam/pyzor).
//
// A check that cannot be done (a DNS outage, a Bayes store that does not
// answer) is reported as a rule with the _TEMPFAIL suffix and a zero score
// and logged: never a silent clean, and never a lost message.
package antispam
