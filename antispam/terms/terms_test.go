package terms

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
)

const testDB = "# comment\n" +
	"finance\t1\tlowest mortgage rates\n" +
	"finance\t0.5\trefinance\n" +
	"bulk\t1\tto be removed from our list\r\n" +
	"\n" +
	"bulk\t0.5\tto be removed\n" +
	"fraud\t1\tnext of kin\n" +
	"fraud\t1\tÜberweisung sofort\n"

func mustParse(t testing.TB, text string) *DB {
	t.Helper()
	db, err := Parse("test.txt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMatch(t *testing.T) {
	db := mustParse(t, testDB)
	for _, c := range []struct {
		name, text string
		want       []Hit
	}{
		{"none", "an ordinary note about the meeting", nil},
		{"across case, lines and punctuation", "Get the LOWEST\n mortgage -- rates!", []Hit{{"finance", 1, []string{"lowest mortgage rates"}}}},
		{"whole words only", "the lowest mortgage ratespayer, refinanced", nil},
		{"a phrase counts once", "refinance now, refinance today", []Hit{{"finance", 0.5, []string{"refinance"}}}},
		{"a phrase inside a longer one counts too", "To be removed from our list, reply.",
			[]Hit{{"bulk", 1.5, []string{"to be removed", "to be removed from our list"}}}},
		{"heaviest category first", "refinance. Your next of kin, the lowest mortgage rates",
			[]Hit{{"finance", 1.5, []string{"refinance", "lowest mortgage rates"}}, {"fraud", 1, []string{"next of kin"}}}},
		{"non-ASCII words", "bitte ÜBERWEISUNG sofort", []Hit{{"fraud", 1, []string{"Überweisung sofort"}}}},
		{"phrase at the very start", "next of kin", []Hit{{"fraud", 1, []string{"next of kin"}}}},
	} {
		if got := db.Match(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Match(%q) = %+v, want %+v", c.name, c.text, got, c.want)
		}
	}
}

// A non-ASCII word longer in bytes than every last word may still
// lower-case to one: U+212A KELVIN SIGN (3 bytes) folds to "k".
func TestMatchFoldChangesLength(t *testing.T) {
	db := mustParse(t, "fraud\t1\tkick\n")
	want := []Hit{{"fraud", 1, []string{"kick"}}}
	if got := db.Match("a \u212Aic\u212A off"); !reflect.DeepEqual(got, want) {
		t.Errorf("Match = %+v, want %+v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"finance\t1\n", "test.txt:1: want CATEGORY<TAB>WEIGHT<TAB>PHRASE"},
		{"refinance\n", "test.txt:1: want NAME<TAB>VALUE"},
		{"# ok\nfinance\tmuch\trefinance\n", "test.txt:2: weight \"much\""},
		{"finance\t0\trefinance\n", "test.txt:1: weight \"0\""},
		{"finance\t11\trefinance\n", "test.txt:1: weight \"11\""},
		{"two words\t1\trefinance\n", "test.txt:1: category \"two words\""},
		{"bulk\t1\t-- !!\n", "test.txt:1: phrase \"-- !!\": want 1 to 8 words, has 0"},
		{"bulk\t1\tone two three four five six seven eight nine\n", "has 9"},
	} {
		_, err := Parse("test.txt", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q): error %v, want one with %q", c.text, err, c.want)
		}
	}
}

func TestMerge(t *testing.T) {
	a := mustParse(t, "finance\t1\trefinance\n")
	b := mustParse(t, "other\t0.5\tRefinance\nfraud\t1\tnext of kin\n")
	m := Merge(a, b)
	if m.Len() != 2 {
		t.Fatalf("merged %d phrases, want 2 (a phrase in both counts once)", m.Len())
	}
	if got := m.Match("refinance, next of kin"); len(got) != 2 || got[0].Category != "finance" || got[0].Weight != 1 {
		t.Errorf("merged Match = %+v, want the first database's category and weight", got)
	}
}

func TestDefault(t *testing.T) {
	db := Default()
	if db.Len() < 100 {
		t.Fatalf("the built-in database has %d phrases", db.Len())
	}
	hits := db.Match("This is not spam. To be removed from our mailing list, reply with REMOVE in the subject.")
	if len(hits) != 1 || hits[0].Category != "bulk" || hits[0].Weight < 3 {
		t.Errorf("typical bulk boilerplate: %+v", hits)
	}
	if hits := db.Match("Hi Anna, the build is fixed; see the patch attached. Cheers, Tom"); hits != nil {
		t.Errorf("ordinary mail: %+v", hits)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(testDB))
	f.Add([]byte("a\t1\tb\n\tx\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		db.Match(string(data)) // must not panic
		for _, p := range db.phrases {
			if len(p.words) == 0 || len(p.words) > MaxWords || p.weight <= 0 {
				t.Fatalf("accepted phrase %+v", p)
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	db := Default()
	f.Add("this is not spam, dear friend")
	f.Add("ÄÖÜ 'quoted' don't — next of kin")
	f.Fuzz(func(t *testing.T, text string) {
		for _, h := range db.Match(text) {
			if h.Weight <= 0 || len(h.Phrases) == 0 {
				t.Fatalf("hit %+v", h)
			}
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	db := Default()
	for _, c := range []struct{ name, text string }{
		{"prose", strings.Repeat("The quarterly report is attached; the numbers for the northern region look good. ", 100)},
		// runs of letters longer than any phrase word, as in encoded
		// data or a test body of X lines
		{"runs", strings.Repeat(strings.Repeat("X", 78)+"\r\n", 100)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				db.Match(c.text)
			}
		})
	}
}

// referenceWords splits text as eachWord should, the slow and obvious way.
func referenceWords(text string) []string {
	var words []string
	var cur []rune
	flush := func() {
		w := strings.TrimRight(string(cur), "'")
		if w != "" {
			words = append(words, strings.ToLower(w))
		}
		cur = nil
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		case r == '\'' && len(cur) > 0:
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// referenceMatch is Match by comparing every phrase with every position.
func referenceMatch(db *DB, text string) map[string]float64 {
	words := referenceWords(text)
	out := map[string]float64{}
	for _, p := range db.phrases {
		for i := 0; i+len(p.words) <= len(words); i++ {
			if slices.Equal(words[i:i+len(p.words)], p.words) {
				out[p.category] += p.weight
				break
			}
		}
	}
	return out
}

// FuzzMatchReference: the fast matcher finds what the obvious one finds.
func FuzzMatchReference(f *testing.F) {
	db := mustParse(f, testDB+"bulk\t1\tdon't wait\nx\t1\tcafé 42\n")
	f.Add("To be REMOVED from our list -- next of kin")
	f.Add("don't wait'' Café 42 überweisung\tSOFORT")
	f.Fuzz(func(t *testing.T, text string) {
		want := referenceMatch(db, text)
		got := map[string]float64{}
		for _, h := range db.Match(text) {
			got[h.Category] = h.Weight
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("Match(%q) = %v, reference %v", text, got, want)
		}
	})
}
