package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/mailgw/mailgw/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckConfig(t *testing.T) {
	if code, out, errs := runCmd(t, "check-config"); code != 0 || out != "" || errs != "" {
		t.Errorf("embedded default: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, "check-config", "testdata/filter.conf"); code != 0 || out+errs != "" {
		t.Errorf("filter.conf: exit %d, %q %q", code, out, errs)
	}
	code, _, errs := runCmd(t, "check-config", "testdata/bad.conf")
	if code != exitFailed {
		t.Errorf("bad.conf: exit %d", code)
	}
	for _, want := range []string{"bad.conf:2:", "bad.conf:3:", "bad.conf:4:", "bad.conf:7:"} {
		if !strings.Contains(errs, want) {
			t.Errorf("bad.conf: errors lack %q:\n%s", want, errs)
		}
	}
	// A type error does not hide what the sections' owners check later.
	if code, _, errs := runCmd(t, "check-config", "-o", "mailgw.policy.CheckAV=perhaps", "-o", "mailgw.policy.ActionInfected=cure"); code != exitFailed ||
		!strings.Contains(errs, "CheckAV") || !strings.Contains(errs, "ActionInfected") {
		t.Errorf("-o override: exit %d, %q", code, errs)
	}
	if code, _, _ := runCmd(t, "check-config", "testdata/missing.conf"); code != exitFailed {
		t.Errorf("missing file: exit %d", code)
	}
}

func TestScanJSON(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCmd(t, "scan", "--json", "--config", "testdata/filter.conf", "--output", out, "../../testdata/samples")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per message, got:\n%s", stdout)
	}
	var rep scanReport
	if err := json.Unmarshal([]byte(lines[0]), &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(rep.File, "attachment.eml") || len(rep.Groups) != 2 {
		t.Fatalf("first report: %+v", rep)
	}
	pol, sales := rep.Groups[0], rep.Groups[1]
	if pol.Group != "policy" || pol.Disposition != "deliver" || strings.Join(pol.Recipients, ",") != "bob@example.com" {
		t.Errorf("policy copy: %+v", pol)
	}
	if sales.Group != "sales" || sales.Disposition != "block" || sales.Output != "" {
		t.Errorf("sales copy: %+v", sales)
	}
	var filtered []string
	for _, o := range pol.Objects {
		if o.Status == "filtered" {
			filtered = append(filtered, o.Name+"/"+o.Action)
		}
	}
	if strings.Join(filtered, ",") != "setup.exe/placeholder" || pol.ASStatus != "not_detected" {
		t.Errorf("policy objects: %+v, as %s", pol.Objects, pol.ASStatus)
	}
	if len(pol.Notify) != 1 || pol.Notify[0].To != "admin" {
		t.Errorf("notify: %+v", pol.Notify)
	}
	golden(t, filepath.Join(out, "attachment.policy.eml"), "testdata/golden/attachment.policy.eml")
	golden(t, filepath.Join(out, "plain.policy.eml"), "testdata/golden/plain.policy.eml")
}

func golden(t *testing.T, got, want string) {
	t.Helper()
	data, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, want, data, *update)
}

func TestScanReadable(t *testing.T) {
	code, stdout, _ := runCmd(t, "scan", "--rcpt", "x@example.com", "../../testdata/samples/plain.eml")
	if code != 0 || !strings.Contains(stdout, "plain.eml: group=policy rcpts=x@example.com as=not_detected") || !strings.Contains(stdout, "disposition=deliver") {
		t.Errorf("exit %d: %s", code, stdout)
	}
}

func TestScanErrors(t *testing.T) {
	dir := t.TempDir()
	noRcpt := filepath.Join(dir, "norcpt.eml")
	if err := os.WriteFile(noRcpt, []byte("Subject: x\r\n\r\nbody\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCmd(t, "scan", "--json", noRcpt)
	if code != exitFailed || !strings.Contains(stdout, "no recipients") {
		t.Errorf("no recipients: exit %d, %s", code, stdout)
	}
	if code, _, _ := runCmd(t, "scan"); code != exitUsage {
		t.Errorf("no path: exit %d", code)
	}
	if code, _, _ := runCmd(t, "scan", "--ip", "nope", noRcpt); code != exitUsage {
		t.Errorf("bad ip: exit %d", code)
	}
	if code, _, _ := runCmd(t, "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}

// eicar builds the EICAR test file at run time, so no test virus is ever
// stored in the repository.
func eicar() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*")
}

func mailWith(name string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.org\r\nTo: b@example.com\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n")
	b.WriteString("--z\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--z\r\nContent-Type: application/octet-stream; name=" + name + "\r\n")
	b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(data) + "\r\n--z--\r\n")
	return b.Bytes()
}

func zipOf(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScanAntivirus runs the built-in engine of the embedded default
// configuration through mailgw scan --json.
func TestScanAntivirus(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"1-eicar.eml":   mailWith("eicar.com", eicar()),
		"2-zipped.eml":  mailWith("files.zip", zipOf(t, "inner/eicar.txt", eicar())),
		"3-fakepdf.eml": mailWith("invoice.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 200)...)),
		"4-clean.eml":   mailWith("notes.zip", zipOf(t, "notes.txt", []byte("hello"))),
		// An executable inside an archive, named as a document.
		"5-zippedexe.eml": mailWith("docs.zip", zipOf(t, "invoice.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 200)...))),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runCmd(t, "scan", "--json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"infected/Eicar", "infected/Eicar", "suspicious/Heuristics", "clean/", "suspicious/Heuristics"}
	for i, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var rep scanReport
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			t.Fatal(err)
		}
		att := rep.Groups[0].Objects[1]
		if got := att.Status + "/" + att.Signature; !strings.HasPrefix(got, want[i]) {
			t.Errorf("%s: attachment %+v, want %s", rep.File, att, want[i])
		}
	}
}

// TestScanBuiltinModel: on the embedded default, with nothing learnt
// here, the built-in Bayes model (package defaultdb) scores a spam it was
// not trained on; with BayesBuiltinModel=false the classifier is silent.
func TestScanBuiltinModel(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		bayes bool
	}{
		{nil, true},
		{[]string{"--set", "mailgw.antispam.BayesBuiltinModel=false"}, false},
	} {
		args := append(append([]string{"scan", "--json", "--set", "mailgw.antispam.BayesPath=" + t.TempDir() + "/none.db"}, tt.args...), "testdata/pills.eml")
		code, stdout, stderr := runCmd(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var rep scanReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(strings.Join(rep.Groups[0].ASRules, ","), "BAYES_"); got != tt.bayes {
			t.Errorf("%v: rules %v, want a BAYES rule %v", tt.args, rep.Groups[0].ASRules, tt.bayes)
		}
	}
}
