package notify

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/mailgw/mailgw/policy"
)

// funcMap is the functions templates may call besides text/template's
// built-ins. has is bound per execution (see Template.Render); this one
// only fixes its signature for parsing and checking.
func funcMap() template.FuncMap {
	return template.FuncMap{
		"join":  join,
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"date":  date,
		"has":   hasFunc(nil),
	}
}

// join takes the separator first so that it works in a pipeline:
// {{.Recipients | join ", "}}.
func join(sep string, list []string) string { return strings.Join(list, sep) }

// date formats t with a Go layout ("2006-01-02 15:04") or one of the names
// below, which spare administrators Go's reference-time notation.
func date(layout string, t time.Time) string {
	if l, ok := namedLayouts()[strings.ToLower(layout)]; ok {
		layout = l
	}
	return t.Format(layout)
}

func namedLayouts() map[string]string {
	return map[string]string{
		"rfc5322":  "Mon, 02 Jan 2006 15:04:05 -0700", // as in a Date header
		"rfc3339":  time.RFC3339,
		"datetime": time.DateTime,
		"date":     time.DateOnly,
		"time":     time.TimeOnly,
	}
}

// hasFunc returns has for a message with the given statuses: has reports
// whether any named status (as in Notify* lists: "av/infected", "as/all",
// "all") is among them. An unknown name is an error, so that a typo is
// caught when the template is loaded rather than silently false.
func hasFunc(statuses []string) func(names ...string) (bool, error) {
	var set policy.Flag
	for _, s := range statuses {
		f, err := policy.ParseFlag(s)
		if err == nil {
			set |= f
		}
	}
	return func(names ...string) (bool, error) {
		if len(names) == 0 {
			return false, fmt.Errorf("has needs at least one status")
		}
		var want policy.Flag
		for _, n := range names {
			f, err := policy.ParseFlag(n)
			if err != nil {
				return false, err
			}
			want |= f
		}
		return set&want != 0, nil
	}
}

// sampleHas is has for the load-time trial run: true for every valid
// name, so that the trial takes the branches guarded by has.
func sampleHas(names ...string) (bool, error) {
	_, err := hasFunc(nil)(names...)
	return err == nil, err
}
