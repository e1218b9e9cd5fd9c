package engine

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/mailgw/mailgw/mimetree"
)

func TestMessageTokens(t *testing.T) {
	raw := "Received: from mx.example.net ([192.0.2.7]) by gw.example.com\r\nFrom: Shop <deals@shop.example.org>\r\n" +
		"Message-ID: <1@mail.shop.example.org>\r\nX-Mailer: Bulk Sender 2\r\nSubject: Cheap offer\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n" +
		`<p>Buy <a href="http://www.shop.example.org/x">now</a> at <a href="http://192.0.2.9/">here</a></p>`
	got := MessageTokens(mimetree.Parse([]byte(raw), mimetree.Limits{}))
	for _, want := range []string{"h:received", "rcvd:mx.example.net", "rcvd:ip:192.0.2.0", "from:deals", "from:dom:shop.example.org",
		"mid:mail.shop.example.org", "x-mailer:bulk", "ct:text/html", "cs:us-ascii", "url:www.shop.example.org",
		"url:dom:example.org", "url:ip", "s:cheap", "buy"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}

// referenceWords is the tokenizer words replaced, kept as its
// specification: fields of letters, digits, '$' and '\”, 2 to 24 runes,
// lower-cased.
func referenceWords(prefix, s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '$' && r != '\''
	}) {
		if n := len([]rune(w)); n >= 2 && n <= 24 {
			if k := prefix + strings.ToLower(w); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// FuzzWords holds the one-pass tokenizer to the reference.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"Hello, World! don't pay $100", "ÄRGER über Öl — 東京 tokyo", "a bb " + strings.Repeat("x", 24) + " " + strings.Repeat("y", 25),
		"caf\xe9 \xff\xfeabc", "İstanbul ΣΊΣΥΦΟΣ", "x\u00a0y zz\u2028ww"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts := newTokenSet()
		ts.words("p:", s)
		want := referenceWords("p:", s)
		if len(want) > maxTokens {
			want = want[:maxTokens]
		}
		if strings.Join(ts.out, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("words(%q) = %q, want %q", s, ts.out, want)
		}
		// textWords adds the shouted words and changes nothing else.
		text := newTokenSet()
		text.textWords(s)
		plain := slices.DeleteFunc(slices.Clone(text.out), func(w string) bool { return strings.HasPrefix(w, "uc:") })
		if n := min(len(plain), len(want)); strings.Join(plain, "\x00") != strings.Join(referenceWords("", s)[:n], "\x00") {
			t.Fatalf("textWords(%q) = %q, want the words %q", s, text.out, referenceWords("", s))
		}
		for _, w := range text.out {
			if u, ok := strings.CutPrefix(w, "uc:"); ok && !slices.Contains(plain, u) {
				t.Fatalf("textWords(%q): %q without its word", s, w)
			}
		}
	})
}

func BenchmarkWords(b *testing.B) {
	text := strings.Repeat("Dear friend, we offer the lowest prices on genuine watches and don't miss our $100 discount today. ", 100) +
		strings.Repeat(strings.Repeat("X", 78)+"\r\n", 100)
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		newTokenSet().words("", text)
	}
}

// TestDeliveryFieldsNotTokens: fields written at final delivery or by the
// mail store yield no token, so that a message learnt from a mailbox file
// and the same message checked at the gateway have the same features.
func TestDeliveryFieldsNotTokens(t *testing.T) {
	body := "From: Alice <alice@example.org>\r\nSubject: Lunch\r\n\r\nSee you at noon.\r\n"
	stored := "Return-Path: <alice@example.org>\r\nDelivered-To: bob@example.com\r\nX-Spam-Status: No, score=0.1\r\n" +
		"Status: RO\r\nX-Status: A\r\nX-Keywords: $Label1\r\nX-UID: 17\r\n" + body
	gateway := MessageTokens(mimetree.Parse([]byte(body), mimetree.Limits{}))
	mailbox := MessageTokens(mimetree.Parse([]byte(stored), mimetree.Limits{}))
	if !slices.Equal(gateway, mailbox) {
		t.Errorf("mailbox copy has other tokens:\n%q\nwant\n%q", mailbox, gateway)
	}
}

// Only the first maxPartText bytes of each part are analysed; the next
// part is read again from its start.
func TestPartTextCap(t *testing.T) {
	filler := strings.Repeat("filler ", maxPartText/7)
	raw := "Subject: s\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nearlyword " + filler + "lateword\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nsecondpart\r\n--B--\r\n"
	got := MessageTokens(mimetree.Parse([]byte(raw), mimetree.Limits{}))
	for word, want := range map[string]bool{"earlyword": true, "lateword": false, "secondpart": true} {
		if slices.Contains(got, word) != want {
			t.Errorf("token %q present: %v, want %v", word, !want, want)
		}
	}
}

func TestHeadText(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes without a space
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{strings.Repeat("ab ", 200), 300, strings.Repeat("ab ", 99) + "ab"},
		{long, 301, strings.Repeat("é", 150)}, // byte 301 is inside a character
		{long, 300, strings.Repeat("é", 150)},
		{"ab cd", 4, "ab"},
	} {
		if got := headText(c.in, c.n); got != c.want {
			t.Errorf("headText(%.12q…, %d) = %q…(%d bytes), want %d bytes", c.in, c.n, got[:min(len(got), 12)], len(got), len(c.want))
		}
	}
}

// TestListFieldsNotTokens: a mailing list's fields, and the Received hosts
// of a message it passed on, make no token, so that spam sent to a list
// is judged by what it says, not by the list that carried it. A message
// sent directly keeps its Received hosts.
func TestListFieldsNotTokens(t *testing.T) {
	body := "From: Alice <alice@example.org>\r\nSubject: Lunch\r\n\r\nSee you at noon.\r\n"
	relay := "Received: from relay.example.net (relay.example.net [192.0.2.7])\r\n"
	list := relay + "Sender: fork-admin@lists.example.com\r\nErrors-To: fork-admin@lists.example.com\r\n" +
		"List-Id: Friends of Rohit <fork.lists.example.com>\r\nList-Unsubscribe: <mailto:fork-leave@lists.example.com>\r\n" +
		"X-BeenThere: fork@lists.example.com\r\nX-Mailman-Version: 2.0.11\r\nPrecedence: bulk\r\n" + body
	direct := MessageTokens(mimetree.Parse([]byte(relay+body), mimetree.Limits{}))
	viaList := MessageTokens(mimetree.Parse([]byte(list), mimetree.Limits{}))
	if !slices.Contains(direct, "rcvd:relay.example.net") {
		t.Errorf("direct message: no Received host token in %q", direct)
	}
	if want := MessageTokens(mimetree.Parse([]byte(body), mimetree.Limits{})); !slices.Equal(viaList, append([]string{"h:received"}, want...)) {
		t.Errorf("list message has list tokens:\n%q\nwant those of the message without the list's fields", viaList)
	}
}

func TestShoutedWords(t *testing.T) {
	got := MessageTokens(mimetree.Parse([]byte("Subject: x\r\n\r\nACT NOW: a FREE gift. OK, Free TV5 ÜBER U.S.A. 100%\r\n"), mimetree.Limits{}))
	for _, tc := range []struct {
		tok  string
		want bool
	}{
		{"uc:act", true}, {"uc:now", true}, {"uc:free", true}, {"uc:über", true},
		{"free", true}, {"act", true},
		{"uc:ok", false},  // two capitals are an abbreviation, not shouting
		{"uc:tv5", false}, // likewise
		{"uc:gift", false},
		{"uc:100", false},
	} {
		if slices.Contains(got, tc.tok) != tc.want {
			t.Errorf("%q in tokens = %v, want %v (%q)", tc.tok, !tc.want, tc.want, got)
		}
	}
}
