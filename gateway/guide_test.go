package gateway

// One table test per configuration example of the guide's chapter 5. The
// configuration text is the guide's, with the PDF's OCR spacing undone
// (e.g. "*@ma nagers. example.com") but its spelling kept where it is the
// guide's own: "Actioninfected", "CheckSpams", continuation lines after a
// trailing comma, "SpamDetection", "av/filtered", "deny for ip".

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/notify"
)

// part is one attachment of a test message.
type part struct{ name, body string }

// mkMsg builds a multipart/mixed message with a text body and attachments.
// spam sets the fake anti-spam verdict ("" for not_detected).
func mkMsg(subject, spam, text string, parts ...part) []byte {
	var b strings.Builder
	b.WriteString("From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: " + subject + "\r\n")
	if spam != "" {
		b.WriteString(fake.SpamHeader + ": " + spam + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BND\"\r\n\r\n")
	b.WriteString("--BND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text + "\r\n")
	for _, p := range parts {
		b.WriteString("--BND\r\nContent-Type: application/octet-stream; name=\"" + p.name + "\"\r\n")
		b.WriteString("Content-Disposition: attachment; filename=\"" + p.name + "\"\r\n\r\n" + p.body + "\r\n")
	}
	b.WriteString("--BND--\r\n")
	return []byte(b.String())
}

// outcome is what a test expects for one group copy.
type outcome struct {
	group       string
	disposition decision.Disposition
	objects     map[string]string // attachment name -> "status/action"
	quarantine  []string          // stores
	notify      []string          // "admin", "recipient", "sender"
	subject     string            // expected Subject of the delivered copy; "" = not checked
	has         []string          // substrings the delivered copy must contain
	hasNot      []string          // substrings it must not contain
	unchanged   bool              // the delivered copy is byte-identical to the input
}

type guideCase struct {
	name  string
	msg   []byte
	from  string
	ip    string
	rcpts []string
	want  []outcome // one per group copy, in order
}

func loadGuide(t *testing.T, conf string) *Gateway {
	t.Helper()
	gw, err := Parse("mailgw.conf", []byte(conf), config.Options{})
	if err != nil {
		t.Fatalf("configuration does not load:\n%v", err)
	}
	return gw
}

func runGuide(t *testing.T, conf string, cases []guideCase) {
	t.Helper()
	gw := loadGuide(t, conf)
	f := gw.Filter(filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}, Version: "test", Logger: quiet()})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := &filter.Envelope{From: c.from, Rcpts: c.rcpts}
			switch env.From {
			case "":
				env.From = "alice@example.org"
			case "<>":
				env.From = ""
			}
			if len(env.Rcpts) == 0 {
				env.Rcpts = []string{"bob@example.com"}
			}
			if c.ip != "" {
				env.ClientIP = netip.MustParseAddr(c.ip)
			}
			res := f.Process(context.Background(), env, c.msg)
			if len(res.Decisions) != len(c.want) {
				t.Fatalf("got %d group copies, want %d: %+v", len(res.Decisions), len(c.want), res.Decisions)
			}
			for i, w := range c.want {
				checkOutcome(t, c.msg, res.Message, res.Decisions[i], w)
			}
		})
	}
}

func checkOutcome(t *testing.T, raw []byte, msg *mimetree.Message, d *decision.Decision, w outcome) {
	t.Helper()
	if d.Group != w.group || d.Disposition != w.disposition {
		t.Errorf("copy: group=%s disposition=%s, want group=%s disposition=%s (error %q)", d.Group, d.Disposition, w.group, w.disposition, d.Error)
	}
	for _, o := range d.Objects {
		if want, ok := w.objects[o.Name]; ok && want != o.Status+"/"+o.Action {
			t.Errorf("object %s: %s/%s, want %s", o.Name, o.Status, o.Action, want)
		}
	}
	var stores, notes []string
	for _, q := range d.Quarantine {
		stores = append(stores, q.Store)
	}
	for _, n := range d.Notify {
		notes = append(notes, n.To)
	}
	if !slices.Equal(stores, w.quarantine) || !slices.Equal(notes, w.notify) {
		t.Errorf("quarantine=%v notify=%v, want %v %v", stores, notes, w.quarantine, w.notify)
	}
	out, err := d.Apply(msg)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	checkBytes(t, raw, out, w)
}

func checkBytes(t *testing.T, raw, out []byte, w outcome) {
	t.Helper()
	if w.unchanged && string(out) != string(raw) {
		t.Errorf("copy changed:\n%s", out)
	}
	re := mimetree.Parse(out, mimetree.Limits{})
	if w.subject != "" && re.Header.Get("Subject") != w.subject {
		t.Errorf("Subject %q, want %q", re.Header.Get("Subject"), w.subject)
	}
	// Look in the decoded objects too: a cured attachment is base64 on the wire.
	text := string(out)
	for _, o := range re.Objects {
		text += "\n" + string(o.Content)
	}
	for _, s := range w.has {
		if !strings.Contains(text, s) {
			t.Errorf("result lacks %q:\n%s", s, out)
		}
	}
	for _, s := range w.hasNot {
		if strings.Contains(string(out), s) {
			t.Errorf("result still has %q:\n%s", s, out)
		}
	}
}

func accessFacts(ip string) access.Facts {
	return access.Facts{ClientIP: netip.MustParseAddr(ip)}
}

func objs(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestGuide523WhiteAndBlackLists(t *testing.T) {
	conf := `[mailgw.policy]
SpamRateLimit=standard
[mailgw.access]
ConnectRule=deny for ip 10.10.138.99
[mailgw.group:whitelist]
Recipients=*
Senders=ip 10.10.0.0/16
CheckSpam=false
CheckAV=false
`
	virus := mkMsg("hello", "spam 9", "hi", part{"a.exe", fake.MarkInfected})
	runGuide(t, conf, []guideCase{
		{name: "white list passes unchanged", msg: virus, ip: "10.10.1.2",
			want: []outcome{{group: "whitelist", disposition: decision.Deliver, unchanged: true,
				objects: objs("a.exe", "not_checked/pass")}}},
		{name: "others are checked", msg: virus, ip: "192.0.2.7",
			want: []outcome{{group: "policy", disposition: decision.Deliver, objects: objs("a.exe", "infected/remove"),
				has: []string{"X-SpamTest-Status: Spam"}, hasNot: []string{fake.MarkInfected}}}},
	})
	gw := loadGuide(t, conf)
	deny := gw.Access.Connect(accessFacts("10.10.138.99"), "bob@example.com")
	allow := gw.Access.Connect(accessFacts("10.10.1.2"), "bob@example.com")
	if deny.Allow || !allow.Allow {
		t.Errorf("ConnectRule: 10.10.138.99 allow=%v, 10.10.1.2 allow=%v", deny.Allow, allow.Allow)
	}
}

func TestGuide526MarkSubject(t *testing.T) {
	conf := `[mailgw.policy]
SpamRateLimit=standard
CheckSpam=true
MarkSubject=spam,probable
`
	runGuide(t, conf, []guideCase{
		{name: "spam", msg: mkMsg("Cheap", "spam 9 BAYES", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, subject: "[!!SPAM] Cheap",
				has: []string{"X-SpamTest-Status: Spam", "X-SpamTest-Status-Extended: spam", "X-SpamTest-Rate: 9", "X-SpamTest-Info: BAYES"}}}},
		{name: "probable", msg: mkMsg("Maybe", "probable 5", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, subject: "[?? Probable Spam] Maybe",
				has: []string{"X-SpamTest-Status: Probable Spam", "X-SpamTest-Status-Extended: probable_spam"}}}},
		{name: "formal is not marked", msg: mkMsg("Receipt", "formal 1", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, subject: "Receipt",
				has: []string{"X-SpamTest-Status-Extended: formal"}}}},
		{name: "clean", msg: mkMsg("Hi", "", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, subject: "Hi",
				has: []string{"X-SpamTest-Status: Not detected", "X-SpamTest-Group-ID: policy", "X-SpamTest-Envelope-From: <alice@example.org>"}}}},
	})
}

func TestGuide527BlockSpam(t *testing.T) {
	conf := `[mailgw.policy]
SpamRateLimit=standard

[mailgw.group:managers]
Recipients=*@managers.example.com
CheckSpam=true
BlockMessage=as/spam,as/probable

[mailgw.policy]
CheckSpams=true
BlockMessage=as/spam
`
	two := []string{"boss@managers.example.com", "bob@example.com"}
	runGuide(t, conf, []guideCase{
		{name: "probable blocked for managers only", msg: mkMsg("x", "probable 5", "x"), rcpts: two,
			want: []outcome{{group: "managers", disposition: decision.Block}, {group: "policy", disposition: decision.Deliver}}},
		{name: "spam blocked for all", msg: mkMsg("x", "spam 9", "x"), rcpts: two,
			want: []outcome{{group: "managers", disposition: decision.Block}, {group: "policy", disposition: decision.Block}}},
		{name: "clean delivered", msg: mkMsg("x", "", "x"), rcpts: two,
			want: []outcome{{group: "managers", disposition: decision.Deliver}, {group: "policy", disposition: decision.Deliver}}},
	})
}

func TestGuide528QuarantineSpam(t *testing.T) {
	conf := `[mailgw.policy]
SpamRateLimit=standard
CheckSpam=true
BlockMessage=as/spam,as/probable
QuarantineMessage=as/spam,as/probable,as/formal,
as/blacklisted
`
	runGuide(t, conf, []guideCase{
		{name: "spam blocked, quarantined, AV skipped", msg: mkMsg("x", "spam 9", "x", part{"v.exe", fake.MarkInfected}),
			want: []outcome{{group: "policy", disposition: decision.Block, quarantine: []string{"as"},
				objects: objs("v.exe", "not_checked/pass")}}},
		{name: "formal delivered and quarantined", msg: mkMsg("x", "formal 1", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, quarantine: []string{"as"}}}},
		{name: "blacklisted delivered and quarantined", msg: mkMsg("x", "blacklisted 100", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, quarantine: []string{"as"}}}},
		{name: "clean", msg: mkMsg("x", "", "x"), want: []outcome{{group: "policy", disposition: decision.Deliver}}},
	})
}

// avMsg carries one object of each anti-virus outcome.
func avMsg() []byte {
	return mkMsg("files", "", "see attached",
		part{"clean.txt", "just text"}, part{"cure.doc", "a " + fake.MarkCurable + " b"},
		part{"virus.exe", fake.MarkInfected}, part{"odd.bin", fake.MarkSuspicious},
		part{"locked.zip", fake.MarkProtected}, part{"broken.dat", fake.MarkFail})
}

func TestGuide531CleanOrDisinfectedOnly(t *testing.T) {
	conf := `[mailgw.policy]
CheckAV=true
AVCure=true
ActionDisinfected=cure
Actioninfected=remove
ActionSuspicious=remove
ActionProtected=remove
ActionError=remove
BlockMessage=
`
	runGuide(t, conf, []guideCase{{name: "all kinds", msg: avMsg(), want: []outcome{{
		group: "policy", disposition: decision.Deliver,
		objects: objs("clean.txt", "clean/pass", "cure.doc", "disinfected/cure", "virus.exe", "infected/remove",
			"odd.bin", "suspicious/remove", "locked.zip", "protected/remove", "broken.dat", "error/remove"),
		has:    []string{"just text", "a CURED b", "X-MailGW-AV-Status: infected"},
		hasNot: []string{fake.MarkInfected, fake.MarkCurable, fake.MarkSuspicious, fake.MarkProtected, "virus.exe", "locked.zip"},
	}}}})
}

func TestGuide532Placeholders(t *testing.T) {
	conf := `[mailgw.policy]
CheckAV=true
AVCure=true
ActionDisinfected=cure
ActionInfected=placeholder
ActionSuspicious=placeholder
ActionProtected=placeholder
ActionError=placeholder
BlockMessage=
`
	runGuide(t, conf, []guideCase{{name: "all kinds", msg: avMsg(), want: []outcome{{
		group: "policy", disposition: decision.Deliver,
		objects: objs("virus.exe", "infected/placeholder", "odd.bin", "suspicious/placeholder",
			"locked.zip", "protected/placeholder", "broken.dat", "error/placeholder", "cure.doc", "disinfected/cure"),
		has:    []string{"The attachment virus.exe was removed", "Detected: Fake.Virus", "The attachment locked.zip was removed", "a CURED b"},
		hasNot: []string{fake.MarkInfected, fake.MarkSuspicious, fake.MarkProtected},
	}}}})
}

func TestGuide533BlockSuspicious(t *testing.T) {
	conf := `[mailgw.policy]
CheckAV=true
AVCure=true
ActionDisinfected=cure
Actioninfected=pass
ActionSuspicious=pass
ActionProtected=pass
ActionError=pass
BlockMessage=av/infected,av/suspicious,
av/protected,av/error
`
	runGuide(t, conf, []guideCase{
		{name: "one bad object blocks all", msg: avMsg(), want: []outcome{{group: "policy", disposition: decision.Block,
			objects: objs("virus.exe", "infected/pass")}}},
		{name: "cured only is delivered", msg: mkMsg("x", "", "x", part{"c.doc", fake.MarkCurable}),
			want: []outcome{{group: "policy", disposition: decision.Deliver, objects: objs("c.doc", "disinfected/cure"), has: []string{"CURED"}}}},
	})
}

func TestGuide534Notifications(t *testing.T) {
	conf := `[mailgw.policy]
AVCure=true
ActionDisinfected=cure
Actioninfected=remove
ActionSuspicious=remove
ActionProtected=remove
ActionError=remove
BlockMessage=
NotifyAdmin=av/disinfected,av/infected,
av/suspicious,av/protected,av/error
NotifyRecipient=av/disinfected,av/infected,
av/suspicious,av/protected,av/error
NotifySender=av/disinfected,av/infected,
av/suspicious,av/protected,av/error
`
	runGuide(t, conf, []guideCase{
		{name: "infected notifies all three", msg: avMsg(), want: []outcome{{group: "policy", disposition: decision.Deliver,
			notify: []string{"admin", "recipient", "sender"}}}},
		{name: "null sender is never notified", msg: avMsg(), from: "<>", want: []outcome{{group: "policy",
			disposition: decision.Deliver, notify: []string{"admin", "recipient"}}}},
		{name: "clean notifies nobody", msg: mkMsg("x", "", "x"), want: []outcome{{group: "policy", disposition: decision.Deliver}}},
	})
}

func TestGuide535FilterByName(t *testing.T) {
	conf := `[mailgw.policy]
CheckAV=true

[mailgw.group:managers]
Recipients=*@managers.example.com
IncludeByName=*.exe
IncludeByName=*.reg
ActionFiltered=remove

[mailgw.group:accounts]
Recipients=*@accounts.example.com
ExcludeByName=*.doc
ActionFiltered=remove

[mailgw.group:sales]
Recipients=*@sales.example.com
IncludeByName=*.exe
BlockMessage=avf/filtered
`
	msg := mkMsg("files", "", "body text stays", part{"run.exe", "MZ"}, part{"keys.reg", "REGEDIT"}, part{"plan.doc", "doc"}, part{"pic.png", "png"})
	runGuide(t, conf, []guideCase{{name: "three groups", msg: msg,
		rcpts: []string{"m@managers.example.com", "a@accounts.example.com", "s@sales.example.com", "x@example.com"},
		want: []outcome{
			{group: "managers", disposition: decision.Deliver,
				objects: objs("run.exe", "filtered/remove", "keys.reg", "filtered/remove", "plan.doc", "clean/pass", "pic.png", "clean/pass"),
				has:     []string{"plan.doc", "pic.png", "body text stays"}, hasNot: []string{"run.exe", "keys.reg"}},
			{group: "accounts", disposition: decision.Deliver,
				objects: objs("run.exe", "filtered/remove", "keys.reg", "filtered/remove", "plan.doc", "clean/pass", "pic.png", "filtered/remove"),
				has:     []string{"plan.doc", "body text stays"}, hasNot: []string{"run.exe", "keys.reg", "pic.png"}},
			{group: "sales", disposition: decision.Block, objects: objs("run.exe", "filtered/remove")},
			{group: "policy", disposition: decision.Deliver, objects: objs("run.exe", "clean/pass"), has: []string{"run.exe"}},
		}}})
}

func TestGuide536QuarantineInfected(t *testing.T) {
	conf := `[mailgw.policy]
AVCure=true
ActionDisinfected=cure
Actioninfected=pass
ActionSuspicious=pass
ActionProtected=pass
ActionError=pass
BlockMessage=
av/infected,av/suspicious,av/protected,av/error
QuarantineMessage=av/infected,av/suspicious,
av/protected,av/error
AVQuarantinePath=/opt/quarantine
`
	gw := loadGuide(t, conf)
	f := gw.Filter(filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}, Logger: quiet()})
	res := f.Process(context.Background(), &filter.Envelope{From: "a@example.org", Rcpts: []string{"b@example.com"}}, avMsg())
	d := res.Decisions[0]
	if d.Disposition != decision.Block || len(d.Quarantine) != 1 || d.Quarantine[0].Path != "/opt/quarantine" || d.Quarantine[0].Store != "av" {
		t.Fatalf("got %s %+v", d.Disposition, d.Quarantine)
	}
	runGuide(t, conf, []guideCase{{name: "clean", msg: mkMsg("x", "", "x", part{"a.txt", "ok"}),
		want: []outcome{{group: "policy", disposition: decision.Deliver}}}})
}

func TestGuide541MaximumSpeed(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "List1")
	if err := os.WriteFile(list, []byte("*.exe\n*.bat\n*.com\n*.scr\n*.bin\n*.dll\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[mailgw.policy]
SpamRateLimit=minimum
AVCure=false
AVScanArchives=false
AVScanMailBases=false
CheckAV=true
CheckSpam=true
IncludeByName=file:%s
MarkSubject=probable,formal,blacklisted
ActionFiltered=pass
ActionInfected=pass
ActionSuspicious=pass
ActionProtected=pass
ActionError=pass
BlockMessage=av/infected,av/filtered,as/spam
NotifyRecipient=av/infected,av/filtered
`, list)
	runGuide(t, conf, []guideCase{
		{name: "dangerous attachment blocked", msg: mkMsg("x", "", "x", part{"game.scr", "x"}),
			want: []outcome{{group: "policy", disposition: decision.Block, objects: objs("game.scr", "filtered/pass"), notify: []string{"recipient"}}}},
		{name: "infected blocked", msg: mkMsg("x", "", "x", part{"a.txt", fake.MarkInfected}),
			want: []outcome{{group: "policy", disposition: decision.Block, notify: []string{"recipient"}}}},
		{name: "spam blocked", msg: mkMsg("x", "spam 9", "x"), want: []outcome{{group: "policy", disposition: decision.Block}}},
		{name: "probable marked", msg: mkMsg("Offer", "probable 4", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, subject: "[?? Probable Spam] Offer"}}},
		{name: "uncured curable stays infected", msg: mkMsg("x", "", "x", part{"c.doc", fake.MarkCurable}),
			want: []outcome{{group: "policy", disposition: decision.Block, objects: objs("c.doc", "infected/pass"), notify: []string{"recipient"}}}},
	})
}

func TestGuide542Recommended(t *testing.T) {
	conf := `[mailgw.policy]
SpamDetection=standard
AVCure=true
AVScanArchives=true
AVScanMailBases=true
CheckAV=true
CheckSpam=true
MarkSubject=spam,probable,formal,blacklisted
ActionDisinfected=cure
Actioninfected=placeholder
ActionSuspicious=placeholder
ActionProtected=pass
ActionError=pass
BlockMessage=av/protected,av/error
QuarantineMessage=av/protected,av/error
NotifyRecipient=av/protected,av/error
`
	runGuide(t, conf, []guideCase{
		{name: "infected replaced", msg: mkMsg("x", "", "x", part{"v.exe", fake.MarkInfected}),
			want: []outcome{{group: "policy", disposition: decision.Deliver, objects: objs("v.exe", "infected/placeholder"),
				has: []string{"The attachment v.exe was removed"}, hasNot: []string{fake.MarkInfected}}}},
		{name: "protected blocked and quarantined", msg: mkMsg("x", "", "x", part{"l.zip", fake.MarkProtected}),
			want: []outcome{{group: "policy", disposition: decision.Block, quarantine: []string{"av"}, notify: []string{"recipient"}}}},
		{name: "spam marked", msg: mkMsg("Win", "spam 9", "x"),
			want: []outcome{{group: "policy", disposition: decision.Deliver, subject: "[!!SPAM] Win"}}},
	})
}

func TestGuide543MaximumProtection(t *testing.T) {
	conf := `[mailgw.policy]
SpamRateLimit=maximum
AVCure=true
AVScanArchives=true
AVScanMailBases=true
CheckAV=true
CheckSpam=true
MarkSubject=spam,probable,formal,blacklisted
ActionDisinfected=cure
Actioninfected=remove
ActionSuspicious=remove
ActionProtected=remove
ActionError=remove
BlockMessage=as/all
QuarantineMessage=as/all
NotifyRecipient=av/infected,av/suspicious,
av/protected,av/error
NotifyAdmin=av/infected,av/suspicious,
av/protected,av/error
`
	runGuide(t, conf, []guideCase{
		{name: "formal blocked and quarantined", msg: mkMsg("x", "formal 1", "x"),
			want: []outcome{{group: "policy", disposition: decision.Block, quarantine: []string{"as"}}}},
		{name: "infected removed, notices", msg: avMsg(),
			want: []outcome{{group: "policy", disposition: decision.Deliver, notify: []string{"admin", "recipient"},
				objects: objs("virus.exe", "infected/remove", "locked.zip", "protected/remove"), hasNot: []string{"virus.exe"}}}},
	})
}

func configOptions() config.Options { return config.Options{} }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestGuide612Disclaimer: per group, an informational text is appended to
// the body, in text and HTML parts alike.
func TestGuide612Disclaimer(t *testing.T) {
	own := filepath.Join(t.TempDir(), "sales.tmpl")
	if err := os.WriteFile(own, []byte("Sales department of {{.Hostname}}: this mail is confidential.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[mailgw.policy]
AddDisclaimer=true
[mailgw.group:sales]
Recipients=*@sales.example.com
DisclaimerTemplate=%s
[mailgw.group:quiet]
Recipients=*@quiet.example.com
AddDisclaimer=false
`, own)
	gw := loadGuide(t, conf)
	templates, err := notify.Load(gw.Templates)
	if err != nil {
		t.Fatal(err)
	}
	f := gw.Filter(filter.Options{Disclaimer: gw.Disclaimer(templates), Logger: quiet()})
	alt := "From: a@example.org\r\nTo: x@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n" +
		"--a\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nplain body\r\n--a\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<html><body><p>html body</p></body></html>\r\n--a--\r\n"
	res := f.Process(context.Background(), &filter.Envelope{From: "a@example.org",
		Rcpts: []string{"x@example.com", "s@sales.example.com", "q@quiet.example.com"}}, []byte(alt))
	want := map[string]string{"policy": "was checked for viruses and spam", "sales": "Sales department of localhost", "quiet": ""}
	for _, d := range res.Decisions {
		out, err := d.Apply(res.Message)
		if err != nil {
			t.Fatal(err)
		}
		re := mimetree.Parse(out, mimetree.Limits{})
		text, html := string(re.Objects[1].Content), string(re.Objects[2].Content)
		w := want[d.Group]
		if w == "" {
			if strings.Contains(string(out), "was checked") || text != "plain body" {
				t.Errorf("%s: disclaimer added although AddDisclaimer=false:\n%s", d.Group, out)
			}
			continue
		}
		if !strings.Contains(text, w) || !strings.Contains(html, w) || !strings.Contains(html, "</body>") {
			t.Errorf("%s: disclaimer %q missing:\ntext %q\nhtml %q", d.Group, w, text, html)
		}
	}
	// A broken group template is a configuration error with its line.
	if err := os.WriteFile(own, []byte("{{.Nope}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("mailgw.conf", []byte(conf), config.Options{}); err == nil || !strings.Contains(err.Error(), "mailgw.conf:5: DisclaimerTemplate") {
		t.Errorf("broken template: %v", err)
	}
}

// TestTrustedGroupHeaders: a white-list group (SpamTrusted) gets the
// trusted status from the real anti-spam engine, even for GTUBE, and its
// headers say which method decided; the same message from elsewhere is
// spam.
func TestTrustedGroupHeaders(t *testing.T) {
	gw := loadGuide(t, `[mailgw.policy]
SpamRateLimit=standard
[mailgw.group:partners]
Senders=ip 10.10.0.0/16
SpamTrusted=yes
`)
	f := gw.Filter(filter.Options{Spam: gw.SpamChecker(quiet()), Virus: fake.Virus{}, Version: "test", Logger: quiet()})
	gtube := mkMsg("offer", "", "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X")
	for _, tc := range []struct {
		ip, group string
		has       []string
	}{
		{"10.10.1.2", "partners", []string{"X-SpamTest-Status: Not detected", "X-SpamTest-Status-Extended: trusted", "X-SpamTest-Method: trusted", "X-SpamTest-Group-ID: partners"}},
		{"192.0.2.7", "policy", []string{"X-SpamTest-Status: Spam", "X-SpamTest-Status-Extended: spam", "X-SpamTest-Method: gtube"}},
	} {
		env := &filter.Envelope{From: "alice@example.org", Rcpts: []string{"bob@example.com"}, ClientIP: netip.MustParseAddr(tc.ip)}
		res := f.Process(context.Background(), env, gtube)
		if len(res.Decisions) != 1 || res.Decisions[0].Group != tc.group {
			t.Fatalf("%s: decisions %+v, want one for %s", tc.ip, res.Decisions, tc.group)
		}
		out, err := res.Decisions[0].Apply(res.Message)
		if err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(string(out), "\r\n\r\n")
		for _, h := range tc.has {
			if !strings.Contains(head, h) {
				t.Errorf("%s: header lacks %q:\n%s", tc.ip, h, head)
			}
		}
	}
}
