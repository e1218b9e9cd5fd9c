package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeCorpus generates n messages of one class into a new directory.
func writeCorpus(t *testing.T, r *rand.Rand, n int, spam bool) string {
	t.Helper()
	words := strings.Fields("meeting agenda project report budget lunch friday review patch release notes minutes schedule team draft")
	subject := "Project notes"
	if spam {
		words = strings.Fields("viagra cheap pills offer winner prize casino loan credit money discount replica watches bitcoin urgent")
		subject = "Winner offer"
	}
	dir := t.TempDir()
	for i := range n {
		var body []string
		for range 40 {
			body = append(body, words[r.IntN(len(words))])
		}
		msg := fmt.Sprintf("From: a%d@example.org\r\nTo: b@example.com\r\nSubject: %s %d\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%d@x>\r\n\r\n%s\r\n",
			i, subject, i, i, strings.Join(body, " "))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.eml", i)), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLearnThenScan trains a bbolt store with mailgw learn and checks
// that mailgw scan then scores with it.
func TestLearnThenScan(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bayes.db")
	set := "mailgw.antispam.BayesPath=" + db
	r := rand.New(rand.NewPCG(3, 4))
	spamDir, hamDir := writeCorpus(t, r, 25, true), writeCorpus(t, r, 25, false)
	if code, out, errs := runCmd(t, "learn", "--spam", "-o", set, spamDir); code != 0 || !strings.Contains(out, "learnt 25 messages as spam") {
		t.Fatalf("learn spam: %d %q %q", code, out, errs)
	}
	code, out, errs := runCmd(t, "learn", "--ham", "-o", set, hamDir)
	if code != 0 || !strings.Contains(out, "holds 25 spam and 25 ham") {
		t.Fatalf("learn ham: %d %q %q", code, out, errs)
	}
	test := writeCorpus(t, r, 1, true)
	code, out, errs = runCmd(t, "scan", "--json", "-o", set, filepath.Join(test, "0.eml"))
	if code != 0 {
		t.Fatalf("scan: %d %q", code, errs)
	}
	var rep struct {
		Groups []struct {
			ASStatus string   `json:"as_status"`
			ASRules  []string `json:"as_rules"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Groups) != 1 {
		t.Fatalf("scan output %q: %v", out, err)
	}
	if g := rep.Groups[0]; !slices.Contains(g.ASRules, "BAYES_999") || g.ASStatus != "spam" {
		t.Errorf("scan: %+v", g)
	}
	if code, _, _ := runCmd(t, "learn", "--spam", "--ham", "x"); code != exitUsage {
		t.Errorf("--spam --ham: exit %d", code)
	}
}
