package bayes

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestModelRoundTrip(t *testing.T) {
	var l Learner
	l.Add([]string{"cheap", "pills", "cheap", "subject:win"}, true)
	l.Add([]string{"meeting", "tomorrow", "subject:win"}, false)
	l.Add([]string{"pills", "bad\ttoken"}, true)
	var b bytes.Buffer
	if err := WriteModel(&b, l.Model()); err != nil {
		t.Fatal(err)
	}
	want := "mailgw-bayes 1\ntotals 2 1\n1\t0\tcheap\n0\t1\tmeeting\n2\t0\tpills\n1\t1\tsubject:win\n0\t1\ttomorrow\n"
	if b.String() != want {
		t.Fatalf("model:\n%s\nwant:\n%s", b.String(), want)
	}
	m, err := ReadModel(&b)
	if err != nil {
		t.Fatal(err)
	}
	tot, c, _ := m.Lookup(context.Background(), []string{"pills", "subject:win", "unknown"})
	if tot != (Counts{2, 1}) || c[0] != (Counts{2, 0}) || c[1] != (Counts{1, 1}) || c[2] != (Counts{}) {
		t.Errorf("Lookup = %v %v", tot, c)
	}
}

func TestReadModelErrors(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{"", "line 1"},
		{"mailgw-bayes 2\n", "line 1"},
		{"mailgw-bayes 1\n", "line 2: missing totals"},
		{"mailgw-bayes 1\ntotals 1\n", "line 2"},
		{"mailgw-bayes 1\ntotals 1 -1\n", "line 2"},
		{"mailgw-bayes 1\ntotals 1 1\n1 1 tok\n", "line 3: want SPAM<TAB>HAM<TAB>TOKEN"},
		{"mailgw-bayes 1\ntotals 1 1\n1\t1\ta\n1\tx\tb\n", "line 4"},
		{"mailgw-bayes 1\ntotals 1 1\n2\t0\ta\n", "line 3: token \"a\" counted in more"},
		{"mailgw-bayes 1\ntotals 1 1\n1\t0\ta\n0\t1\ta\n", "line 4: token \"a\" twice"},
	} {
		if _, err := ReadModel(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ReadModel(%q) = %v, want an error with %q", tt.in, err, tt.err)
		}
	}
}

func TestLayered(t *testing.T) {
	var base, top Learner
	base.Add([]string{"a", "b"}, true)
	top.Add([]string{"a"}, false)
	top.Add([]string{"c"}, true)
	l := Layered{Base: base.Model(), Top: top.Model()}
	tot, c, err := l.Lookup(context.Background(), []string{"a", "b", "c"})
	if err != nil || tot != (Counts{2, 1}) || c[0] != (Counts{1, 1}) || c[1] != (Counts{1, 0}) || c[2] != (Counts{1, 0}) {
		t.Errorf("Lookup = %v %v %v", tot, c, err)
	}
	if err := l.Learn(context.Background(), [][]string{{"x"}}, true); err == nil {
		t.Error("Learn into a read-only top succeeded")
	}
}

// FuzzReadModel: any input is a model or an error; a model read back
// writes and reads again to the same counts.
func FuzzReadModel(f *testing.F) {
	f.Add([]byte("mailgw-bayes 1\ntotals 2 1\n1\t0\tcheap\n0\t1\tmeeting\n"))
	f.Add([]byte("mailgw-bayes 1\ntotals 0 0\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ReadModel(bytes.NewReader(in))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteModel(&b, m); err != nil {
			t.Fatal(err)
		}
		m2, err := ReadModel(&b)
		if err != nil || m2.Len() > m.Len() || m2.Totals() != m.Totals() {
			t.Fatalf("round trip: %v, %d tokens of %d", err, m2.Len(), m.Len())
		}
	})
}
