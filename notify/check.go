package notify

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/mailgw/mailgw/config"
)

// The static check walks every branch of a template, which executing it
// with sample data cannot: {{if not (has "av/infected")}}{{.Sendr}}{{end}}
// would pass a trial run. It tracks the type of dot and of variables
// through with, range and {{template}} calls, and reports unknown fields,
// fields of the wrong kind of template, bad has statuses, wrong argument
// counts and types of the package's functions, calls of undefined
// templates, and ranges over anything but a list. Where a type cannot be
// known (results of index on unknown values, for example) it stays silent
// and leaves the rest to the trial run.

var (
	dataType   = reflect.TypeFor[Data]()
	objectType = reflect.TypeFor[Object]()
	timeType   = reflect.TypeFor[time.Time]()
)

// checker holds the state of one static check.
type checker struct {
	kind   Kind
	file   string
	set    *template.Template
	tree   *parse.Tree
	vars   []variable
	walked map[string]bool // defined template + dot type, so recursion ends
	strict bool            // false in defined templates no call reaches
	errs   config.ErrorList
}

type variable struct {
	name string
	typ  reflect.Type // nil: unknown
}

// check runs the static check on a parsed template set.
func check(kind Kind, file string, set *template.Template) config.ErrorList {
	c := &checker{kind: kind, file: file, set: set, walked: map[string]bool{}, strict: true}
	c.walkTree(set.Tree, dataType)
	c.strict = false
	for _, t := range definedTemplates(set) {
		if !c.reached(t.Name()) {
			c.walkTree(t.Tree, nil)
		}
	}
	return c.errs
}

// definedTemplates lists the {{define}}d templates of set by name.
func definedTemplates(set *template.Template) []*template.Template {
	var out []*template.Template
	for _, t := range set.Templates() {
		if t.Name() != internalName && t.Tree != nil {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *template.Template) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

func (c *checker) reached(name string) bool {
	for k := range c.walked {
		if strings.HasPrefix(k, name+"\x00") {
			return true
		}
	}
	return false
}

// walkTree checks one template body executed with dot of type dot ($ is
// dot too, as in text/template).
func (c *checker) walkTree(tree *parse.Tree, dot reflect.Type) {
	if tree == nil || tree.Root == nil {
		return
	}
	saveTree, saveVars := c.tree, c.vars
	c.tree, c.vars = tree, []variable{{"$", dot}}
	c.walk(tree.Root, dot)
	c.tree, c.vars = saveTree, saveVars
}

func (c *checker) walk(node parse.Node, dot reflect.Type) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, child := range n.Nodes {
				c.walk(child, dot)
			}
		}
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot)
	case *parse.IfNode:
		c.branch(&n.BranchNode, dot, false)
	case *parse.WithNode:
		c.branch(&n.BranchNode, dot, true)
	case *parse.RangeNode:
		c.rangeNode(n, dot)
	case *parse.TemplateNode:
		c.templateCall(n, dot)
	}
}

// branch checks if and with. Variables declared inside end with the
// control structure, as in text/template.
func (c *checker) branch(n *parse.BranchNode, dot reflect.Type, with bool) {
	mark := len(c.vars)
	t := c.pipe(n.Pipe, dot)
	inner := dot
	if with {
		inner = t
	}
	afterPipe := len(c.vars)
	c.walk(n.List, inner)
	c.vars = c.vars[:afterPipe]
	c.walk(n.ElseList, dot)
	c.vars = c.vars[:mark]
}

func (c *checker) rangeNode(n *parse.RangeNode, dot reflect.Type) {
	mark := len(c.vars)
	key, elem := c.rangeTypes(c.pipeType(n.Pipe, dot), n.Pipe)
	switch len(n.Pipe.Decl) {
	case 1:
		c.declare(n.Pipe.Decl[0], elem, n.Pipe.IsAssign)
	case 2:
		c.declare(n.Pipe.Decl[0], key, n.Pipe.IsAssign)
		c.declare(n.Pipe.Decl[1], elem, n.Pipe.IsAssign)
	}
	afterPipe := len(c.vars)
	c.walk(n.List, elem)
	c.vars = c.vars[:afterPipe]
	c.walk(n.ElseList, dot)
	c.vars = c.vars[:mark]
}

// rangeTypes returns the key and element types of ranging over t. Only
// lists may be ranged over: a number would make text/template count up to
// it, and .Date.Unix is large enough to hang the gateway.
func (c *checker) rangeTypes(t reflect.Type, at parse.Node) (key, elem reflect.Type) {
	if t == nil {
		if c.strict {
			c.errorf(at, "range needs a list such as .Objects, .Statuses or .Recipients")
		}
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return reflect.TypeFor[int](), t.Elem()
	case reflect.Map:
		return t.Key(), t.Elem()
	}
	c.errorf(at, "range needs a list such as .Objects, .Statuses or .Recipients, not %s", typeName(t))
	return nil, nil
}

// templateCall checks {{template "name" pipeline}} and the called
// template with the pipeline's type as its dot.
func (c *checker) templateCall(n *parse.TemplateNode, dot reflect.Type) {
	var arg reflect.Type
	if n.Pipe != nil {
		arg = c.pipe(n.Pipe, dot)
	}
	called := c.set.Lookup(n.Name)
	if called == nil || called.Tree == nil {
		c.errorf(n, "template %q is not defined", n.Name)
		return
	}
	key := n.Name + "\x00" + fmt.Sprint(arg)
	if c.walked[key] {
		return
	}
	c.walked[key] = true
	c.walkTree(called.Tree, arg)
}
