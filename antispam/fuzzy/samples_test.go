package fuzzy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam/fuzzy"
)

func TestParse(t *testing.T) {
	sig := mustSign(t, spam)
	line := "pharmacy-1\t" + sig.String()
	tests := []struct {
		name, data string
		want       int    // samples
		err        string // part of the error; "" for none
	}{
		{"empty", "", 0, ""},
		{"comments and blank lines", "# samples\n\n   \n# more\n", 0, ""},
		{"one", line + "\n", 1, ""},
		{"CRLF and no final newline", "# x\r\n" + line + "\r\n" + strings.Replace(line, "-1", "-2", 1), 2, ""},
		{"spaces around the signature", "a b c\t " + sig.String() + " \n", 1, ""},
		{"no tab", "pharmacy " + sig.String(), 0, "test.txt:1: want NAME<TAB>VALUE"},
		{"empty name", "\t" + sig.String(), 0, "1 to 200 bytes"},
		{"name with a space first", " x\t" + sig.String(), 0, "must not start"},
		{"control character", "a\x01b\t" + sig.String(), 0, "control characters"},
		{"not UTF-8", "a\xffb\t" + sig.String(), 0, "not UTF-8"},
		{"bad signature on line 3", "# x\n" + line + "\nbad\toph1:00", 0, "test.txt:3: signature must have 1024"},
		{"other scheme", "x\toph9:" + sig.String()[5:], 0, `must start with "oph1:"`},
		{"scheme of an earlier mailgw", "x\tmh1:" + sig.String()[5:], 0, "sign the samples again"},
		{"too long", "x\t" + strings.Repeat("0", 5000), 0, "longer than"},
	}
	for _, tc := range tests {
		c, err := fuzzy.Parse("test.txt", []byte(tc.data))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		case err == nil && c.Len() != tc.want:
			t.Errorf("%s: %d samples, want %d", tc.name, c.Len(), tc.want)
		}
	}
}

func TestMatchAndMerge(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	b := filepath.Join(dir, "b.txt")
	other := `Attention lucky winner, we are pleased to inform you that your email address
was selected in our annual international electronic draw and won a prize.`
	write(t, a, "# one\n"+fuzzy.Line(fuzzy.Sample{Name: "pharmacy", Sig: mustSign(t, spam)})+"\n")
	write(t, b, fuzzy.Line(fuzzy.Sample{Name: "lottery", Sig: mustSign(t, other)})+"\n")
	c := fuzzy.Merge(mustParse(t, a), mustParse(t, b))
	if c.Len() != 2 {
		t.Fatalf("%d samples, want 2", c.Len())
	}
	if name, sim := c.Match("Hello! " + spam); name != "pharmacy" || sim < 0.8 {
		t.Errorf("pharmacy copy: %q %.2f", name, sim)
	}
	if name, sim := c.Match(strings.Replace(other, "prize", "car", 1)); name != "lottery" || sim < 0.6 {
		t.Errorf("lottery copy: %q %.2f", name, sim)
	}
	if name, sim := c.Match("too short"); name != "" || sim != 0 {
		t.Errorf("short text: %q %.2f", name, sim)
	}
	if name, _ := fuzzy.NewCollection().Match(spam); name != "" {
		t.Errorf("empty collection matched %q", name)
	}
	if n := fuzzy.Merge(c, nil, c).Len(); n != 4 {
		t.Errorf("Merge: %d samples", n)
	}
}

func mustParse(t *testing.T, path string) *fuzzy.Collection {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fuzzy.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse: the sample file parser never panics, and what it accepts
// writes back to lines that parse to the same samples.
func FuzzParse(f *testing.F) {
	sig, _ := fuzzy.Sign(spam)
	f.Add([]byte("# c\n\nname\t" + sig.String() + "\r\n"))
	f.Add([]byte("x\toph1:00"))
	f.Add([]byte("\t\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := fuzzy.Parse("fuzz", data)
		if err != nil {
			return
		}
		var b strings.Builder
		for i := 0; i < c.Len(); i++ {
			s := c.Sample(i)
			b.WriteString(fuzzy.Line(s) + "\n")
		}
		back, err := fuzzy.Parse("again", []byte(b.String()))
		if err != nil || back.Len() != c.Len() {
			t.Fatalf("written lines do not parse back: %v", err)
		}
		for i := 0; i < c.Len(); i++ {
			if back.Sample(i) != c.Sample(i) {
				t.Fatalf("sample %d changed", i)
			}
		}
	})
}
