// Package mask matches the wildcard masks of mailgw.conf ("*" for any run
// of characters, "?" for one, case ignored, "any" for everything) and checks
// address, domain and domain-mask syntax. Every package that compares an
// address, a host or a file name with a mask uses it, so all masks mean the
// same thing everywhere.
package mask

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Match reports whether s matches mask, ignoring case. In a mask "*"
// matches any run of characters (also none) and "?" exactly one character;
// every other character matches itself. The mask "any" matches everything,
// because the guide writes "any" where it means "every sender or recipient".
//
// Matching backtracks only to the last "*", so it takes at most
// len(mask)*len(s) steps whatever the input: masks come from the
// configuration but s comes from the network.
func Match(mask, s string) bool {
	if strings.EqualFold(mask, "any") {
		return true
	}
	p, t := []rune(mask), []rune(s)
	px, tx := 0, 0
	starP, starT := -1, 0 // position after the last "*" seen, and where it began matching
	for tx < len(t) {
		if px < len(p) {
			switch c := p[px]; {
			case c == '*':
				starP, starT = px+1, tx
				px++
				continue
			case c == '?' || foldEqual(c, t[tx]):
				px++
				tx++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last "*" swallow one more character and retry from there.
		starT++
		px, tx = starP, starT
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

// foldEqual is rune equality under Unicode simple case folding, the same
// relation strings.EqualFold uses.
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// CheckAddress reports why mask cannot be an address mask ("*@example.com",
// "user?@*", "any"), or nil. Masks are single words: a space or a control
// character is always a mistake in the file, and angle brackets would never
// match because addresses are compared without them.
func CheckAddress(mask string) error {
	if mask == "" {
		return errors.New("empty mask")
	}
	if !utf8.ValidString(mask) {
		return fmt.Errorf("mask %q is not valid UTF-8", mask)
	}
	for _, r := range mask {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return fmt.Errorf("mask %q contains a space or control character", mask)
		case r == '<' || r == '>':
			return fmt.Errorf("mask %q: write addresses without angle brackets", mask)
		}
	}
	return nil
}

// CheckDomainMask reports why mask cannot be a ProtectedDomains entry, or
// nil. A domain mask is a domain name in which "*" and "?" may stand for
// characters, such as example.com or *.example.com. A mask without a single
// letter or digit ("*", "*.*", "any") would declare nearly every domain
// protected and so, through the RelayRule default, make the gateway an open
// relay; it is refused.
func CheckDomainMask(mask string) error {
	if mask == "" {
		return errors.New("empty domain mask")
	}
	if strings.Contains(mask, "@") {
		return fmt.Errorf("%q is an address mask; ProtectedDomains takes domain masks such as example.com or *.example.com", mask)
	}
	if strings.EqualFold(mask, "any") {
		return fmt.Errorf("%q would protect every domain and make the gateway an open relay; write RelayRule=allow from any to * if that is really meant", mask)
	}
	literal := false
	for _, r := range mask {
		switch {
		case r == '*' || r == '?' || r == '.' || r == '-':
		case isLetterDigit(r) || r == '_':
			literal = literal || isLetterDigit(r)
		default:
			return fmt.Errorf("domain mask %q: %q is not allowed in a domain name", mask, r)
		}
	}
	if !literal {
		return fmt.Errorf("%q would protect nearly every domain and make the gateway an open relay; name the domains", mask)
	}
	return nil
}

// CheckDomain reports why name is not a usable DNS name (a host name, a
// mail domain or a DNSBL zone), or nil. One trailing dot is allowed.
// Underscores are accepted because some DNSBL zones use them;
// internationalised names must be written in their ASCII (xn--) form, as
// they go into DNS queries unchanged.
func CheckDomain(name string) error {
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return errors.New("empty domain name")
	}
	if len(n) > 253 {
		return fmt.Errorf("domain name %.20q... is longer than 253 characters", n)
	}
	for label := range strings.SplitSeq(n, ".") {
		if err := checkLabel(label); err != nil {
			return fmt.Errorf("domain name %q: %v", name, err)
		}
	}
	return nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("empty label (two dots in a row?)")
	case len(label) > 63:
		return fmt.Errorf("label %q is longer than 63 characters", label)
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("label %q starts or ends with '-'", label)
	}
	for _, r := range label {
		if !isLetterDigit(r) && r != '-' && r != '_' {
			return fmt.Errorf("%q is not allowed (letters, digits, '-' and '_' only; write IDNs as xn--)", r)
		}
	}
	return nil
}

func isLetterDigit(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
