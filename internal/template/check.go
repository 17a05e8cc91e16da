package template

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"

	texttemplate "text/template"

	"github.com/mla-initiative/herald/internal/problem"
)

// fault is something wrong, or worth knowing, about a template, found before any message is
// rendered. Check hands faults out as problem.Problem, located by the folder's name.
type fault struct {
	File    string // the file in the template folder, "" for the settings
	Line    int    // 0 when it concerns the whole file
	Message string
	Hint    string   // what to do about it, may be empty
	Hints   []string // more advice, after Hint
	Warning bool     // the messages can still be sent
	Err     error    // ErrUnset for a value still to be set
}

// String gives the problem as "message.fr.md:12: message", without the hint.
func (p fault) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line == 0:
		return p.File + ": " + p.Message
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Message
}

func sortProblems(ps []fault, order map[string]int) {
	slices.SortStableFunc(ps, func(a, b fault) int {
		fa, oka := order[a.File]
		fb, okb := order[b.File]
		if !oka {
			fa = len(order)
		}
		if !okb {
			fb = len(order)
		}
		return cmp.Or(cmp.Compare(fa, fb), strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}

// Check returns every problem of the template for a workbook with the given columns (the
// identifiers the placeholders use, such as FirstName): those found on loading, and the
// placeholders naming no column. Errors and warnings come in file and line order, each
// located as "<folder>/<file>:<line>". A problem found in several language variants is
// given once, naming the other places: a placeholder missing from the workbook is usually
// missing from every variant, and three screens of the same error hide the one that differs.
func (t *Template) Check(columns []string) []problem.Problem {
	have := make(map[string]bool, len(columns))
	for _, c := range columns {
		have[c] = true
	}
	ps := slices.Clone(t.problems)
	for _, v := range t.variants {
		for _, p := range v.parts() {
			seen := make(map[fieldRef]bool)
			for _, f := range p.fields {
				if have[f.name] || seen[f] {
					continue
				}
				seen[f] = true
				where := ""
				if p.header != "" {
					where = p.header + ": "
				}
				ps = append(ps, fault{
					File: p.file, Line: f.line,
					Message: fmt.Sprintf("%s{{.%s}} names no column of the workbook", where, f.name),
					Hint:    columnHint(f.name, columns),
				})
			}
		}
		if v.headers["To"] == nil && !have["Email"] {
			ps = append(ps, fault{
				File: v.file, Message: "no recipient: the workbook has no e-mail column and there is no To header",
				Hint: "add a column named Email to the workbook",
			})
		}
	}
	sortProblems(ps, t.order)
	return t.located(ps)
}

// located turns faults into problems, each fault said once with the other places it occurs.
func (t *Template) located(faults []fault) []problem.Problem {
	var out []problem.Problem
	first := map[string]int{}
	for _, f := range faults {
		place := f.File
		if f.Line > 0 {
			place = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		key := fmt.Sprintf("%t\x00%s\x00%s\x00%q\x00%v", f.Warning, f.Message, f.Hint, f.Hints, f.Err)
		if i, ok := first[key]; ok {
			out[i].Where = strings.TrimSuffix(out[i].Where, ")")
			if !strings.HasSuffix(out[i].Where, place) {
				sep := " (also "
				if strings.Contains(out[i].Where, sep) {
					sep = ", "
				}
				out[i].Where += sep + place
			}
			out[i].Where += ")"
			continue
		}
		first[key] = len(out)
		where := t.name
		if f.File != "" {
			where = path.Join(t.name, place)
		}
		p := problem.Problem{Where: where, Message: f.Message, Warning: f.Warning, Err: f.Err}
		if f.Hint != "" {
			p.Hints = []string{f.Hint}
		}
		p.Hints = append(p.Hints, f.Hints...)
		out = append(out, p)
	}
	return out
}

// columnHint suggests the column a misspelt placeholder probably meant.
func columnHint(name string, columns []string) string {
	if best := problem.Closest(name, columns); best != "" {
		return fmt.Sprintf("did you mean {{.%s}}?", best)
	}
	if len(columns) == 0 {
		return "the workbook has no columns"
	}
	list := make([]string, len(columns))
	for i, c := range columns {
		list[i] = "{{." + c + "}}"
	}
	return "the columns are " + strings.Join(list, ", ")
}

// collectFields returns the columns a parsed template reads: {{.Name}}, {{$.Name}} and
// {{index . "Name"}}, with the line of each (tree positions count the line breaks put
// before the source, so they are lines of the file).
func collectFields(tt *texttemplate.Template) []fieldRef {
	var refs []fieldRef
	for _, tmpl := range tt.Templates() {
		tree := tmpl.Tree
		if tree == nil || tree.Root == nil {
			continue
		}
		add := func(name string, n parse.Node) {
			loc, _ := tree.ErrorContext(n)
			refs = append(refs, fieldRef{name: name, line: lineOf(loc)})
		}
		inspect(tree.Root, func(n parse.Node) bool {
			switch n := n.(type) {
			case *parse.CommandNode:
				if len(n.Args) >= 3 {
					if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
						if _, ok := n.Args[1].(*parse.DotNode); ok {
							if s, ok := n.Args[2].(*parse.StringNode); ok {
								add(s.Text, s)
							}
						}
					}
				}
			case *parse.FieldNode:
				add(n.Ident[0], n)
			case *parse.VariableNode:
				if len(n.Ident) > 1 && n.Ident[0] == "$" {
					add(n.Ident[1], n)
				}
			}
			return true
		})
	}
	return refs
}

// lineOf reads the line from "name:line:col".
func lineOf(loc string) int {
	parts := strings.Split(loc, ":")
	if len(parts) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(parts[len(parts)-2])
	return n
}

// UnusedAttachments returns an error for each Attach line with a placeholder that has
// attached nothing to any message rendered so far, in a language that had messages: after
// every row is checked, a line that renders empty for every row ("Attach: {{.Letter}}" over
// an empty column) means every letter would go without its attachment.
func (t *Template) UnusedAttachments() []problem.Problem {
	var faults []fault
	for _, v := range t.variants {
		if v.rendered.Load() == 0 {
			continue
		}
		for i, p := range v.attach {
			if p.tmpl != nil && v.attachUsed[i].Load() == 0 {
				faults = append(faults, fault{File: p.file, Line: p.line,
					Message: fmt.Sprintf("Attach: %s attaches no file to any row: it is empty for every one", strings.TrimSpace(p.src)),
					Hint:    "fill in the column it names, or remove the line if no file is to be attached"})
			}
		}
	}
	sortProblems(faults, t.order)
	return t.located(faults)
}

// Required returns the columns that the variant serving lang (as Variant returns it) prints
// as they are, each with its first place: an empty cell in one of them is a gap in the
// message. A use given a default, or inside an {{if}} or {{with}} on the same column, is
// not listed.
func (t *Template) Required(lang string) []FieldUse {
	v, _ := t.pick(lang)
	return v.required
}

// VariantFile names the file of the variant serving lang (as Variant returns it):
// message.fr.md, message.html.
func (t *Template) VariantFile(lang string) string {
	v, _ := t.pick(lang)
	return v.file
}
