package mimetree

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/mailgw/mailgw/internal/golden"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

func textHeader(ct, disp string) message.Header {
	var h message.Header // Add prepends: add the last field first
	if disp != "" {
		h.Add("Content-Disposition", disp)
	}
	h.Add("Content-Type", ct)
	return h
}

// replaceAt is the placeholder edit a policy puts in place of a virus.
func replaceAt(path string) Edit {
	return Edit{
		Op:      Replace,
		Path:    path,
		Header:  textHeader("text/plain; charset=utf-8", "inline"),
		Content: []byte("The attachment was removed: it contained a virus.\n"),
	}
}

// renderCases are rendered, compared with testdata/golden and re-parsed.
// tree is what Parse finds in the result.
var renderCases = []struct {
	name, file string
	edits      []Edit
	tree       string
}{
	{"plain_append_utf8", "plain.eml", []Edit{{Op: AppendText, Text: "-- \nScanned by mailgw ✓"}},
		`"" leaf text/plain`},
	{"plain_remove_root", "plain.eml", []Edit{{Op: Remove}},
		`"" leaf text/plain`},
	{"mixed_remove_attachment", "mixed_attachment.eml", []Edit{{Op: Remove, Path: "2"}},
		`"" multipart multipart/mixed|"1" leaf text/plain`},
	{"mixed_replace_attachment", "mixed_attachment.eml", []Edit{replaceAt("2")},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" leaf text/plain`},
	{"mixed_remove_all", "mixed_attachment.eml", []Edit{{Op: Remove, Path: "1"}, {Op: Remove, Path: "2"}},
		`"" multipart multipart/mixed|"1" leaf text/plain`},
	{"mixed_append", "mixed_attachment.eml", []Edit{{Op: AppendText, Text: "Disclaimer: confidential."}},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" leaf application/pdf`},
	{"alternative_append", "alternative_html.eml", []Edit{{Op: AppendText, Text: "Scanned <safe> & sound – mailgw"}},
		`"" multipart multipart/alternative|"1" leaf text/plain|"2" leaf text/html`},
	{"nested_remove_inner_attachment", "nested_rfc822.eml", []Edit{{Op: Remove, Path: "2.0.2"}},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" message message/rfc822|"2.0" multipart multipart/mixed|"2.0.1" leaf text/plain`},
	{"nested_remove_nested_root", "nested_rfc822.eml", []Edit{{Op: Remove, Path: "2.0"}},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" message message/rfc822|"2.0" leaf text/plain`},
	{"nested_replace_message", "nested_rfc822.eml", []Edit{replaceAt("2")},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" leaf text/plain`},
	{"uu_remove_and_replace", "uuencoded.eml", []Edit{{Op: Remove, Path: "/uu1"}, {Op: Replace, Path: "/uu2", Content: []byte("[readme.txt removed]")}},
		`"" leaf text/plain`},
	{"broken_base64_remove", "broken_base64.eml", []Edit{{Op: Remove, Path: "2"}},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" leaf text/plain`},
	{"truncated_remove_last", "missing_boundary.eml", []Edit{{Op: Remove, Path: "2"}},
		`"" multipart multipart/mixed|"1" leaf text/plain`},
	{"bare_lf_replace_and_append", "bare_lf.eml", []Edit{replaceAt("2"), {Op: AppendText, Text: "-- \nmailgw"}},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" leaf text/plain`},
	{"single_pdf_append_wraps", "single_pdf.eml", []Edit{{Op: AppendText, Text: "Scanned by mailgw."}},
		`"" multipart multipart/mixed|"1" leaf application/pdf|"2" leaf text/plain`},
	{"single_pdf_replace_root", "single_pdf.eml", []Edit{replaceAt("")},
		`"" leaf text/plain`},
	{"odd_params_append_ascii", "odd_params.eml", []Edit{{Op: AppendText, Text: "Scanned by mailgw."}},
		`"" multipart multipart/related|"1" multipart multipart/alternative|"1.1" leaf text/plain|"1.2" leaf text/html|"2" leaf image/png`},
	{"odd_params_append_utf8", "odd_params.eml", []Edit{{Op: AppendText, Text: "Geprüft von mailgw."}},
		`"" multipart multipart/related|"1" multipart multipart/alternative|"1.1" leaf text/plain|"1.2" leaf text/html|"2" leaf image/png|"3" leaf text/plain`},
	{"koi8_append_utf8", "rfc2047_filename.eml", []Edit{{Op: AppendText, Text: "Проверено mailgw."}},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" leaf application/msword|"3" leaf text/plain`},
	{"rfc2231_replace_pdf", "rfc2231_filename.eml", []Edit{{Op: Replace, Path: "2", Header: textHeader("application/octet-stream", `attachment; filename="blocked.bin"`), Content: []byte{0, 1, 2, 3, 255}}},
		`"" multipart multipart/mixed|"1" leaf text/plain|"2" leaf application/octet-stream|"3" leaf text/plain`},
}

// fullMessage is what a front-end sends on: the merged header and the body,
// in the message's line ending style.
func fullMessage(t testing.TB, m *Message, body []byte, top message.Header) []byte {
	var buf bytes.Buffer
	if err := textproto.WriteHeader(&buf, MergeHeader(m.Header, top).Header); err != nil {
		t.Fatal(err)
	}
	hdr := buf.Bytes()
	if m.nl == "\n" {
		hdr = bytes.ReplaceAll(hdr, []byte("\r\n"), []byte("\n"))
	}
	return append(hdr, body...)
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			m := Parse(readTestdata(t, tc.file), Limits{})
			body, top, err := m.RenderBody(tc.edits)
			if err != nil {
				t.Fatal(err)
			}
			out := fullMessage(t, m, body, top)
			goldenfile.Check(t, filepath.Join("testdata", "golden", tc.name+".eml"), out, *update)

			again := Parse(out, Limits{})
			if got := strings.TrimSuffix(strings.ReplaceAll(tree(again), "\n", "|"), "|"); got != tc.tree {
				t.Errorf("re-parsed tree:\n%s\nwant:\n%s", got, tc.tree)
			}
			for _, o := range again.Objects {
				if o.Err != nil {
					t.Errorf("re-parsed %q: %v", o.Path, o.Err)
				}
			}
			if lineEnding(out) != m.nl || bytes.Contains(out, []byte("\r\n")) != (m.nl == "\r\n") {
				t.Errorf("line endings changed")
			}
			if goMessageWalks(m.Raw) { // odd_params.eml is too odd for go-message
				checkGoMessageReads(t, again, out)
			}
		})
	}
}

// checkGoMessageReads walks out with go-message and expects the same media
// types, in the same order, as our objects (go-message does not open
// message/rfc822 parts nor uuencoded blocks), with decodable bodies.
func checkGoMessageReads(t *testing.T, m *Message, out []byte) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(out))
	if err != nil && !message.IsUnknownCharset(err) {
		t.Fatal(err)
	}
	var got []string
	err = e.Walk(func(path []int, e *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) {
			return err
		}
		mt, _, _ := e.Header.ContentType()
		got = append(got, mt)
		if !strings.HasPrefix(mt, "multipart/") {
			if _, err := io.ReadAll(e.Body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("go-message: %v", err)
	}
	var want []string
	for _, o := range m.Objects {
		if o.Kind != KindUUEncoded && !insideMessage(o) {
			want = append(want, o.MediaType)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("go-message sees %v, we see %v", got, want)
	}
}

func insideMessage(o *Object) bool {
	for p := o.Parent; p != nil; p = p.Parent {
		if p.Kind == KindMessage {
			return true
		}
	}
	return false
}

// goMessageWalks reports whether go-message walks raw without error.
func goMessageWalks(raw []byte) bool {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return false
	}
	return e.Walk(func(_ []int, e *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) {
			return err
		}
		_, err = io.ReadAll(e.Body)
		return err
	}) == nil
}

func TestRenderNoEditsIsIdentical(t *testing.T) {
	for _, f := range emlFiles(t) {
		raw := readTestdata(t, strings.TrimPrefix(f, "testdata/"))
		m := Parse(raw, Limits{})
		body, top, err := m.RenderBody(nil)
		if err != nil || top.Len() != 0 || !bytes.Equal(body, m.Raw[m.HeaderLen:]) {
			t.Errorf("%s: render without edits changed the body (err %v)", f, err)
		}
		if !bytes.HasSuffix(raw, body) {
			t.Errorf("%s: body is not the end of the input", f)
		}
	}
}

// TestRenderKeepsUntouchedParts checks byte-for-byte copies of the parts
// an edit does not touch.
func TestRenderKeepsUntouchedParts(t *testing.T) {
	m := Parse(readTestdata(t, "nested_rfc822.eml"), Limits{})
	body, _, err := m.RenderBody([]Edit{{Op: Remove, Path: "2.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"1", "2.0.1"} {
		o := m.Objects[indexOf(m, path)]
		if !bytes.Contains(body, o.src[o.start:o.end]) {
			t.Errorf("%s not copied byte-for-byte", path)
		}
	}
	if !bytes.Contains(body, []byte("From: Frank <frank@example.com>\r\nTo: erin@example.com\r\n")) {
		t.Error("nested header not kept")
	}
}

func indexOf(m *Message, path string) int {
	for i, o := range m.Objects {
		if o.Path == path {
			return i
		}
	}
	return -1
}

func TestRenderTopHeader(t *testing.T) {
	m := Parse(readTestdata(t, "plain.eml"), Limits{})
	body, top, err := m.RenderBody([]Edit{{Op: Remove}})
	if err != nil || len(body) != 0 {
		t.Fatalf("%q %v", body, err)
	}
	if got := top.Get("Content-Type"); got != "text/plain; charset=us-ascii" || top.Get("MIME-Version") != "1.0" {
		t.Errorf("top header %v", top.Map())
	}
	_, top, _ = m.RenderBody([]Edit{{Op: AppendText, Text: "ascii only"}})
	if top.Len() != 0 {
		t.Errorf("ASCII append to ASCII text changed the header: %v", top.Map())
	}
	_, top, _ = m.RenderBody([]Edit{{Op: AppendText, Text: "ünïcode"}})
	if top.Get("Content-Type") != "text/plain; charset=utf-8" || top.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("top header %v", top.Map())
	}
	merged := MergeHeader(m.Header, top)
	if merged.Get("Subject") != "Lunch on Friday?" || merged.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("merged %v", merged.Map())
	}
}

func TestRenderErrors(t *testing.T) {
	m := Parse(readTestdata(t, "mixed_attachment.eml"), Limits{})
	for _, edits := range [][]Edit{
		{{Op: Remove, Path: "9"}},
		{{Op: Replace, Path: "1.1"}},
		{{Op: AppendText, Path: "2", Text: "x"}},
		{{Op: Replace, Path: "2", Header: textHeader("text/plain", ""), Content: nil}, {Op: 0}},
	} {
		if _, _, err := m.RenderBody(edits); err == nil {
			t.Errorf("%v: no error", edits)
		}
	}
	_, _, err := m.RenderBody([]Edit{{Op: Remove, Path: "3"}})
	if !errors.Is(err, ErrUnknownPath) {
		t.Errorf("unknown path: %v", err)
	}
	var h message.Header
	h.Set("Content-Transfer-Encoding", "x-unknown")
	if _, _, err := m.RenderBody([]Edit{{Op: Replace, Path: "2", Header: h}}); !errors.Is(err, ErrUnknownEncoding) {
		t.Errorf("unknown encoding: %v", err)
	}
}

func TestRenderEditOrder(t *testing.T) {
	m := Parse(readTestdata(t, "mixed_attachment.eml"), Limits{})
	// The last Remove/Replace on an object wins; edits below a removed
	// object are harmless.
	a, _, err1 := m.RenderBody([]Edit{{Op: Remove, Path: "2"}, replaceAt("2")})
	b, _, err2 := m.RenderBody([]Edit{replaceAt("2")})
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Errorf("replace after remove: %v %v", err1, err2)
	}
	m = Parse(readTestdata(t, "nested_rfc822.eml"), Limits{})
	a, _, _ = m.RenderBody([]Edit{{Op: Remove, Path: "2"}, {Op: Remove, Path: "2.0.1"}})
	b, _, _ = m.RenderBody([]Edit{{Op: Remove, Path: "2"}})
	if !bytes.Equal(a, b) {
		t.Error("edit inside a removed subtree changed the output")
	}
}

// TestRenderReencodes checks edits on text leaves in each transfer
// encoding: the content is re-encoded with the part's own encoding.
func TestRenderReencodes(t *testing.T) {
	uu := "begin 644 x.bin\r\n#86)C\r\n`\r\nend\r\n"
	b64 := base64.StdEncoding.EncodeToString([]byte("Hello\r\n" + uu + "Bye\r\n"))
	tests := []struct {
		name, raw   string
		edits       []Edit
		path        string // object whose content is checked after re-parsing
		wantContent string
		wantCTE     string
	}{
		{"base64 text, uu removed, text appended",
			"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n",
			[]Edit{{Op: Remove, Path: "/uu1"}, {Op: AppendText, Text: "Scanned."}}, "",
			"Hello\r\nBye\r\nScanned.\r\n", "base64"},
		{"append to a named part",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n",
			[]Edit{{Op: AppendText, Path: "2", Text: "Scanned."}}, "2",
			"two\r\nScanned.", ""},
		{"html without body tag, 8-bit appended to 7bit",
			"Content-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>",
			[]Edit{{Op: AppendText, Text: "Grüße"}}, "",
			"<p>hi</p>\r\n<pre>Gr&#252;&#223;e</pre>\r\n", ""},
		{"7bit ascii text receives utf-8",
			"Content-Type: text/plain; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhi\r\n",
			[]Edit{{Op: AppendText, Text: "Grüße"}}, "",
			"hi\r\nGrüße\r\n", "quoted-printable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Parse([]byte(tc.raw), Limits{})
			body, top, err := m.RenderBody(tc.edits)
			if err != nil {
				t.Fatal(err)
			}
			again := Parse(fullMessage(t, m, body, top), Limits{})
			o := again.Objects[indexOf(again, tc.path)]
			if string(o.Content) != tc.wantContent || o.cte != tc.wantCTE || o.Err != nil {
				t.Errorf("content %q, encoding %q, err %v\n%s", o.Content, o.cte, o.Err, body)
			}
		})
	}
	// A charset that cannot take the text gets a part of its own.
	m := Parse([]byte("Content-Type: text/html; charset=utf-16le\r\nContent-Transfer-Encoding: base64\r\n\r\nPABwAD4A\r\n"), Limits{})
	body, top, err := m.RenderBody([]Edit{{Op: AppendText, Text: "Scanned."}})
	again := Parse(fullMessage(t, m, body, top), Limits{})
	if err != nil || tree(again) != "\"\" multipart multipart/mixed\n\"1\" leaf text/html\n\"2\" leaf text/plain\n" ||
		string(again.Objects[1].Content) != "<\x00p\x00>\x00" || string(again.Objects[2].Content) != "Scanned.\r\n" {
		t.Errorf("utf-16 html: %v\n%s", err, tree(again))
	}
}
