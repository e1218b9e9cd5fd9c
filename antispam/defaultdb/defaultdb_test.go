package defaultdb_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam/bayes"
	"github.com/mailgw/mailgw/antispam/defaultdb"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/mimetree"
)

// TestModelIsCurrent: the embedded model is what corpus/ and today's
// tokenizer give; otherwise run go generate ./antispam/defaultdb.
func TestModelIsCurrent(t *testing.T) {
	m, err := defaultdb.Build(os.DirFS("corpus"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := defaultdb.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(defaultdb.ModelFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bayes.model.gz is stale: run go generate ./antispam/defaultdb and commit it")
	}
}

// TestModelClassifies: out of the box the built-in model is trained
// enough for the default BayesMinLearned (20), and tells a new spam from a
// new ham that are not in its corpus.
func TestModelClassifies(t *testing.T) {
	var s defaultdb.Store
	c := bayes.New(&s, 20)
	tot, err := c.Totals(context.Background())
	if err != nil || tot.Spam < 20 || tot.Ham < 20 {
		t.Fatalf("totals %+v, %v: want at least 20 of each class", tot, err)
	}
	for _, tt := range []struct {
		name, msg string
		spam      bool
	}{
		{"spam", "From: Best Deals <deals@promo.example.net>\r\nTo: you@example.com\r\nSubject: Cheap meds, no prescription, order now!!!\r\n\r\n" +
			"Lowest prices on pills online. Limited time offer, click here to buy now and save 80%! Unsubscribe here.\r\n", true},
		{"ham", "From: Anna Berg <anna@example.org>\r\nTo: team@example.com\r\nSubject: Re: agenda for Thursday's meeting\r\n\r\n" +
			"Hi all, I added the review of the release notes to the agenda. Could you send me your status updates before the meeting? Thanks, Anna\r\n", false},
	} {
		p, ok, err := c.Classify(context.Background(), engine.MessageTokens(mimetree.Parse([]byte(tt.msg), mimetree.Limits{})))
		if err != nil || !ok || (p > 0.5) != tt.spam {
			t.Errorf("%s: probability %.3f (ok %v, %v), want spam %v", tt.name, p, ok, err, tt.spam)
		}
	}
}

func TestObsceneWords(t *testing.T) {
	w := defaultdb.ObsceneWords()
	if len(w) < 40 || !w["fuck"] || !w["salope"] || w["#"] || w[""] {
		t.Errorf("%d words; want the list of obscene.txt without comments", len(w))
	}
	for word := range w {
		if word != strings.ToLower(word) || strings.ContainsAny(word, " \t") {
			t.Errorf("%q is not one lower-case word", word)
		}
	}
}
