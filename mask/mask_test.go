package mask_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailgw/mailgw/mask"
)

func TestMatchMask(t *testing.T) {
	tests := []struct {
		mask, s string
		want    bool
	}{
		{"*", "", true},
		{"*", "anything@example.com", true},
		{"any", "x@y", true},
		{"ANY", "", true},
		{"*@example.com", "john@example.com", true},
		{"*@example.com", "John@EXAMPLE.COM", true},
		{"*@example.com", "john@example.com.evil", false},
		{"*@example.com", "john@sub.example.com", false},
		{"*@*.example.com", "john@sub.example.com", true},
		{"user?@example.com", "user1@example.com", true},
		{"user?@example.com", "user@example.com", false},
		{"user?@example.com", "user12@example.com", false},
		{"?", "é", true}, // one character, two bytes
		{"ÉCOLE", "école", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"**", "", true},
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"*a", "bbbba", true},
		{"*a*a*a*a*b", strings.Repeat("a", 200), false}, // must not take exponential time
	}
	for _, tt := range tests {
		if got := mask.Match(tt.mask, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.mask, tt.s, got, tt.want)
		}
	}
}

func TestCheckDomainMask(t *testing.T) {
	good := []string{"example.com", "*.example.com", "mail?.example.com", "*.com", "my_zone.org"}
	bad := []string{"", "*", "*.*", "?*", "any", "ANY", "*@example.com", "exa mple.com", "ex/ample.com"}
	for _, m := range good {
		if err := mask.CheckDomainMask(m); err != nil {
			t.Errorf("CheckDomainMask(%q) = %v, want nil", m, err)
		}
	}
	for _, m := range bad {
		if err := mask.CheckDomainMask(m); err == nil {
			t.Errorf("CheckDomainMask(%q) = nil, want an error", m)
		}
	}
}

func TestCheckDomain(t *testing.T) {
	good := []string{"localhost", "example.com", "example.com.", "zen.spamhaus.org", "xn--bcher-kva.example", "10.0.0.1", "_dmarc.example.com"}
	bad := []string{"", ".", "exa mple.com", "example..com", "-bad.com", "bad-.com", "bücher.de", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "aa"}
	for _, d := range good {
		if err := mask.CheckDomain(d); err != nil {
			t.Errorf("CheckDomain(%q) = %v, want nil", d, err)
		}
	}
	for _, d := range bad {
		if err := mask.CheckDomain(d); err == nil {
			t.Errorf("CheckDomain(%q) = nil, want an error", d)
		}
	}
}

// maskRegexp is an independent statement of Match's meaning.
func maskRegexp(mask string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)\A`)
	for _, r := range mask {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

func FuzzMatchMask(f *testing.F) {
	f.Add("*@example.com", "John@Example.COM")
	f.Add("a?c*", "abcdef")
	f.Add("*a*b", "aaab")
	f.Fuzz(func(t *testing.T, m, s string) {
		if !utf8.ValidString(m) || !utf8.ValidString(s) || len(m) > 64 || len(s) > 256 || strings.EqualFold(m, "any") {
			return
		}
		if got, want := mask.Match(m, s), maskRegexp(m).MatchString(s); got != want {
			t.Errorf("Match(%q, %q) = %v, regexp says %v", m, s, got, want)
		}
	})
}
