package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const sampleSpam = "From: Shop <shop@deals.invalid>\r\nTo: bob@example.com\r\nSubject: Cheap watches for you\r\n" +
	"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <w1@deals.invalid>\r\n\r\n" +
	"Luxury replica watches of the finest brands now at a fraction of the price. Our watches look and feel " +
	"exactly like the originals and come with a gift box and a one year guarantee. Order two and get the " +
	"third watch for free. Delivery to any country in the world within one week. Visit our shop today.\r\n"

// TestSampleAddThenScan adds a spam with mailgw sample --add to a new
// file and checks that mailgw scan then finds a changed copy of it.
func TestSampleAddThenScan(t *testing.T) {
	dir := t.TempDir()
	samples := filepath.Join(dir, "fuzzy.txt")
	set := []string{"-o", "mailgw.antispam.FuzzySamples=" + samples, "-o", "mailgw.antispam.BayesStore=none", "-o", "mailgw.policy.SpamUseDNS=false"}
	spam := writeFile(t, dir, "watches.eml", sampleSpam)
	if code, out, errs := runCmd(t, append([]string{"sample", "--add", spam}, set...)...); code != 0 || !strings.Contains(out, "added 1 text samples to "+samples) {
		t.Fatalf("sample --add: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, append([]string{"sample", "--add", spam}, set...)...); code != 0 || !strings.Contains(out, "added 0 text samples") || !strings.Contains(errs, "nothing new") {
		t.Fatalf("sample --add again: %d %q %q", code, out, errs)
	}
	if data, _ := os.ReadFile(samples); !strings.HasPrefix(string(data), "watches\toph1:") || strings.Count(string(data), "\n") != 1 {
		t.Errorf("sample file: %q", data)
	}
	copyOf := writeFile(t, dir, "copy.eml", strings.NewReplacer("Luxury", "Top", "two", "three", "one week", "days").Replace(sampleSpam))
	code, out, errs := runCmd(t, append([]string{"scan", "--json", copyOf}, set...)...)
	if code != 0 {
		t.Fatalf("scan: %d %q", code, errs)
	}
	var rep struct {
		Groups []struct {
			ASRules []string `json:"as_rules"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Groups) != 1 || !slices.Contains(rep.Groups[0].ASRules, "FUZZY_SAMPLE") {
		t.Errorf("scan of a changed copy: %q %v", out, err)
	}
}

func TestSampleErrors(t *testing.T) {
	dir := t.TempDir()
	spam := writeFile(t, dir, "watches.eml", sampleSpam)
	bad := writeFile(t, dir, "bad.txt", "name without a tab\n")
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"sample", spam}, exitUsage, "usage"},
		{[]string{"sample", "--add"}, exitUsage, "usage"},
		{[]string{"sample", "--add", spam}, exitFailed, "no file for 1 text samples: set [mailgw.antispam] FuzzySamples"},
		{[]string{"sample", "--add", "--fuzzy-file", bad, spam}, exitFailed, "bad.txt:1: want NAME<TAB>VALUE"},
		{[]string{"sample", "--add", "-o", "mailgw.antispam.FuzzySamples=" + bad, spam}, exitFailed, "FuzzySamples: " + bad + ":1"},
		{[]string{"sample", "--add", "-o", "mailgw.antispam.ImageSamples=relative.txt", spam}, exitFailed, "want builtin or an absolute path"},
		{[]string{"sample", "--add", "--fuzzy-file", filepath.Join(dir, "x.txt"), filepath.Join(dir, "missing.eml")}, exitFailed, "missing.eml"},
	}
	for _, tc := range tests {
		if code, _, errs := runCmd(t, tc.args...); code != tc.code || !strings.Contains(errs, tc.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tc.args, code, errs, tc.code, tc.err)
		}
	}
}

// TestDefaultSamplesAreBuiltFromSources: the embedded sample files are
// what mailgw sample makes of the synthetic messages beside them, so that
// they hold nothing but data written for the project.
func TestDefaultSamplesAreBuiltFromSources(t *testing.T) {
	root := filepath.Join("..", "..", "antispam")
	for _, tc := range []struct{ file, flag, src string }{
		{filepath.Join(root, "fuzzy", "default", "samples.txt"), "--fuzzy-file", filepath.Join(root, "fuzzy", "default", "src")},
		{filepath.Join(root, "imagehash", "default", "images.txt"), "--image-file", filepath.Join(root, "imagehash", "default", "src")},
	} {
		want, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var comments []string
		for _, l := range strings.SplitAfter(string(want), "\n") {
			if strings.HasPrefix(l, "#") {
				comments = append(comments, l)
			}
		}
		got := writeFile(t, t.TempDir(), "out.txt", strings.Join(comments, ""))
		if code, _, errs := runCmd(t, "sample", "--add", "--fuzzy-file", os.DevNull, "--image-file", os.DevNull, tc.flag, got, tc.src); code != 0 {
			t.Fatalf("%s: %d %s", tc.src, code, errs)
		}
		if data, _ := os.ReadFile(got); string(data) != string(want) || len(comments) == len(strings.Split(string(want), "\n")) {
			t.Errorf("%s is not what mailgw sample makes of %s:\n%s", tc.file, tc.src, data)
		}
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
