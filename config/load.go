package config

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Options are the overrides applied on top of the file.
type Options struct {
	// Env looks up an environment variable; nil means no environment.
	// Daemons pass os.LookupEnv.
	Env func(string) (string, bool)
	// Overrides are "section.Key=value" strings from the repeatable -o flag.
	Overrides []string
}

//go:embed default.conf
var defaultConf []byte

// DefaultName is the name under which the embedded default is loaded.
const DefaultName = "(embedded default)"

// DefaultFile returns the embedded default configuration.
func DefaultFile() []byte { return slices.Clone(defaultConf) }

// Load reads the file at path ("" for the embedded default) and returns it
// validated against schema with opts applied. The error, when not nil, is an
// ErrorList holding every problem found; the Config is then nil.
func Load(path string, schema Schema, opts Options) (*Config, error) {
	if path == "" {
		return Parse(DefaultName, DefaultFile(), schema, opts)
	}
	// The main file is named by the operator, so unlike included files it
	// may be a pipe (mailgw check-config <(generate-config)).
	data, err := readLimited(path)
	if err != nil {
		return nil, ErrorList{{Pos: Pos{File: path}, Msg: fmt.Sprintf("cannot read configuration: %v", err)}}
	}
	return Parse(path, data, schema, opts)
}

// Parse is Load for text already in memory; name is used in positions and
// to resolve relative !include and file: paths. Like Load, it returns a
// Config built from the valid values together with the error list, so
// that later checks can report their own problems in the same run.
func Parse(name string, data []byte, schema Schema, opts Options) (*Config, error) {
	if name == "" {
		name = "(unnamed)"
	}
	var errs ErrorList
	lines := expandText(name, data, &errs)
	sc := scanLines(lines, &errs)
	entries := parseINI(name, sc, lines, &errs)

	b := &builder{name: name, schema: schema, errs: &errs, index: map[string]int{},
		vals: map[string][]Value{}, params: map[string]keyParam{}, fromSet: map[string]bool{}}
	b.addSections(sc.heads, lines)
	b.addEntries(entries, lines)
	b.applyEnv(opts.Env)
	b.applyOverrides(opts.Overrides)
	b.checkRequired()
	b.validate()
	// The Config is returned even with errors: it holds every valid value
	// (a bad one is dropped, so its default applies), so that a caller can
	// go on checking what depends on it and report all problems at once.
	// Such a Config must not be used to run anything.
	return b.config(), errs.Err()
}

// keyParam is what a registry key stands for.
type keyParam struct {
	section string // display name
	param   *Param
}

// builder assembles a Config from the parsed entries and the overrides.
type builder struct {
	name     string
	schema   Schema
	errs     *ErrorList
	sections []Section
	index    map[string]int      // lower-case section name -> index in sections
	vals     map[string][]Value  // registry key -> final values
	params   map[string]keyParam // registry key -> its parameter
	fromSet  map[string]bool     // registry keys set by -o (viper's Set layer)
}

// registryKey is the viper key of a parameter of a section.
func registryKey(section string, p *Param) string {
	return strings.ToLower(section + "::" + p.Name)
}

// addSections records the valid headings in file order, each name once.
func (b *builder) addSections(heads []heading, lines []srcLine) {
	for _, h := range heads {
		pos := lines[h.line].pos
		if _, ok := b.schema.Lookup(h.name); !ok {
			b.errs.Add(pos, "unknown section [%s]", h.name)
			continue
		}
		b.ensureSection(h.name, pos)
	}
}

// ensureSection returns the display name of a section, adding it if new.
func (b *builder) ensureSection(name string, pos Pos) string {
	lower := strings.ToLower(name)
	if i, ok := b.index[lower]; ok {
		return b.sections[i].Name
	}
	b.index[lower] = len(b.sections)
	b.sections = append(b.sections, Section{Name: name, Pos: pos})
	return name
}

// addEntries files the values of the file under their parameters.
func (b *builder) addEntries(entries []entry, lines []srcLine) {
	first := map[string]Pos{} // registry key -> line of its first value
	for _, e := range entries {
		i, ok := b.index[strings.ToLower(e.section)]
		if !ok {
			continue // unknown section, reported at its heading
		}
		sec := b.sections[i].Name
		pos := lines[e.line].pos
		ss, _ := b.schema.Lookup(sec)
		p, ok := ss.Param(e.key)
		if !ok {
			b.errs.Add(pos, "unknown key %s in [%s]", e.key, sec)
			continue
		}
		k := registryKey(sec, p)
		if at, seen := first[k]; seen && p.Kind != List {
			b.errs.Add(pos, "%s is written twice in [%s]: here and at %s; only lists may repeat", p.Name, sec, at)
			continue
		}
		if _, seen := first[k]; !seen {
			first[k] = pos
			b.vals[k] = []Value{} // present even if the value expands to nothing
		}
		b.params[k] = keyParam{section: sec, param: p}
		b.vals[k] = append(b.vals[k], expandValue(Value{Text: e.text, Pos: pos}, p, false, b.errs)...)
	}
}

// checkRequired reports required sections that neither the file nor an
// override provided.
func (b *builder) checkRequired() {
	for i := range b.schema {
		ss := &b.schema[i]
		if !ss.Required || slices.ContainsFunc(b.sections, func(s Section) bool { return ss.Matches(s.Name) }) {
			continue
		}
		b.errs.Add(Pos{File: b.name}, "missing required section [%s]", ss.Name)
	}
}

// validate checks every final value, whatever its source.
func (b *builder) validate() {
	// Sorted, so that errors sharing a position ("flag -o") keep an order.
	for _, k := range slices.Sorted(maps.Keys(b.vals)) {
		kp := b.params[k]
		good := b.vals[k][:0:0]
		for _, v := range b.vals[k] {
			if msg := checkValue(kp.param, v.Text); msg != "" {
				b.errs.Add(v.Pos, "[%s] %s: %s", kp.section, kp.param.Name, msg)
				continue
			}
			good = append(good, v)
		}
		switch {
		case len(good) == len(b.vals[k]):
		case len(good) == 0:
			delete(b.vals, k) // the default applies to what is left to check
		default:
			b.vals[k] = good
		}
	}
}

// config builds the Config and its registry.
func (b *builder) config() *Config {
	c := &Config{name: b.name, schema: b.schema, sections: b.sections, vals: b.vals,
		params: b.params, fromSet: b.fromSet, flags: map[string]flagBinding{}}
	c.v = newRegistry(b.vals, b.fromSet)
	return c
}
