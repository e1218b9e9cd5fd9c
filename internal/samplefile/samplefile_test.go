package samplefile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/internal/samplefile"
)

type pair struct{ name, value string }

func parse(data string) ([]pair, error) {
	var out []pair
	err := samplefile.Parse("f.txt", []byte(data), 300, func(name, value string) error {
		if value == "refuse" {
			return errors.New("refused")
		}
		out = append(out, pair{name, value})
		return nil
	})
	return out, err
}

func TestParse(t *testing.T) {
	tests := []struct {
		data string
		want []pair
		err  string
	}{
		{"", nil, ""},
		{"# c\n\n \t \r\n#\tx\n", nil, ""},
		{"a\tb\r\nc d\t  e f  \ng\t", []pair{{"a", "b"}, {"c d", "e f"}, {"g", ""}}, ""},
		{"a\tb\tc\n", []pair{{"a", "b\tc"}}, ""},
		{"a b\n", nil, "f.txt:1: want NAME<TAB>VALUE"},
		{"# c\n\tb\n", nil, "f.txt:2: the name must have 1 to 200 bytes"},
		{" a\tb\n", nil, "must not start with # or a space"},
		{"a\x00\tb\n", nil, "control characters"},
		{"\xc3\tb\n", nil, "not UTF-8"},
		{strings.Repeat("n", 201) + "\tb\n", nil, "1 to 200 bytes"},
		{"a\t" + strings.Repeat("v", 300) + "\n", nil, "f.txt:1: line longer than 300 bytes"},
		{"a\tb\nc\trefuse\n", nil, "f.txt:2: refused"},
	}
	for _, tc := range tests {
		got, err := parse(tc.data)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.data, err, tc.err)
		case tc.err == "" && (err != nil || !equal(got, tc.want)):
			t.Errorf("%q: %v %v, want %v", tc.data, got, err, tc.want)
		}
	}
}

func equal(a, b []pair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzParse: no input panics the reader, and every name it hands on is
// one CheckName accepts and Line writes back to the same pair.
func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\r\nname\tvalue\n\n"))
	f.Add([]byte("\t\t\n"))
	f.Add([]byte("a\x7f\tb"))
	f.Fuzz(func(t *testing.T, data []byte) {
		samplefile.Parse("fuzz", data, 90, func(name, value string) error {
			if err := samplefile.CheckName(name); err != nil {
				t.Fatalf("name %q handed on: %v", name, err)
			}
			back, err := parse(samplefile.Line(name, value))
			if value != "refuse" && (err != nil || len(back) != 1 || back[0] != (pair{name, value})) {
				t.Fatalf("%q %q does not write back: %v %v", name, value, back, err)
			}
			return nil
		})
	})
}
