package template

import (
	"fmt"
	"reflect"
	"text/template/parse"

	texttemplate "text/template"
)

// text/template checks how many arguments a function gets only when it runs it, so a
// template holding {{and}} or {{not .A .B}} would fail on every row, or only on the rows
// that reach that branch. checkCalls finds such calls when the folder is loaded, with the
// line, so that they are one error in check rather than a failure half-way through a send.

// arity is how many arguments a function takes; max -1 means any number from min.
type arity struct{ min, max int }

// builtinArity lists text/template's predefined functions (see its documentation,
// "Functions"). eq compares its first argument with each of the others, so it needs two.
var builtinArity = map[string]arity{
	"and": {1, -1}, "or": {1, -1}, "not": {1, 1}, "len": {1, 1},
	"index": {1, -1}, "slice": {1, 4}, "call": {1, -1},
	"html": {0, -1}, "js": {0, -1}, "urlquery": {0, -1},
	"print": {0, -1}, "println": {0, -1}, "printf": {1, -1},
	"eq": {2, -1}, "ne": {2, 2}, "lt": {2, 2}, "le": {2, 2}, "gt": {2, 2}, "ge": {2, 2},
}

// funcArity gives the arity of a function of funcs from its Go signature.
func funcArity(fn any) arity {
	t := reflect.TypeOf(fn)
	if t.IsVariadic() {
		return arity{t.NumIn() - 1, -1}
	}
	return arity{t.NumIn(), t.NumIn()}
}

// badCall is a call with the wrong number of arguments.
type badCall struct {
	line    int
	message string
	hint    string // "" for the hint about arguments
}

// checkCalls returns the calls of tt's trees that have too few or too many arguments. A
// command after a pipe gets the value piped into it as its last argument.
func checkCalls(tt *texttemplate.Template) []badCall {
	var bad []badCall
	if len(tt.Templates()) > 1 {
		// {{define}} and {{block}} make templates of their own, which {{template}} calls,
		// itself included: a letter needs none of it, and it can loop.
		bad = append(bad, badCall{line: 0, message: "{{define}} and {{block}} have no use in a letter", hint: structureHint})
	}
	for _, tmpl := range tt.Templates() {
		tree := tmpl.Tree
		if tree == nil || tree.Root == nil {
			continue
		}
		inspect(tree.Root, func(n parse.Node) bool {
			switch n := n.(type) {
			case *parse.PipeNode:
				for i, c := range n.Cmds {
					if msg := callProblem(c, i > 0); msg != "" {
						loc, _ := tree.ErrorContext(c)
						bad = append(bad, badCall{line: lineOf(loc), message: msg})
					}
				}
			case *parse.RangeNode:
				// Every value of a letter is one text: {{range}} would only repeat something
				// for each letter of a cell, or a number of times written in the template,
				// which a template can make as large as to never end.
				loc, _ := tree.ErrorContext(n)
				bad = append(bad, badCall{line: lineOf(loc), message: "{{range}} has no use in a letter: every value is one text", hint: structureHint})
				return false
			case *parse.TemplateNode:
				loc, _ := tree.ErrorContext(n)
				bad = append(bad, badCall{line: lineOf(loc), message: "{{template}} has no use in a letter", hint: structureHint})
				return false
			}
			return true
		})
	}
	return bad
}

// callProblem says what is wrong with the number of arguments of c, or "".
func callProblem(c *parse.CommandNode, piped bool) string {
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		return ""
	}
	want, ok := builtinArity[id.Ident]
	if fn, mine := funcs[id.Ident]; mine {
		want, ok = funcArity(fn), true
	}
	if !ok {
		return ""
	}
	got := len(c.Args) - 1
	of := ""
	if piped {
		got++
		of = " (counting the value piped into it)"
	}
	msg := ""
	switch {
	case got < want.min && want.max == want.min:
		msg = fmt.Sprintf("{{%s}}: %s takes %s, not %d", c, id.Ident, plural(want.min, "argument"), got)
	case got < want.min:
		msg = fmt.Sprintf("{{%s}}: %s takes at least %s, not %d", c, id.Ident, plural(want.min, "argument"), got)
	case want.max >= 0 && got > want.max && want.max == want.min:
		msg = fmt.Sprintf("{{%s}}: %s takes %s, not %d", c, id.Ident, plural(want.max, "argument"), got)
	case want.max >= 0 && got > want.max:
		msg = fmt.Sprintf("{{%s}}: %s takes at most %s, not %d", c, id.Ident, plural(want.max, "argument"), got)
	default:
		return ""
	}
	return msg + of
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

const structureHint = "choose between texts with {{if .Column}} … {{else}} … {{end}} or {{with .Column}} … {{end}}"
