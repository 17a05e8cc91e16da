package template

import (
	"fmt"
	"html"
	htmltemplate "html/template"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"

	texttemplate "text/template"

	xhtml "golang.org/x/net/html"
)

// What a template prints where a value may be missing is decided from its parse trees, once,
// when the folder is loaded:
//
//   - A column or a fact is *required* where it is printed as it is: {{.Salutation}},
//     {{.Country | upper}}, {{fact "venue"}}. An empty cell there would leave a lone comma
//     ("Dear ,") or a gap in a sentence, so check reports the row, naming the cell; a fact
//     without a value is reported once for the template.
//   - It is *optional* where the template says what to do without it: as the value of
//     default or or ({{.Ministry | default "the Ministry"}}, {{or .Nickname .FirstName}}),
//     as a name given to named, in the condition of an {{if}}, {{with}} or {{range}}, and
//     inside the {{if}} or {{with}} whose condition reads it ({{if .Title}}{{.Title}} {{end}},
//     {{if fact "signatory"}}…{{fact "signatory"}}{{end}}), or in the {{else}} of an
//     {{if not .X}}.
//
// The headers To, Cc, Bcc and Attach are not held to this: an empty cell there means no
// copy, or no attachment, for that row.

// fieldUse is one placeholder reading a column.
type fieldUse struct {
	name     string
	line     int
	required bool
}

// treeUses are the columns and facts a parsed template reads, and the calls of fact that do
// not give a name it can know before rendering.
type treeUses struct {
	fields   []fieldUse
	facts    []factUse
	badFacts []badCall
}

// guards are the columns and facts known to be non-empty where a node is executed.
type guards struct {
	fields map[string]bool
	facts  map[string]bool
}

func (g guards) with(tested treeUses) guards {
	if len(tested.fields) == 0 && len(tested.facts) == 0 {
		return g
	}
	n := guards{fields: map[string]bool{}, facts: map[string]bool{}}
	for k := range g.fields {
		n.fields[k] = true
	}
	for k := range g.facts {
		n.facts[k] = true
	}
	for _, f := range tested.fields {
		n.fields[f.name] = true
	}
	for _, f := range tested.facts {
		n.facts[f.name] = true
	}
	return n
}

// collectUses walks every tree of tt.
func collectUses(tt *texttemplate.Template) treeUses {
	var u treeUses
	for _, tmpl := range tt.Templates() {
		if tmpl.Tree != nil && tmpl.Tree.Root != nil {
			w := usesWalker{tree: tmpl.Tree, out: &u}
			w.node(tmpl.Tree.Root, guards{})
		}
	}
	return u
}

type usesWalker struct {
	tree *parse.Tree
	out  *treeUses
}

func (w *usesWalker) line(n parse.Node) int {
	loc, _ := w.tree.ErrorContext(n)
	return lineOf(loc)
}

func (w *usesWalker) node(n parse.Node, g guards) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			w.node(c, g)
		}
	case *parse.ActionNode:
		// {{$x := .A}} prints nothing; what $x prints later is not followed.
		w.pipe(n.Pipe, g, len(n.Pipe.Decl) > 0, nil)
	case *parse.IfNode:
		w.branch(&n.BranchNode, g)
	case *parse.WithNode:
		w.branch(&n.BranchNode, g)
	case *parse.RangeNode:
		w.pipe(n.Pipe, g, true, nil)
		w.node(n.List, g)
		w.node(n.ElseList, g)
	case *parse.TemplateNode:
		w.pipe(n.Pipe, g, false, nil)
	}
}

// branch walks an {{if}} or {{with}}: its body runs where the condition's columns and facts
// are non-empty; its {{else}} runs where they are empty, except after {{if not …}}.
func (w *usesWalker) branch(b *parse.BranchNode, g guards) {
	var tested treeUses
	w.pipe(b.Pipe, g, true, &tested)
	negated := false
	if b.Pipe != nil && len(b.Pipe.Cmds) == 1 {
		if id, ok := b.Pipe.Cmds[0].Args[0].(*parse.IdentifierNode); ok && id.Ident == "not" {
			negated = true
		}
	}
	if negated {
		w.node(b.List, g)
		w.node(b.ElseList, g.with(tested))
		return
	}
	w.node(b.List, g.with(tested))
	w.node(b.ElseList, g)
}

// pipe walks a pipeline. optional is true for a condition or a declaration. tested, when not
// nil, collects what the pipeline reads.
func (w *usesWalker) pipe(p *parse.PipeNode, g guards, optional bool, tested *treeUses) {
	if p == nil {
		return
	}
	for i, c := range p.Cmds {
		// A value piped into default is given a default: {{.Ministry | default "…"}}.
		opt := optional
		for _, later := range p.Cmds[i+1:] {
			if id, ok := later.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "default" || id.Ident == "or") {
				opt = true
			}
		}
		w.command(c, g, opt, i > 0, tested)
	}
}

func (w *usesWalker) command(c *parse.CommandNode, g guards, optional, piped bool, tested *treeUses) {
	args := c.Args
	id, _ := args[0].(*parse.IdentifierNode)
	name := ""
	if id != nil {
		name = id.Ident
	}
	switch name {
	case "fact":
		if len(args) == 2 {
			if s, ok := args[1].(*parse.StringNode); ok {
				if !validFactName(s.Text) {
					w.out.badFacts = append(w.out.badFacts, badCall{line: w.line(c), message: fmt.Sprintf("{{%s}}: %q is not a fact's name: %s", c, s.Text, factNameRule)})
					return
				}
				u := factUse{name: s.Text, line: w.line(c), required: !optional && !g.facts[s.Text]}
				w.out.facts = append(w.out.facts, u)
				if tested != nil {
					tested.facts = append(tested.facts, u)
				}
				return
			}
		}
		if len(args) == 2 || piped && len(args) == 1 {
			w.out.badFacts = append(w.out.badFacts, badCall{line: w.line(c), message: fmt.Sprintf("{{%s}}: fact takes the fact's name in quotes, as in {{fact \"venue\"}}", c)})
		}
		return // the wrong number of arguments is checkCalls' to report
	case "index":
		if len(args) >= 3 {
			if _, ok := args[1].(*parse.DotNode); ok {
				if s, ok := args[2].(*parse.StringNode); ok {
					w.field(s.Text, s, g, optional, tested)
					return
				}
			}
		}
	}
	for i, a := range args {
		argOptional := optional
		switch name {
		case "default", "or":
			argOptional = true
		case "named":
			// The name's parts are optional; the addresses (the last argument, or the value
			// piped in) are not.
			argOptional = optional || piped || i < len(args)-1
		}
		w.arg(a, g, argOptional, tested)
	}
}

func (w *usesWalker) arg(a parse.Node, g guards, optional bool, tested *treeUses) {
	switch a := a.(type) {
	case *parse.FieldNode:
		w.field(a.Ident[0], a, g, optional, tested)
	case *parse.VariableNode:
		if len(a.Ident) > 1 && a.Ident[0] == "$" {
			w.field(a.Ident[1], a, g, optional, tested)
		}
	case *parse.ChainNode:
		w.arg(a.Node, g, optional, tested)
	case *parse.PipeNode:
		w.pipe(a, g, optional, tested)
	}
}

func (w *usesWalker) field(name string, n parse.Node, g guards, optional bool, tested *treeUses) {
	u := fieldUse{name: name, line: w.line(n), required: !optional && !g.fields[name]}
	w.out.fields = append(w.out.fields, u)
	if tested != nil {
		tested.fields = append(tested.fields, u)
	}
}

// readsData reports whether a template reads anything of the row: a column, the dot, a
// variable. A template that does not (a header made of facts and text) has the same value
// for every row and is executed once, when the folder is loaded.
func readsData(tt *texttemplate.Template) bool {
	found := false
	for _, tmpl := range tt.Templates() {
		if tmpl.Tree == nil {
			continue
		}
		inspect(tmpl.Tree.Root, func(n parse.Node) bool {
			switch n := n.(type) {
			case *parse.PipeNode:
				found = found || len(n.Decl) > 0
			case *parse.FieldNode, *parse.DotNode, *parse.VariableNode, *parse.ChainNode, *parse.TemplateNode, *parse.RangeNode:
				found = true
			}
			return !found
		})
	}
	return found
}

// markHTMLFacts makes each action that prints a fact of several lines and nothing else,
// {{fact "letterhead"}}, call factHTML instead, which keeps the line breaks. Anywhere else
// (piped into a function, inside an attribute) the fact is text.
func markHTMLFacts(root parse.Node, values map[string]string) {
	inspect(root, func(n parse.Node) bool {
		a, ok := n.(*parse.ActionNode)
		if !ok {
			return true
		}
		p := a.Pipe
		if len(p.Decl) == 0 && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 2 {
			if id, ok := p.Cmds[0].Args[0].(*parse.IdentifierNode); ok && id.Ident == "fact" {
				if s, ok := p.Cmds[0].Args[1].(*parse.StringNode); ok && strings.Contains(values[s.Text], "\n") {
					id.Ident = "factHTML"
				}
			}
		}
		return false
	})
}

// inlineFacts replaces each call {{fact "name"}} of a parsed template by the fact's value,
// which is the same for every row of a variant: rendering then calls no function for it
// (a call through reflection costs several allocations, on every row). html/template still
// escapes the value for where it stands, as it would the function's result. A call made
// factHTML by markHTMLFacts, for a value of several lines, is left to the function.
func inlineFacts(root parse.Node, values map[string]string) {
	inspect(root, func(n parse.Node) bool {
		c, ok := n.(*parse.CommandNode)
		if !ok || len(c.Args) != 2 {
			return true
		}
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "fact" {
			if s, ok := c.Args[1].(*parse.StringNode); ok {
				v := values[s.Text]
				c.Args = []parse.Node{&parse.StringNode{NodeType: parse.NodeString, Pos: s.Pos, Quoted: strconv.Quote(v), Text: v}}
				return false
			}
		}
		return true
	})
}

// factAction matches an action that prints a fact and nothing else.
var factAction = regexp.MustCompile(`^\{\{\s*fact\s+"([a-z][a-z0-9-]*)"\s*\}\}$`)

// factToken tells whether token n of ts prints a fact and nothing else, and which.
func factToken(ts *tokenSet, n int) (string, bool) {
	m := factAction.FindStringSubmatch(ts.actions[n])
	if m == nil {
		return "", false
	}
	return m[1], true
}

// inlineTextFacts puts the value of each fact printed on its own in the text of an HTML body
// (not in a tag, nor in script or style) in place of its token, escaped, its line breaks
// made <br>: the value is the same for every row, so rendering has nothing to do for it.
// A fact inside an attribute (a link's address) is left to html/template, which escapes it
// for a URL.
func inlineTextFacts(src string, ts *tokenSet, facts map[string]string, funcs htmltemplate.FuncMap) string {
	if !strings.Contains(src, ts.prefix) {
		return src
	}
	var b strings.Builder
	b.Grow(len(src))
	z := xhtml.NewTokenizer(strings.NewReader(src))
	raw := ""
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		text := string(z.Raw())
		tok := z.Token()
		if tt == xhtml.StartTagToken || tt == xhtml.SelfClosingTagToken {
			if raw == "" {
				text = inlineAttrFacts(text, tok, ts, funcs)
			}
			switch tok.Data {
			case "script", "style", "title", "textarea":
				if tt == xhtml.StartTagToken {
					raw = tok.Data
				}
			}
		} else if tt == xhtml.EndTagToken && tok.Data == raw {
			raw = ""
		}
		if tt != xhtml.TextToken || raw != "" {
			b.WriteString(text)
			continue
		}
		b.WriteString(replaceFactTokens(text, ts, func(name string) string {
			return strings.ReplaceAll(html.EscapeString(facts[name]), "\n", "<br>\n")
		}))
	}
	return b.String()
}

// inlineAttrFacts puts in the escaped value of each attribute of a tag that is text and
// facts only, such as href="mailto:{{fact "contact"}}": html/template escapes it once, here,
// for the attribute it is in (a URL for href), instead of on every row.
func inlineAttrFacts(tag string, tok xhtml.Token, ts *tokenSet, funcs htmltemplate.FuncMap) string {
	for _, a := range tok.Attr {
		if a.Namespace != "" || !ts.hasToken(a.Val) || ts.hasToken(a.Key) {
			continue
		}
		quoted := a.Key + `="` + attrEscaper.Replace(a.Val) + `"`
		if !strings.Contains(tag, quoted) {
			continue // written otherwise than rewriteTags writes; left to html/template
		}
		onlyFacts := true
		for pos := 0; ; {
			start, n, end := ts.find(a.Val, pos)
			if start < 0 {
				break
			}
			if _, ok := factToken(ts, n); !ok {
				onlyFacts = false
			}
			pos = end
		}
		if !onlyFacts {
			continue
		}
		src := "<" + tok.Data + " " + a.Key + `="` + ts.restore(attrEscaper.Replace(a.Val)) + `">`
		mini, err := htmltemplate.New("attr").Funcs(funcs).Parse(src)
		if err != nil {
			continue
		}
		var out strings.Builder
		if err := mini.Execute(&out, nil); err != nil {
			continue
		}
		prefix := "<" + tok.Data + " " + a.Key + `="`
		escaped, ok := strings.CutPrefix(out.String(), prefix)
		if !ok || !strings.HasSuffix(escaped, `">`) {
			continue
		}
		tag = strings.Replace(tag, quoted, prefix[len(tok.Data)+2:]+strings.TrimSuffix(escaped, `">`)+`"`, 1)
	}
	return tag
}

// inlinePlainFacts does the same for the text part, where a value is written as it is.
func inlinePlainFacts(src string, ts *tokenSet, facts map[string]string) string {
	return replaceFactTokens(src, ts, func(name string) string { return facts[name] })
}

// replaceFactTokens replaces the tokens of facts printed on their own in s by value(name).
func replaceFactTokens(s string, ts *tokenSet, value func(string) string) string {
	var b strings.Builder
	pos := 0
	for {
		start, n, end := ts.find(s, pos)
		if start < 0 {
			break
		}
		name, ok := factToken(ts, n)
		if !ok {
			b.WriteString(s[pos:end])
			pos = end
			continue
		}
		b.WriteString(s[pos:start])
		b.WriteString(value(name))
		pos = end
	}
	if pos == 0 {
		return s
	}
	b.WriteString(s[pos:])
	return b.String()
}
