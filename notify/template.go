package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/decision"
)

// Kind names what a template is for.
type Kind string

// The template kinds.
const (
	KindNotify      Kind = "notify"      // body of a notice to the admin, a recipient or the sender
	KindPlaceholder Kind = "placeholder" // text that replaces a removed object
	KindDSN         Kind = "dsn"         // human-readable part of a DSN (RFC 3464)
	KindDisclaimer  Kind = "disclaimer"  // informational text appended to messages of a group
)

// Kinds lists every kind in a fixed order.
func Kinds() []Kind { return []Kind{KindNotify, KindPlaceholder, KindDSN, KindDisclaimer} }

// maxTemplateSize bounds a template file: templates are short texts, and a
// path pointing at a log file or a device by mistake must not fill memory.
const maxTemplateSize = 1 << 20

// Object is one object of the message as templates see it.
type Object struct {
	Name      string // file name, "" when the part has none
	MIME      string // media type, e.g. "application/zip"
	Status    string // anti-virus status: infected, suspicious, filtered...
	Signature string // what was detected, "" when nothing was
	Action    string // pass, remove, placeholder or cure
}

// ObjectOf converts an object of a Decision. Path and Detail are left
// out on purpose: they are for the log, not for people outside.
func ObjectOf(o decision.Object) Object {
	return Object{Name: o.Name, MIME: o.MIME, Status: o.Status, Signature: o.Signature, Action: o.Action}
}

// Data is what a template is executed with. Every field is documented in
// the package documentation; a field added here must be added there and
// to sampleData, or load-time checks would miss it.
type Data struct {
	Statuses    []string  // statuses the text is about, "av/infected", "as/spam"...
	Objects     []Object  // objects with a finding (not clean, not unchecked)
	Object      Object    // placeholder only: the object being replaced
	Sender      string    // envelope sender, "" for the null sender <>
	Recipients  []string  // recipients of the message the text is about
	Subject     string    // decoded Subject of that message, one line
	Group       string    // policy group of the copy
	QueueID     string    // queue ID of the message
	Date        time.Time // when the message arrived
	Hostname    string    // this gateway's name ([mailgw.network] Hostname)
	Postmaster  string    // postmaster address ([mailgw.network] Postmaster)
	Disposition string    // deliver, block, reject or tempfail
	Reason      string    // why delivery failed: the SMTP reply (a DSN joins distinct ones with "; ")
}

// Template is one parsed and checked template. It is immutable and safe
// for concurrent use.
type Template struct {
	kind Kind
	name string // file path, or "(built-in KIND.tmpl)"
	tmpl *template.Template
}

// Kind returns what the template is for.
func (t *Template) Kind() Kind { return t.kind }

// Name returns the file the template came from.
func (t *Template) Name() string { return t.name }

// Render executes the template with d (nil: no data). has is bound to
// d.Statuses.
func (t *Template) Render(d *Data) (string, error) {
	if d == nil {
		d = &Data{}
	}
	tmpl, err := t.tmpl.Clone() // the clone gets its own has; t stays shared
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.name, err)
	}
	tmpl.Funcs(template.FuncMap{"has": hasFunc(d.Statuses)})
	var b strings.Builder
	if err := tmpl.Execute(&limitedWriter{w: &b, left: maxOutput}, d); err != nil {
		errs := convertError(t.name, err)
		return "", errs.Err()
	}
	return b.String(), nil
}

// Parse parses text as a template of kind (empty: any kind, for checking
// a file whose use is unknown) named name in error messages, and checks it:
// statically for unknown variables, functions, status names and argument
// types on every branch, then by executing it with sample data. The error
// is a config.ErrorList whose entries read "name:line: message".
func Parse(kind Kind, name string, text []byte) (*Template, error) {
	if line, ok := invalidUTF8(text); !ok {
		return nil, config.ErrorList{{Pos: config.Pos{File: name, Line: line}, Msg: "not valid UTF-8"}}
	}
	tmpl, err := template.New(internalName).Funcs(funcMap()).Parse(string(text))
	if err != nil {
		return nil, convertError(name, err)
	}
	// Err sorts by line and drops repeats: a {{define}}d template called
	// twice with the same dot reports its problems once.
	if err := check(kind, name, tmpl).Err(); err != nil {
		return nil, err
	}
	t := &Template{kind: kind, name: name, tmpl: tmpl}
	if err := t.trial().Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// internalName is the name text/template knows a template by. File names
// are kept out of it because text/template puts the name into format
// strings, where a '%' in a path would garble the message.
const internalName = "T"

// invalidUTF8 finds the line of the first byte that is not UTF-8.
func invalidUTF8(text []byte) (line int, ok bool) {
	if utf8.Valid(text) {
		return 0, true
	}
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && n <= 1 {
			return 1 + bytes.Count(text[:i], []byte("\n")), false
		}
		i += n
	}
	return 1, false
}

// readTemplate reads a template file, refusing files over maxTemplateSize.
// Errors name the path.
func readTemplate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTemplateSize+1))
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	if len(data) > maxTemplateSize {
		return nil, &os.PathError{Op: "read", Path: path, Err: errTooLarge}
	}
	return data, nil
}

var errTooLarge = errors.New("file larger than 1 MiB")

// ParseFile reads and parses the template file at path. A read error is
// returned as is (an *os.PathError); template problems as a
// config.ErrorList, as from Parse.
func ParseFile(kind Kind, path string) (*Template, error) {
	text, err := readTemplate(path)
	if err != nil {
		return nil, err
	}
	return Parse(kind, path, text)
}
