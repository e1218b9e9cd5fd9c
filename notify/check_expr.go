package notify

import (
	"reflect"
	"strconv"
	"strings"
	"text/template/parse"
)

// pipe checks a pipeline, declares its variables and returns its type.
func (c *checker) pipe(p *parse.PipeNode, dot reflect.Type) reflect.Type {
	t := c.pipeType(p, dot)
	if len(p.Decl) > 0 {
		c.declare(p.Decl[0], t, p.IsAssign)
	}
	return t
}

// pipeType checks the commands of a pipeline; each one's result is the
// last argument of the next.
func (c *checker) pipeType(p *parse.PipeNode, dot reflect.Type) reflect.Type {
	var prev reflect.Type
	for i, cmd := range p.Cmds {
		prev = c.command(cmd, dot, prev, i > 0)
	}
	return prev
}

func (c *checker) declare(v *parse.VariableNode, t reflect.Type, assign bool) {
	name := v.Ident[0]
	if assign {
		for i := len(c.vars) - 1; i >= 0; i-- {
			if c.vars[i].name == name {
				c.vars[i].typ = t
				return
			}
		}
	}
	c.vars = append(c.vars, variable{name, t})
}

// command checks one command and returns its type. piped says whether
// the previous command's result is passed as the last argument.
func (c *checker) command(cmd *parse.CommandNode, dot, prev reflect.Type, piped bool) reflect.Type {
	if len(cmd.Args) == 0 {
		return nil
	}
	var args []reflect.Type
	for _, a := range cmd.Args[1:] {
		args = append(args, c.arg(a, dot))
	}
	if piped {
		args = append(args, prev)
	}
	withArgs := len(args) > 0
	switch n := cmd.Args[0].(type) {
	case *parse.IdentifierNode:
		return c.call(n, cmd.Args[1:], args)
	case *parse.FieldNode:
		return c.chain(dot, n.Ident, n, withArgs)
	case *parse.ChainNode:
		return c.chain(c.arg(n.Node, dot), n.Field, n, withArgs)
	case *parse.VariableNode:
		return c.chain(c.variable(n), n.Ident[1:], n, withArgs)
	}
	return c.arg(cmd.Args[0], dot)
}

// arg returns the type of an argument, checking fields inside it.
func (c *checker) arg(node parse.Node, dot reflect.Type) reflect.Type {
	switch n := node.(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return c.chain(dot, n.Ident, n, false)
	case *parse.ChainNode:
		return c.chain(c.arg(n.Node, dot), n.Field, n, false)
	case *parse.VariableNode:
		return c.chain(c.variable(n), n.Ident[1:], n, false)
	case *parse.PipeNode:
		return c.pipe(n, dot)
	case *parse.IdentifierNode:
		return c.call(n, nil, nil)
	case *parse.StringNode:
		return reflect.TypeFor[string]()
	case *parse.BoolNode:
		return reflect.TypeFor[bool]()
	case *parse.NumberNode:
		return numberType(n)
	}
	return nil
}

func numberType(n *parse.NumberNode) reflect.Type {
	switch {
	case n.IsInt:
		return reflect.TypeFor[int]()
	case n.IsFloat:
		return reflect.TypeFor[float64]()
	}
	return nil
}

func (c *checker) variable(n *parse.VariableNode) reflect.Type {
	for i := len(c.vars) - 1; i >= 0; i-- {
		if c.vars[i].name == n.Ident[0] {
			return c.vars[i].typ
		}
	}
	return nil // text/template's parser already refuses undefined variables
}

// chain follows .A.B.C from t. withArgs: the last element is given
// arguments, which only a method can take.
func (c *checker) chain(t reflect.Type, names []string, at parse.Node, withArgs bool) reflect.Type {
	for i, name := range names {
		if t == nil {
			return nil
		}
		if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
			t = t.Elem()
		}
		if t == dataType {
			c.checkKindField(name, at)
		}
		next, isMethod, ok := member(t, name)
		switch {
		case !ok:
			c.errorf(at, "%s", unknownMember(t, name))
			return nil
		case !isMethod && withArgs && i == len(names)-1:
			c.errorf(at, "%s is a value, not a function: it takes no arguments", dotted(t, name))
			return nil
		}
		t = next
	}
	return t
}

// member finds a field or method of t, returning its (result) type.
func member(t reflect.Type, name string) (typ reflect.Type, isMethod, ok bool) {
	for _, mt := range []reflect.Type{t, reflect.PointerTo(t)} {
		if m, found := mt.MethodByName(name); found && m.IsExported() {
			if m.Type.NumOut() == 0 {
				return nil, true, true
			}
			return m.Type.Out(0), true, true
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if f, found := t.FieldByName(name); found && f.IsExported() {
			return f.Type, false, true
		}
	case reflect.Map:
		return t.Elem(), false, true
	case reflect.Interface:
		return nil, false, true
	}
	return nil, false, false
}

// checkKindField reports .Object outside placeholder templates, where it
// would always be empty.
func (c *checker) checkKindField(name string, at parse.Node) {
	if name == "Object" && c.kind != "" && c.kind != KindPlaceholder {
		c.errorf(at, ".Object is only available in placeholder templates (use .Objects)")
	}
}

// errorf records a problem at the line of node.
func (c *checker) errorf(node parse.Node, format string, args ...any) {
	loc, _ := c.tree.ErrorContext(node)
	line := 0
	if parts := strings.Split(loc, ":"); len(parts) >= 3 {
		line, _ = strconv.Atoi(parts[len(parts)-2])
	}
	c.errs.Add(configPos(c.file, line), format, args...)
}
