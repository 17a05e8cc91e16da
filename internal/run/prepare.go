package run

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/mla-initiative/herald/internal/template"
	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/problem"
)

// Columns with a meaning to herald, by their template identifier.
const (
	colEmail    = "Email"
	colCc       = "Cc"
	colBcc      = "Bcc"
	colLanguage = "Language"
)

// Visitor receives each checked message in sheet order as Prepare renders it. Preview
// writes it out, so each message is rendered once; messages are never all kept in memory.
type Visitor func(it *Item, msg *message.Message) error

// Prepare reads the workbook and the template and checks every row, so that every problem
// with the input is known before anything is sent. The error is for inputs that cannot be
// read at all, or an error of visit; everything else is a Problem in the plan. visit may be
// nil.
func Prepare(in Inputs, visit Visitor) (*Plan, error) {
	table, source, err := openContacts(in)
	if err != nil {
		return nil, err
	}
	tmpl, builtin, err := openTemplate(in)
	if err != nil {
		return nil, err
	}
	p := &Plan{Campaign: CampaignName(in), Source: source, Table: table, Template: tmpl, BuiltinTemplate: builtin}
	for _, w := range table.Warnings {
		p.Problems = append(p.Problems, Problem{Where: w.Where, Message: w.Message, Hint: strings.Join(w.Hints, "; "), Warning: true})
	}

	var columns []string
	for _, c := range table.Columns {
		if c.Name != "" {
			columns = append(columns, c.Name)
		}
	}
	templateOK := true
	for _, tp := range groupTemplateProblems(tmpl.Check(columns)) {
		where := path.Join(tmpl.Name(), tp.File)
		if tp.Line > 0 {
			where = fmt.Sprintf("%s:%d", where, tp.Line)
		}
		if tp.also != "" {
			where += " (also " + tp.also + ")"
		}
		hint := tp.Hint
		if builtin && !tp.Warning {
			hint = joinHints(hint, "the built-in templates expect the columns of the sample workbook; run herald init to get a copy of them to adapt")
		}
		p.Problems = append(p.Problems, Problem{Where: where, Message: tp.Message, Hint: hint, Warning: tp.Warning})
		templateOK = templateOK && tp.Warning
	}
	if !p.checkAmbiguous() {
		templateOK = false
	}
	p.warnUnusedColumns(columns)
	if !templateOK {
		// Every row would fail the same way; one error per cause is enough.
		return p, nil
	}

	p.findCheckedColumns()
	fallbacks := map[string]int{}
	firstRowOf := map[string]int{}
	for i := range table.Rows {
		item, msg, problems := p.checkRow(i)
		p.Problems = append(p.Problems, problems...)
		if hasError(problems) {
			p.Skipped = append(p.Skipped, item.Item)
			continue
		}
		if item.fellBack {
			fallbacks[item.requested]++
		}
		if first, dup := firstRowOf[item.Key]; dup {
			p.Problems = append(p.Problems, Problem{
				Where:   table.RowRef(item.Row),
				Message: fmt.Sprintf("same recipient as row %d (%s); it is mailed once, from row %d", first, item.Key, first),
				Hint:    "delete one of the two rows, or give them different addresses",
				Warning: true,
				Row:     item.Row,
			})
			if p.DuplicateOf == nil {
				p.DuplicateOf = map[int]int{}
			}
			p.DuplicateOf[item.Row] = first
			continue
		}
		firstRowOf[item.Key] = item.Row
		p.Items = append(p.Items, item.Item)
		if visit != nil {
			if err := visit(&p.Items[len(p.Items)-1], msg); err != nil {
				return nil, err
			}
		}
	}
	langs := make([]string, 0, len(fallbacks))
	for l := range fallbacks {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		p.Problems = append(p.Problems, Problem{
			Where:   tmpl.Name(),
			Message: fmt.Sprintf("%d row(s) have Language %q, which has no variant; they get %s", fallbacks[l], l, "message.md"),
			Hint:    fmt.Sprintf("add message.%s.md to the template folder to write to them in that language", l),
			Warning: true,
		})
	}
	return p, nil
}

// groupedProblem is a template problem with the other places it occurs.
type groupedProblem struct {
	template.Problem
	also string
}

// groupTemplateProblems reports a problem found in several language variants once, naming
// the other places: a placeholder missing from the workbook is usually missing from every
// variant, and three screens of the same error hide the one that differs.
func groupTemplateProblems(problems []template.Problem) []groupedProblem {
	var out []groupedProblem
	first := map[string]int{}
	for _, pr := range problems {
		key := fmt.Sprintf("%t\x00%s\x00%s", pr.Warning, pr.Message, pr.Hint)
		if i, ok := first[key]; ok {
			place := pr.File
			if pr.Line > 0 {
				place = fmt.Sprintf("%s:%d", pr.File, pr.Line)
			}
			out[i].also = joinList(out[i].also, place)
			continue
		}
		first[key] = len(out)
		out = append(out, groupedProblem{Problem: pr})
	}
	return out
}

func joinList(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

// namedColumn is a column found once per plan, not once per row.
type namedColumn struct {
	name string
	col  int // index into Table.Columns
}

// findCheckedColumns finds the columns every row is checked in: the address columns the
// template reads (Email unless it has its own To header, Cc, Bcc) and the columns its
// headers use.
func (p *Plan) findCheckedColumns() {
	for _, c := range []struct{ column, header string }{{colEmail, "To"}, {colCc, "Cc"}, {colBcc, "Bcc"}} {
		if !p.Template.ReadsColumnFor(c.header) {
			continue
		}
		if col, err := p.Table.Lookup(c.column); err == nil {
			p.addressColumns = append(p.addressColumns, namedColumn{c.column, col})
		}
	}
	for _, name := range p.Template.HeaderFields() {
		if col, err := p.Table.Lookup(name); err == nil {
			p.headerColumns = append(p.headerColumns, namedColumn{name, col})
		}
	}
	special := map[int]bool{}
	for _, name := range []string{colEmail, colCc, colBcc, colLanguage} {
		if col, err := p.Table.Lookup(name); err == nil {
			special[col] = true
		}
	}
	for i, c := range p.Table.Columns {
		if len(p.labelColumns) == 2 {
			break
		}
		if c.Name != "" && !special[i] {
			p.labelColumns = append(p.labelColumns, i)
		}
	}
}

// label names a row for people: its first two cells that are not addresses.
func (p *Plan) label(row contacts.Row) string {
	var parts []string
	for _, col := range p.labelColumns {
		if v := row.Values[col]; v != "" && !message.ContainsControl(v) {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " · ")
}

type checkedItem struct {
	Item
	requested string
	fellBack  bool
}

// checkRow validates one row and renders its message, so that every error a send could
// meet is found now. The message is handed to the visitor, not kept: memory stays
// proportional to the rows, and send renders again when it sends.
func (p *Plan) checkRow(i int) (checkedItem, *message.Message, []Problem) {
	table := p.Table
	row := table.Rows[i]
	fields := fieldsOf(table, row)
	item := checkedItem{Item: Item{Row: row.Number, Fields: fields, Label: p.label(row)}}
	var problems []Problem
	rowError := func(col int, msg, hint string) {
		where := table.RowRef(row.Number)
		if col >= 0 {
			where = table.Ref(row.Number, col)
		}
		problems = append(problems, Problem{Where: where, Message: msg, Hint: hint, Row: row.Number})
	}

	for _, c := range p.addressColumns {
		value := row.Values[c.col]
		if c.name == colEmail && value == "" {
			rowError(c.col, "no e-mail address", "fill in the address, or delete the row")
			continue
		}
		if _, notices, err := message.ParseList(value); err != nil {
			rowError(c.col, err.Error(), "write one address per recipient, like name@ministry.example, separated by ; when there are several")
		} else {
			for _, n := range notices {
				problems = append(problems, Problem{Where: table.Ref(row.Number, c.col), Message: string(n), Warning: true, Row: row.Number})
			}
		}
	}
	for _, c := range p.headerColumns {
		if message.ContainsControl(row.Values[c.col]) {
			rowError(c.col, fmt.Sprintf("%s contains a line break or another control character, and it is used in a mail header", c.name),
				"remove the line break from the cell (in Excel it is typed with Alt+Enter)")
		}
	}
	if hasError(problems) {
		return item, nil, problems
	}

	item.requested = strings.ToLower(fields[colLanguage])
	lang, fellBack := p.Template.Variant(item.requested)
	item.Language, item.fellBack = lang, fellBack && item.requested != ""
	msg, notices, err := p.Template.Render(fields, lang)
	if err != nil {
		rowError(-1, err.Error(), "")
		return item, nil, problems
	}
	for _, n := range notices {
		if !hasMessage(problems, string(n)) {
			problems = append(problems, Problem{Where: table.RowRef(row.Number), Message: string(n), Warning: true, Row: row.Number})
		}
	}
	item.To, item.Cc, item.Bcc, item.Subject = msg.To, msg.Cc, msg.Bcc, msg.Subject
	if len(msg.To) == 0 {
		rowError(-1, "the message has no To address", "fill in the Email cell")
		return item, nil, problems
	}
	item.Key = message.RecipientKey(msg.To)
	return item, msg, problems
}

// fieldsOf maps the row's cells to their template identifiers.
// Row.Values has one value per Table.Columns entry, not per sheet column: empty columns of
// the sheet are left out, so a column's Index (its place in the sheet) must not be used here.
func fieldsOf(table *contacts.Table, row contacts.Row) map[string]string {
	fields := make(map[string]string, len(table.Columns))
	for i, c := range table.Columns {
		if i < len(row.Values) {
			fields[c.Name] = row.Values[i]
		} else {
			fields[c.Name] = ""
		}
	}
	return fields
}

// checkAmbiguous refuses a placeholder that names two columns: which cell would fill it
// is a guess, and a guess must not reach a minister.
func (p *Plan) checkAmbiguous() bool {
	ok := true
	for _, f := range p.Template.Fields() {
		if _, err := p.Table.Lookup(f); err != nil && !errors.Is(err, contacts.ErrNoColumn) {
			pr := Problem{Where: sheetWhere(p.Table), Message: fmt.Sprintf("the template uses {{.%s}}, but %s", f, err.Error())}
			if cp, ok := problem.As(err); ok {
				pr.Where, pr.Message, pr.Hint = cp.Where, fmt.Sprintf("the template uses {{.%s}}, but %s", f, cp.Message), strings.Join(cp.Hints, "; ")
			}
			p.Problems = append(p.Problems, pr)
			ok = false
		}
	}
	return ok
}

// warnUnusedColumns points out columns the template never uses: often a sign of a
// misspelt placeholder or of the wrong template.
func (p *Plan) warnUnusedColumns(columns []string) {
	used := map[string]bool{colEmail: true, colCc: true, colBcc: true, colLanguage: true}
	for _, f := range p.Template.Fields() {
		used[f] = true
	}
	for i, c := range columns {
		if !used[c] {
			p.Problems = append(p.Problems, Problem{
				Where:   p.Table.Ref(p.Table.HeaderRow, i),
				Message: fmt.Sprintf("column %s is not used by the template", c),
				Hint:    fmt.Sprintf("use it as {{.%s}} or ignore this warning", c),
				Warning: true,
			})
		}
	}
}

func sheetWhere(t *contacts.Table) string {
	if t.Sheet == "" {
		return t.File
	}
	return t.File + ": " + t.Sheet
}

// hasMessage tells whether a problem already says msg: an address notice found in the
// cell is found again when the message is rendered.
func hasMessage(problems []Problem, msg string) bool {
	for _, p := range problems {
		if p.Message == msg {
			return true
		}
	}
	return false
}

func joinHints(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func hasError(problems []Problem) bool {
	for _, p := range problems {
		if !p.Warning {
			return true
		}
	}
	return false
}
