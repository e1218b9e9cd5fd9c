package gateway

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam/terms"
	"github.com/mailgw/mailgw/config"
)

// TestSampleFiles: the sample files are read at load time; a damaged one
// is an error at its parameter's line, a missing one is empty and logged.
func TestSampleFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	missing := filepath.Join(dir, "missing.txt")
	if err := os.WriteFile(good, []byte("# none yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("x\tdhash:12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lines      string
		err        string // part of the load error; "" for none
		text, imgs int    // samples; -1: the check is off
		warn       string // part of the log
	}{
		{"", "", 4, 1, ""},
		{"FuzzySamples=" + good + "\nImageSamples=\n", "", 0, -1, ""},
		{"FuzzySamples=builtin\nFuzzySamples=" + good + "\nFuzzySamples=builtin\n", "", 8, 1, ""},
		{"ImageSamples=" + missing + "\n", "", 4, 0, "sample file does not exist"},
		{"ImageSamples=builtin\nImageSamples=" + bad + "\n", "mailgw.conf:4: ImageSamples: " + bad + ":1: a hash has 16 hex digits", 0, 0, ""},
		{"FuzzySamples=" + bad + "\n", "mailgw.conf:3: FuzzySamples: " + bad + ":1: signature must start", 0, 0, ""},
		{"FuzzySamples=samples.txt\n", "want builtin or an absolute path", 0, 0, ""},
	}
	for _, tc := range tests {
		gw := parseAntiSpam(t, tc.lines, tc.err)
		if gw == nil {
			continue
		}
		if n := countOrOff(gw.samples.text != nil, func() int { return gw.samples.text.Len() }); n != tc.text {
			t.Errorf("%q: %d text samples, want %d", tc.lines, n, tc.text)
		}
		if n := countOrOff(gw.samples.images != nil, func() int { return gw.samples.images.Len() }); n != tc.imgs {
			t.Errorf("%q: %d image samples, want %d", tc.lines, n, tc.imgs)
		}
		var log bytes.Buffer
		gw.SpamChecker(slog.New(slog.NewTextHandler(&log, nil)))
		if (tc.warn == "") != (log.Len() == 0) || !strings.Contains(log.String(), tc.warn) {
			t.Errorf("%q: log %q, want %q", tc.lines, log.String(), tc.warn)
		}
	}
}

// parseAntiSpam loads a configuration with lines in [mailgw.antispam].
// With wantErr it checks the load error holds it and returns nil.
func parseAntiSpam(t *testing.T, lines, wantErr string) *Gateway {
	t.Helper()
	gw, err := Parse("mailgw.conf", []byte("[mailgw.policy]\n[mailgw.antispam]\n"+lines), config.Options{})
	switch {
	case wantErr != "":
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want %q", lines, err, wantErr)
		}
		return nil
	case err != nil:
		t.Fatalf("%q: %v", lines, err)
	}
	return gw
}

func countOrOff(on bool, n func() int) int {
	if !on {
		return -1
	}
	return n()
}

// TestTermFiles: the phrase databases load like the sample files; a
// damaged one is an error naming the parameter's line and the file's.
func TestTermFiles(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "own.txt")
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(own, []byte("# ours\nlocal\t1\tquarterly report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("local\t1\tfine\nlocal\tlots\tquarterly report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	builtin := terms.Default().Len()
	tests := []struct {
		lines string
		err   string
		n     int // phrases; -1: the check is off
	}{
		{"", "", builtin},
		{"TermFiles=\n", "", -1},
		{"TermFiles=builtin\nTermFiles=" + own + "\n", "", builtin + 1},
		{"TermFiles=" + own + "\n", "", 1},
		{"TermFiles=" + bad + "\n", "mailgw.conf:3: TermFiles: " + bad + ":2: weight \"lots\"", 0},
	}
	for _, tc := range tests {
		gw := parseAntiSpam(t, tc.lines, tc.err)
		if gw == nil {
			continue
		}
		if n := countOrOff(gw.samples.terms != nil, func() int { return gw.samples.terms.Len() }); n != tc.n {
			t.Errorf("%q: %d phrases, want %d", tc.lines, n, tc.n)
		}
	}
}
