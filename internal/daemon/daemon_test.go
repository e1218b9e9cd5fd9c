package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.conf")
	if err := os.WriteFile(bad, []byte("[mailgw.policy]\nCheckAV=perhaps\nNoSuchKey=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	served := false
	serve := func(daemon Start) int { served = daemon.Gateway != nil && daemon.Reload != nil; return 0 }
	for _, c := range []struct {
		args  []string
		code  int
		serve bool
		err   []string
	}{
		{[]string{"-k"}, 0, false, nil},
		{[]string{"--check-config", "-o", "mailgw.policy.CheckSpam=no"}, 0, false, nil},
		{[]string{"-k", "-c", bad}, 1, false, []string{"bad.conf:2:", "bad.conf:3:"}},
		{[]string{"--check-config", "--config", bad}, 1, false, []string{"bad.conf:2:"}},
		{[]string{"-k", "-o", "mailgw.limits.IncomingSessions=0"}, 1, false, []string{"IncomingSessions"}},
		{[]string{"--bogus"}, 2, false, []string{"unknown flag"}},
		{[]string{"extra"}, 2, false, []string{"unexpected argument"}},
		{nil, 0, true, nil},
	} {
		served = false
		var stderr bytes.Buffer
		code := Run("mailgw-test", c.args, &stderr, serve)
		if code != c.code || served != c.serve {
			t.Errorf("%v: exit %d served %v, want %d %v (%s)", c.args, code, served, c.code, c.serve, stderr.String())
		}
		if c.code == 0 && stderr.Len() > 0 {
			t.Errorf("%v: a valid configuration must be silent, got %q", c.args, stderr.String())
		}
		for _, e := range c.err {
			if !strings.Contains(stderr.String(), e) {
				t.Errorf("%v: stderr lacks %q: %s", c.args, e, stderr.String())
			}
		}
	}
}
