package decision

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/mimetree"
)

const hdrMsg = "From: a@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n folded\r\nX-SpamTest-Status: Not detected\r\nX-Other: 1\r\nx-spamtest-status: twice\r\n\r\nbody\r\n"

func TestHeaderOps(t *testing.T) {
	for _, c := range []struct {
		name string
		mods []Modification
		want string
	}{
		{"none", nil, hdrMsg},
		{"add appends", []Modification{{Op: HeaderAdd, Name: "X-New", Value: "v"}},
			strings.Replace(hdrMsg, "twice\r\n\r\n", "twice\r\nX-New: v\r\n\r\n", 1)},
		{"folded add keeps CRLF", []Modification{{Op: HeaderAdd, Name: "X-New", Value: "a" + Fold + "\tb"}},
			strings.Replace(hdrMsg, "twice\r\n\r\n", "twice\r\nX-New: a\r\n\tb\r\n\r\n", 1)},
		{"change second occurrence keeps spelling", []Modification{{Op: HeaderChange, Name: "X-SPAMTEST-STATUS", Index: 2, Value: "new"}},
			strings.Replace(hdrMsg, "x-spamtest-status: twice", "x-spamtest-status: new", 1)},
		{"empty change deletes", []Modification{{Op: HeaderChange, Name: "X-Other", Index: 1}},
			strings.Replace(hdrMsg, "X-Other: 1\r\n", "", 1)},
		{"delete last first", []Modification{{Op: HeaderDelete, Name: "X-SpamTest-Status", Index: 2}, {Op: HeaderDelete, Name: "X-SpamTest-Status", Index: 1}},
			strings.Replace(strings.Replace(hdrMsg, "X-SpamTest-Status: Not detected\r\n", "", 1), "x-spamtest-status: twice\r\n", "", 1)},
		{"change of missing field adds", []Modification{{Op: HeaderChange, Name: "X-Gone", Index: 1, Value: "v"}},
			strings.Replace(hdrMsg, "twice\r\n\r\n", "twice\r\nX-Gone: v\r\n\r\n", 1)},
		{"delete of missing field is a no-op", []Modification{{Op: HeaderDelete, Name: "X-Gone", Index: 3}}, hdrMsg},
		{"folded field replaced whole", []Modification{{Op: HeaderChange, Name: "Subject", Index: 1, Value: "[!!SPAM] x"}},
			strings.Replace(hdrMsg, "Subject: =?utf-8?q?caf=C3=A9?=\r\n folded\r\n", "Subject: [!!SPAM] x\r\n", 1)},
	} {
		m := mimetree.Parse([]byte(hdrMsg), mimetree.Limits{})
		d := &Decision{Modifications: c.mods}
		out, err := d.Apply(m)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(out) != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, out, c.want)
		}
	}
}

func TestRawValue(t *testing.T) {
	m := mimetree.Parse([]byte(hdrMsg), mimetree.Limits{})
	if v, ok := RawValue(m, "subject", 1); !ok || v != "=?utf-8?q?caf=C3=A9?= folded" {
		t.Errorf("RawValue = %q, %v", v, ok)
	}
	if _, ok := RawValue(m, "Subject", 2); ok {
		t.Error("no second Subject")
	}
}

func TestLFMessageKeepsLF(t *testing.T) {
	raw := "From: a@b\nSubject: s\n\nbody\n"
	m := mimetree.Parse([]byte(raw), mimetree.Limits{})
	out, err := (&Decision{Modifications: []Modification{{Op: HeaderAdd, Name: "X-A", Value: "1" + Fold + "\t2"}}}).Apply(m)
	if err != nil || string(out) != "From: a@b\nSubject: s\nX-A: 1\n\t2\n\nbody\n" {
		t.Errorf("got %q, %v", out, err)
	}
}

func TestBodyEditsAndTopHeader(t *testing.T) {
	raw := "From: a@b\r\nContent-Type: application/octet-stream; name=x.exe\r\nContent-Disposition: attachment; filename=x.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQ\r\n"
	m := mimetree.Parse([]byte(raw), mimetree.Limits{})
	d := &Decision{Modifications: []Modification{{Op: PartReplace, Path: m.Root.Path, Content: []byte("removed\n")}}}
	p, err := d.Plan(m)
	if err != nil {
		t.Fatal(err)
	}
	if !p.BodyChanged || !strings.Contains(string(p.Body), "removed") {
		t.Fatalf("body %q", p.Body)
	}
	out := string(p.Apply(m))
	re := mimetree.Parse([]byte(out), mimetree.Limits{})
	if re.Root.MediaType != "text/plain" || !strings.Contains(string(re.Root.Content), "removed") {
		t.Errorf("re-parsed root %s %q from:\n%s", re.Root.MediaType, re.Root.Content, out)
	}
	if strings.Count(strings.ToLower(out), "content-type:") != 1 || strings.Contains(out, "x.exe") || strings.Contains(out, "base64") {
		t.Errorf("want exactly the replacement's MIME fields:\n%s", out)
	}
}

func TestParseReply(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"550 5.7.1 Refused by policy", "550 5.7.1 Refused by policy", ""},
		{"554 go away", "554 go away", ""},
		{"451 4.7.1", "451 4.7.1 Message refused", ""},
		{"550 4.7.1 mixed", "", "does not match"},
		{"250 ok", "", "4xx or 5xx"},
		{"5500 x", "", "4xx or 5xx"},
		{"", "", "empty"},
	} {
		r, err := ParseReply(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseReply(%q) err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || r.String() != c.want {
			t.Errorf("ParseReply(%q) = %q, %v", c.in, r.String(), err)
		}
	}
}

func TestUnknownOp(t *testing.T) {
	m := mimetree.Parse([]byte(hdrMsg), mimetree.Limits{})
	if _, err := (&Decision{Modifications: []Modification{{Op: "explode"}}}).Plan(m); err == nil {
		t.Error("unknown op must fail")
	}
}
