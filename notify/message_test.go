package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/mailgw/mailgw/decision"
)

// blocked is the copy of an infected message that was not delivered.
func blocked() *decision.Decision {
	return &decision.Decision{
		Group: "default", Recipients: []string{"alice@example.com", "bob@example.com"}, Disposition: decision.Block,
		Objects: []decision.Object{
			{Path: "1", MIME: "text/plain", Status: "clean", Action: "pass"},
			{Path: "2", Name: "invoice.pdf.exe", MIME: "application/x-msdownload", Status: "infected",
				Signature: "EICAR-Test-File", Action: "remove", Detail: "internal detail"},
		},
		Statuses: []string{"av/infected"},
	}
}

func TestBuildGolden(t *testing.T) {
	env := Envelope{QueueID: "4BQ7Zk1cXrz9vX2", From: "carol@example.org", Arrival: arrivalTime}
	tests := []struct {
		name    string
		req     decision.Notification
		hdr     []string
		to      [][]string // envelope recipients of each message
		subject string     // decoded Subject of the first message
	}{
		{"admin", decision.Notification{To: "admin", Addresses: []string{"postmaster@example.com", "sec@example.com"}, Statuses: []string{"av/infected"}},
			[]string{"Subject", "Invoice 2024-117"}, [][]string{{"postmaster@example.com", "sec@example.com"}}, "Message not delivered: Invoice 2024-117"},
		{"recipient", decision.Notification{To: "recipient", Addresses: []string{"alice@example.com", "bob@example.com"}, Statuses: []string{"av/infected"}},
			[]string{"Subject", "=?utf-8?q?R=C3=A9sum=C3=A9_f=C3=BCr_Sie?="}, [][]string{{"alice@example.com"}, {"bob@example.com"}}, "Message not delivered: Résumé für Sie"},
		{"sender", decision.Notification{To: "sender", Addresses: []string{"carol@example.org"}, Statuses: []string{"av/infected"}},
			[]string{"Subject", "Invoice", "Auto-Submitted", "no"}, [][]string{{"carol@example.org"}}, "Message not delivered: Invoice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := testBuilder(t).Build(tt.req, blocked(), env, header(tt.hdr...))
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != len(tt.to) {
				t.Fatalf("got %d messages, want %d", len(msgs), len(tt.to))
			}
			for i, m := range msgs {
				name := fmt.Sprintf("notice-%s-%d.eml", tt.name, i+1)
				golden(t, name, m.Data)
				checkCRLF(t, name, m.Data)
				if m.From != "" || strings.Join(m.To, ",") != strings.Join(tt.to[i], ",") {
					t.Errorf("%s: envelope %q -> %q, want <> -> %q", name, m.From, m.To, tt.to[i])
				}
				checkNotice(t, name, m.Data, tt.to[i], tt.subject)
			}
		})
	}
}

// checkNotice parses a notice back and checks its header and that the
// body names no recipient but those it is addressed to.
func checkNotice(t *testing.T, name string, data []byte, to []string, subject string) {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	h := r.Header
	got := map[string]string{"Auto-Submitted": h.Get("Auto-Submitted"), HeaderName: h.Get(HeaderName),
		"MIME-Version": h.Get("MIME-Version"), "Content-Type": h.Get("Content-Type")}
	want := map[string]string{"Auto-Submitted": "auto-generated", HeaderName: "yes", "MIME-Version": "1.0",
		"Content-Type": "text/plain; charset=utf-8"}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s: %s = %q, want %q", name, k, got[k], want[k])
		}
	}
	if s, _ := h.Subject(); s != subject {
		t.Errorf("%s: Subject = %q, want %q", name, s, subject)
	}
	if d, err := h.Date(); err != nil || !d.Equal(noticeTime) {
		t.Errorf("%s: Date = %v, %v", name, d, err)
	}
	if id, _ := h.MessageID(); !strings.HasSuffix(id, "@mx.example.com") {
		t.Errorf("%s: Message-ID = %q", name, id)
	}
	from, _ := h.AddressList("From")
	if len(from) != 1 || from[0].Address != "mailgw@example.com" || from[0].Name != "Mail Gateway" {
		t.Errorf("%s: From = %v", name, from)
	}
	checkBody(t, name, r, to)
}

func checkBody(t *testing.T, name string, r *mail.Reader, to []string) {
	t.Helper()
	p, err := r.NextPart()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	body, _ := io.ReadAll(p.Body)
	for _, rcpt := range []string{"alice@example.com", "bob@example.com"} {
		named := bytes.Contains(body, []byte(rcpt))
		if want := strings.Contains(strings.Join(to, ","), rcpt) || len(to) != 1 || to[0] == "carol@example.org"; named != want {
			t.Errorf("%s: body names %s: %v, want %v", name, rcpt, named, want)
		}
	}
	if bytes.Contains(body, []byte("internal detail")) || bytes.Contains(body, []byte("<no value>")) {
		t.Errorf("%s: body leaks internals:\n%s", name, body)
	}
}

func TestBuildSuppressed(t *testing.T) {
	req := decision.Notification{To: "sender", Addresses: []string{"carol@example.org"}, Statuses: []string{"av/infected"}}
	env := Envelope{From: "carol@example.org"}
	_, err := testBuilder(t).Build(req, blocked(), env, header("Auto-Submitted", "auto-replied"))
	if !errors.Is(err, ErrSuppressed) || !strings.Contains(err.Error(), "Auto-Submitted") {
		t.Errorf("Build = %v, want ErrSuppressed naming Auto-Submitted", err)
	}
}

func TestBuildSubject(t *testing.T) {
	tests := []struct{ text, subject, body string }{
		{"Body only\n", "Mail gateway notice: av/infected", "Body only\r\n"},
		{"subject:  Custom  \n\n\nBody\n", "Custom", "Body\r\n"},
		{"Subject: {{.Subject}}\nBody\n", "line one line two", "Body\r\n"},
		{"Subject no colon\nBody", "Mail gateway notice: av/infected", "Subject no colon\r\nBody\r\n"},
	}
	for _, tt := range tests {
		tpl, err := Parse(KindNotify, "n.tmpl", []byte(tt.text))
		if err != nil {
			t.Fatal(err)
		}
		b := testBuilder(t)
		b.Templates = b.Templates.With(tpl)
		req := decision.Notification{To: "admin", Addresses: []string{"pm@example.com"}, Statuses: []string{"av/infected"}}
		msgs, err := b.Build(req, blocked(), Envelope{From: "a@example.org"}, header("Subject", "=?utf-8?q?line_one=0Aline_two?="))
		if err != nil {
			t.Fatal(err)
		}
		r, err := mail.CreateReader(bytes.NewReader(msgs[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := r.Header.Subject()
		p, _ := r.NextPart()
		body, _ := io.ReadAll(p.Body)
		if s != tt.subject || string(body) != tt.body {
			t.Errorf("template %q: subject %q, body %q; want %q, %q", tt.text, s, body, tt.subject, tt.body)
		}
	}
}

func TestBuildFromFallsBackToPostmaster(t *testing.T) {
	b := testBuilder(t)
	b.From = ""
	req := decision.Notification{To: "admin", Addresses: []string{"pm@example.com"}, Statuses: []string{"av/infected"}}
	msgs, err := b.Build(req, blocked(), Envelope{}, header())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(msgs[0].Data, []byte("From: <postmaster@example.com>\r\n")) {
		t.Errorf("From is not the postmaster:\n%s", msgs[0].Data)
	}
}
