package sigdb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAutomaton compares the automaton with a naive search: every
// occurrence of every pattern, overlapping ones included.
func TestAutomaton(t *testing.T) {
	tests := []struct {
		pats []string
		data string
	}{
		{[]string{"he", "she", "his", "hers"}, "ushers"},
		{[]string{"aa", "aaa", "aaaa"}, "aaaaaa"},
		{[]string{"ab", "bc", "abc", "ca"}, "xabcabc"},
		{[]string{"ab"}, "a"},
		{[]string{"ab"}, ""},
		{[]string{"\x00\x00", "\x00\xff"}, "\x00\x00\x00\xff"},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		var pats []string
		for range 1 + rng.IntN(40) {
			p := make([]byte, 2+rng.IntN(5))
			for i := range p {
				p[i] = "abc\x00"[rng.IntN(4)]
			}
			if !slices.Contains(pats, string(p)) {
				pats = append(pats, string(p))
			}
		}
		data := make([]byte, rng.IntN(200))
		for i := range data {
			data[i] = "abcd\x00"[rng.IntN(5)]
		}
		tests = append(tests, struct {
			pats []string
			data string
		}{pats, string(data)})
	}
	for _, tc := range tests {
		var pb [][]byte
		for _, p := range tc.pats {
			pb = append(pb, []byte(p))
		}
		var got, want []string
		buildAutomaton(pb).scan([]byte(tc.data), func(end int, id uint32) bool {
			got = append(got, fmt.Sprint(end, tc.pats[id]))
			return true
		})
		for end := range len(tc.data) {
			for _, p := range tc.pats {
				if bytes.HasSuffix([]byte(tc.data[:end+1]), []byte(p)) {
					want = append(want, fmt.Sprint(end, p))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("patterns %q on %q:\n got %q\nwant %q", tc.pats, tc.data, got, want)
		}
	}
}

func TestAutomatonStops(t *testing.T) {
	n := 0
	buildAutomaton([][]byte{[]byte("ab")}).scan([]byte("ababab"), func(int, uint32) bool {
		n++
		return false
	})
	if n != 1 {
		t.Errorf("%d hits after stop", n)
	}
}
