package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Pos names where a configuration value came from: a file and line, or an
// override ("environment MAILGW_POLICY__CHECKSPAM", "flag -o").
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Value is one value of a key together with where it was written.
type Value struct {
	Text string
	Pos  Pos
}

// Error is one configuration problem at one place.
type Error struct {
	Pos Pos
	Msg string
}

func (e Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList collects every problem found in a configuration, so that an
// administrator sees them all at once instead of fixing one per restart.
type ErrorList []Error

// Add records a problem at pos.
func (l *ErrorList) Add(pos Pos, format string, args ...any) {
	*l = append(*l, Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil for an empty list, otherwise the list sorted by place
// with exact repeats dropped (a bad value in [mailgw.policy] is inherited by
// every group, but is one mistake).
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l.sorted()
}

func (l ErrorList) sorted() ErrorList {
	sorted := append(ErrorList(nil), l...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Pos, sorted[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	seen := map[Error]bool{}
	return slices.DeleteFunc(sorted, func(e Error) bool {
		dup := seen[e]
		seen[e] = true
		return dup
	})
}

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Kind is the type of a parameter's value.
type Kind int

const (
	Bool   Kind = iota // true/false, yes/no, y/n, 1/0
	Int                // decimal integer, range-checked when Max > Min
	String             // free text
	Enum               // one of Param.Enum, case-insensitive
	List               // repeatable key; also comma-separated within one line when Param.Comma is set
)

func (k Kind) String() string {
	switch k {
	case Bool:
		return "bool"
	case Int:
		return "int"
	case String:
		return "string"
	case Enum:
		return "enum"
	case List:
		return "list"
	}
	return "unknown"
}

// Param describes one configuration key: enough to validate it, to fill in
// its default and to document it.
type Param struct {
	Name    string   // canonical spelling, e.g. "CheckSpam"; keys match case-insensitively
	Kind    Kind     //
	Default string   // as it would be written in the file; "" means empty/none
	Min     int64    // range for Int, checked when Max > Min
	Max     int64    //
	Unit    string   // for Int: "seconds", "KB", "MB", "days"...
	Enum    []string // allowed values for Enum
	Comma   bool     // for List: a value may hold several items separated by commas
	Aliases []string // older or alternative spellings accepted on load
	Doc     string   // one or two sentences for docs/configuration.md
}

// SectionSchema describes one section. A Name ending in ":*" (for example
// "mailgw.group:*") matches every section with that prefix.
type SectionSchema struct {
	Name     string
	Doc      string
	Required bool // the section must be present
	// Inherit names the section a parameter falls back to when it is not set
	// here (groups inherit from "mailgw.policy").
	Inherit string
	Params  []Param
}

// Matches reports whether the section named name is described by s.
func (s *SectionSchema) Matches(name string) bool {
	if prefix, ok := strings.CutSuffix(s.Name, ":*"); ok {
		return strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)+":") && len(name) > len(prefix)+1
	}
	return strings.EqualFold(s.Name, name)
}

// Param finds a parameter by name or alias, case-insensitively.
func (s *SectionSchema) Param(key string) (*Param, bool) {
	for i := range s.Params {
		p := &s.Params[i]
		if strings.EqualFold(p.Name, key) {
			return p, true
		}
		for _, a := range p.Aliases {
			if strings.EqualFold(a, key) {
				return p, true
			}
		}
	}
	return nil, false
}

// Schema is the whole configuration language: every section the programs
// know. Packages contribute their own SectionSchema values; the program that
// loads a file assembles them.
type Schema []SectionSchema

// Lookup finds the schema of a section name.
func (s Schema) Lookup(name string) (*SectionSchema, bool) {
	for i := range s {
		if s[i].Matches(name) {
			return &s[i], true
		}
	}
	return nil, false
}
