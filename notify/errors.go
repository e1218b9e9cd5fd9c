package notify

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/mailgw/mailgw/config"
)

// templateError matches text/template's messages:
//
//	template: T:3: unexpected EOF                                 (parse)
//	template: T:3:12: executing "T" at <.Sendr>: can't evaluate... (execution)
//
// capturing the line and the message without the template's name, which
// is internal (see internalName).
var templateError = regexp.MustCompile(`(?s)^template: ` + internalName + `:(\d+)(?::\d+)?: (?:executing "(?:[^"\\]|\\.)*" )?(.*)$`)

// typeNames replaces Go type names in messages with the names the
// package documentation uses.
var typeNames = strings.NewReplacer(
	"*notify.Data", "the template data", "notify.Data", "the template data",
	"notify.Object", "Object", "time.Time", "date",
)

// convertError turns an error of text/template into "file:line: message"
// form. Errors it does not recognise keep their text without a line.
func convertError(file string, err error) config.ErrorList {
	msg := err.Error()
	m := templateError.FindStringSubmatch(msg)
	if m == nil {
		return config.ErrorList{{Pos: config.Pos{File: file}, Msg: typeNames.Replace(msg)}}
	}
	line, _ := strconv.Atoi(m[1])
	return config.ErrorList{{Pos: config.Pos{File: file, Line: line}, Msg: typeNames.Replace(m[2])}}
}
