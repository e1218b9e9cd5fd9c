package sigdb

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBodyConstructs covers every hex construct, positive and negative.
func TestBodyConstructs(t *testing.T) {
	tests := []struct {
		name, offset, hex string
		data              string
		want              bool
	}{
		{"literal", "*", "616263", "xxabcxx", true},
		{"literal/absent", "*", "616263", "xxabxcx", false},
		{"any byte", "*", "61??63", "a-c", true},
		{"any byte/too short", "*", "61??63", "ac", false},
		{"high nibble", "*", "6?62", "ab", true},
		{"high nibble/other", "*", "6?62", "qb", false},
		{"low nibble", "*", "?162", "!b", true},
		{"low nibble/other", "*", "?162", "\"b", false},
		{"star", "*", "6162*6364", "ab....cd", true},
		{"star/adjacent", "*", "6162*6364", "abcd", true},
		{"star/wrong order", "*", "6162*6364", "cd..ab", false},
		{"fixed jump", "*", "6162{2}6364", "abxxcd", true},
		{"fixed jump/short", "*", "6162{2}6364", "abxcd", false},
		{"fixed jump/long", "*", "6162{2}6364", "abxxxcd", false},
		{"at most", "*", "6162{-2}6364", "abcd", true},
		{"at most/2", "*", "6162{-2}6364", "abxxcd", true},
		{"at most/3", "*", "6162{-2}6364", "abxxxcd", false},
		{"at least", "*", "6162{2-}6364", "abxxxxxcd", true},
		{"at least/1", "*", "6162{2-}6364", "abxcd", false},
		{"range", "*", "6162{1-2}6364", "abxxcd", true},
		{"range/0", "*", "6162{1-2}6364", "abcd", false},
		{"range/3", "*", "6162{1-2}6364", "abxxxcd", false},
		{"range/later occurrence", "*", "6162{1-2}6364", "abcd abxcd", true},
		{"zero jump reads as star", "*", "6162{0}6364", "ab..cd", true},
		{"zero range reads as star", "*", "6162{-0}6364", "ab..cd", true},
		{"zero range reads as star/order", "*", "6162{0-0}6364", "cd..ab", false},
		{"alternatives", "*", "61(62|63)64", "acd", true},
		{"alternatives/none", "*", "61(62|63)64", "aed", false},
		{"negated", "*", "61!(62|63)64", "aed", true},
		{"negated/member", "*", "61!(62|63)64", "abd", false},
		{"multi-byte alternatives", "*", "61(6263|6465)66", "adef", true},
		{"multi-byte alternatives/none", "*", "61(6263|6465)66", "abef", false},
		{"negated multi-byte", "*", "61!(6263|6465)66", "abdf", true},
		{"negated multi-byte/member", "*", "61!(6263|6465)66", "abcf", false},
		{"generic alternatives", "*", "61(62|6364)65", "acde", true},
		{"generic alternatives/short", "*", "61(62|6364)65", "abe", true},
		{"generic alternatives/none", "*", "61(62|6364)65", "ace", false},
		{"generic with wildcard", "*", "61(62??|63)64", "abxd", true},
		{"generic with wildcard/none", "*", "61(62??|63)64", "abd", false},
		{"generic with range", "*", "61(62{1-2}|63)64", "abxxd", true},
		{"generic with range/none", "*", "61(62{1-2}|63)64", "abxxxd", false},
		{"generic alternatives first", "0", "(6162|63)6465", "cde", true},
		{"generic alternatives last", "*", "6162(6364|65)", "xabe", true},
		{"non-alnum class", "*", "61(W)62", "a-b", true},
		{"non-alnum class/alnum", "*", "61(W)62", "axb", false},
		{"anchored byte after", "*", "616263[2-3]64", "abcxxd", true},
		{"anchored byte after/near", "*", "616263[2-3]64", "abcxd", false},
		{"anchored byte before", "*", "64[1-2]616263", "dxxabc", true},
		{"anchored byte before/far", "*", "64[1-2]616263", "dxxxabc", false},
		{"leading jump", "0", "{2}6162", "xxab", true},
		{"leading jump/short", "0", "{2}6162", "xab", false},
		{"leading range", "0", "{1-2}6162", "xxab", true},
		{"leading range/none", "0", "{1-2}6162", "ab", false},
		{"trailing range", "*", "6162{2-}", "abxx", true},
		{"trailing range/short", "*", "6162{2-}", "abx", false},
		{"uppercase hex", "*", "4D5A", "MZ", true},
		{"anchor in the middle", "0", "61*62636465*66", "a--bcde--f", true},
		{"anchor in the middle/offset", "0", "61*62636465*66", "xa--bcde--f", false},
		{"anchor in the middle/tail missing", "0", "61*62636465*66", "a--bcde--", false},
		{"frequent anchor", "*", "6162*7879", "ab ab ab ab ab xy", true},
		{"frequent anchor/none", "*", "6162*7879", "xy ab ab ab ab", false},
		{"no anchor (slow path)", "*", "61??62", "xxa-b", true},
		{"no anchor/none", "*", "61??62", "xxa-c", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := mustParse(t, "t.ndb", "Sig:0:"+tc.offset+":"+tc.hex+"\n")
			name, got := db.Match([]byte(tc.data))
			if got != tc.want || got && name != "Sig" {
				t.Errorf("Match(%q) with %s = %q, %v; want %v", tc.data, tc.hex, name, got, tc.want)
			}
		})
	}
}

func TestOffsets(t *testing.T) {
	tests := []struct {
		offset, data string
		want         bool
	}{
		{"*", "xxxxab", true},
		{"0", "abxx", true},
		{"0", "xab", false},
		{"2", "xxab", true},
		{"2", "xab", false},
		{"2", "xxxab", false},
		{"1,2", "xab", true},
		{"1,2", "xxxab", true},
		{"1,2", "xxxxab", false},
		{"EOF-2", "xxab", true},
		{"EOF-2", "xxabx", false},
		{"EOF-4,2", "abxx", true},
		{"EOF-4,2", "xxabxx", true},
		{"EOF-4,2", "xxxabxx", true},
		{"EOF-4,2", "abxxx", false},
		{"EOF-9", "ab", false},
		{"EOF-9,8", "ab", false}, // starts before the object: void, as in ClamAV
		{"EOF-3,1", "xab", true},
		{"EOF-3,1", "ab", false},
		{"40", "ab", false},
	}
	for _, tc := range tests {
		db := mustParse(t, "t.ndb", "Sig:0:"+tc.offset+":6162\n")
		if _, got := db.Match([]byte(tc.data)); got != tc.want {
			t.Errorf("offset %s on %q: got %v, want %v", tc.offset, tc.data, got, tc.want)
		}
	}
}

// TestPEOffsets covers EP, Sx, SEx, SL and target type 1 on a PE built here.
func TestPEOffsets(t *testing.T) {
	code := []byte("....ENTRYPOINT....")
	data := []byte("DATA-SECTION-START......DATA-END")
	pe := buildPE(0x1004, code, data)
	tests := []struct {
		sig  string
		data []byte
		want bool
	}{
		{"1:EP+0:" + hexOf("ENTRY"), pe, true},
		{"1:EP+1:" + hexOf("NTRY"), pe, true},
		{"1:EP-4:" + hexOf("....ENTRY"), pe, true},
		{"1:EP+0:" + hexOf("NTRY"), pe, false},
		{"1:EP+0,1:" + hexOf("NTRY"), pe, true},
		{"1:S0+4:" + hexOf("ENTRY"), pe, true},
		{"1:S1+0:" + hexOf("DATA-SECTION"), pe, true},
		{"1:S1+1:" + hexOf("DATA-SECTION"), pe, false},
		{"1:S2+0:" + hexOf("DATA"), pe, false},
		{"1:SL+0:" + hexOf("DATA-SECTION"), pe, true},
		{"1:SE1:" + hexOf("DATA-END"), pe, true},
		{"1:SE0:" + hexOf("DATA-END"), pe, false},
		{"1:*:" + hexOf("DATA-END"), pe, true},
		{"1:*:" + hexOf("DATA-END"), []byte("DATA-END"), false}, // type 1 needs a PE
		{"0:*:" + hexOf("DATA-END"), []byte("DATA-END"), true},
		{"0:EP+0:" + hexOf("ENTRY"), []byte("ENTRY"), false}, // EP needs a PE
	}
	for _, tc := range tests {
		db := mustParse(t, "pe.ndb", "Sig:"+tc.sig+"\n")
		if _, got := db.Match(tc.data); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.sig, got, tc.want)
		}
	}
}

func TestFunctionalityLevels(t *testing.T) {
	tests := []struct {
		fields  string
		loaded  bool
		skipped int
	}{
		{"", true, 0},
		{":10", true, 0},
		{":150", true, 0},
		{":151", false, 1},
		{":10:200", true, 0},
		{":10:149", false, 1},
		{"::200", true, 0},
	}
	for _, tc := range tests {
		db := mustParse(t, "fl.ndb", "Sig:0:*:6162"+tc.fields+"\n")
		_, got := db.Match([]byte("ab"))
		if st := db.Stats(); got != tc.loaded || st.Skipped != tc.skipped {
			t.Errorf("%q: matched %v, skipped %d; want %v, %d", tc.fields, got, st.Skipped, tc.loaded, tc.skipped)
		}
	}
}

// TestUnsupported checks that valid constructs we do not implement are
// skipped and counted, never loaded with another meaning.
func TestUnsupported(t *testing.T) {
	db := mustParse(t, "u.ndb", strings.Join([]string{
		"B:0:*:6162(B)6364",
		"L:0:*:6162(L)6364",
		"Elf:6:EP+0:6162",
		"Type:15:*:6162",
		"Many:0:*:61(62{0-200}|63{0-200})64",
		"Ok:0:*:6162",
	}, "\n"))
	st := db.Stats()
	if st.Body != 1 || st.Skipped != 5 {
		t.Fatalf("Body %d Skipped %d, want 1 and 5; warnings %q", st.Body, st.Skipped, st.Warnings)
	}
	if len(st.Warnings) != 5 || !strings.Contains(st.Warnings[0], "u.ndb: 1 signatures skipped: character class (B) (first at line 1)") {
		t.Errorf("warnings %q", st.Warnings)
	}
	if name, _ := db.Match([]byte("ab(B)cd ab")); name != "Ok" {
		t.Errorf("Match = %q", name)
	}
}

func TestSyntaxErrors(t *testing.T) {
	bad := []string{
		"Sig:0:*",                 // too few fields
		"Sig:0:*:6162:1:2:3",      // too many
		":0:*:6162",               // no name
		"Sig:x:*:6162",            // target
		"Sig:0:EOF+2:6162",        // offset
		"Sig:0:SE1,4:6162",        // SEx with a shift
		"Sig:0:*:616",             // odd hex
		"Sig:0:*:61zz",            // not hex
		"Sig:0:*:",                // empty
		"Sig:0:*:**",              // no byte
		"Sig:0:*:61{2-1}62",       // bad range
		"Sig:0:*:61{x}62",         // bad number
		"Sig:0:*:61{99999999999}", // too large
		"Sig:0:*:61(62",           // unterminated
		"Sig:0:*:61(62)63",        // one alternative
		"Sig:0:*:61(62|)63",       // empty alternative
		"Sig:0:*:61((62|63)|64)",  // nested
		"Sig:0:*:61(62|*)63",      // star in alternative
		"Sig:0:*:61!(62|6364)",    // negated lengths differ
		"Sig:0:*:61!(6?|63)",      // negated wildcard
		"Sig:0:*:61!62",           // ! without (
		"Sig:0:*:61[1-x]62",       // bad anchored range
		"Sig:0:*:6162:x",          // MinFL
		"Sig:0:*:6162:1:y",        // MaxFL
	}
	for _, line := range bad {
		if _, err := Parse("bad.ndb", []byte(line)); err == nil || !strings.HasPrefix(err.Error(), "bad.ndb:1: ") {
			t.Errorf("%q: err = %v, want bad.ndb:1: ...", line, err)
		}
	}
}

// TestErrorsListEveryLine checks that one load reports every bad line of
// every file as file:line.
func TestErrorsListEveryLine(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.ndb", "Ok:0:*:6162\nBad:0:*:6\n# comment\n\nBad2:0:x:6162\n")
	write(t, dir, "b.hdb", "nothex:1:X\n"+md5Hex([]byte("x"))+":1:Fine\n"+md5Hex(nil)+":-1:Neg\n")
	_, err := Load(dir)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"a.ndb:2: ", "a.ndb:5: ", "b.hdb:1: ", "b.hdb:3: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("%d errors, want 4:\n%v", n, err)
	}
}

func TestErrorsAreBounded(t *testing.T) {
	_, err := Parse("junk.ndb", []byte(strings.Repeat("junk\n", 1000)))
	if err == nil || !strings.Contains(err.Error(), "junk.ndb: 950 more bad lines not shown") {
		t.Fatalf("err = %v", err)
	}
}

func TestAnchorChoice(t *testing.T) {
	tests := []struct {
		hex    string
		anchor string
		part   int
		off    int
	}{
		{"6162??636465", "cde", 0, 3},
		{"61*62636465*6667", "bcde", 1, 0},
		{"6162(63|64)6566", "ab", 0, 0},
		{"6162{3}63646566", "cdef", 0, 5},
		{"(6162636465|66)6768", "gh", 1, 0},
		{"61??62", "", 0, 0},
		{hexOf(strings.Repeat("0", 30) + "ABCDEFGHIJKLMNOP"), "0ABCDEFGHIJKLMNO", 0, 29},
		{hexOf(strings.Repeat("\x00", 12) + "ABCDEFGHIJKLMNOP\x00\x00"), "ABCDEFGHIJKLMNOP", 0, 12},
	}
	for _, tc := range tests {
		_, bs, err := parseNDB("S:0:*:" + tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		if string(bs.anchor) != tc.anchor || bs.aPart != tc.part || bs.aOff != tc.off {
			t.Errorf("%s: anchor %q part %d off %d, want %q %d %d", tc.hex, bs.anchor, bs.aPart, bs.aOff, tc.anchor, tc.part, tc.off)
		}
	}
}

// TestFrequentAnchors checks that signatures whose anchor occurs at every
// other byte stay linear: without the memo of verify.go each occurrence
// would search the rest of the object again (minutes here).
func TestFrequentAnchors(t *testing.T) {
	data := []byte(strings.Repeat("ab", 1<<17) + "cd")
	sigs := []string{
		"Fwd:0:*:6162*7879",             // never completes
		"Bwd:0:*:7879*6162",             // never completes
		"BwdFar:0:*:7879*6162{0-3}6162", // star beyond a bounded gap
		"FwdFar:0:*:6162{0-3}6162*7879",
		"Both:0:*:7a*6162*7879",
		"Late:0:*:6162*6364", // completes at the very end
	}
	db := mustParse(t, "freq.ndb", strings.Join(sigs, "\n"))
	start := time.Now()
	if got := db.MatchAll(data, 0); !slices.Equal(got, []string{"Late"}) {
		t.Errorf("MatchAll = %q", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: verification is not linear", d)
	}
}
