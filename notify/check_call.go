package notify

import (
	"fmt"
	"reflect"
	"strings"
	"text/template/parse"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/policy"
)

// call checks a call of a function and returns its result type. args
// holds the types of all arguments, the piped one included; nodes only
// the written ones.
func (c *checker) call(fn *parse.IdentifierNode, nodes []parse.Node, args []reflect.Type) reflect.Type {
	f, ours := funcMap()[fn.Ident]
	if !ours {
		return builtinResult(fn.Ident, args)
	}
	ft := reflect.TypeOf(f)
	if fn.Ident == "has" {
		c.checkStatuses(fn, nodes, len(args))
	}
	if msg := signatureProblem(ft, args); msg != "" {
		c.errorf(fn, "%s: %s", fn.Ident, msg)
	}
	return ft.Out(0)
}

// checkStatuses checks the literal status names given to has.
func (c *checker) checkStatuses(fn *parse.IdentifierNode, nodes []parse.Node, nargs int) {
	if nargs == 0 {
		c.errorf(fn, "has needs at least one status")
	}
	for _, n := range nodes {
		if s, ok := n.(*parse.StringNode); ok {
			if _, err := policy.ParseFlag(s.Text); err != nil {
				c.errorf(n, "has: %v", err)
			}
		}
	}
}

// signatureProblem compares known argument types with a function's
// parameters; unknown (nil) types pass.
func signatureProblem(ft reflect.Type, args []reflect.Type) string {
	n := ft.NumIn()
	switch {
	case ft.IsVariadic() && len(args) < n-1:
		return fmt.Sprintf("needs at least %d arguments, got %d", n-1, len(args))
	case !ft.IsVariadic() && len(args) != n:
		return fmt.Sprintf("needs %d arguments, got %d", n, len(args))
	}
	for i, a := range args {
		want := paramType(ft, i)
		if a != nil && !a.AssignableTo(want) {
			return fmt.Sprintf("argument %d must be %s, not %s", i+1, typeName(want), typeName(a))
		}
	}
	return ""
}

func paramType(ft reflect.Type, i int) reflect.Type {
	if ft.IsVariadic() && i >= ft.NumIn()-1 {
		return ft.In(ft.NumIn() - 1).Elem()
	}
	return ft.In(i)
}

// builtinResult is the result type of text/template's own functions,
// where it follows from the arguments; nil where it does not.
func builtinResult(name string, args []reflect.Type) reflect.Type {
	switch name {
	case "len":
		return reflect.TypeFor[int]()
	case "eq", "ne", "lt", "le", "gt", "ge", "not":
		return reflect.TypeFor[bool]()
	case "print", "printf", "println", "html", "js", "urlquery":
		return reflect.TypeFor[string]()
	case "slice":
		if len(args) > 0 {
			return args[0]
		}
	case "index":
		if len(args) == 2 && args[0] != nil {
			return elemType(args[0])
		}
	case "and", "or":
		return commonType(args)
	}
	return nil
}

func elemType(t reflect.Type) reflect.Type {
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem()
	case reflect.String:
		return reflect.TypeFor[uint8]()
	}
	return nil
}

// commonType is the type and/or return: one of their arguments, so known
// only when all arguments have the same known type.
func commonType(args []reflect.Type) reflect.Type {
	if len(args) == 0 || args[0] == nil {
		return nil
	}
	for _, a := range args[1:] {
		if a != args[0] {
			return nil
		}
	}
	return args[0]
}

// typeName names a type as the package documentation does.
func typeName(t reflect.Type) string {
	switch t {
	case dataType:
		return "the template data"
	case objectType:
		return "an object"
	case timeType:
		return "a date"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Slice:
		return "a list"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint8, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true/false"
	}
	return t.String()
}

// dotted names a member for messages: ".Sender" at top level, "Name of an
// object" elsewhere.
func dotted(t reflect.Type, name string) string {
	if t == dataType {
		return "." + name
	}
	return name + " of " + typeName(t)
}

// unknownMember explains an unknown field, suggesting a close name.
func unknownMember(t reflect.Type, name string) string {
	msg := "unknown field " + dotted(t, name)
	if t == dataType {
		msg = "unknown variable ." + name
	}
	if s := suggest(t, name); s != "" {
		if t == dataType {
			s = "." + s
		}
		msg += " (did you mean " + s + "?)"
	}
	return msg
}

// suggest returns an exported field of t spelled like name but for case
// or at most two edits, "" when there is none.
func suggest(t reflect.Type, name string) string {
	if t.Kind() != reflect.Struct {
		return ""
	}
	best, bestDist := "", 3
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		d := editDistance(strings.ToLower(f.Name), strings.ToLower(name))
		if d < bestDist {
			best, bestDist = f.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func configPos(file string, line int) config.Pos { return config.Pos{File: file, Line: line} }
