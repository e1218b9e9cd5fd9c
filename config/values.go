package config

import (
	"fmt"
	"strconv"
	"strings"
)

// expandValue turns one written value into the values it stands for: the
// lines of a file: value, then comma-split items for lists that take them.
// split forces comma splitting of a list (overrides have no other way to
// give several values). Problems are reported and give no values.
func expandValue(v Value, p *Param, split bool, errs *ErrorList) []Value {
	items := []Value{v}
	if rest, ok := strings.CutPrefix(v.Text, "file:"); ok {
		var good bool
		if items, good = readListFile(v.Pos, strings.TrimSpace(rest), errs); !good {
			return nil
		}
	}
	if p.Kind == List && (p.Comma || split) {
		items = splitItems(items)
	}
	if p.Kind != List && len(items) != 1 {
		errs.Add(v.Pos, "%s: %s holds %d values; %s takes exactly one", p.Name, v.Text, len(items), p.Name)
		return nil
	}
	return items
}

// readListFile returns one value per non-blank, non-comment line of the file
// named by a file: value at pos.
func readListFile(pos Pos, path string, errs *ErrorList) ([]Value, bool) {
	if path == "" {
		errs.Add(pos, "file: needs a file name")
		return nil, false
	}
	if pos.Line > 0 { // written in a file: relative to that file
		path = resolvePath(pos.File, path)
	}
	data, err := readIncluded(path)
	if err != nil {
		errs.Add(pos, "cannot read list file %s: %v", path, err)
		return nil, false
	}
	var out []Value
	for i, text := range splitLines(data) {
		if text == "" || text[0] == '#' {
			continue
		}
		out = append(out, Value{Text: text, Pos: Pos{File: path, Line: i + 1}})
	}
	return out, true
}

// splitItems splits each value on commas, trimming items and dropping empty
// ones; an entirely empty value stays one empty value, so that "Senders="
// still means "present and empty".
func splitItems(vals []Value) []Value {
	var out []Value
	for _, v := range vals {
		if v.Text == "" {
			out = append(out, v)
			continue
		}
		for item := range strings.SplitSeq(v.Text, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, Value{Text: item, Pos: v.Pos})
			}
		}
	}
	if out == nil {
		out = []Value{} // present, with no items: not the same as absent
	}
	return out
}

// checkValue validates one final value of p, returning "" when it is good.
func checkValue(p *Param, text string) string {
	switch p.Kind {
	case Bool:
		if _, ok := parseBool(text); !ok {
			return fmt.Sprintf("%q is not a boolean (true/false, yes/no, y/n, on/off, 1/0)", text)
		}
	case Int:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Sprintf("%q is not a decimal integer", text)
		}
		if p.Max > p.Min && (n < p.Min || n > p.Max) {
			return fmt.Sprintf("%d is out of range %s", n, rangeText(p))
		}
	case Enum:
		if _, ok := parseEnum(p, text); !ok {
			return fmt.Sprintf("%q is not one of %s", text, strings.Join(p.Enum, ", "))
		}
	}
	return ""
}

// rangeText is "min–max unit".
func rangeText(p *Param) string {
	s := fmt.Sprintf("%d–%d", p.Min, p.Max)
	if p.Unit != "" {
		s += " " + p.Unit
	}
	return s
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1", "on":
		return true, true
	case "false", "no", "n", "0", "off":
		return false, true
	}
	return false, false
}

// parseEnum returns the schema's spelling of s.
func parseEnum(p *Param, s string) (string, bool) {
	for _, e := range p.Enum {
		if strings.EqualFold(e, s) {
			return e, true
		}
	}
	return "", false
}

// defaultValues is a parameter's default split like a written value. An
// empty default means no value at all. Defaults are never read as file:
// lists: they are documentation, not configuration.
func defaultValues(p *Param) []Value {
	if p.Default == "" {
		return nil
	}
	v := Value{Text: p.Default, Pos: Pos{File: "default"}}
	if p.Kind == List && p.Comma {
		return splitItems([]Value{v})
	}
	return []Value{v}
}
