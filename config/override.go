package config

import (
	"strings"

	"github.com/spf13/viper"
)

// EnvName is the environment variable that overrides key in section:
// MAILGW_POLICY__CHECKSPAM for ("mailgw.policy", "CheckSpam").
func EnvName(section, key string) string {
	r := strings.NewReplacer(".", "_", ":", "_", "-", "_")
	return strings.ToUpper(r.Replace(section)) + "__" + strings.ToUpper(key)
}

// envTarget is a section whose keys the environment may set.
type envTarget struct {
	name   string
	schema *SectionSchema
}

// envTargets are the sections present in the file, then the required
// sections it lacks (a container may configure those from the environment
// alone).
func (b *builder) envTargets() []envTarget {
	var ts []envTarget
	for _, s := range b.sections {
		ss, _ := b.schema.Lookup(s.Name)
		ts = append(ts, envTarget{s.Name, ss})
	}
	for i := range b.schema {
		ss := &b.schema[i]
		_, present := b.index[strings.ToLower(ss.Name)]
		if ss.Required && !present && !strings.HasSuffix(ss.Name, ":*") {
			ts = append(ts, envTarget{ss.Name, ss})
		}
	}
	return ts
}

// applyEnv reads the environment through Options.Env. viper's BindEnv is not
// used: it always reads the process environment (os.LookupEnv), which would
// ignore Options.Env (nil must mean no environment, and tests pass fakes).
// The values are read here and stored in viper's config layer together with
// the file's, rather than with v.Set, because viper ranks Set above bound
// flags and an environment variable must not beat an explicit flag.
func (b *builder) applyEnv(env func(string) (string, bool)) {
	if env == nil {
		return
	}
	for _, t := range b.envTargets() {
		for i := range t.schema.Params {
			p := &t.schema.Params[i]
			name := EnvName(t.name, p.Name)
			text, ok := env(name)
			if !ok {
				continue
			}
			pos := Pos{File: "environment " + name}
			sec := b.ensureSection(t.name, pos)
			b.set(sec, p, expandValue(Value{Text: strings.TrimSpace(text), Pos: pos}, p, true, b.errs), true)
		}
	}
}

// applyOverrides applies the -o flags in order. The -o values of one list
// key together make its new list; for other keys the last -o wins.
func (b *builder) applyOverrides(overrides []string) {
	pos := Pos{File: "flag -o"}
	seen := map[string]bool{}
	for _, o := range overrides {
		sec, p, text, ok := b.parseOverride(o, pos)
		if !ok {
			continue
		}
		k := registryKey(sec, p)
		vals := expandValue(Value{Text: text, Pos: pos}, p, true, b.errs)
		b.set(sec, p, vals, !seen[k] || p.Kind != List)
		seen[k] = true
		b.fromSet[k] = true
	}
}

// parseOverride splits "section.Key=value" and finds its section and
// parameter, reporting what is wrong.
func (b *builder) parseOverride(o string, pos Pos) (string, *Param, string, bool) {
	left, text, found := strings.Cut(o, "=")
	dot := strings.LastIndexByte(left, '.')
	if !found || dot < 0 {
		b.errs.Add(pos, "-o %q: want section.Key=value", o)
		return "", nil, "", false
	}
	section, key := strings.TrimSpace(left[:dot]), strings.TrimSpace(left[dot+1:])
	ss, ok := b.schema.Lookup(section)
	if !ok {
		b.errs.Add(pos, "-o %q: unknown section [%s]", o, section)
		return "", nil, "", false
	}
	p, ok := ss.Param(key)
	if !ok {
		b.errs.Add(pos, "-o %q: unknown key %s in [%s]", o, key, section)
		return "", nil, "", false
	}
	if _, present := b.index[strings.ToLower(section)]; !present {
		if strings.HasSuffix(ss.Name, ":*") {
			// A misspelt group name would otherwise create a group
			// that matches every message.
			b.errs.Add(pos, "-o %q: there is no section [%s] in the file", o, section)
			return "", nil, "", false
		}
		section = ss.Name
	}
	return b.ensureSection(section, pos), p, strings.TrimSpace(text), true
}

// set stores values of p in section, replacing what was there or appending.
func (b *builder) set(section string, p *Param, vals []Value, replace bool) {
	k := registryKey(section, p)
	b.params[k] = keyParam{section: section, param: p}
	if replace || b.vals[k] == nil {
		b.vals[k] = []Value{}
	}
	b.vals[k] = append(b.vals[k], vals...)
}

// newRegistry builds the viper instance: the file's and the environment's
// values in its config layer, the -o values with Set (viper's top layer, so
// an -o also wins over a bound flag: both are explicit, and the -o names the
// key exactly). Each value is the []string of the key's final values.
func newRegistry(vals map[string][]Value, fromSet map[string]bool) *viper.Viper {
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	file := map[string]any{}
	for k, vs := range vals {
		if fromSet[k] {
			v.Set(k, texts(vs))
			continue
		}
		sec, key, _ := strings.Cut(k, "::")
		m, _ := file[sec].(map[string]any)
		if m == nil {
			m = map[string]any{}
			file[sec] = m
		}
		m[key] = texts(vs)
	}
	// MergeConfigMap cannot fail; it only lower-cases and merges maps.
	_ = v.MergeConfigMap(file)
	return v
}

// texts returns the texts of vals, never nil: an empty list is still set.
func texts(vals []Value) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.Text
	}
	return out
}
