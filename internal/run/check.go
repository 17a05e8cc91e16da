package run

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
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
type Visitor func(it *plan.Item, msg *message.Message) error

// Prepare reads the workbook and the template and checks every row, so that every problem
// with the input is known before anything is sent. The error is for inputs that cannot be
// read at all, or an error of visit; everything else is a Problem in the plan. visit may be
// nil.
func Prepare(in Inputs, visit Visitor) (*plan.Plan, error) {
	table, source, err := openContacts(in)
	if err != nil {
		return nil, err
	}
	tmpl, builtin, err := openTemplate(in)
	if err != nil {
		return nil, err
	}
	c := &checker{Plan: &plan.Plan{Campaign: CampaignName(in), Source: source, Table: table, Template: tmpl, BuiltinTemplate: builtin}}
	for _, w := range table.Warnings {
		w.Warning = true
		c.add(w)
	}

	var columns []string
	for _, col := range table.Columns {
		if col.Name != "" {
			columns = append(columns, col.Name)
		}
	}
	templateOK := true
	for _, tp := range tmpl.Check(columns) {
		if builtin && !tp.Warning {
			tp.Hints = append(tp.Hints, "the built-in templates expect the columns of the sample workbook; run herald init to get a copy of them to adapt")
		}
		c.add(tp)
		templateOK = templateOK && tp.Warning
	}
	if !c.checkAmbiguous() {
		templateOK = false
	}
	c.warnUnusedColumns(columns)
	if !templateOK {
		// Every row would fail the same way; one error per cause is enough.
		return c.Plan, nil
	}

	c.findCheckedColumns()
	fallbacks := map[string]int{}
	firstRowOf := map[string]int{}
	p := c.Plan
	for i := range table.Rows {
		item, msg, problems := c.checkRow(i)
		p.Problems = append(p.Problems, problems...)
		if problem.HasError(problems) {
			p.Skipped = append(p.Skipped, item.Item)
			continue
		}
		if item.fellBack {
			fallbacks[item.requested]++
		}
		if first, dup := firstRowOf[item.Key]; dup {
			c.add(problem.Problem{
				Where:   table.RowRef(item.Row),
				Message: fmt.Sprintf("same recipient as row %d (%s); it is mailed once, from row %d", first, item.Key, first),
				Hints:   []string{"delete one of the two rows, or give them different addresses"},
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
		c.add(problem.Warningf(tmpl.Name(),
			fmt.Sprintf("%d row(s) have Language %q, which has no variant; they get message.md", fallbacks[l], l),
			fmt.Sprintf("add message.%s.md to the template folder to write to them in that language", l)))
	}
	return p, nil
}

// checker builds a plan. The columns every row is checked in are found once, not once
// per row.
type checker struct {
	*plan.Plan
	addressColumns, headerColumns []namedColumn
	labelColumns                  []int
}

func (c *checker) add(p problem.Problem) { c.Problems = append(c.Problems, p) }

// namedColumn is a column found once per plan, not once per row.
type namedColumn struct {
	name string
	col  int // index into Table.Columns
}

// findCheckedColumns finds the columns every row is checked in: the address columns the
// template reads (Email unless it has its own To header, Cc, Bcc) and the columns its
// headers use.
func (c *checker) findCheckedColumns() {
	for _, ac := range []struct{ column, header string }{{colEmail, "To"}, {colCc, "Cc"}, {colBcc, "Bcc"}} {
		if !c.Template.ReadsColumnFor(ac.header) {
			continue
		}
		if col, err := c.Table.Lookup(ac.column); err == nil {
			c.addressColumns = append(c.addressColumns, namedColumn{ac.column, col})
		}
	}
	for _, name := range c.Template.HeaderFields() {
		if col, err := c.Table.Lookup(name); err == nil {
			c.headerColumns = append(c.headerColumns, namedColumn{name, col})
		}
	}
	special := map[int]bool{}
	for _, name := range []string{colEmail, colCc, colBcc, colLanguage} {
		if col, err := c.Table.Lookup(name); err == nil {
			special[col] = true
		}
	}
	for i, col := range c.Table.Columns {
		if len(c.labelColumns) == 2 {
			break
		}
		if col.Name != "" && !special[i] {
			c.labelColumns = append(c.labelColumns, i)
		}
	}
}

// label names a row for people: its first two cells that are not addresses.
func (c *checker) label(row contacts.Row) string {
	var parts []string
	for _, col := range c.labelColumns {
		if v := row.Values[col]; v != "" && !message.ContainsControl(v) {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " · ")
}

type checkedItem struct {
	plan.Item
	requested string
	fellBack  bool
}

// checkRow validates one row and renders its message, so that every error a send could
// meet is found now. The message is handed to the visitor, not kept: memory stays
// proportional to the rows, and send renders again when it sends.
func (c *checker) checkRow(i int) (checkedItem, *message.Message, []problem.Problem) {
	table := c.Table
	row := table.Rows[i]
	fields := fieldsOf(table, row)
	item := checkedItem{Item: plan.Item{Row: row.Number, Fields: fields, Label: c.label(row)}}
	var problems []problem.Problem
	rowError := func(col int, msg, hint string) {
		where := table.RowRef(row.Number)
		if col >= 0 {
			where = table.Ref(row.Number, col)
		}
		p := problem.Errorf(where, msg, hint)
		p.Row = row.Number
		problems = append(problems, p)
	}
	rowWarning := func(where, msg string) {
		p := problem.Warningf(where, msg)
		p.Row = row.Number
		problems = append(problems, p)
	}

	for _, ac := range c.addressColumns {
		value := row.Values[ac.col]
		if ac.name == colEmail && value == "" {
			rowError(ac.col, "no e-mail address", "fill in the address, or delete the row")
			continue
		}
		if _, notices, err := message.ParseList(value); err != nil {
			rowError(ac.col, err.Error(), "write one address per recipient, like name@ministry.example, separated by ; when there are several")
		} else {
			for _, n := range notices {
				rowWarning(table.Ref(row.Number, ac.col), string(n))
			}
		}
	}
	for _, hc := range c.headerColumns {
		if message.ContainsControl(row.Values[hc.col]) {
			rowError(hc.col, fmt.Sprintf("%s contains a line break or another control character, and it is used in a mail header", hc.name),
				"remove the line break from the cell (in Excel it is typed with Alt+Enter)")
		}
	}
	if problem.HasError(problems) {
		return item, nil, problems
	}

	item.requested = strings.ToLower(fields[colLanguage])
	lang, fellBack := c.Template.Variant(item.requested)
	item.Language, item.fellBack = lang, fellBack && item.requested != ""
	msg, notices, err := c.Template.Render(fields, lang)
	if err != nil {
		rowError(-1, err.Error(), "")
		return item, nil, problems
	}
	for _, n := range notices {
		if !hasMessage(problems, string(n)) {
			rowWarning(table.RowRef(row.Number), string(n))
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
func (c *checker) checkAmbiguous() bool {
	ok := true
	for _, f := range c.Template.Fields() {
		_, err := c.Table.Lookup(f)
		if err == nil || errors.Is(err, contacts.ErrNoColumn) {
			continue
		}
		pr := problem.Problem{Where: sheetWhere(c.Table), Message: fmt.Sprintf("the template uses {{.%s}}, but %s", f, err.Error())}
		if cp, found := problem.As(err); found {
			pr.Where, pr.Message, pr.Hints = cp.Where, fmt.Sprintf("the template uses {{.%s}}, but %s", f, cp.Message), cp.Hints
		}
		c.add(pr)
		ok = false
	}
	return ok
}

// warnUnusedColumns points out columns the template never uses: often a sign of a
// misspelt placeholder or of the wrong template.
func (c *checker) warnUnusedColumns(columns []string) {
	used := map[string]bool{colEmail: true, colCc: true, colBcc: true, colLanguage: true}
	for _, f := range c.Template.Fields() {
		used[f] = true
	}
	for i, col := range columns {
		if !used[col] {
			c.add(problem.Warningf(c.Table.Ref(c.Table.HeaderRow, i),
				fmt.Sprintf("column %s is not used by the template", col),
				fmt.Sprintf("use it as {{.%s}} or ignore this warning", col)))
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
func hasMessage(problems []problem.Problem, msg string) bool {
	for _, p := range problems {
		if p.Message == msg {
			return true
		}
	}
	return false
}
