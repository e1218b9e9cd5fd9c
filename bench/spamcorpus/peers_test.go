package spamcorpus

import (
	"testing"
)

func TestParseBogosity(t *testing.T) {
	out := "/w/a.eml X-Bogosity: Spam, tests=bogofilter, spamicity=0.999999, version=1.2.5\n" +
		"/w/b c.eml X-Bogosity: Unsure, tests=bogofilter, spamicity=0.5\n" +
		"/w/d.eml X-Bogosity: Ham, tests=bogofilter, spamicity=0.000001\n"
	got, err := parseBogosity([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if got["/w/a.eml"] != Spam || got["/w/b c.eml"] != Probable || got["/w/d.eml"] != Ham || len(got) != 3 {
		t.Errorf("%v", got)
	}
	if _, err := parseBogosity([]byte("/w/e.eml X-Bogosity: Maybe, x\n")); err == nil {
		t.Error("unknown answer: no error")
	}
}

func TestParseSAMarkers(t *testing.T) {
	// The body of the second message quotes SpamAssassin's own header,
	// which must not count as an answer.
	out := "Subject: a\n" + saMarker + ": Yes 7.2\n\nbody\n" +
		"Subject: b\n" + saMarker + ": No -1.0\n\nX-Spam-Status: Yes, score=9\n"
	got, err := parseSAMarkers([]byte(out), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != Spam || got[1] != Ham {
		t.Errorf("%v", got)
	}
	if _, err := parseSAMarkers([]byte(out), 3); err == nil {
		t.Error("missing answer: no error")
	}
	if _, err := parseSAMarkers([]byte(saMarker+": Yes x\n"), 1); err == nil {
		t.Error("bad score: no error")
	}
}

func TestCountByPath(t *testing.T) {
	tool := &Tool{Name: "t"}
	msgs := []Message{{Group: "spam-2"}, {Group: "easy-ham-2"}}
	if err := countByPath(tool, msgs, []string{"a", "b"}, map[string]Class{"a": Spam, "b": Ham}); err != nil {
		t.Fatal(err)
	}
	if tool.Group("spam-2").Spam != 1 || tool.Group("easy-ham-2").Total != 1 {
		t.Errorf("%+v", tool.Groups)
	}
	if err := countByPath(tool, msgs, []string{"a", "c"}, map[string]Class{"a": Spam}); err == nil {
		t.Error("missing answer: no error")
	}
}
