package icap

import (
	"bytes"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"unicode"
)

// Signatures reported when the server blocks or changes an object without
// naming a threat.
const (
	// SignatureBlocked: the server answered with an HTTP error page
	// (status 400 or more) or, to a REQMOD, with a response in place of the
	// request (RFC 3507 section 4.8.2).
	SignatureBlocked = "ICAP.Blocked"
	// SignatureReplaced: the body came back different or was removed.
	SignatureReplaced = "ICAP.Replaced"
	// SignatureUnnamed: an infection header without a usable name.
	SignatureUnnamed = "ICAP.Unnamed"
)

// Headers in which servers name what they found. None is in RFC 3507:
// X-Infection-Found and X-Violations-Found come from the ICAP Extensions
// draft (draft-stecher-icap-subid-00, "Result extension headers") and are
// sent by c-icap's virus_scan, Symantec, McAfee, Kaspersky, Trend Micro and
// OPSWAT; X-Virus-ID is the older one-line form many still send.
const (
	hdrInfectionFound  = "X-Infection-Found"  // Type=0; Resolution=2; Threat=NAME;
	hdrViolationsFound = "X-Violations-Found" // count, then per violation: file, threat, problem id, resolution id
	hdrVirusID         = "X-Virus-ID"         // NAME
)

// maxSignature bounds a name taken from a header; it goes to logs and mail
// headers.
const maxSignature = 200

// judge turns the final response to a scan of sent into a Result. The
// heuristics, first match wins:
//
//  1. a status other than 200 or 204 is an error, never a verdict;
//  2. a threat named in X-Infection-Found, X-Violations-Found (with a
//     count above zero) or X-Virus-ID, in the ICAP header or the
//     encapsulated HTTP response head, is infected with that name, even
//     with a 204: a server that names a threat is believed over one that
//     says nothing changed;
//  3. 204 No Content is clean (RFC 3507 sections 4.5 and 4.6);
//  4. an encapsulated HTTP response with status 400 or more, or any
//     response to a REQMOD, is infected, SignatureBlocked (c-icap answers
//     403 with a "VIRUS FOUND" page);
//  5. a body that differs from the one sent, was cut at the limit or is
//     missing is infected, SignatureReplaced (a server that removed or
//     cured content);
//  6. otherwise, the object came back unchanged: clean.
func judge(method string, sent []byte, r *Response) (Result, error) {
	switch r.Status {
	case 200, 204:
	case 100:
		return Result{}, fmt.Errorf("%w: 100 Continue where a final response was due", ErrProtocol)
	default:
		return Result{}, &StatusError{Code: r.Status, Reason: r.Reason}
	}
	if sig, ok := threat(r.Header); ok {
		return Result{Infected: true, Signature: sig}, nil
	}
	if r.ResHeader != nil {
		if sig, ok := threat(r.ResHeader.Header); ok {
			return Result{Infected: true, Signature: sig}, nil
		}
	}
	switch {
	case r.Status == 204:
		return Result{}, nil
	case r.ResHeader != nil && (r.ResHeader.Status >= 400 || method == MethodREQMOD):
		return Result{Infected: true, Signature: SignatureBlocked}, nil
	case r.ResHeader == nil && r.ReqHeader == nil:
		return Result{}, fmt.Errorf("%w: 200 without an encapsulated message", ErrProtocol)
	case r.BodyTruncated || !bytes.Equal(r.Body, sent):
		return Result{Infected: true, Signature: SignatureReplaced}, nil
	}
	return Result{}, nil
}

// threat looks for a named threat in h.
func threat(h textproto.MIMEHeader) (string, bool) {
	if v, ok := h[hdrInfectionFound]; ok {
		return cleanName(param(v[0], "Threat")), true
	}
	if v, ok := h[hdrViolationsFound]; ok {
		lines := strings.Split(v[0], "\n")
		if n, err := strconv.Atoi(strings.TrimSpace(lines[0])); err == nil && n <= 0 {
			return "", false
		}
		if len(lines) > 2 {
			return cleanName(lines[2]), true
		}
		return SignatureUnnamed, true
	}
	if v := h.Get(hdrVirusID); v != "" {
		return cleanName(v), true
	}
	return "", false
}

// param returns the value of key in "Type=0; Resolution=2; Threat=NAME;".
func param(v, key string) string {
	for p := range strings.SplitSeq(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, key) {
			return val
		}
	}
	return ""
}

// cleanName makes a header value fit for logs: printable, single-line,
// bounded; SignatureUnnamed when nothing is left.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxSignature {
		s = strings.ToValidUTF8(s[:maxSignature], "")
	}
	if s == "" || s == "-" {
		return SignatureUnnamed
	}
	return s
}
