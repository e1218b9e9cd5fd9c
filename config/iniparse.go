package config

import (
	"sort"
	"strings"

	"gopkg.in/ini.v1"
)

// entry is one value of one key line, as parsed by ini.v1 and placed by the
// index.
type entry struct {
	section string // as written
	key     string // as written
	text    string
	line    int // index into the expanded lines
}

// iniOptions make ini.v1 read the normalised text literally.
func iniOptions() ini.LoadOptions {
	return ini.LoadOptions{
		AllowShadows:               true, // repeated keys are lists
		AllowDuplicateShadowValues: true, // "Senders=a" twice is two values, two lines
		KeyValueDelimiters:         "=",
		IgnoreInlineComment:        true,
		IgnoreContinuation:         true, // our continuation rule is done beforehand
		PreserveSurroundedQuote:    true,
		AllowBooleanKeys:           false, // lines without "=" are rejected by the scanner already
		// Same-named sections merge, in file order; scalar keys written in
		// both halves are then reported as written twice.
		AllowNonUniqueSections: false,
	}
}

// parseINI parses the scanned text with ini.v1 and returns every value with
// its line, in file order.
func parseINI(name string, s *scanned, lines []srcLine, errs *ErrorList) []entry {
	f, err := ini.LoadSources(iniOptions(), []byte(strings.Join(s.text, "\n")))
	if err != nil {
		errs.Add(iniErrorPos(name, err, lines), "%v", err)
		return nil
	}
	var out []entry
	for _, sec := range f.Sections() {
		for _, k := range sec.Keys() {
			out = append(out, placeValues(name, sec.Name(), k, s, lines, errs)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].line < out[j].line })
	return out
}

// placeValues pairs the k-th value ini.v1 holds for a key with the k-th line
// of that key in the index.
func placeValues(name, section string, k *ini.Key, s *scanned, lines []srcLine, errs *ErrorList) []entry {
	idx := s.keys[section][k.Name()]
	vals := k.ValueWithShadows()
	if len(vals) != len(idx) {
		// Cannot happen with the normalised text; say so rather than
		// attach values to the wrong lines.
		pos := Pos{File: name}
		if len(idx) > 0 {
			pos = lines[idx[0]].pos
		}
		errs.Add(pos, "internal error: parser and line index disagree on %s in [%s]", k.Name(), section)
		return nil
	}
	out := make([]entry, len(vals))
	for i, v := range vals {
		out[i] = entry{section: section, key: k.Name(), text: strings.TrimPrefix(v, valueGuard), line: idx[i]}
	}
	return out
}

// iniErrorPos finds the line an ini.v1 error is about: its messages quote
// the offending line but give no number.
func iniErrorPos(name string, err error, lines []srcLine) Pos {
	msg := err.Error()
	for _, l := range lines {
		if l.text != "" && strings.Contains(msg, l.text) {
			return l.pos
		}
	}
	return Pos{File: name}
}
