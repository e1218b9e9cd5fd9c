package config

import (
	"strings"
)

// valueGuard is put in front of every value given to ini.v1. ini.v1 would
// otherwise drop empty values from a key's shadow list (breaking the k-th
// value / k-th line correspondence and "Senders=") and give meaning to
// leading quotes and backticks. It is removed again from what ini.v1 returns.
const valueGuard = "|"

// heading is a valid "[section]" line of the expanded text.
type heading struct {
	name string // as written, trimmed
	line int    // index into the expanded lines
}

// scanned is the result of scanning the expanded text: the text for ini.v1
// (one line per expanded line) and the position index.
type scanned struct {
	text  []string
	heads []heading
	// keys maps a section name and key, both as written, to the expanded
	// lines that set it, in order.
	keys map[string]map[string][]int
}

// scanLines classifies the expanded lines, joins continuation lines, reports
// the lines that are wrong whatever the schema says, and builds the index.
func scanLines(lines []srcLine, errs *ErrorList) *scanned {
	s := &scanned{text: make([]string, len(lines)), keys: map[string]map[string][]int{}}
	section := ""   // current section; "" before the first heading
	broken := false // the current heading was bad: its keys are skipped silently
	for i := 0; i < len(lines); i++ {
		text, pos := lines[i].text, lines[i].pos
		switch {
		case text == "" || text[0] == '#' || text[0] == ';' || text[0] == '!':
			// blank, comment, or a directive the expander has handled
		case text[0] == '[':
			name, ok := parseHeading(text, pos, errs)
			section, broken = name, !ok
			if ok {
				s.text[i] = "[" + name + "]"
				s.heads = append(s.heads, heading{name: name, line: i})
			}
		case !strings.Contains(text, "="):
			errs.Add(pos, "expected Key=Value, [section] or a comment, found %q", text)
		default:
			key, value, last := joinContinuation(lines, i)
			s.addKey(i, section, broken, key, value, pos, errs)
			i = last
		}
	}
	return s
}

// parseHeading returns the name of a "[section]" line and whether it can be
// used. Text after the closing bracket is reported but does not lose the
// section, so its keys are not reported once more as misplaced.
func parseHeading(text string, pos Pos, errs *ErrorList) (string, bool) {
	end := strings.LastIndexByte(text, ']')
	if end < 0 {
		errs.Add(pos, "unclosed section heading %q", text)
		return "", false
	}
	name := strings.TrimSpace(text[1:end])
	if rest := strings.TrimSpace(text[end+1:]); rest != "" {
		errs.Add(pos, "unexpected text %q after section heading (comments must be on their own line)", rest)
	}
	switch {
	case name == "":
		errs.Add(pos, "empty section name")
		return "", false
	case strings.Contains(name, "::") || strings.HasSuffix(name, ":"):
		// "::" is the registry's key delimiter.
		errs.Add(pos, "section name %q may not contain \"::\" or end with \":\"", name)
		return "", false
	}
	return name, true
}

// joinContinuation splits the key line at index i and appends the
// continuation lines that follow it (see the package documentation). It
// returns the index of the last line used.
func joinContinuation(lines []srcLine, i int) (key, value string, last int) {
	key, value, _ = strings.Cut(lines[i].text, "=")
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	last = i
	for value == "" || strings.HasSuffix(value, ",") {
		j := last + 1
		// A list ending in "," may continue after blank lines; an empty
		// value only on the very next line ("BlockMessage=" printed with
		// its list wrapped below it, guide 5.3.6).
		for value != "" && j < len(lines) && lines[j].text == "" {
			j++
		}
		if j == len(lines) || !isContinuation(lines[j].text) {
			break
		}
		value += lines[j].text
		last = j
	}
	return key, value, last
}

func isContinuation(text string) bool {
	return text != "" && !strings.Contains(text, "=") && !strings.ContainsAny(text[:1], "[#;!")
}

// addKey indexes a key line and writes it, normalised, into the ini.v1 text.
func (s *scanned) addKey(i int, section string, broken bool, key, value string, pos Pos, errs *ErrorList) {
	switch {
	case broken:
		return
	case section == "":
		errs.Add(pos, "%s is outside any section (a [section] heading must come first)", describeKey(key))
		return
	case key == "":
		errs.Add(pos, "missing key name before \"=\"")
		return
	case key == "-" || strings.ContainsAny(key[:1], "\"`"):
		// ini.v1 reads these as auto-numbered or quoted keys; no
		// parameter is spelt so.
		errs.Add(pos, "unknown key %q in [%s]", key, section)
		return
	}
	if s.keys[section] == nil {
		s.keys[section] = map[string][]int{}
	}
	s.keys[section][key] = append(s.keys[section][key], i)
	s.text[i] = key + "=" + valueGuard + value
}

func describeKey(key string) string {
	if key == "" {
		return "a line with \"=\""
	}
	return "key " + key
}
