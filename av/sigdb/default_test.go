package sigdb

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	db := Default()
	st := db.Stats()
	if st.Body != 5 || st.Hash != 2 || st.Skipped != 0 || len(st.Warnings) != 0 {
		t.Errorf("stats %+v", st)
	}
	e := eicar()
	tests := []struct {
		data string
		want string
		all  []string
	}{
		{string(e), "Eicar-Test-Signature", []string{"Eicar-Test-Signature", "Eicar-Test-File"}},
		{"Subject: test\r\n\r\n" + string(e) + "\r\n", "Eicar-Test-Signature", []string{"Eicar-Test-Signature"}},
		{string(e[:60]), "", nil},
		{"a MAILGW-TEST-VIRUS-BODY b", "MailGW-Test-Body", []string{"MailGW-Test-Body"}},
		{"MAILGW-TEST-VIRUS-START and more", "MailGW-Test-Start", []string{"MailGW-Test-Start"}},
		{" MAILGW-TEST-VIRUS-START", "", nil},
		{"ends with MAILGW-TEST-VIRUS-TAIL", "MailGW-Test-Tail", []string{"MailGW-Test-Tail"}},
		{"ends with MAILGW-TEST-VIRUS-TAIL\r\n", "MailGW-Test-Tail", []string{"MailGW-Test-Tail"}},
		{"MAILGW-TEST-VIRUS-TAIL then more", "", nil},
		{"MAILGW-WILD-TEST-VIRUS", "MailGW-Test-Wildcard", []string{"MailGW-Test-Wildcard"}},
		{"MAILGW-WILD" + strings.Repeat(".", 17) + "-VIRUS", "", nil},
		{"MAILGW-TEST-VIRUS-HASH", "MailGW-Test-Hash", []string{"MailGW-Test-Hash"}},
		{"MAILGW-TEST-VIRUS-HASH\n", "", nil},
		{"clean", "", nil},
		{"", "", nil},
	}
	for _, tc := range tests {
		got, ok := db.Match([]byte(tc.data))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Match(%.30q) = %q, %v; want %q", tc.data, got, ok, tc.want)
		}
		if all := db.MatchAll([]byte(tc.data), 0); !slices.Equal(all, tc.all) {
			t.Errorf("MatchAll(%.30q) = %q; want %q", tc.data, all, tc.all)
		}
	}
	if all := db.MatchAll(e, 1); !slices.Equal(all, []string{"Eicar-Test-Signature"}) {
		t.Errorf("MatchAll(max 1) = %q", all)
	}
}

// TestDefaultIsIndependent checks that each call builds its own DB.
func TestDefaultIsIndependent(t *testing.T) {
	a, b := Default(), Default()
	if a == b || &a.sigs[0] == &b.sigs[0] {
		t.Error("Default shares state between calls")
	}
}

// TestNoTestVirusInSources guards the rule that no file of this package
// holds the EICAR string in clear.
func TestNoTestVirusInSources(t *testing.T) {
	e := eicar()
	var paths []string
	for _, glob := range []string{"*", "default/*"} {
		m, _ := filepath.Glob(glob)
		paths = append(paths, m...)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a directory
		}
		if bytes.Contains(b, e) || bytes.Contains(b, e[10:40]) {
			t.Errorf("%s holds the EICAR test string", p)
		}
	}
}

func TestMatchIsConcurrencySafe(t *testing.T) {
	db := Default()
	done := make(chan bool)
	for range 8 {
		go func() {
			for range 200 {
				if n, _ := db.Match(eicar()); n != "Eicar-Test-Signature" {
					t.Error(n)
				}
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}
