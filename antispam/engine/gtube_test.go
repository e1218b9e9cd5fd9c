package engine

import (
	"strings"
	"testing"
)

func TestHasGTUBE(t *testing.T) {
	g := gtubeMarker
	for _, c := range []struct {
		in   string
		want bool
	}{
		{g, true},
		{"xx" + g + "yy", true},
		{strings.Repeat("X", 5000) + g, true},
		{gtubeAnchor + " " + g, true},                    // an early lone anchor does not stop the search
		{g[:len(g)-1], false},                            // tail cut
		{g[1:], false},                                   // head cut
		{strings.Replace(g, "GTUBE", "GTUBF", 1), false}, // anchor altered
		{"", false},
	} {
		if got := hasGTUBE([]byte(c.in)); got != c.want {
			t.Errorf("hasGTUBE(%.40q…) = %v, want %v", c.in, got, c.want)
		}
	}
}
