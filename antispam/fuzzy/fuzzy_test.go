package fuzzy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam/fuzzy"
)

// spam is a known spam text; the cases of TestSimilarity are copies of
// it changed the way spam campaigns change them.
const spam = `Dear valued customer, our licensed online pharmacy now ships premium
quality pills to your door without a prescription and without any
embarrassing questions. Every order is packed in a plain envelope and
delivered discreetly within days. Save up to eighty percent compared with
your local drugstore. Thousands of happy customers already trust our
certified pharmacists and our secure checkout. Order today and receive free
express shipping plus a bonus pack of extra pills with your first purchase.
Click the link below to claim your personal discount before this limited
offer expires at midnight. http://pharma.invalid/store?id=100200`

func TestSimilarity(t *testing.T) {
	tests := []struct {
		name string
		text string
		min  float64 // the similarity must be at least min...
		max  float64 // ...and at most max
	}{
		{name: "same", text: spam, min: 1, max: 1},
		{name: "case, digits, link and punctuation changed", min: 1, max: 1,
			text: strings.ToUpper(strings.NewReplacer("100200", "937321", ",", " ;", "pharma.invalid", "drugs.invalid").Replace(spam))},
		{name: "words changed", min: 0.55, max: 1, text: strings.NewReplacer(
			"valued", "dear", "premium", "top", "eighty", "ninety", "certified", "licensed", "midnight", "tomorrow").Replace(spam)},
		{name: "sentences reordered", min: 0.75, max: 1, text: reorder(spam)},
		{name: "words added", min: 0.6, max: 1,
			text: "Hello there, special news for you today. " + spam + " Best wishes from the whole friendly team, see you soon."},
		{name: "half of it", min: 0.3, max: 0.75, text: spam[:len(spam)/2]},
		{name: "unrelated ham", min: 0, max: 0.1, text: `Hi Bob, shall we meet at noon on Friday at the usual place?
I would like to talk about the budget for next year and the plans for the
new office. Could you bring the printed report and the notes from the last
meeting? Alice`},
		{name: "unrelated spam", min: 0, max: 0.1, text: `Attention lucky winner, we are pleased to inform you that
your email address was selected in our annual international electronic
draw and has won the grand prize of one million dollars.`},
	}
	base := mustSign(t, spam)
	for _, tc := range tests {
		sim := fuzzy.Similarity(base, mustSign(t, tc.text))
		t.Logf("%s: %.3f", tc.name, sim)
		if sim < tc.min || sim > tc.max {
			t.Errorf("%s: similarity %.3f, want %.2f-%.2f", tc.name, sim, tc.min, tc.max)
		}
	}
}

// reorder moves the first two sentences to the end.
func reorder(s string) string {
	parts := strings.SplitAfter(s, ". ")
	return strings.Join(append(parts[2:], parts[:2]...), " ")
}

func mustSign(t *testing.T, text string) fuzzy.Signature {
	t.Helper()
	sig, err := fuzzy.Sign(text)
	if err != nil {
		t.Fatalf("Sign(%.30q): %v", text, err)
	}
	return sig
}

func TestSignTooShort(t *testing.T) {
	for _, text := range []string{"", "buy now", "one two three four five six seven eight nine", strings.Repeat("buy now ", 100)} {
		if _, err := fuzzy.Sign(text); !errors.Is(err, fuzzy.ErrTooShort) {
			t.Errorf("Sign(%.20q): %v, want ErrTooShort", text, err)
		}
	}
	if _, err := fuzzy.Sign("one two three four five six seven eight nine ten"); err != nil {
		t.Errorf("ten words: %v", err)
	}
}

func TestWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello, WORLD!", "hello world"},
		{"visit http://x.invalid/a?b=1 or www.y.invalid now", "visit or now"},
		{"mail me: a.b@example.com; see example.com.", "mail me see"},
		{"order 12345 ref x7k2q costs $99.95", "order ref costs"},
		{"a I über Straße", "über straße"},
		{"end. Next sentence...", "end next sentence"},
	}
	for _, tc := range tests {
		if got := strings.Join(fuzzy.Words(tc.in), " "); got != tc.want {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSignatureText(t *testing.T) {
	sig := mustSign(t, spam)
	back, err := fuzzy.ParseSignature(sig.String())
	if err != nil || back != sig {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", "oph1:", "oph2:" + sig.String()[5:], "mh1:" + sig.String()[5:], sig.String() + "0", strings.Replace(sig.String(), "oph1:", "oph1:zz", 1)[:len(sig.String())]} {
		if _, err := fuzzy.ParseSignature(bad); err == nil {
			t.Errorf("ParseSignature(%.20q...) accepted", bad)
		}
	}
}

// BenchmarkMatch signs a text of about 150 words and compares it with
// 1000 samples.
func BenchmarkMatch(b *testing.B) {
	sig, _ := fuzzy.Sign(spam)
	samples := make([]fuzzy.Sample, 1000)
	for i := range samples {
		samples[i] = fuzzy.Sample{Name: "s", Sig: sig}
		samples[i].Sig[i%fuzzy.Slots]++
	}
	c := fuzzy.NewCollection(samples...)
	text := "Hello! " + spam
	for b.Loop() {
		c.Match(text)
	}
}

// BenchmarkSign signs a text of about 150 words.
func BenchmarkSign(b *testing.B) {
	for b.Loop() {
		if _, err := fuzzy.Sign(spam); err != nil {
			b.Fatal(err)
		}
	}
}
