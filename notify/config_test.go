package notify

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
)

func TestFromConfig(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		files map[Kind]string
		errs  []string
	}{
		{"empty section", "[mailgw.templates]\n", map[Kind]string{}, nil},
		{"no section", "", map[Kind]string{}, nil},
		{"all four", "[mailgw.templates]\nNotifyTemplate=/etc/mailgw/n.tmpl\nPlaceholderTemplate=/etc/mailgw/p.tmpl\n" +
			"DSNTemplate=/etc/mailgw/d.tmpl\nDisclaimerTemplate=/etc/mailgw/x.tmpl\n",
			map[Kind]string{KindNotify: "/etc/mailgw/n.tmpl", KindPlaceholder: "/etc/mailgw/p.tmpl",
				KindDSN: "/etc/mailgw/d.tmpl", KindDisclaimer: "/etc/mailgw/x.tmpl"}, nil},
		{"empty means built-in", "[mailgw.templates]\nDSNTemplate=\n", map[Kind]string{}, nil},
		{"relative path", "[mailgw.templates]\n\nNotifyTemplate=notify.tmpl\n", nil,
			[]string{`t.conf:3: NotifyTemplate must be an absolute path, not "notify.tmpl"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("t.conf", []byte(tt.text), Schema(), config.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s, errs := FromConfig(c)
			if len(errs) != len(tt.errs) {
				t.Fatalf("FromConfig errors = %v, want %q", errs, tt.errs)
			}
			for i := range errs {
				if errs[i].Error() != tt.errs[i] {
					t.Errorf("error %d = %q, want %q", i, errs[i].Error(), tt.errs[i])
				}
			}
			if tt.errs != nil {
				return
			}
			if len(s.Files) != len(tt.files) {
				t.Fatalf("Files = %v, want %v", s.Files, tt.files)
			}
			for k, want := range tt.files {
				if v := s.Files[k]; v.Text != want || v.Pos.File != "t.conf" || v.Pos.Line == 0 {
					t.Errorf("Files[%s] = %+v, want %s at a line of t.conf", k, v, want)
				}
			}
		})
	}
}

func TestSchemaDocumentsEveryKind(t *testing.T) {
	s := Schema()
	if len(s) != 1 || s[0].Name != Section {
		t.Fatalf("Schema = %+v", s)
	}
	for _, k := range Kinds() {
		p, ok := s[0].Param(paramName(k))
		if !ok || p.Kind != config.String || !strings.Contains(p.Doc, "Absolute path") {
			t.Errorf("no documented parameter for %s: %+v", k, p)
		}
	}
}
