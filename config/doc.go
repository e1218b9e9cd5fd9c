// Package config loads mailgw.conf: it turns the file, its includes and the
// command-line and environment overrides into validated values, each of
// which remembers where it was written. It knows nothing about what the
// values mean; the packages that own the sections describe them with a Schema
// and decode them from a Config.
//
// # File format
//
//   - "[section]" starts a section. Section names match the schema
//     case-insensitively; a group name such as "mailgw.group:Sales" keeps
//     its spelling for display. The same section written twice is merged, in
//     file order, as if it had been written once. A name may not contain
//     "::" nor end with ":" ("::" is the registry's key delimiter).
//   - "Key=Value" sets a key. Only "=" separates key and value; whitespace
//     around both is trimmed. Keys match the schema case-insensitively, and a
//     parameter's aliases are accepted too (the guide's OCR writes
//     "Actioninfected" and "CheckSpams").
//   - Lines whose first non-blank character is "#" or ";" are comments. There
//     are no inline comments: a "#" inside a value is part of the value.
//     Quotes and backslashes are not special either: values are literal.
//   - A key written several times is a list, in file order. "Senders=" (key
//     present, value empty) differs from an absent key: it has one empty
//     value. A key that is not a list may be written only once per section.
//   - For list parameters marked Comma, each value is split on commas; items
//     are trimmed and empty items dropped, except that a key written with an
//     entirely empty value keeps its one empty value.
//   - A value "file:PATH" stands for the lines of that file, one value per
//     line; blank lines and lines starting with "#" are skipped. Only a whole
//     value is expanded, before comma splitting. A relative PATH is resolved
//     against the directory of the file that names it (the working directory
//     for overrides). A key that is not a list must get exactly one value.
//   - "!include PATH" on a line of its own inserts that file's text at that
//     point, so keys at the top of the included file belong to the enclosing
//     section. Relative paths are resolved against the including file's
//     directory; cycles and nesting deeper than 16 are errors. Included and
//     file: files must be regular files (or /dev/null) of at most 16 MiB.
//   - Booleans: true/false, yes/no, y/n, on/off, 1/0, any case. Integers are
//     decimal and range-checked when the parameter has one. Enumerations
//     match case-insensitively.
//
// The printed examples of the administrator's guide wrap long lists:
//
//	BlockMessage=av/infected,av/suspicious,
//	av/protected,av/error
//
// So continuation lines are accepted: when a key's value ends with "," and
// the next non-blank line holds no "=" and does not start with "[", "#", ";"
// or "!", that line is appended to the value (again while the value still
// ends with ","). Likewise a key written with an empty value takes the very
// next line as its value when that line holds no "=" ("BlockMessage=" with
// its list printed on the line below, as in the guide's example 5.3.6).
//
// Every problem of a load (unknown sections and keys, keys outside any
// section, bad values, a missing required section, unreadable includes...)
// is collected and returned at once as an ErrorList, each entry naming
// file:line, so an administrator fixes a file in one pass.
//
// # Overrides
//
// Values go into a viper registry (key delimiter "::", keys "section::key"
// in lower case, values []string), which also carries the overrides. From
// lowest to highest precedence:
//
//   - the file;
//   - the environment (Options.Env): MAILGW_POLICY__CHECKSPAM sets CheckSpam
//     in [mailgw.policy]. The name is the section with ".", ":" and "-"
//     turned into "_", then "__", then the key's canonical name, all upper
//     case (MAILGW_GROUP_SALES__CHECKAV; see EnvName). Only the sections
//     present in the file, and the required sections, are looked up. A list
//     variable is split on commas;
//   - a pflag.Flag bound to a key with Config.BindFlag, when it was set on
//     the command line;
//   - the -o flags (Options.Overrides): "section.Key=value", the section
//     being everything before the last "." of the left side, as in
//     "mailgw.group:sales.CheckAV=no". List values are split on commas, and
//     several -o for one list key make up its new list; for other keys the
//     last -o wins. An -o may bring in a fixed section missing from the
//     file, but not a new group: a misspelt group name would otherwise
//     become a group matching every message.
//
// An override replaces the whole list of a list key. Its value may be a
// file: list too, and is validated like a value from the file.
//
// # Why positions are indexed by hand
//
// The file is parsed with gopkg.in/ini.v1, which does not report line
// numbers, and the administrator must be told where each problem is. So the
// loader first expands includes and continuation lines itself into one text
// with a map from each of its lines to file:line, and scans that text for
// "[section]" headings and "key=" lines. The k-th value ini.v1 returns for a
// key of a section is then the k-th line of that key in the index. The text
// given to ini.v1 is normalised while scanning (headings trimmed, lines that
// are already known to be wrong blanked, each value behind a guard
// character) so that ini.v1's own quoting, continuation and empty-value rules
// cannot make it disagree with the index.
package config
