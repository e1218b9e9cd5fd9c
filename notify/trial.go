package notify

import (
	"errors"
	"io"
	"text/template"
	"time"

	"github.com/mailgw/mailgw/config"
)

// maxOutput bounds what one execution may write. Real texts are a few
// kilobytes; the bound stops a template that calls itself from filling
// memory.
const maxOutput = 1 << 20

var errOutputLimit = errors.New("template output larger than 1 MiB")

// limitedWriter fails once more than left bytes were written.
type limitedWriter struct {
	w    io.Writer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.left {
		return 0, errOutputLimit
	}
	l.left -= len(p)
	return l.w.Write(p)
}

// trial executes the template once with sampleData, catching what only
// execution shows (a function given a value of the wrong type, index out
// of range). Every list of the sample has one element, so the run takes
// time linear in the template's size; has is true for every valid status,
// so branches guarded by has run.
func (t *Template) trial() config.ErrorList {
	tmpl, err := t.tmpl.Clone()
	if err != nil {
		return config.ErrorList{{Pos: config.Pos{File: t.name}, Msg: err.Error()}}
	}
	tmpl.Funcs(template.FuncMap{"has": sampleHas})
	err = tmpl.Execute(&limitedWriter{w: io.Discard, left: maxOutput}, sampleData(t.kind))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errOutputLimit):
		return config.ErrorList{{Pos: config.Pos{File: t.name},
			Msg: "the trial run with sample data wrote more than 1 MiB (does a {{template}} call itself?)"}}
	}
	return convertError(t.name, err)
}

// sampleData fills every variable, so that a trial run reaches them all.
func sampleData(k Kind) *Data {
	obj := Object{Name: "invoice.pdf.exe", MIME: "application/x-msdownload", Status: "infected",
		Signature: "EICAR-Test-File", Action: "remove"}
	d := &Data{
		Statuses:    []string{"av/infected"},
		Objects:     []Object{obj},
		Sender:      "sender@example.org",
		Recipients:  []string{"recipient@example.com"},
		Subject:     "Invoice",
		Group:       "default",
		QueueID:     "4BQ7Zk1cXrz9vX2",
		Date:        time.Date(2024, 3, 5, 14, 7, 9, 0, time.UTC),
		Hostname:    "mx.example.com",
		Postmaster:  "postmaster@example.com",
		Disposition: "block",
		Reason:      "550 5.7.1 Message refused: virus found",
	}
	if k == KindPlaceholder || k == "" {
		d.Object = obj
	}
	return d
}
