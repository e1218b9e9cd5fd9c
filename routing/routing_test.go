package routing_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/routing"
)

func load(t *testing.T, text string) (*routing.Routes, config.ErrorList) {
	t.Helper()
	c, err := config.Parse("mailgw.conf", []byte(text), config.Schema(routing.Schema()), config.Options{})
	if err != nil {
		t.Fatalf("config.Parse:\n%v", err)
	}
	return routing.FromConfig(c)
}

// The guide, 6.3, with the OCR's stray spaces removed: all three forms,
// first match, and the recipient's MX for everything else.
func TestGuideRoutingTable(t *testing.T) {
	r, errs := load(t, `[mailgw.forward]
ForwardRoute=*@example.com [localhost:1025]
ForwardRoute=*@example.net [somehost.example.com]
ForwardRoute=*@example.org example.com
`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		rcpt string
		want routing.Route
	}{
		{"john@example.com", routing.Route{Kind: routing.Host, Host: "localhost", Port: 1025, Rule: "*@example.com [localhost:1025]", Pos: config.Pos{File: "mailgw.conf", Line: 2}}},
		{"John@EXAMPLE.com", routing.Route{Kind: routing.Host, Host: "localhost", Port: 1025, Rule: "*@example.com [localhost:1025]", Pos: config.Pos{File: "mailgw.conf", Line: 2}}},
		{"<ann@example.net>", routing.Route{Kind: routing.Host, Host: "somehost.example.com", Port: 25, Rule: "*@example.net [somehost.example.com]", Pos: config.Pos{File: "mailgw.conf", Line: 3}}},
		{"bob@example.org", routing.Route{Kind: routing.MX, Host: "example.com", Port: 25, Rule: "*@example.org example.com", Pos: config.Pos{File: "mailgw.conf", Line: 4}}},
		{"someone@gmail.com", routing.Route{Kind: routing.RecipientMX, Host: "gmail.com", Port: 25}},
		{"someone@sub.example.com", routing.Route{Kind: routing.RecipientMX, Host: "sub.example.com", Port: 25}},
	}
	for _, tt := range tests {
		if got := r.Route(tt.rcpt); got != tt.want {
			t.Errorf("Route(%q) = %+v\nwant %+v", tt.rcpt, got, tt.want)
		}
	}
}

// The guide, 2.3.1: "ForwardRoute=<company_mask>[localhost:1025]" (no
// space; the OCR adds some inside the brackets) and "<company_mask> [host:25]".
func TestGuideDeploymentRoutes(t *testing.T) {
	r, errs := load(t, `[mailgw.forward]
ForwardRoute=*@company.com[ localhost :1025]
ForwardRoute=*@company.org [mail.company.org:25]
ForwardRoute=any [smarthost.example.net:587]
`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for rcpt, want := range map[string]string{
		"a@company.com": "localhost:1025", "a@company.org": "mail.company.org:25", "a@other.net": "smarthost.example.net:587",
	} {
		got := r.Route(rcpt)
		if got.Kind != routing.Host || net.JoinHostPort(got.Host, strconv.Itoa(got.Port)) != want {
			t.Errorf("Route(%s) = %+v, want host %s", rcpt, got, want)
		}
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		text string
		mask string
		kind routing.Kind
		host string
		port int
		err  string
	}{
		{"*@example.com [localhost:1025]", "*@example.com", routing.Host, "localhost", 1025, ""},
		{"*@example.com[localhost:1025]", "*@example.com", routing.Host, "localhost", 1025, ""},
		{"*@example.com [localhost]", "*@example.com", routing.Host, "localhost", 25, ""},
		{"*@example.com [192.0.2.1:2525]", "*@example.com", routing.Host, "192.0.2.1", 2525, ""},
		{"*@example.com [::1]", "*@example.com", routing.Host, "::1", 25, ""},
		{"*@example.com [2001:db8::25]", "*@example.com", routing.Host, "2001:db8::25", 25, ""},
		{"*@example.com [[::1]:1025]", "*@example.com", routing.Host, "::1", 1025, ""},
		{"*@example.com [[2001:db8::1]]", "*@example.com", routing.Host, "2001:db8::1", 25, ""},
		{"*@example.com [ somehost. example.com ]", "*@example.com", routing.Host, "somehost.example.com", 25, ""},
		{"*@example.com [mail.example.com.]", "*@example.com", routing.Host, "mail.example.com", 25, ""},
		{"*@example.org example.com", "*@example.org", routing.MX, "example.com", 25, ""},
		{"  *@example.org\texample.com.  ", "*@example.org", routing.MX, "example.com", 25, ""},
		{"any example.com", "any", routing.MX, "example.com", 25, ""},
		{"", "", 0, "", 0, "want MASK"},
		{"*@example.com", "", 0, "", 0, "want MASK"},
		{"*@ example.com [localhost:1025]", "", 0, "", 0, "space"},
		{"*@example.com example.com extra", "", 0, "", 0, "want MASK"},
		{"[localhost:1025]", "", 0, "", 0, "missing recipient mask"},
		{"*@example.com [localhost:1025", "", 0, "", 0, "missing closing ]"},
		{"*@example.com [localhost:1025] extra", "", 0, "", 0, "after ]"},
		{"*@example.com []", "", 0, "", 0, "empty []"},
		{"*@example.com [localhost:0]", "", 0, "", 0, "1 to 65535"},
		{"*@example.com [localhost:65536]", "", 0, "", 0, "1 to 65535"},
		{"*@example.com [localhost:+25]", "", 0, "", 0, "1 to 65535"},
		{"*@example.com [localhost:smtp]", "", 0, "", 0, "1 to 65535"},
		{"*@example.com [localhost:]", "", 0, "", 0, "1 to 65535"},
		{"*@example.com [bad..host]", "", 0, "", 0, "empty label"},
		{"*@example.com [[192.0.2.1]:25]", "", 0, "", 0, "only an IPv6"},
		{"*@example.com [[::1]25]", "", 0, "", 0, "unexpected"},
		{"*@example.com [[::1:25]", "", 0, "", 0, "missing ]"},
		{"*@example.com [2001:db8::zz]", "", 0, "", 0, "not an IPv6"},
		{"*@example.com localhost:1025", "", 0, "", 0, "port needs brackets"},
		{"*@example.com exa_mple..com", "", 0, "", 0, "empty label"},
	}
	for _, tt := range tests {
		r, err := routing.ParseRoute(tt.text)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRoute(%q): error %v, want one containing %q", tt.text, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRoute(%q): %v", tt.text, err)
			continue
		}
		if r.Mask != tt.mask || r.Route.Kind != tt.kind || r.Route.Host != tt.host || r.Route.Port != tt.port {
			t.Errorf("ParseRoute(%q) = %+v", tt.text, r)
		}
	}
}

func TestErrorsAllAtOnce(t *testing.T) {
	r, errs := load(t, `[mailgw.forward]
ForwardRoute=*@a.com [localhost:99999]
ForwardRoute=*@b.com [ok.example.com:25]
ForwardRoute=*@c.com
ForwardRoute=
ForwardRoute=*@d.com host:25
`)
	var got []int
	for _, e := range errs.Err().(config.ErrorList) {
		got = append(got, e.Pos.Line)
		if e.Pos.File != "mailgw.conf" || !strings.HasPrefix(e.Msg, "ForwardRoute ") {
			t.Errorf("bad error %v", e)
		}
	}
	if len(got) != 3 || got[0] != 2 || got[1] != 4 || got[2] != 6 {
		t.Errorf("error lines %v, want [2 4 6]:\n%v", got, errs)
	}
	if len(r.Rules) != 1 || r.Rules[0].Route.Host != "ok.example.com" {
		t.Errorf("good rules kept: %+v", r.Rules)
	}
}

func TestNoRoutes(t *testing.T) {
	r, errs := load(t, "")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := r.Route("user@example.com."); got != (routing.Route{Kind: routing.RecipientMX, Host: "example.com", Port: 25}) {
		t.Errorf("Route = %+v", got)
	}
}

func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{
		"*@example.com [localhost:1025]", "*@example.net [somehost.example.com]", "*@example.org example.com",
		"*@x[[::1]:1025]", "any [ a :1]", "a [[", "a []]", "a [[]]:]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := routing.ParseRoute(text)
		if err != nil {
			return
		}
		rt := r.Route
		if r.Mask == "" || rt.Host == "" || rt.Port < 1 || rt.Port > 65535 || rt.Kind == routing.RecipientMX {
			t.Fatalf("ParseRoute(%q) accepted %+v", text, r)
		}
		(&routing.Routes{Rules: []routing.Rule{r}}).Route("user@example.com")
	})
}
