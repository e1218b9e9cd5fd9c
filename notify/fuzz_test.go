package notify

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzTemplateLoad: any template text either loads or yields errors that
// name the file and a line within it; neither loading nor rendering a
// loaded template panics.
func FuzzTemplateLoad(f *testing.F) {
	for _, k := range Kinds() {
		text, err := builtinFS.ReadFile("templates/" + string(k) + ".tmpl")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), text)
	}
	for _, s := range []string{
		allVariables, "a\n{{.Sendr}}", "{{if .Sender}}", "{{range .Date.Unix}}{{end}}", "{{template \"x\"}}",
		"{{define \"x\"}}{{template \"x\" .}}{{end}}{{template \"x\" .}}", "{{range $i, $o := .Objects}}{{$o.Name}}{{end}}",
		"{{with .Object}}{{.Name}}{{end}}", "{{join .Recipients \", \"}}", "{{has}}", "{{(index .Objects 0).Name}}",
		"{{$x := .Recipients}}{{range $x}}{{.}}{{end}}", "{{.Sender | 5}}", "{{/*", "bad \xff",
	} {
		f.Add(uint8(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, kindByte uint8, text []byte) {
		kinds := append(Kinds(), "")
		kind := kinds[int(kindByte)%len(kinds)]
		tpl, err := Parse(kind, "fuzz.tmpl", text)
		if err != nil {
			lines := bytes.Count(text, []byte("\n")) + 1
			for _, e := range asErrorList(err) {
				if e.Pos.File != "fuzz.tmpl" || e.Pos.Line > lines || (e.Pos.Line < 1 && !strings.Contains(e.Msg, "more than 1 MiB")) {
					t.Fatalf("error without a line of the file: %q (file has %d lines)", e.Error(), lines)
				}
			}
			return
		}
		_, _ = tpl.Render(sampleData(kind))
		_, _ = tpl.Render(&Data{})
	})
}
