// Package av is the anti-virus side of the core. It defines what a scan of
// one object reports and will hold the engines (built-in signatures, clamd,
// ICAP). Scanners report findings only; the action taken on an object is
// decided by package policy from the group's Action* parameters.
package av

import "github.com/mailgw/mailgw/policy"

// Finding is the result of scanning one object.
type Finding struct {
	Status    policy.AVStatus
	Signature string // name of the detected malware, for infected/suspicious/disinfected
	// Cured is the disinfected content when Status is disinfected. A
	// disinfected finding without it is treated as infected: there is
	// nothing clean to put back.
	Cured []byte
	// Detail says where and why, e.g. "a.zip/b.exe: password-protected";
	// it goes to the log and to mailgw scan --json, never to the client.
	Detail string
}
