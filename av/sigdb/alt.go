package sigdb

import (
	"errors"
	"fmt"
	"strings"
)

// group parses "(...)" or "!(...)" at s[i]: a character class or a list of
// alternatives.
func (b *patBuilder) group(s string, i int) (int, error) {
	neg := s[i] == '!'
	open := i
	if neg {
		open++
		if open >= len(s) || s[open] != '(' {
			return 0, fmt.Errorf("'!' not followed by '(' at column %d", i+1)
		}
	}
	end := strings.IndexByte(s[open:], ')')
	if end < 0 {
		return 0, fmt.Errorf("unterminated '(' at column %d", open+1)
	}
	body := s[open+1 : open+end]
	if strings.IndexByte(body, '(') >= 0 {
		return 0, fmt.Errorf("nested '(' at column %d", open+1)
	}
	n := open + end + 1 - i
	if a, ok, err := charClass(body, neg); ok || err != nil {
		if err == nil {
			b.cur = appendAtom(b.cur, a)
			b.hasAtom = true
		}
		return n, err
	}
	vars, err := expandAlts(body)
	if err != nil {
		return 0, fmt.Errorf("alternatives at column %d: %w", open+1, err)
	}
	if neg {
		a, err := negatedAtom(vars)
		if err != nil {
			return 0, fmt.Errorf("alternatives at column %d: %w", open+1, err)
		}
		b.cur = appendAtom(b.cur, a)
	} else if a, ok := fixedAltAtom(vars); ok {
		b.cur = appendAtom(b.cur, a)
	} else {
		if len(b.cur) > 0 {
			b.flush()
		}
		b.addPart(part{vars: vars})
	}
	b.hasAtom = true
	return n, nil
}

// charClass recognises (B), (L) and (W). Only (W) is implemented: (B) and
// (L) are zero-width or context-dependent in ClamAV, and guessing their exact
// semantics could mis-match.
func charClass(body string, neg bool) (atom, bool, error) {
	switch body {
	case "B", "L":
		return atom{}, true, unsupported("character class (%s)", body)
	case "W":
		if neg {
			return atom{}, true, errors.New("negated character class")
		}
		a := atom{kind: atomSet, n: 1}
		for c := range 256 {
			if !isAlnum(byte(c)) {
				a.set.add(byte(c))
			}
		}
		return a, true, nil
	}
	return atom{}, false, nil
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// expandAlts expands "a|b|c" into fixed-length variants; bounded ranges in a
// branch give one variant per length.
func expandAlts(body string) ([]variant, error) {
	branches := strings.Split(body, "|")
	if len(branches) < 2 {
		return nil, errors.New("need at least two alternatives")
	}
	var out []variant
	for _, br := range branches {
		vs, err := expandBranch(br)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
		if len(out) > maxVariants {
			return nil, unsupported("more than %d alternative expansions", maxVariants)
		}
	}
	return out, nil
}

func expandBranch(br string) ([]variant, error) {
	if br == "" {
		return nil, errors.New("empty alternative")
	}
	seqs := [][]atom{nil}
	for i := 0; i < len(br); {
		if br[i] != '{' {
			p, err := parsePos(br, i)
			if err != nil {
				return nil, err
			}
			for k := range seqs {
				seqs[k] = appendAtom(seqs[k], posAtom(p))
			}
			i += 2
			continue
		}
		end := strings.IndexByte(br[i:], '}')
		if end < 0 {
			return nil, errors.New("unterminated '{'")
		}
		g, err := parseRange(br[i+1 : i+end])
		if err != nil || g.max < 0 {
			return nil, fmt.Errorf("bad or unbounded range %q", br[i:i+end+1])
		}
		if g.max == 0 {
			// ClamAV reads a zero jump as '*' outside alternatives; what it
			// does inside them is not known, so it is not guessed.
			return nil, unsupported("jump %q inside alternatives", br[i:i+end+1])
		}
		if (g.max-g.min+1)*len(seqs) > maxVariants {
			return nil, unsupported("more than %d alternative expansions", maxVariants)
		}
		seqs = expandSkip(seqs, g)
		i += end + 1
	}
	vs := make([]variant, len(seqs))
	for k, s := range seqs {
		vs[k] = newVariant(s)
	}
	return vs, nil
}

func expandSkip(seqs [][]atom, g gap) [][]atom {
	var out [][]atom
	for _, s := range seqs {
		for n := g.min; n <= g.max; n++ {
			c := append([]atom(nil), s...)
			if n > 0 {
				c = appendAtom(c, atom{kind: atomSkip, n: n})
			}
			out = append(out, c)
		}
	}
	return out
}

// negatedAtom builds !(..): every alternative must be plain bytes of one
// length, as in ClamAV.
func negatedAtom(vars []variant) (atom, error) {
	n := vars[0].n
	for _, v := range vars {
		if v.n != n || len(v.atoms) != 1 || v.atoms[0].kind != atomLit {
			return atom{}, errors.New("negated alternatives must be plain bytes of equal length")
		}
	}
	if n == 1 {
		a := atom{kind: atomSet, n: 1}
		for _, v := range vars {
			a.set.add(v.atoms[0].lit[0])
		}
		a.set.invert()
		return a, nil
	}
	return atom{kind: atomAlt, neg: true, n: n, alts: vars}, nil
}

// fixedAltAtom turns alternatives of one length into a single atom; ok is
// false when their lengths differ.
func fixedAltAtom(vars []variant) (atom, bool) {
	n := vars[0].n
	for _, v := range vars {
		if v.n != n {
			return atom{}, false
		}
	}
	if n != 1 {
		return atom{kind: atomAlt, n: n, alts: vars}, true
	}
	a := atom{kind: atomSet, n: 1}
	for _, v := range vars {
		switch x := v.atoms[0]; x.kind {
		case atomLit:
			a.set.add(x.lit[0])
		case atomSkip:
			a.set = byteSet{}
			a.set.invert()
		case atomSet:
			a.set.union(&x.set)
		}
	}
	return a, true
}
