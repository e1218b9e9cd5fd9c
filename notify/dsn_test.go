package notify

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/mailgw/mailgw/decision"
)

const original = "Received: from client.example.org\n" +
	"From: Carol <carol@example.org>\nTo: alice@example.com, dave@example.com\n" +
	"Subject: =?utf-8?q?Quarterly_r=C3=A9port?=\nMessage-ID: <q1@example.org>\n\nThe report.\n"

// reportPart is one part of a parsed DSN.
type reportPart struct {
	mediaType string
	params    map[string]string
	body      []byte
}

// readReport parses a DSN back with go-message.
func readReport(t *testing.T, data []byte) (message.Header, []reportPart) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mr := e.MultipartReader()
	if mr == nil {
		t.Fatal("DSN is not multipart")
	}
	var parts []reportPart
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		mt, params, _ := p.Header.ContentType()
		body, _ := io.ReadAll(p.Body)
		parts = append(parts, reportPart{mt, params, body})
	}
	return e.Header, parts
}

// statusBlocks splits a message/delivery-status body into its blocks.
func statusBlocks(t *testing.T, body []byte) []textproto.Header {
	t.Helper()
	var out []textproto.Header
	for _, block := range strings.Split(strings.TrimRight(string(body), "\r\n"), "\r\n\r\n") {
		h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(block + "\r\n\r\n")))
		if err != nil {
			t.Fatalf("delivery-status block %q: %v", block, err)
		}
		out = append(out, h)
	}
	return out
}

func TestBuildDSNGolden(t *testing.T) {
	env := Envelope{QueueID: "4BQ7Zk1cXrz9vX2", From: "carol@example.org", Arrival: arrivalTime, EnvID: "QQ314159"}
	failed := []Failure{
		{Recipient: "alice@example.com", ORCPT: "rfc822;Alice@Example.com", Diagnostic: "550 5.1.1 <alice@example.com>: no such user", RemoteMTA: "mx2.example.com"},
		{Recipient: "dave@example.com", Status: "5.2.2", Diagnostic: "552 mailbox full"},
	}
	m, err := testBuilder(t).BuildDSN(env, failed, []byte(original), nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dsn-headers.eml", m.Data)
	checkCRLF(t, "dsn-headers.eml", m.Data)
	if m.From != "" || len(m.To) != 1 || m.To[0] != "carol@example.org" {
		t.Errorf("envelope %q -> %q, want <> -> carol@example.org", m.From, m.To)
	}
	h, parts := readReport(t, m.Data)
	checkDSNHeader(t, h)
	if len(parts) != 3 || parts[0].mediaType != "text/plain" || parts[1].mediaType != "message/delivery-status" ||
		parts[2].mediaType != "text/rfc822-headers" {
		t.Fatalf("parts = %+v", parts)
	}
	if !strings.Contains(string(parts[0].body), "alice@example.com") || !strings.Contains(string(parts[0].body), "no such user") {
		t.Errorf("human part lacks the recipient or reason:\n%s", parts[0].body)
	}
	checkStatusFields(t, statusBlocks(t, parts[1].body))
	if want := strings.ReplaceAll(original[:strings.Index(original, "\n\n")+1], "\n", "\r\n"); string(parts[2].body) != want {
		t.Errorf("returned header = %q, want %q", parts[2].body, want)
	}
}

func checkDSNHeader(t *testing.T, h message.Header) {
	t.Helper()
	mt, params, _ := h.ContentType()
	if mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Errorf("Content-Type = %s %v", mt, params)
	}
	if h.Get("Auto-Submitted") != "auto-replied" || h.Get(HeaderName) != "dsn" {
		t.Errorf("Auto-Submitted = %q, %s = %q", h.Get("Auto-Submitted"), HeaderName, h.Get(HeaderName))
	}
	if s, _ := h.Text("Subject"); s != "Undelivered mail: Quarterly réport" {
		t.Errorf("Subject = %q", s)
	}
	if h.Get("From") != `"Mail Delivery System" <postmaster@example.com>` || h.Get("To") != "<carol@example.org>" {
		t.Errorf("From = %q, To = %q", h.Get("From"), h.Get("To"))
	}
}

func checkStatusFields(t *testing.T, blocks []textproto.Header) {
	t.Helper()
	want := []map[string]string{
		{"Reporting-MTA": "dns; mx.example.com", "Original-Envelope-Id": "QQ314159", "Arrival-Date": "Tue, 05 Mar 2024 14:07:09 +0100"},
		{"Final-Recipient": "rfc822; alice@example.com", "Original-Recipient": "rfc822;Alice@Example.com", "Action": "failed",
			"Status": "5.1.1", "Remote-MTA": "dns; mx2.example.com", "Diagnostic-Code": "smtp; 550 5.1.1 <alice@example.com>: no such user"},
		{"Final-Recipient": "rfc822; dave@example.com", "Action": "failed", "Status": "5.2.2", "Diagnostic-Code": "smtp; 552 mailbox full",
			"Original-Recipient": "", "Remote-MTA": ""},
	}
	if len(blocks) != len(want) {
		t.Fatalf("%d delivery-status blocks, want %d", len(blocks), len(want))
	}
	for i, fields := range want {
		for k, v := range fields {
			if got := blocks[i].Get(k); got != v {
				t.Errorf("block %d: %s = %q, want %q", i, k, got, v)
			}
		}
	}
}

func TestBuildDSNReturnFull(t *testing.T) {
	env := Envelope{From: "carol@example.org", Ret: RetFull}
	failed := []Failure{{Recipient: "alice@example.com", Diagnostic: "550 5.7.1 refused"}}
	tests := []struct {
		name string
		d    *decision.Decision
		want string
	}{
		{"full", nil, "message/rfc822"},
		{"full but clean decision", &decision.Decision{Recipients: []string{"alice@example.com"}}, "message/rfc822"},
		{"full but infected", blocked(), "text/rfc822-headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := testBuilder(t).BuildDSN(env, failed, []byte(original), tt.d)
			if err != nil {
				t.Fatal(err)
			}
			_, parts := readReport(t, m.Data)
			if len(parts) != 3 || parts[2].mediaType != tt.want {
				t.Fatalf("returned part %+v, want %s", parts[2].mediaType, tt.want)
			}
			hasBody := strings.Contains(string(parts[2].body), "The report.")
			if hasBody != (tt.want == "message/rfc822") {
				t.Errorf("returned part has the body: %v\n%s", hasBody, parts[2].body)
			}
		})
	}
}

func TestBuildDSNRefusals(t *testing.T) {
	ok := []Failure{{Recipient: "a@example.com", Diagnostic: "550 5.1.1 no"}}
	tests := []struct {
		name       string
		env        Envelope
		failed     []Failure
		d          *decision.Decision
		suppressed bool
		msg        string
	}{
		{"null sender", Envelope{}, ok, nil, true, "null sender"},
		{"spam", Envelope{From: "s@example.org"}, ok, &decision.Decision{Statuses: []string{"as/spam"}}, true, "spam"},
		{"no failures", Envelope{From: "s@example.org"}, nil, nil, false, "without failed recipients"},
		{"temporary status", Envelope{From: "s@example.org"}, []Failure{{Recipient: "a@example.com", Status: "4.2.2"}}, nil, false, `"4.2.2"`},
		{"malformed status", Envelope{From: "s@example.org"}, []Failure{{Recipient: "a@example.com", Status: "5.x"}}, nil, false, `"5.x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testBuilder(t).BuildDSN(tt.env, tt.failed, []byte(original), tt.d)
			if err == nil || errors.Is(err, ErrSuppressed) != tt.suppressed || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("BuildDSN = %v, want error containing %q (suppressed %v)", err, tt.msg, tt.suppressed)
			}
		})
	}
}

func TestFailureStatus(t *testing.T) {
	tests := []struct {
		f    Failure
		want string
	}{
		{Failure{Status: "5.2.2", Diagnostic: "550 5.1.1 x"}, "5.2.2"},
		{Failure{Diagnostic: "550 5.1.1 x"}, "5.1.1"},
		{Failure{Diagnostic: "550 no enhanced code"}, "5.0.0"},
		{Failure{}, "5.0.0"},
	}
	for _, tt := range tests {
		if got := failureStatus(tt.f); got != tt.want {
			t.Errorf("failureStatus(%+v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestFailuresOf(t *testing.T) {
	d := &decision.Decision{Recipients: []string{"a@example.com", "b@example.com"},
		Reply: &decision.Reply{Code: 554, Enhanced: "5.7.1", Text: "Virus found"}}
	got := FailuresOf(d)
	if len(got) != 2 || got[1].Recipient != "b@example.com" || got[1].Status != "5.7.1" || got[1].Diagnostic != "554 5.7.1 Virus found" {
		t.Errorf("FailuresOf = %+v", got)
	}
	d.Reply = nil
	if got := FailuresOf(d); got[0].Status != "5.7.1" || !strings.HasPrefix(got[0].Diagnostic, "550 5.7.1 ") {
		t.Errorf("FailuresOf(blocked) = %+v", got)
	}
}

func TestBuildDSNInternationalised(t *testing.T) {
	env := Envelope{From: "carol@example.org"}
	failed := []Failure{{Recipient: "jürgen@example.de", Diagnostic: "550 5.1.1 unknown"}}
	raw := "From: Jürgen <jürgen@example.de>\r\nSubject: Grüße\r\n\r\nHallo\r\n"
	m, err := testBuilder(t).BuildDSN(env, failed, []byte(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, parts := readReport(t, m.Data)
	if parts[1].mediaType != "message/global-delivery-status" || parts[2].mediaType != "message/global-headers" {
		t.Errorf("part types %s, %s; want the RFC 6533 global types", parts[1].mediaType, parts[2].mediaType)
	}
	if b := statusBlocks(t, parts[1].body); b[1].Get("Final-Recipient") != "utf-8; jürgen@example.de" {
		t.Errorf("Final-Recipient = %q", b[1].Get("Final-Recipient"))
	}
}

func TestHeaderBlock(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n"},
		{"A: 1\nB: 2\n\nbody\n", "A: 1\nB: 2\n"},
		{"A: 1\n", "A: 1\n"},
		{"A: 1", "A: 1"},
		{"\r\nbody", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(headerBlock([]byte(tt.raw))); got != tt.want {
			t.Errorf("headerBlock(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestReportBoundaryAvoidsContent(t *testing.T) {
	top := []field{{"Message-ID", "<x1@h>"}}
	parts := []part{{body: []byte("text\r\n--=_mailgw_x1h\r\n")}}
	if b := reportBoundary(top, parts); b == "=_mailgw_x1h" || containsBoundary(parts, b) {
		t.Errorf("boundary %q occurs in the content", b)
	}
}
