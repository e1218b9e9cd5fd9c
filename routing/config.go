package routing

import (
	"strings"

	"github.com/mailgw/mailgw/config"
)

// Section is the configuration section this package owns.
const Section = "mailgw.forward"

// Schema describes [mailgw.forward].
func Schema() []config.SectionSchema {
	return []config.SectionSchema{{
		Name: Section,
		Doc: "Where processed mail is delivered. ForwardRoute rules are consulted in file order and the first whose mask matches the recipient decides; " +
			"a recipient no rule matches goes to the MX hosts of its own domain.",
		Params: []config.Param{
			{Name: "ForwardRoute", Kind: config.List, Doc: "A route `MASK DESTINATION`. MASK is matched against the whole recipient address (`*` and `?` wildcards, case-insensitive; `any` matches all). " +
				"DESTINATION is `DOMAIN` (deliver to that domain's MX hosts), `[HOST]` (that host, port 25), `[HOST:PORT]`, or for IPv6 `[IPV6]` or `[[IPV6]:PORT]`; " +
				"the space before `[` is optional and spaces inside the brackets are ignored. Example: `*@example.com [localhost:1025]`. An empty value is ignored."},
			{Name: "ProtectedDomains", Kind: config.List, Comma: true, Doc: "Same as ProtectedDomains in [mailgw.network], accepted here because the guide documents it in both sections; the masks of both sections are combined."},
		},
	}}
}

// FromConfig decodes [mailgw.forward] ForwardRoute. It reports every bad
// route at its position; the Routes are complete only when the list is
// empty. ProtectedDomains is decoded by package access.
func FromConfig(c *config.Config) (*Routes, config.ErrorList) {
	var errs config.ErrorList
	r := &Routes{}
	for _, v := range c.Values(Section, "ForwardRoute") {
		if strings.TrimSpace(v.Text) == "" {
			continue // "ForwardRoute=" clears the table, e.g. from an -o override
		}
		rule, err := ParseRoute(v.Text)
		if err != nil {
			errs.Add(v.Pos, "ForwardRoute %q: %v", v.Text, err)
			continue
		}
		rule.Route.Pos = v.Pos
		r.Rules = append(r.Rules, rule)
	}
	return r, errs
}
