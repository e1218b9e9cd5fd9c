package pyzor

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/internal/golden"
	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/internal/pyzortest"
	"github.com/mailgw/mailgw/mimetree"
)

var update = flag.Bool("update", false, "rewrite testdata/digests.golden")

func parse(raw []byte) *mimetree.Message { return mimetree.Parse(raw, mimetree.Limits{}) }

func digestOf(raw []byte) string { return Digest(parse(raw)) }

// TestDigestMatchesPyzor computes the digest of every testdata message and
// compares it with what /usr/bin/pyzor prints and with the golden file,
// which keeps the expected values should the reference change.
func TestDigestMatchesPyzor(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) < 10 {
		t.Fatalf("testdata: %v files, %v", len(files), err)
	}
	var got bytes.Buffer
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := digestOf(raw)
		fmt.Fprintf(&got, "%s %s\n", filepath.Base(f), d)
		if want := pyzortest.RunPyzor(t, "", "digest", raw); d != want {
			t.Errorf("%s: digest %s, pyzor digest says %s", f, d, want)
		}
	}
	golden.Check(t, "testdata/digests.golden", got.Bytes(), *update)
}

// python runs script with /usr/bin/python3 (pyzor's interpreter), which
// reads a JSON list of strings as `inputs` and prints a JSON list.
func python(t *testing.T, script string, inputs []string) []string {
	t.Helper()
	bin := peer.Binary(t, "", "/usr/bin/python3", "install Debian's pyzor")
	in, _ := json.Marshal(inputs)
	cmd := exec.Command(bin, "-c", "import sys, json\ninputs = json.load(sys.stdin)\n"+script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var res []string
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(inputs) {
		t.Fatalf("python output %q: %v", out, err)
	}
	return res
}

func TestHTMLTextMatchesPyzor(t *testing.T) {
	cases := []string{
		"<p>one</p><p>two</p>",
		"plain text without tags",
		"a < b and c > d",
		"5 <3 love",
		"abcde<fghij",
		"x<",
		"x <<b>y</b> z<</p>",
		"text ends in an end tag start </",
		"text ends in a tag start <b",
		"<b>bold</b> &amp; &lt;tag&gt; &eacute;t&eacute; &#233; &#xe9; &copy &notit;",
		"<script>var x = '<p>hidden</p>';</script>shown",
		"<style>p{}</style><STYLE>q{}</STYLE>after style",
		"<script/>after self-closing script",
		"<title>a<b>c</b>d</title><textarea>e<i>f</i></textarea>",
		"<!-- comment --><!DOCTYPE html><?pi stuff?>text",
		"text then an unterminated <a href='x",
		"tail with a charref cut &amp",
		"tail with an ampersand & then space",
		"<p>x</p>tail &" + strings.Repeat("\u00e9", 20),
		"<p>x</p>tail &" + strings.Repeat("\u00e9", 34),
		"  spaced \u00a0 nbsp\u2003 <br>\r\n next\rline ",
		"<p>a</p>\n\n<p>b\nc</p>",
		"</ p>odd end tag</>x",
		"<<>>",
		"&#0;&#1;&#128;&#x110000;&#13;&#xD800;&#65 &#x41x &#99999999999;&#xfffe;",
		"&#38;amp; &foo-bar; &amp-x; &notin; &notit; &ampx",
	}
	want := python(t, "import pyzor.digest\nprint(json.dumps([pyzor.digest.DataDigester.normalize_html_part(s) for s in inputs]))", cases)
	for i, c := range cases {
		if got := htmlText(c); got != want[i] {
			t.Errorf("htmlText(%q) = %q, pyzor: %q", c, got, want[i])
		}
	}
}

func TestTransferDecodingMatchesPython(t *testing.T) {
	b64 := []string{
		"", "QUJD", "QUJDRA==", "QUJDRA", "QUJDR", "QU=JD", "QQ==QUJD", "QUJD\nx!QUJ", "QUJD\r\nREVG\r\n",
		"QUJ DRA==", "====", "Q", "QUJDRA==\n__footer__ text", "QUJDRA=\n",
	}
	want := python(t, "from email._encoded_words import decode_b\nprint(json.dumps([decode_b(s.encode('latin-1'))[0].decode('latin-1') for s in inputs]))", b64)
	for i, c := range b64 {
		if got := latin1(decodeBase64([]byte(c))); got != want[i] {
			t.Errorf("base64 %q = %q, Python: %q", c, got, want[i])
		}
	}
	qp := []string{
		"", "caf=C3=A9", "soft=\nbreak", "soft=\r\nbreak", "cr=\rjunk\nnext", "==", "=ZZ", "=4", "end=", "=e9=E9",
		"a = b", "=\n", "trailing  \nspace",
	}
	want = python(t, "import quopri\nprint(json.dumps([quopri.decodestring(s.encode('latin-1')).decode('latin-1') for s in inputs]))", qp)
	for i, c := range qp {
		if got := latin1(decodeQP([]byte(c))); got != want[i] {
			t.Errorf("quoted-printable %q = %q, Python: %q", c, got, want[i])
		}
	}
}

func latin1(b []byte) string { return latin1Codec(b, false) }

// TestSingleByteCodecsMatchPython decodes every byte with every
// single-byte codec, with U+FFFD for what does not decode.
func TestSingleByteCodecsMatchPython(t *testing.T) {
	multi := map[string]bool{"shift_jis": true, "cp932": true, "euc_jp": true, "iso2022_jp": true, "euc_kr": true,
		"cp949": true, "gb2312": true, "gbk": true, "gb18030": true, "hz": true, "big5": true, "cp950": true}
	var names []string
	for n := range codecs {
		if !multi[n] && !strings.HasPrefix(n, "utf") {
			names = append(names, n)
		}
	}
	if len(names) < 25 {
		t.Fatalf("only %d single-byte codecs: %v", len(names), names)
	}
	want := python(t, "print(json.dumps([bytes(range(256)).decode(n, 'replace') for n in inputs]))", names)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for i, n := range names {
		got := []rune(codecs[n](all, true))
		w := []rune(want[i])
		for b := range all {
			if b >= len(got) || b >= len(w) || got[b] != w[b] {
				t.Errorf("%s: byte %#x differs from Python", n, b)
				break
			}
		}
	}
}

func TestCodecNames(t *testing.T) {
	for label, want := range map[string]string{
		"UTF-8": "utf_8", "utf8": "utf_8", "US-ASCII": "ascii", "ISO-8859-1": "latin_1", "iso_8859-1": "latin_1",
		"ISO8859-2": "iso8859_2", "Windows-1251": "cp1251", "KOI8-R": "koi8_r", "koi8-u": "koi8_u",
		"GB2312": "gb2312", "big5": "big5", " x-unknown ": "x_unknown",
	} {
		if got := codecName(label); got != want {
			t.Errorf("codecName(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestSplitAndNormalize(t *testing.T) {
	lines := splitLines("a\r\nb\rc\nd\x0be\x0cf\x1cg\u0085h\u2028i\n\nj")
	want := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "", "j"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("splitLines: %q", lines)
	}
	for in, want := range map[string]string{
		"Call me at john@example.com today":   "Callmeattoday",
		"see http://x.example/a and mailto:x": "seeand",
		"id 0123456789 stays short":           "idstaysshort",
		"tabs\tand\u00a0nbsp\u3000wide":       "tabsandnbspwide",
		"Kelvin \u212aey:value stays?":        "Kelvinstays?",
		"ASCII\x1fseparators\x1eare blanks":   "ASCIIareblanks",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkDigest digests the testdata messages, parsed beforehand as the
// engine gets them.
func BenchmarkDigest(b *testing.B) {
	files, _ := filepath.Glob("testdata/*.eml")
	var msgs []*mimetree.Message
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, parse(raw))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Digest(msgs[i%len(msgs)])
	}
}
