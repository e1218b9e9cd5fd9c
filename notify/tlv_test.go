package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLVMain(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("notify.tmpl", "Hello {{.Sender}}\n")
	goodPH := write("placeholder-de.tmpl", "Entfernt: {{.Object.Name}}\n")
	bad := write("dsn.tmpl", "line one\n{{.Sendr}}\n{{if has \"av/bogus\"}}x{{end}}\n")
	objectInNotify := write("notify-object.tmpl", "{{.Object.Name}}\n")
	unknownKind := write("footer.txt", "{{.Object.Name}} {{.Reason}}\n")
	syntax := write("disclaimer.tmpl", "a\n{{range .Objects}}\n")
	missing := filepath.Join(dir, "missing.tmpl")
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string // lines, in order; nil: empty
	}{
		{"valid is silent", []string{good, goodPH, unknownKind}, TLVOK, nil, nil},
		{"verbose", []string{"-v", good, goodPH}, TLVOK, []string{good + ": OK", goodPH + ": OK"}, nil},
		{"invalid", []string{bad}, TLVInvalid, nil, []string{
			bad + ":2: unknown variable .Sendr (did you mean .Sender?)",
			bad + `:3: has: unknown status "av/bogus"`}},
		{"kind from name", []string{objectInNotify}, TLVInvalid, nil, []string{
			objectInNotify + ":1: .Object is only available in placeholder templates (use .Objects)"}},
		{"kind flag", []string{"--kind", "placeholder", objectInNotify}, TLVOK, nil, nil},
		{"several files", []string{"-v", good, bad, syntax}, TLVInvalid, []string{good + ": OK"}, []string{
			bad + ":2: unknown variable .Sendr", bad + `:3: has: unknown status "av/bogus"`, syntax + ":3: unexpected EOF"}},
		{"unreadable", []string{missing}, TLVUnreadable, nil, []string{missing + ": cannot read: no such file or directory"}},
		{"directory", []string{dir}, TLVUnreadable, nil, []string{dir + ": cannot read: "}},
		{"unreadable wins over invalid", []string{bad, missing, good}, TLVUnreadable, nil, []string{
			bad + ":2:", bad + ":3:", missing + ": cannot read"}},
		{"no files", nil, TLVUsage, nil, []string{"mailgw-tlv: no TEMPLATE given", "usage: mailgw-tlv"}},
		{"unknown flag", []string{"--frobnicate", good}, TLVUsage, nil, []string{"mailgw-tlv: unknown flag: --frobnicate", "usage:"}},
		{"unknown kind", []string{"--kind", "memo", good}, TLVUsage, nil, []string{`mailgw-tlv: unknown --kind "memo"`, "usage:"}},
		{"help", []string{"-h"}, TLVOK, []string{"usage: mailgw-tlv [-v] [--kind KIND] TEMPLATE..."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := TLVMain(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			checkLines(t, "stdout", stdout.String(), tt.stdout)
			checkLines(t, "stderr", stderr.String(), tt.stderr)
		})
	}
}

// checkLines checks that out's first lines start with want, in order;
// want nil means out must be empty.
func checkLines(t *testing.T, name, out string, want []string) {
	t.Helper()
	if want == nil {
		if out != "" {
			t.Errorf("%s = %q, want nothing", name, out)
		}
		return
	}
	lines := strings.Split(out, "\n")
	if len(lines) < len(want) {
		t.Fatalf("%s has %d lines, want at least %d:\n%s", name, len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("%s line %d = %q, want prefix %q", name, i+1, lines[i], w)
		}
	}
}

func TestKindFromName(t *testing.T) {
	tests := map[string]Kind{
		"/etc/mailgw/notify.tmpl": KindNotify, "Placeholder.tmpl": KindPlaceholder, "dsn-de.tmpl": KindDSN,
		"disclaimer_sales.txt": KindDisclaimer, "footer.tmpl": "", "/notify/x.tmpl": "",
	}
	for name, want := range tests {
		if got := kindFromName(name); got != want {
			t.Errorf("kindFromName(%q) = %q, want %q", name, got, want)
		}
	}
}
