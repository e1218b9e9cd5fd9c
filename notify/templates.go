package notify

import (
	"embed"
	"errors"
	"fmt"
	"maps"

	"github.com/mailgw/mailgw/config"
)

//go:embed templates/*.tmpl
var builtinFS embed.FS

// builtinName is how errors and Template.Name refer to a built-in text.
func builtinName(k Kind) string { return "(built-in " + string(k) + ".tmpl)" }

// Builtin parses the built-in template of kind. The built-in texts are
// tested to load, so an error here means a broken build.
func Builtin(k Kind) (*Template, error) {
	text, err := builtinFS.ReadFile("templates/" + string(k) + ".tmpl")
	if err != nil {
		return nil, fmt.Errorf("no built-in template of kind %q", k)
	}
	return Parse(k, builtinName(k), text)
}

// Templates holds one template of each kind. It is immutable and safe for
// concurrent use; With derives a variant.
type Templates struct {
	byKind map[Kind]*Template
}

// Load parses the template of every kind: the file named in s, or the
// built-in text. The error, when not nil, is a config.ErrorList with
// every problem of every file; an unreadable file is reported where the
// configuration names it.
func Load(s Settings) (*Templates, error) {
	t := &Templates{byKind: map[Kind]*Template{}}
	var errs config.ErrorList
	for _, k := range Kinds() {
		tpl, err := loadKind(k, s.Files[k])
		if err != nil {
			errs = append(errs, asErrorList(err)...)
			continue
		}
		t.byKind[k] = tpl
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// loadKind loads the template of one kind; a read error is placed at the
// configuration line that named the file.
func loadKind(k Kind, file config.Value) (*Template, error) {
	if file.Text == "" {
		return Builtin(k)
	}
	tpl, err := ParseFile(k, file.Text)
	var list config.ErrorList
	if err != nil && !errors.As(err, &list) {
		return nil, config.ErrorList{{Pos: file.Pos, Msg: fmt.Sprintf("%s: cannot read template: %v", paramName(k), err)}}
	}
	return tpl, err
}

// asErrorList turns any error into a config.ErrorList.
func asErrorList(err error) config.ErrorList {
	var list config.ErrorList
	if errors.As(err, &list) {
		return list
	}
	return config.ErrorList{{Msg: err.Error()}}
}

// Get returns the template of kind k, nil if there is none.
func (t *Templates) Get(k Kind) *Template { return t.byKind[k] }

// With returns a copy of t in which tpl replaces the template of its kind;
// t itself is unchanged. It is how a group's own template (for instance a
// group's disclaimer) takes part: t.With(groupDisclaimer).Render(...).
func (t *Templates) With(tpl *Template) *Templates {
	n := &Templates{byKind: maps.Clone(t.byKind)}
	n.byKind[tpl.kind] = tpl
	return n
}

// Render executes the template of kind with d.
func (t *Templates) Render(k Kind, d *Data) (string, error) {
	tpl := t.byKind[k]
	if tpl == nil {
		return "", fmt.Errorf("no %s template loaded", k)
	}
	return tpl.Render(d)
}
