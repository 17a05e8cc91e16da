package campaign

import (
	"bytes"
	"fmt"
	"strings"
	"text/template/parse"

	texttemplate "text/template"
)

// text/template calls every function and reads every map entry through reflection, which
// costs about half a microsecond an action; a letter's text part and headers have dozens.
// Most templates use only columns, literals, default/upper/lower/trim, print/printf,
// eq/ne/not/and/or, {{if}} and {{with}}: fastText runs those directly, with the same results, and everything
// else still goes through text/template. FuzzFastText compares the two.

// fastText is a text template compiled for direct execution.
type fastText struct {
	root *parse.ListNode
}

// valueKind is the type of a value: every column is a string, and eq, ne and not give a
// bool.
type valueKind int

const (
	kindString valueKind = iota
	kindBool
)

type value struct {
	s    string
	b    bool
	kind valueKind
}

func (v value) truth() bool {
	if v.kind == kindBool {
		return v.b
	}
	return v.s != ""
}

// compileFast returns nil when tt uses anything fastText does not run exactly as
// text/template would.
func compileFast(tt *texttemplate.Template) *fastText {
	if tt == nil || tt.Tree == nil || len(tt.Templates()) != 1 {
		return nil
	}
	if !fastList(tt.Tree.Root, true) {
		return nil
	}
	return &fastText{root: tt.Tree.Root}
}

// fastList checks the nodes of a list; dotIsRow is false inside {{with}}, where dot is a
// string and .Column would be an error.
func fastList(l *parse.ListNode, dotIsRow bool) bool {
	if l == nil {
		return true
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
		case *parse.ActionNode:
			if _, ok := fastPipe(n.Pipe, dotIsRow); !ok {
				return false
			}
		case *parse.IfNode:
			if _, ok := fastPipe(n.Pipe, dotIsRow); !ok || !fastList(n.List, dotIsRow) || !fastList(n.ElseList, dotIsRow) {
				return false
			}
		case *parse.WithNode:
			if k, ok := fastPipe(n.Pipe, dotIsRow); !ok || k != kindString || !fastList(n.List, false) || !fastList(n.ElseList, dotIsRow) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fastPipe checks a pipeline and gives the kind of its value.
func fastPipe(p *parse.PipeNode, dotIsRow bool) (valueKind, bool) {
	if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) == 0 {
		return 0, false
	}
	var kind valueKind
	for i, c := range p.Cmds {
		var ok bool
		if kind, ok = fastCommand(c, dotIsRow, i > 0, kind); !ok {
			return 0, false
		}
	}
	return kind, true
}

// fastCommand checks one command; piped says the previous command's value, of kind in, is
// its last argument.
func fastCommand(c *parse.CommandNode, dotIsRow, piped bool, in valueKind) (valueKind, bool) {
	if len(c.Args) == 0 {
		return 0, false
	}
	id, isFunc := c.Args[0].(*parse.IdentifierNode)
	if !isFunc {
		if piped || len(c.Args) != 1 {
			return 0, false
		}
		return kindString, fastOperand(c.Args[0], dotIsRow)
	}
	var kinds []valueKind
	for _, a := range c.Args[1:] {
		if !fastOperand(a, dotIsRow) {
			return 0, false
		}
		kinds = append(kinds, kindString)
	}
	if piped {
		kinds = append(kinds, in)
	}
	allStrings := true
	for _, k := range kinds {
		allStrings = allStrings && k == kindString
	}
	switch id.Ident {
	case "upper", "lower", "trim":
		return kindString, len(kinds) == 1 && allStrings
	case "default":
		return kindString, len(kinds) == 2 && allStrings
	case "printf", "print":
		return kindString, len(kinds) >= 1 && allStrings
	case "eq":
		return kindBool, len(kinds) >= 2 && allStrings
	case "ne":
		return kindBool, len(kinds) == 2 && allStrings
	case "not":
		return kindBool, len(kinds) == 1
	case "and", "or":
		for _, k := range kinds {
			if k != kinds[0] {
				return 0, false
			}
		}
		return kinds[0], len(kinds) >= 1
	}
	return 0, false
}

func fastOperand(n parse.Node, dotIsRow bool) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return dotIsRow && len(n.Ident) == 1
	case *parse.DotNode:
		return !dotIsRow
	case *parse.StringNode:
		return true
	}
	return false
}

// fastState is one execution.
type fastState struct {
	row map[string]string
	dot string // inside {{with}}
}

func (f *fastText) execute(w *bytes.Buffer, row map[string]string) error {
	s := fastState{row: row}
	return s.list(w, f.root)
}

func (s *fastState) list(w *bytes.Buffer, l *parse.ListNode) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			w.Write(n.Text)
		case *parse.ActionNode:
			v, err := s.pipe(n.Pipe)
			if err != nil {
				return err
			}
			if v.kind == kindBool {
				fmt.Fprint(w, v.b)
			} else {
				w.WriteString(v.s)
			}
		case *parse.IfNode:
			v, err := s.pipe(n.Pipe)
			if err != nil {
				return err
			}
			branch := n.ElseList
			if v.truth() {
				branch = n.List
			}
			if err := s.list(w, branch); err != nil {
				return err
			}
		case *parse.WithNode:
			v, err := s.pipe(n.Pipe)
			if err != nil {
				return err
			}
			if !v.truth() {
				if err := s.list(w, n.ElseList); err != nil {
					return err
				}
				continue
			}
			inner := fastState{row: s.row, dot: v.s}
			if err := inner.list(w, n.List); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *fastState) pipe(p *parse.PipeNode) (value, error) {
	var v value
	for i, c := range p.Cmds {
		var err error
		if v, err = s.command(c, i > 0, v); err != nil {
			return value{}, err
		}
	}
	return v, nil
}

func (s *fastState) command(c *parse.CommandNode, piped bool, in value) (value, error) {
	id, isFunc := c.Args[0].(*parse.IdentifierNode)
	if !isFunc {
		str, err := s.operand(c.Args[0])
		return value{s: str}, err
	}
	args := c.Args[1:]
	// and and or stop at the first argument that decides, as text/template's do.
	if id.Ident == "and" || id.Ident == "or" {
		var v value
		for i := 0; i < len(args) || piped && i == len(args); i++ {
			if i < len(args) {
				str, err := s.operand(args[i])
				if err != nil {
					return value{}, err
				}
				v = value{s: str}
			} else {
				v = in
			}
			if v.truth() != (id.Ident == "and") {
				return v, nil
			}
		}
		return v, nil
	}
	vals := make([]string, 0, 3)
	for _, a := range args {
		str, err := s.operand(a)
		if err != nil {
			return value{}, err
		}
		vals = append(vals, str)
	}
	if piped {
		if id.Ident == "not" {
			return value{b: !in.truth(), kind: kindBool}, nil
		}
		vals = append(vals, in.s)
	}
	switch id.Ident {
	case "upper":
		return value{s: strings.ToUpper(vals[0])}, nil
	case "lower":
		return value{s: strings.ToLower(vals[0])}, nil
	case "trim":
		return value{s: strings.TrimSpace(vals[0])}, nil
	case "default":
		if strings.TrimSpace(vals[1]) == "" {
			return value{s: vals[0]}, nil
		}
		return value{s: vals[1]}, nil
	case "printf", "print":
		as := make([]any, len(vals))
		for i, v := range vals {
			as[i] = v
		}
		if id.Ident == "print" {
			return value{s: fmt.Sprint(as...)}, nil
		}
		return value{s: fmt.Sprintf(vals[0], as[1:]...)}, nil
	case "eq":
		for _, v := range vals[1:] {
			if v == vals[0] {
				return value{b: true, kind: kindBool}, nil
			}
		}
		return value{kind: kindBool}, nil
	case "ne":
		return value{b: vals[0] != vals[1], kind: kindBool}, nil
	case "not":
		return value{b: vals[0] == "", kind: kindBool}, nil
	}
	return value{}, fmt.Errorf("function %q cannot run here", id.Ident) // compileFast let it through
}

func (s *fastState) operand(n parse.Node) (string, error) {
	switch n := n.(type) {
	case *parse.FieldNode:
		v, ok := s.row[n.Ident[0]]
		if !ok {
			return "", fmt.Errorf("map has no entry for key %q", n.Ident[0])
		}
		return v, nil
	case *parse.DotNode:
		return s.dot, nil
	case *parse.StringNode:
		return n.Text, nil
	}
	return "", fmt.Errorf("cannot evaluate %s", n)
}
