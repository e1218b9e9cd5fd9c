package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Section is one section of a loaded configuration.
type Section struct {
	Name string // as first written: group names keep their spelling
	Pos  Pos    // its first heading, or the override that brought it in
}

// Config is a loaded, validated configuration. Its values live in a viper
// registry; the Config adds where each value was written and the schema's
// inheritance and defaults. Reading is safe from several goroutines once the
// BindFlag calls are done.
type Config struct {
	name     string
	schema   Schema
	v        *viper.Viper
	sections []Section
	vals     map[string][]Value     // registry key -> values from file, environment and -o
	params   map[string]keyParam    // registry key -> its parameter
	fromSet  map[string]bool        // registry keys set by -o, viper's top layer
	flags    map[string]flagBinding // registry key -> flag bound by BindFlag
}

type flagBinding struct {
	section string
	param   *Param
	flag    *pflag.Flag
}

// Name is the file name, or "(embedded default)".
func (c *Config) Name() string { return c.name }

// Schema is the schema the configuration was validated against.
func (c *Config) Schema() Schema { return c.schema }

// Viper is the registry holding the values: keys "section::key" in lower
// case, values []string.
func (c *Config) Viper() *viper.Viper { return c.v }

// Sections are the sections in file order (included files in place), each
// name once, followed by those only overrides brought in.
func (c *Config) Sections() []Section { return slices.Clone(c.sections) }

// Section finds a section by name, case-insensitively.
func (c *Config) Section(name string) (Section, bool) {
	for _, s := range c.sections {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Section{}, false
}

// SectionsMatching returns the sections, in file order, whose name matches
// pattern case-insensitively; "*" matches any run of characters and "?" one
// character ("mailgw.group:*").
func (c *Config) SectionsMatching(pattern string) []Section {
	var out []Section
	for _, s := range c.sections {
		if globMatch(strings.ToLower(pattern), strings.ToLower(s.Name)) {
			out = append(out, s)
		}
	}
	return out
}

// Has reports whether key (or one of its aliases) was written in section, in
// the file or by an override.
func (c *Config) Has(section, key string) bool {
	p, ok := c.param(section, key)
	return ok && c.v.IsSet(registryKey(section, p))
}

// Values returns the values of key written in section, after file:
// expansion and comma splitting; nil when the key is absent there. A key
// written with an empty value gives one empty Value.
func (c *Config) Values(section, key string) []Value {
	p, ok := c.param(section, key)
	if !ok {
		return nil
	}
	return c.current(registryKey(section, p), p)
}

// current reads a key through the registry, so that a bound flag is seen,
// and attaches positions: those recorded at load time when the registry
// still holds those values.
func (c *Config) current(k string, p *Param) []Value {
	if !c.v.IsSet(k) {
		return nil
	}
	got := registryTexts(c.v.Get(k))
	if b, ok := c.flags[k]; ok && b.flag.Changed && !c.fromSet[k] {
		return textValues(got, p, Pos{File: "flag --" + b.flag.Name})
	}
	if stored, ok := c.vals[k]; ok && slices.Equal(texts(stored), got) {
		return slices.Clone(stored)
	}
	return textValues(got, p, Pos{File: "viper"}) // set through Viper() by the program
}

// registryTexts converts what viper returns (our []string, or a bound flag's
// typed value) to texts.
func registryTexts(x any) []string {
	switch t := x.(type) {
	case []string:
		return slices.Clone(t)
	case string:
		return []string{t}
	case []any:
		out := make([]string, len(t))
		for i, e := range t {
			out[i] = fmt.Sprint(e)
		}
		return out
	}
	return []string{fmt.Sprint(x)}
}

// textValues makes Values of texts that came without positions; list items
// are comma-split like an environment variable's.
func textValues(ts []string, p *Param, pos Pos) []Value {
	vals := make([]Value, len(ts))
	for i, t := range ts {
		vals[i] = Value{Text: strings.TrimSpace(t), Pos: pos}
	}
	if p.Kind == List {
		return splitItems(vals)
	}
	return vals
}

// Lookup returns the values of key in section; when the section does not
// set it, those of the section its schema inherits from (recursively); else
// the parameter's default. from is the section the values came from, ""
// for the default. Lookup panics if the schema has no such key.
func (c *Config) Lookup(section, key string) (vals []Value, from string) {
	p := c.mustParam(section, key)
	name := section
	// The bound stops an Inherit cycle in a faulty schema.
	for range len(c.schema) + 1 {
		if vals := c.Values(name, p.Name); vals != nil {
			return vals, c.displayName(name)
		}
		ss, _ := c.schema.Lookup(name)
		if ss.Inherit == "" {
			break
		}
		next, ok := c.schema.Lookup(ss.Inherit)
		if !ok {
			break
		}
		np, ok := next.Param(p.Name)
		if !ok {
			break
		}
		name, p = ss.Inherit, np
	}
	return defaultValues(p), ""
}

// List is Lookup without the source.
func (c *Config) List(section, key string) []Value {
	vals, _ := c.Lookup(section, key)
	return vals
}

// String returns the last value of key (see Lookup), "" when there is none.
// Enumerations are returned in the schema's spelling.
func (c *Config) String(section, key string) string {
	p := c.mustParam(section, key)
	vals := c.List(section, key)
	if len(vals) == 0 {
		return ""
	}
	text := vals[len(vals)-1].Text
	if p.Kind == Enum {
		if e, ok := parseEnum(p, text); ok {
			return e
		}
	}
	return text
}

// Bool returns the last value of key (see Lookup) as a boolean.
func (c *Config) Bool(section, key string) bool {
	p := c.mustParam(section, key)
	return typed(c.List(section, key), p, parseBool)
}

// Int returns the last value of key (see Lookup) as an integer.
func (c *Config) Int(section, key string) int64 {
	p := c.mustParam(section, key)
	return typed(c.List(section, key), p, parseInt)
}

// typed parses the last value. Load validated it, so the fallbacks (the
// default, then the zero value) only serve a bad value bound later by
// BindFlag or set through Viper(); Validate reports those.
func typed[T any](vals []Value, p *Param, parse func(string) (T, bool)) T {
	if len(vals) > 0 {
		if t, ok := parse(vals[len(vals)-1].Text); ok {
			return t
		}
	}
	t, _ := parse(p.Default)
	return t
}

func parseInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// BindFlag makes f, when set on the command line, the value of key in
// section, through viper's BindPFlag. An -o for the same key still wins (it
// is viper's Set layer). Call Validate afterwards to check the flag's value
// against the schema. BindFlag panics if the schema has no such key or f is
// nil: both are programming errors.
func (c *Config) BindFlag(section, key string, f *pflag.Flag) {
	p := c.mustParam(section, key)
	if f == nil {
		panic(fmt.Sprintf("config: BindFlag(%q, %q) with a nil flag", section, key))
	}
	k := registryKey(section, p)
	_ = c.v.BindPFlag(k, f) // fails only for a nil flag
	c.flags[k] = flagBinding{section: c.displayName(section), param: p, flag: f}
}

// Validate checks every current value against the schema again; this
// matters after BindFlag, whose flag values Load could not see. The error
// is an ErrorList.
func (c *Config) Validate() error {
	keys := map[string]keyParam{}
	maps.Copy(keys, c.params)
	for k, b := range c.flags {
		keys[k] = keyParam{section: b.section, param: b.param}
	}
	var errs ErrorList
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		kp := keys[k]
		for _, v := range c.current(k, kp.param) {
			if msg := checkValue(kp.param, v.Text); msg != "" {
				errs.Add(v.Pos, "[%s] %s: %s", kp.section, kp.param.Name, msg)
			}
		}
	}
	return errs.Err()
}

// param finds the parameter key (or alias) of section in the schema.
func (c *Config) param(section, key string) (*Param, bool) {
	ss, ok := c.schema.Lookup(section)
	if !ok {
		return nil, false
	}
	return ss.Param(key)
}

// mustParam is param for the getters, whose callers name keys in code.
func (c *Config) mustParam(section, key string) *Param {
	p, ok := c.param(section, key)
	if !ok {
		panic(fmt.Sprintf("config: the schema has no key %s in [%s]", key, section))
	}
	return p
}

// displayName is the spelling of a section as written in the file.
func (c *Config) displayName(name string) string {
	if s, ok := c.Section(name); ok {
		return s.Name
	}
	return name
}

// globMatch reports whether name matches pattern ("*" any run, "?" one
// byte). It backtracks only to the last "*", so it takes linear time per
// pattern byte rather than exponential time.
func globMatch(pattern, name string) bool {
	px, nx := 0, 0
	nextPx, nextNx := 0, 0
	for px < len(pattern) || nx < len(name) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextNx = px, nx+1
				px++
				continue
			case '?':
				if nx < len(name) {
					px, nx = px+1, nx+1
					continue
				}
			default:
				if nx < len(name) && name[nx] == c {
					px, nx = px+1, nx+1
					continue
				}
			}
		}
		if 0 < nextNx && nextNx <= len(name) {
			px, nx = nextPx, nextNx
			continue
		}
		return false
	}
	return true
}
