package mimetree

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

type wantObj struct {
	path, kind, mediaType, name string
	contentLen                  int // -1: do not check
	err                         error
}

func TestParseTestdata(t *testing.T) {
	anyErr := errors.New("any error")
	tests := []struct {
		file      string
		headerLen int
		msgErr    bool
		objs      []wantObj
	}{
		{"plain.eml", 347, false, []wantObj{
			{"", "leaf", "text/plain", "", 90, nil},
		}},
		{"mixed_attachment.eml", 256, false, []wantObj{
			{"", "multipart", "multipart/mixed", "", 0, nil},
			{"1", "leaf", "text/plain", "", 70, nil},
			{"2", "leaf", "application/pdf", "invoice-2024-031.pdf", 399, nil},
		}},
		{"alternative_html.eml", 239, false, []wantObj{
			{"", "multipart", "multipart/alternative", "", 0, nil},
			{"1", "leaf", "text/plain", "", 62, nil},
			{"2", "leaf", "text/html", "", 150, nil},
		}},
		{"nested_rfc822.eml", 205, false, []wantObj{
			{"", "multipart", "multipart/mixed", "", 0, nil},
			{"1", "leaf", "text/plain", "", 34, nil},
			{"2", "message", "message/rfc822", "", 0, nil},
			{"2.0", "multipart", "multipart/mixed", "", 0, nil},
			{"2.0.1", "leaf", "text/plain", "", 16, nil},
			{"2.0.2", "leaf", "application/vnd.ms-excel", "q1.xls", 348, nil},
		}},
		{"uuencoded.eml", 127, false, []wantObj{
			{"", "leaf", "text/plain", "", 340, nil},
			{"/uu1", "uuencoded", "application/octet-stream", "tool.exe", 127, nil},
			{"/uu2", "uuencoded", "application/octet-stream", "readme.txt", 20, nil},
		}},
		{"rfc2231_filename.eml", 142, false, []wantObj{
			{"", "multipart", "multipart/mixed", "", 0, nil},
			{"1", "leaf", "text/plain", "", 21, nil},
			{"2", "leaf", "application/pdf", "€ Rechnung für März 2024.pdf", 22, nil},
			{"3", "leaf", "text/plain", "été.txt", 8, nil},
		}},
		{"rfc2047_filename.eml", 164, false, []wantObj{
			{"", "multipart", "multipart/mixed", "", 0, nil},
			{"1", "leaf", "text/plain", "", 18, nil},
			{"2", "leaf", "application/msword", "Отчёт.doc", 23, nil},
		}},
		{"broken_base64.eml", 139, false, []wantObj{
			{"", "multipart", "multipart/mixed", "", 0, nil},
			{"1", "leaf", "text/plain", "", 17, nil},
			{"2", "leaf", "image/gif", "pic.gif", -1, ErrDecode},
			{"3", "leaf", "text/plain", "", 30, nil},
		}},
		{"missing_boundary.eml", 140, false, []wantObj{
			{"", "multipart", "multipart/mixed", "", 0, ErrTruncated},
			{"1", "leaf", "text/plain", "", 11, nil},
			{"2", "leaf", "application/octet-stream", "data.bin", 99, nil},
		}},
		{"bare_lf.eml", 152, false, []wantObj{
			{"", "multipart", "multipart/mixed", "", 0, nil},
			{"1", "leaf", "text/plain", "", 26, nil},
			{"2", "leaf", "text/csv", "report.csv", 25, nil},
		}},
		{"mbox_from.eml", 153, false, []wantObj{
			{"", "leaf", "text/plain", "", 50, nil},
		}},
		{"odd_params.eml", 184, false, []wantObj{
			{"", "multipart", "multipart/related", "", 0, nil},
			{"1", "multipart", "multipart/alternative", "", 0, nil},
			{"1.1", "leaf", "text/plain", "", 17, nil},
			{"1.2", "leaf", "text/html", "", 70, nil},
			{"2", "leaf", "image/png", "logo file.png", 17, nil},
		}},
		{"single_pdf.eml", 229, false, []wantObj{
			{"", "leaf", "application/pdf", "scan.pdf", 22, nil},
		}},
		{"malformed_header.eml", 78, true, []wantObj{
			{"", "leaf", "text/plain", "", 126, ErrMalformedHeader},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m := Parse(readTestdata(t, tc.file), Limits{})
			if m.HeaderLen != tc.headerLen || (m.Err != nil) != tc.msgErr {
				t.Errorf("HeaderLen %d, Err %v; want %d, error %v", m.HeaderLen, m.Err, tc.headerLen, tc.msgErr)
			}
			if len(m.Objects) != len(tc.objs) {
				t.Fatalf("got objects:\n%s", tree(m))
			}
			for i, w := range tc.objs {
				o := m.Objects[i]
				if o.ID != i || o.Path != w.path || o.Kind.String() != w.kind || o.MediaType != w.mediaType || o.Name != w.name {
					t.Errorf("object %d: %d %q %s %s %q; want %q %s %s %q", i, o.ID, o.Path, o.Kind, o.MediaType, o.Name,
						w.path, w.kind, w.mediaType, w.name)
				}
				if w.contentLen >= 0 && len(o.Content) != w.contentLen {
					t.Errorf("%q: content %d bytes, want %d", o.Path, len(o.Content), w.contentLen)
				}
				if w.err == nil && o.Err != nil || w.err != nil && w.err != anyErr && !errors.Is(o.Err, w.err) {
					t.Errorf("%q: Err %v, want %v", o.Path, o.Err, w.err)
				}
			}
			checkSpans(t, m)
		})
	}
}

// TestSplitAgreesWithGoMessage asserts that the hand-written boundary
// location splits every testdata multipart exactly like go-message does.
func TestSplitAgreesWithGoMessage(t *testing.T) {
	compared := 0
	for _, f := range emlFiles(t) {
		m := Parse(readTestdata(t, strings.TrimPrefix(f, "testdata/")), Limits{})
		compared += compareWithGoMessage(t, m)
	}
	if compared < 10 {
		t.Fatalf("only %d multiparts compared", compared)
	}
	// A truncated multipart: go-message stops with an error after handing
	// out the same parts.
	m := Parse(readTestdata(t, "missing_boundary.eml"), Limits{})
	parts, clean := goMessageParts(m.Raw[m.HeaderLen:], "trunc")
	if clean || len(parts) != len(m.Root.Children) {
		t.Fatalf("go-message: %d parts, clean %v", len(parts), clean)
	}
}

func TestParseContent(t *testing.T) {
	m := Parse(readTestdata(t, "uuencoded.eml"), Limits{})
	uu1 := m.Objects[1]
	want := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte("This program cannot be run in DOS mode.\r\n"), 3)...)
	if !bytes.Equal(uu1.Content, want) {
		t.Errorf("uu1 content %q", uu1.Content)
	}
	block := string(m.Root.Content[uu1.BlockStart:uu1.BlockEnd])
	if !strings.HasPrefix(block, "begin 644 tool.exe\r\n") || !strings.HasSuffix(block, "\r\nend\r\n") {
		t.Errorf("block %q", block)
	}
	if got := string(m.Objects[2].Content); got != "README\nRun tool.exe\n" {
		t.Errorf("uu2 content %q", got)
	}

	m = Parse(readTestdata(t, "alternative_html.eml"), Limits{})
	if got := string(m.Objects[1].Content); got != "Hello Bob,\r\n\r\nthe meeting moved to Room 4 – see you there.\r\n" {
		t.Errorf("quoted-printable text %q", got)
	}
	m = Parse(readTestdata(t, "broken_base64.eml"), Limits{})
	if !bytes.HasPrefix(m.Objects[2].Content, []byte("GIF89a\x01\x00")) || !bytes.Contains(m.Objects[2].Content, []byte("GIF89a\x00\x01\x02")) {
		t.Errorf("lenient base64 lost data: %q", m.Objects[2].Content)
	}
	m = Parse(readTestdata(t, "mbox_from.eml"), Limits{})
	if !bytes.HasPrefix(m.Raw, []byte("Return-Path:")) || !bytes.HasSuffix(m.Root.Content, []byte(">From the team.\r\n")) {
		t.Errorf("mbox From line: %q", m.Raw[:20])
	}
	if got := m.Header.Get("Subject"); got != "you won" {
		t.Errorf("Subject %q", got)
	}
}

func TestText(t *testing.T) {
	tests := map[string]string{
		"plain.eml":            "Hi Bob,\r\n\r\nare you free",
		"rfc2047_filename.eml": "Отчёт во вложении.",
		"odd_params.eml":       "Café menu inside.",
		"uuencoded.eml":        "promised:\r\n\r\n\r\nand the readme:\r\n\r\n\r\nGrace",
	}
	for file, want := range tests {
		if got := Parse(readTestdata(t, file), Limits{}).Text(); !strings.Contains(got, want) {
			t.Errorf("%s: Text() = %q, want it to contain %q", file, got, want)
		}
	}
}

// toleranceCases are odd inputs that real mail contains; they also seed
// FuzzParse.
var toleranceCases = []struct {
	name, raw, tree string
	errs            map[string]error
}{
	{"no MIME-Version, unquoted boundary with =",
		"Content-Type: multipart/mixed; boundary=----=_Part_9\r\n\r\n------=_Part_9\r\n\r\na\r\n------=_Part_9--\r\n",
		"\"\" multipart multipart/mixed\n\"1\" leaf text/plain\n", nil},
	{"missing semicolon and duplicate parameter",
		"Content-Type: multipart/mixed boundary=\"b\"; boundary=\"c\"\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
		"\"\" multipart multipart/mixed\n\"1\" leaf text/plain\n", nil},
	{"trailing blanks after delimiters, empty part, preamble",
		"Content-Type: multipart/mixed; boundary=b\n\npreamble\n--b  \n--b\t\nContent-Type: text/html\n\n<p>\n--b-- \nepilogue\n",
		"\"\" multipart multipart/mixed\n\"1\" leaf text/plain\n\"2\" leaf text/html\n", nil},
	{"mixed line endings",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\n--b\n\ntwo\r\n--b--\r\n",
		"\"\" multipart multipart/mixed\n\"1\" leaf text/plain\n\"2\" leaf text/plain\n", nil},
	{"boundary never appears",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\nhello\r\n",
		"\"\" leaf multipart/mixed\n", map[string]error{"": ErrNoBoundary}},
	{"no boundary parameter",
		"Content-Type: multipart/mixed\r\n\r\nhello\r\n",
		"\"\" leaf multipart/mixed\n", map[string]error{"": ErrNoBoundary}},
	{"part without blank line after its header",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nhello\r\n--b\r\n\r\nnext\r\n--b--\r\n",
		"\"\" multipart multipart/mixed\n\"1\" leaf text/plain\n\"2\" leaf text/plain\n", map[string]error{"1": ErrMalformedHeader}},
	{"unknown transfer encoding",
		"Content-Transfer-Encoding: x-gzip64\r\n\r\nabc\r\n",
		"\"\" leaf text/plain\n", map[string]error{"": ErrUnknownEncoding}},
	{"bad quoted-printable",
		"Content-Transfer-Encoding: quoted-printable\r\n\r\na=\x01b=41\r\n",
		"\"\" leaf text/plain\n", map[string]error{"": ErrDecode}},
	{"invalid content type",
		"Content-Type: garbage\r\n\r\nx",
		"\"\" leaf text/plain\n", nil},
	{"uuencode without end",
		"\r\nbegin 600 a.bin\r\n#86)C\r\nthat was all\r\n",
		"\"\" leaf text/plain\n\"/uu1\" uuencoded application/octet-stream\n", map[string]error{"/uu1": ErrBadUUEncode}},
	{"base64 message/rfc822",
		"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogaGkNCg0KYm9keQ0K\r\n",
		"\"\" message message/rfc822\n\"0\" leaf text/plain\n", nil},
	{"header only", "Subject: x\r\n", "\"\" leaf text/plain\n", nil},
	{"empty", "", "\"\" leaf text/plain\n", nil},
	{"continuation first", " x: y\r\n\r\nbody", "\"\" leaf text/plain\n", map[string]error{"": ErrMalformedHeader}},
}

func TestParseTolerance(t *testing.T) {
	for _, tc := range toleranceCases {
		t.Run(tc.name, func(t *testing.T) {
			m := Parse([]byte(tc.raw), Limits{})
			if got := tree(m); got != tc.tree {
				t.Fatalf("tree:\n%s\nwant:\n%s", got, tc.tree)
			}
			for _, o := range m.Objects {
				if want := tc.errs[o.Path]; want == nil && o.Err != nil || want != nil && !errors.Is(o.Err, want) {
					t.Errorf("%q: Err %v, want %v", o.Path, o.Err, want)
				}
			}
			checkSpans(t, m)
			if body, _, _ := m.RenderBody(nil); !bytes.Equal(body, m.Raw[m.HeaderLen:]) {
				t.Error("render without edits changed the body")
			}
		})
	}
}

func TestLimits(t *testing.T) {
	// Nesting: multipart inside multipart, 5 levels.
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i <= 5; i++ {
		b.WriteString("--b" + string(rune('0'+i-1)) + "\r\nContent-Type: multipart/mixed; boundary=b" + string(rune('0'+i)) + "\r\n\r\n")
	}
	b.WriteString("--b5\r\n\r\ndeep\r\n")
	raw := []byte(b.String())

	m := Parse(raw, Limits{MaxDepth: 3})
	last := m.Objects[len(m.Objects)-1]
	if last.Depth != 3 || last.Kind != KindLeaf || !errors.Is(last.Err, ErrTooDeep) || last.Path != "1.1.1" {
		t.Fatalf("too deep: %q depth %d %s %v\n%s", last.Path, last.Depth, last.Kind, last.Err, tree(m))
	}
	if m := Parse(raw, Limits{}); m.Objects[len(m.Objects)-1].Depth != 6 {
		t.Fatalf("default limits:\n%s", tree(m))
	}

	// Parts: 10 parts, at most 4 objects.
	b.Reset()
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
	for range 10 {
		b.WriteString("--b\r\n\r\npart\r\n")
	}
	b.WriteString("--b--\r\n")
	m = Parse([]byte(b.String()), Limits{MaxParts: 4})
	if len(m.Objects) != 4 || !errors.Is(m.Root.Err, ErrTooManyParts) {
		t.Fatalf("too many parts: %d objects, %v", len(m.Objects), m.Root.Err)
	}
	checkSpans(t, m)
	body, _, err := m.RenderBody([]Edit{{Op: Remove, Path: "1"}})
	if err != nil || !bytes.Contains(body, []byte("--b--")) || bytes.Count(body, []byte("--b\r\n")) != 9 {
		t.Fatalf("render with unparsed tail: %v\n%s", err, body)
	}
}

// TestBoundaryAsWritten: a boundary that looks like an RFC 2047 word must be
// searched as written, like mail clients do, or parts would hide.
func TestBoundaryAsWritten(t *testing.T) {
	raw := "Content-Type: multipart/mixed; boundary=\"=?utf-8?q?abc?=\"\r\n\r\n" +
		"--abc\r\n\r\ndecoy\r\n--=?utf-8?q?abc?=\r\nContent-Type: application/x-msdownload\r\n\r\nMZ\r\n--=?utf-8?q?abc?=--\r\n"
	m := Parse([]byte(raw), Limits{})
	if got := tree(m); got != "\"\" multipart multipart/mixed\n\"1\" leaf application/x-msdownload\n" {
		t.Fatalf("tree:\n%s", got)
	}
}

func TestLenientParams(t *testing.T) {
	tests := []struct {
		raw, typ string
		params   map[string]string
	}{
		{`text/plain; name="unterminated.txt`, "text/plain", map[string]string{"name": "unterminated.txt"}},
		{`application/pdf; name=my file.pdf; name=second`, "application/pdf", map[string]string{"name": "my file.pdf"}},
		{`text/plain; name*0*=iso-8859-1''caf%E9; name*1=".txt"`, "text/plain", map[string]string{"name": "café.txt"}},
		{`text/plain; name*=utf-8'en'%E2%82%AC; name="fallback"`, "text/plain", map[string]string{"name": "€"}},
		{`text/plain; name="a \"quoted\" \\ name"`, "text/plain", map[string]string{"name": `a "quoted" \ name`}},
		{`attachment; filename==?ISO-8859-1?Q?r=E9sum=E9.doc?=`, "attachment", map[string]string{"filename": "résumé.doc"}},
	}
	for _, tc := range tests {
		typ, params := lenientParams(tc.raw, true)
		if typ != tc.typ {
			t.Errorf("%s: type %q", tc.raw, typ)
		}
		for k, v := range tc.params {
			if params[k] != v {
				t.Errorf("%s: %s=%q, want %q", tc.raw, k, params[k], v)
			}
		}
	}
}

func TestLenientDecoders(t *testing.T) {
	if got := string(lenientBase64([]byte("SGVs bG8=\r\n!!junk!!\r\nV29y\r\nbGQ"))); got != "Hello\x8e\xe9\xe4World" {
		t.Errorf("base64: %q", got)
	}
	if got := string(lenientQP([]byte("caf=E9 =\r\nsoft =ZZ bad= \nend="))); got != "caf\xe9 soft =ZZ badend" {
		t.Errorf("qp: %q", got)
	}
}
