package notify

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/config"
)

func TestBuiltinTemplatesLoad(t *testing.T) {
	ts, err := Load(Settings{})
	if err != nil {
		t.Fatalf("Load(built-in): %v", err)
	}
	for _, k := range Kinds() {
		tpl := ts.Get(k)
		if tpl == nil || tpl.Kind() != k || tpl.Name() != builtinName(k) {
			t.Fatalf("Get(%s) = %+v", k, tpl)
		}
		out, err := ts.Render(k, sampleData(k))
		if err != nil || strings.TrimSpace(out) == "" {
			t.Errorf("Render(%s) = %q, %v", k, out, err)
		}
		if strings.Contains(out, "<no value>") {
			t.Errorf("Render(%s) printed <no value>:\n%s", k, out)
		}
	}
}

// allVariables uses every documented variable and function once.
const allVariables = `{{join ", " .Statuses}}|{{range .Objects}}{{.Name}} {{.MIME}} {{.Status}} {{.Signature}} {{.Action}}{{end}}|` +
	`{{.Object.Name}} {{.Object.MIME}} {{.Object.Status}} {{.Object.Signature}} {{.Object.Action}}|` +
	`{{.Sender}}|{{.Recipients | join ";"}}|{{upper .Subject}}|{{lower .Group}}|{{.QueueID}}|{{date "2006-01-02 15:04" .Date}}|` +
	`{{.Date | date "rfc5322"}}|{{.Hostname}}|{{.Postmaster}}|{{.Disposition}}|{{.Reason}}|` +
	`{{if has "av/infected"}}infected{{end}}{{if has "as/all"}}spam{{end}}{{if has "av/all" "as/spam"}} any{{end}}`

func TestEveryVariableAndFunction(t *testing.T) {
	tpl, err := Parse(KindPlaceholder, "all.tmpl", []byte(allVariables))
	if err != nil {
		t.Fatal(err)
	}
	obj := Object{Name: "a.exe", MIME: "application/x-msdownload", Status: "infected", Signature: "Eicar", Action: "remove"}
	d := &Data{
		Statuses: []string{"av/infected", "avf/filtered"}, Objects: []Object{obj}, Object: obj,
		Sender: "s@example.org", Recipients: []string{"a@example.com", "b@example.com"}, Subject: "Hello",
		Group: "Sales", QueueID: "Q1", Date: time.Date(2024, 3, 5, 14, 7, 9, 0, time.FixedZone("", 3600)),
		Hostname: "mx.example.com", Postmaster: "pm@example.com", Disposition: "block", Reason: "550 5.7.1 no",
	}
	got, err := tpl.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	want := "av/infected, avf/filtered|a.exe application/x-msdownload infected Eicar remove|" +
		"a.exe application/x-msdownload infected Eicar remove|s@example.org|a@example.com;b@example.com|HELLO|sales|Q1|" +
		"2024-03-05 14:07|Tue, 05 Mar 2024 14:07:09 +0100|mx.example.com|pm@example.com|block|550 5.7.1 no|infected any"
	if got != want {
		t.Errorf("Render:\n got %s\nwant %s", got, want)
	}
}

// TestDocumentationComplete keeps doc.go, Data, Object and the function
// map in step: each field and function must be documented.
func TestDocumentationComplete(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{dataType, objectType} {
		for i := range typ.NumField() {
			if name := "." + typ.Field(i).Name; !strings.Contains(string(doc), name) {
				t.Errorf("doc.go does not document %s", name)
			}
		}
	}
	for name := range funcMap() {
		if !regexp.MustCompile(`(?m)^//\t` + name + ` `).Match(doc) {
			t.Errorf("doc.go does not document function %s", name)
		}
		if !strings.Contains(allVariables, name+" ") {
			t.Errorf("allVariables does not exercise function %s", name)
		}
	}
}

func TestHas(t *testing.T) {
	tests := []struct {
		statuses []string
		names    []string
		want     bool
		err      bool
	}{
		{[]string{"av/infected"}, []string{"av/infected"}, true, false},
		{[]string{"av/infected"}, []string{"av/suspicious"}, false, false},
		{[]string{"av/infected"}, []string{"av/suspicious", "av/infected"}, true, false},
		{[]string{"as/probable"}, []string{"as/all"}, true, false},
		{[]string{"as/probable"}, []string{"av/all"}, false, false},
		{[]string{"avf/filtered"}, []string{"av/filtered"}, true, false},
		{[]string{"avf/filtered"}, []string{"all"}, true, false},
		{nil, []string{"all"}, false, false},
		{[]string{"bogus"}, []string{"all"}, false, false},
		{[]string{"av/infected"}, []string{"av/infectd"}, false, true},
		{[]string{"av/infected"}, nil, false, true},
	}
	for _, tt := range tests {
		got, err := hasFunc(tt.statuses)(tt.names...)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("has(%v) with %v = %v, %v; want %v, error %v", tt.names, tt.statuses, got, err, tt.want, tt.err)
		}
	}
}

func TestDate(t *testing.T) {
	d := time.Date(2024, 3, 5, 14, 7, 9, 0, time.UTC)
	tests := []struct{ layout, want string }{
		{"rfc5322", "Tue, 05 Mar 2024 14:07:09 +0000"},
		{"RFC3339", "2024-03-05T14:07:09Z"},
		{"datetime", "2024-03-05 14:07:09"},
		{"date", "2024-03-05"},
		{"time", "14:07:09"},
		{"02.01.2006", "05.03.2024"},
	}
	for _, tt := range tests {
		if got := date(tt.layout, d); got != tt.want {
			t.Errorf("date(%q) = %q, want %q", tt.layout, got, tt.want)
		}
	}
}

func TestBrokenTemplates(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		text string
		want []string // "line: substring", in order
	}{
		{"unclosed action", KindNotify, "Hello\n{{.Sender", []string{"2: unclosed action"}},
		{"unclosed comment", KindNotify, "Hello\n\n{{/* never ends", []string{"3: unclosed comment"}},
		{"unclosed if", KindNotify, "a\n{{if .Sender}}\nb\n", []string{"4: unexpected EOF"}},
		{"unknown function", KindNotify, "a\nb\n{{frobnicate .Sender}}\n", []string{`3: function "frobnicate" not defined`}},
		{"unknown field", KindNotify, "a\nb\nc\n{{.Sendr}}\n", []string{"4: unknown variable .Sendr (did you mean .Sender?)"}},
		{"unknown field in untaken branch", KindNotify, "{{if not (has \"av/infected\")}}\n{{.sender}}\n{{end}}",
			[]string{"2: unknown variable .sender (did you mean .Sender?)"}},
		{"unknown object field", KindNotify, "{{range .Objects}}\n{{.Nme}}{{end}}", []string{"2: unknown field Nme of an object (did you mean Name?)"}},
		{"unknown field via variable", KindNotify, "{{range $o := .Objects}}{{$o.Signatur}}\n{{$.Grop}}{{end}}",
			[]string{"1: unknown field Signatur of an object", "2: unknown variable .Grop (did you mean .Group?)"}},
		{"several errors", KindNotify, "{{.Sendr}}\nok\n{{.Subjet}}\n{{.Hostnme}}", []string{"1: unknown variable .Sendr", "3: unknown variable .Subjet", "4: unknown variable .Hostnme"}},
		{"value given arguments", KindNotify, "x\n{{\"a\" | .Sender}}", []string{"2: .Sender is a value, not a function"}},
		{"pipeline into a constant", KindNotify, "x\n\n{{.Sender | 5}}", []string{"3: non executable command in pipeline stage 2"}},
		{"empty action", KindNotify, "{{}}", []string{"1: missing value for command"}},
		{"join arguments swapped", KindNotify, "\n{{join .Recipients \", \"}}", []string{"2: join: argument 1 must be text, not a list"}},
		{"upper of a list", KindNotify, "{{.Recipients | upper}}", []string{"1: upper: argument 1 must be text, not a list"}},
		{"date without date", KindNotify, "{{date \"rfc5322\"}}", []string{"1: date: needs 2 arguments, got 1"}},
		{"has unknown status", KindNotify, "\n\n{{if has \"av/infectd\"}}x{{end}}", []string{`3: has: unknown status "av/infectd"`}},
		{"has without status", KindNotify, "{{has}}", []string{"1: has needs at least one status"}},
		{"range over a number", KindNotify, "{{range .Date.Unix}}x{{end}}", []string{"1: range needs a list such as .Objects"}},
		{"range over text", KindNotify, "{{range .Subject}}x{{end}}", []string{"1: range needs a list such as .Objects, .Statuses or .Recipients, not text"}},
		{"object outside placeholder", KindDSN, "{{.Object.Name}}", []string{"1: .Object is only available in placeholder templates"}},
		{"undefined template", KindNotify, "a\n{{template \"footer\"}}", []string{`2: template "footer" is not defined`}},
		{"error in called template", KindNotify, "{{define \"f\"}}\n{{.Sendr}}{{end}}{{template \"f\" .}}", []string{"2: unknown variable .Sendr"}},
		{"execution error", KindNotify, "a\n{{index .Objects 3}}", []string{"2: at <index .Objects 3>: error calling index"}},
		{"not UTF-8", KindNotify, "ok\nbad \xff\n", []string{"2: not valid UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.kind, "f.tmpl", []byte(tt.text))
			list := asErrorList(err)
			if err == nil || len(list) != len(tt.want) {
				t.Fatalf("Parse = %v, want %d errors %q", err, len(tt.want), tt.want)
			}
			for i, e := range list {
				if got := e.Error(); !strings.HasPrefix(got, "f.tmpl:"+tt.want[i]) {
					t.Errorf("error %d = %q, want prefix f.tmpl:%s", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestValidTemplates(t *testing.T) {
	tests := []struct {
		kind Kind
		text string
	}{
		{KindPlaceholder, "{{with .Object}}{{.Name}}{{end}}"},
		{"", "{{.Object.Name}} {{.Reason}}"},
		{KindNotify, "{{range $i, $s := .Statuses}}{{$i}}={{upper $s}}{{end}}"},
		{KindNotify, "{{$r := .Recipients}}{{range $r}}{{lower .}}{{end}}{{len $r}}"},
		{KindNotify, "{{define \"obj\"}}{{.Name}}: {{.Status}}{{end}}{{range .Objects}}{{template \"obj\" .}}{{end}}"},
		{KindNotify, "{{define \"unused\"}}{{range .}}{{.Whatever}}{{end}}{{end}}ok"},
		{KindNotify, "{{.Date.Year}} {{.Date.Format \"2006\"}} {{printf \"%s-%d\" .QueueID (len .Objects)}}"},
		{KindNotify, "{{range (slice .Objects 0)}}{{.Name}}{{end}}{{(index .Objects 0).Name}}"},
		{KindNotify, "{{if and .Sender (eq .Disposition \"block\")}}x{{else if has \"all\"}}y{{end}}"},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.kind, "f.tmpl", []byte(tt.text)); err != nil {
			t.Errorf("Parse(%s, %q): %v", tt.kind, tt.text, err)
		}
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notifyFile := write("notify.tmpl", "Hi\n{{.Sendr}}\n")
	dsnFile := write("dsn.tmpl", "a\nb\n{{if .Subject}}\n")
	missing := filepath.Join(dir, "missing.tmpl")
	s := Settings{Files: map[Kind]config.Value{
		KindNotify:     {Text: notifyFile},
		KindDSN:        {Text: dsnFile},
		KindDisclaimer: {Text: missing, Pos: config.Pos{File: "mailgw.conf", Line: 7}},
	}}
	_, err := Load(s)
	want := []string{ // sorted by file: absolute paths first
		dsnFile + ":4: unexpected EOF",
		notifyFile + ":2: unknown variable .Sendr (did you mean .Sender?)",
		"mailgw.conf:7: DisclaimerTemplate: cannot read template: open " + missing + ": no such file or directory",
	}
	list := asErrorList(err)
	if len(list) != len(want) {
		t.Fatalf("Load errors:\n%v\nwant %q", err, want)
	}
	for i := range want {
		if list[i].Error() != want[i] {
			t.Errorf("error %d = %q\nwant %q", i, list[i].Error(), want[i])
		}
	}
}

func TestLoadFileOverridesBuiltin(t *testing.T) {
	p := filepath.Join(t.TempDir(), "disclaimer.tmpl")
	if err := os.WriteFile(p, []byte("Checked by {{.Hostname}}.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := Load(Settings{Files: map[Kind]config.Value{KindDisclaimer: {Text: p}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ts.Render(KindDisclaimer, &Data{Hostname: "mx"}); got != "Checked by mx.\n" {
		t.Errorf("Render = %q", got)
	}
	if ts.Get(KindNotify).Name() != builtinName(KindNotify) {
		t.Errorf("notify template = %s, want the built-in one", ts.Get(KindNotify).Name())
	}
}

func TestWithReplacesOneKind(t *testing.T) {
	ts, err := Load(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	group, err := Parse(KindDisclaimer, "sales.tmpl", []byte("Sales department, {{.Group}}"))
	if err != nil {
		t.Fatal(err)
	}
	derived := ts.With(group)
	if got, _ := derived.Render(KindDisclaimer, &Data{Group: "sales"}); got != "Sales department, sales" {
		t.Errorf("derived Render = %q", got)
	}
	if ts.Get(KindDisclaimer) == group || derived.Get(KindNotify) != ts.Get(KindNotify) {
		t.Error("With changed the original or lost other kinds")
	}
}

func TestReadTemplateLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.tmpl")
	if err := os.WriteFile(big, make([]byte, maxTemplateSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{big, dir, filepath.Join(dir, "none")} {
		if _, err := readTemplate(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("readTemplate(%s) = %v, want an error naming the path", p, err)
		}
	}
}

func TestRenderOutputLimit(t *testing.T) {
	// Recursion is allowed by text/template; the output bound stops it.
	text := `{{define "r"}}` + strings.Repeat("x", 1000) + `{{template "r" .}}{{end}}{{template "r" .}}`
	_, err := Parse(KindNotify, "r.tmpl", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "r.tmpl: the trial run with sample data wrote more than 1 MiB") {
		t.Errorf("Parse = %v", err)
	}
}
