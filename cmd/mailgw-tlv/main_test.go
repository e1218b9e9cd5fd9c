package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary act as mailgw-tlv, so that the tests run
// the real main with its exit code.
func TestMain(m *testing.M) {
	if os.Getenv("MAILGW_TLV_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "notify.tmpl")
	bad := filepath.Join(dir, "dsn.tmpl")
	if err := os.WriteFile(good, []byte("{{.Sender}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("\n{{.Sendr}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{good}, 0, ""},
		{[]string{good, bad}, 1, bad + ":2: unknown variable .Sendr (did you mean .Sender?)\n"},
		{nil, 2, "mailgw-tlv: no TEMPLATE given\n"},
		{[]string{filepath.Join(dir, "none.tmpl")}, 3, filepath.Join(dir, "none.tmpl") + ": cannot read: no such file or directory\n"},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0], tt.args...)
		cmd.Env = append(os.Environ(), "MAILGW_TLV_RUN_MAIN=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.code || !strings.HasPrefix(stderr.String(), tt.stderr) {
			t.Errorf("mailgw-tlv %q: exit %d, stderr %q; want %d, %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}
