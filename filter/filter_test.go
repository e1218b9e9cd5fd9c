package filter_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/policy"
)

func newFilter(t *testing.T, conf string, opts filter.Options) *filter.Filter {
	t.Helper()
	c, err := config.Parse("t.conf", []byte("[mailgw.policy]\n"+conf), policy.Schema(), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, errs := policy.FromConfig(c)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return filter.New(p, opts)
}

func process(t *testing.T, f *filter.Filter, raw string) (*filter.Result, *decision.Decision) {
	t.Helper()
	res := f.Process(context.Background(), &filter.Envelope{QueueID: "Q1", From: "a@example.org", Rcpts: []string{"b@example.com"}}, []byte(raw))
	if len(res.Decisions) != 1 {
		t.Fatalf("decisions: %d", len(res.Decisions))
	}
	return res, res.Decisions[0]
}

const attach = "From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream; name=x.bin\r\n\r\nMARK\r\n--b--\r\n"

func withMark(spamHeader, mark string) string {
	s := strings.Replace(attach, "MARK", mark, 1)
	if spamHeader != "" {
		s = strings.Replace(s, "Subject: s\r\n", "Subject: s\r\n"+fake.SpamHeader+": "+spamHeader+"\r\n", 1)
	}
	return s
}

func TestFailures(t *testing.T) {
	engines := filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}}
	for _, c := range []struct {
		name, conf, msg string
		disp            decision.Disposition
		objStatus       string
		errPart         string
	}{
		{"spam outage tempfails", "", withMark("fail", "x"), decision.Tempfail, "", "anti-spam"},
		{"spam panic tempfails", "", withMark("panic", "x"), decision.Tempfail, "", "panic"},
		{"spam outage accepted", "FailureAction=accept\n", withMark("fail", "x"), decision.Deliver, "clean", "accepted unchecked"},
		{"scanner outage is error, never clean", "ActionError=pass\n", withMark("", fake.MarkFail), decision.Deliver, "error", ""},
		{"scanner panic is error", "ActionError=pass\n", withMark("", fake.MarkPanic), decision.Deliver, "error", ""},
	} {
		var logs bytes.Buffer
		opts := engines
		opts.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		_, d := process(t, newFilter(t, c.conf, opts), c.msg)
		if d.Disposition != c.disp || !strings.Contains(d.Error, c.errPart) {
			t.Errorf("%s: disposition %s error %q", c.name, d.Disposition, d.Error)
		}
		if c.disp == decision.Tempfail && (d.Reply == nil || d.Reply.Code/100 != 4 || strings.Contains(d.Reply.Text, "panic")) {
			t.Errorf("%s: reply %+v must be a generic 4xx", c.name, d.Reply)
		}
		if c.objStatus != "" && d.Objects[len(d.Objects)-1].Status != c.objStatus {
			t.Errorf("%s: objects %+v", c.name, d.Objects)
		}
		if !strings.Contains(logs.String(), `"queue_id":"Q1"`) || !strings.Contains(logs.String(), `"disposition":"`+string(c.disp)+`"`) {
			t.Errorf("%s: log line %s", c.name, logs.String())
		}
	}
}

func TestNoEngines(t *testing.T) {
	_, d := process(t, newFilter(t, "", filter.Options{}), withMark("spam 9", fake.MarkInfected))
	if d.Spam.Status != "not_checked" || d.Disposition != decision.Deliver {
		t.Errorf("%+v", d)
	}
	for _, o := range d.Objects {
		if o.Status != "not_checked" {
			t.Errorf("object %+v must be not_checked without an engine", o)
		}
	}
}

func TestForgedHeadersRemoved(t *testing.T) {
	msg := strings.Replace(withMark("spam 9", "x"), "Subject: s\r\n",
		"Subject: s\r\nX-SpamTest-Status: Not detected\r\nx-mailgw-av-status: clean\r\nX-SpamTest-Status: Not detected\r\n", 1)
	res, d := process(t, newFilter(t, "MarkSubject=spam\n", filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}}), msg)
	out, err := d.Apply(res.Message)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "Not detected") || strings.Count(s, "X-SpamTest-Status: Spam") != 1 || strings.Count(strings.ToLower(s), "x-mailgw-av-status") != 1 {
		t.Errorf("forged headers survived:\n%s", s)
	}
	if !strings.Contains(s, "Subject: [!!SPAM] s\r\n") {
		t.Errorf("subject not marked:\n%s", s)
	}
	// A second pass over our own output must not mark twice.
	res2, d2 := process(t, newFilter(t, "MarkSubject=spam\n", filter.Options{Spam: fake.Spam{}}), s)
	out2, _ := d2.Apply(res2.Message)
	if strings.Count(string(out2), "[!!SPAM]") != 1 {
		t.Errorf("marked twice:\n%s", out2)
	}
}

func TestUnparseablePartFollowsActionError(t *testing.T) {
	broken := "From: a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nok\r\n--b\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--b--\r\n"
	res, d := process(t, newFilter(t, "ActionError=placeholder\n", filter.Options{Virus: fake.Virus{}}), broken)
	var st []string
	for _, o := range d.Objects {
		st = append(st, o.Name+":"+o.Status+"/"+o.Action)
	}
	if strings.Join(st, " ") != ":clean/pass r.pdf:error/placeholder" {
		t.Errorf("objects %v", st)
	}
	out, err := d.Apply(res.Message)
	if err != nil || strings.Contains(string(out), "not base64") || !strings.Contains(string(out), "r.pdf was removed") {
		t.Errorf("apply: %v\n%s", err, out)
	}
}

func TestBlockReply(t *testing.T) {
	f := newFilter(t, "BlockMessage=av/infected\nBlockReply=550 5.7.1 Virus found\n", filter.Options{Virus: fake.Virus{}})
	_, d := process(t, f, withMark("", fake.MarkInfected))
	if d.Disposition != decision.Reject || d.Reply == nil || d.Reply.String() != "550 5.7.1 Virus found" {
		t.Errorf("%s %+v", d.Disposition, d.Reply)
	}
}

func TestCureWithoutCuredContentIsInfected(t *testing.T) {
	_, d := process(t, newFilter(t, "AVCure=false\n", filter.Options{Virus: fake.Virus{}}), withMark("", fake.MarkCurable))
	if got := d.Objects[1]; got.Status != "infected" || got.Action != "remove" {
		t.Errorf("%+v", got)
	}
}

func TestNestedAndUUEncoded(t *testing.T) {
	uu := "begin 644 tool.com\r\n" + uuencode([]byte(fake.MarkInfected)) + "`\r\nend\r\n"
	raw := "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n" +
		"--o\r\nContent-Type: text/plain\r\n\r\nsee below\r\n" + uu + "bye\r\n" +
		"--o\r\nContent-Type: message/rfc822; name=fwd.eml\r\nContent-Disposition: attachment; filename=fwd.eml\r\n\r\n" +
		"From: c@example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n" +
		"--i\r\nContent-Type: text/plain\r\n\r\ninner\r\n--i\r\nContent-Type: application/octet-stream; name=v.exe\r\n\r\n" + fake.MarkInfected + "\r\n--i--\r\n" +
		"--o--\r\n"
	f := newFilter(t, "", filter.Options{Virus: fake.Virus{}})
	res, d := process(t, f, raw)
	got := map[string]string{}
	for _, o := range d.Objects {
		got[o.Path] = o.Name + ":" + o.Status + "/" + o.Action
	}
	if got["1/uu1"] != "tool.com:infected/remove" || got["2.0.2"] != "v.exe:infected/remove" || got["2.0.1"] != ":clean/pass" {
		t.Fatalf("objects %v", got)
	}
	out, err := d.Apply(res.Message)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "begin 644") || strings.Contains(s, fake.MarkInfected) || !strings.Contains(s, "see below") || !strings.Contains(s, "inner") {
		t.Errorf("result:\n%s", s)
	}
	// The attached message as a whole is filtered by name.
	f = newFilter(t, "IncludeByName=*.eml\n", filter.Options{Virus: fake.Virus{}})
	res, d = process(t, f, raw)
	out, _ = d.Apply(res.Message)
	if strings.Contains(string(out), "inner") || !strings.Contains(string(out), "see below") {
		t.Errorf("filtered .eml not removed:\n%s", out)
	}
}

// uuencode encodes data as uuencode lines (one line: data is short).
func uuencode(data []byte) string {
	enc := func(b byte) byte {
		if b == 0 {
			return '`'
		}
		return b + ' '
	}
	var b strings.Builder
	b.WriteByte(enc(byte(len(data))))
	for i := 0; i < len(data); i += 3 {
		var c [3]byte
		copy(c[:], data[i:])
		b.WriteByte(enc(c[0] >> 2))
		b.WriteByte(enc((c[0]<<4 | c[1]>>4) & 63))
		b.WriteByte(enc((c[1]<<2 | c[2]>>6) & 63))
		b.WriteByte(enc(c[2] & 63))
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestMimeFilterUsesRealType(t *testing.T) {
	exe := "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + strings.Repeat("\x00", 100)
	raw := "From: a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: image/png; name=cat.png\r\n\r\n" + exe + "\r\n--b--\r\n"
	_, d := process(t, newFilter(t, "IncludeByMime=application/x-dosexec\n", filter.Options{}), raw)
	if got := d.Objects[1]; got.Status != "filtered" {
		t.Errorf("an executable declared as image/png must be filtered by its real type: %+v", got)
	}
}
