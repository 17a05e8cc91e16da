package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/screen"
	"github.com/mla-initiative/herald/internal/template"
	"github.com/mla-initiative/herald/templates"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
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
func Prepare(ctx context.Context, in Inputs, visit Visitor) (*plan.Plan, error) {
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
		// A value still to be set is shown as a marker: the rows can still be checked and
		// previewed.
		unset := errors.Is(tp, template.ErrUnset)
		if builtin && !tp.Warning && !unset {
			tp.Hints = append(tp.Hints, "the built-in templates expect the columns of the sample workbook; run herald init to get a copy of them to adapt")
		}
		c.add(tp)
		templateOK = templateOK && (tp.Warning || unset)
	}
	if !c.checkAmbiguous() {
		templateOK = false
	}
	c.checkFactNames(in.Facts)
	if builtin {
		c.checkShadowedCopy(in)
	}
	if !templateOK {
		// Every row would fail the same way; one error per cause is enough.
		c.warnUnusedColumns(nil)
		return c.Plan, nil
	}

	c.findCheckedColumns()
	c.warnUnusedColumns(c.checkUnreadAddresses(in.NotRecipients))
	c.findRequiredColumns()
	fallbacks := map[string]int{}
	p := c.Plan
	for i := range table.Rows {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("check the rows: %w", err)
		}
		item, msg, problems := c.checkRow(i)
		p.Problems = append(p.Problems, problems...)
		if problem.HasError(problems) {
			p.Skipped = append(p.Skipped, item.Item)
			continue
		}
		if item.fellBack {
			fallbacks[item.requested]++
		}
		c.checkAddresses(item.Language, msg)
		if !c.once(&item.Item) {
			continue
		}
		p.Items = append(p.Items, item.Item)
		if visit != nil {
			if err := visit(&p.Items[len(p.Items)-1], msg); err != nil {
				return nil, err
			}
		}
	}
	// Known only once every row is rendered: an Attach line that attached nothing to anyone.
	for _, pr := range tmpl.UnusedAttachments() {
		c.add(pr)
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
	// required are the columns each variant prints as they are, by variant.
	required map[string][]requiredColumn
	// addressesChecked holds the variants whose message has been looked at for addresses
	// on reserved domains.
	addressesChecked map[string]bool
	// byKey and mailer are what the rows checked so far mail: the item of each recipient
	// key, and the first row and field of each address.
	byKey  map[string]*plan.Item
	mailer map[string]placed
}

// placed is where an address was first seen: its row and field (To, Cc or Bcc).
type placed struct {
	row   int
	field string
}

func (c *checker) add(p problem.Problem) { c.Problems = append(c.Problems, p) }

// once applies the rule that each address in To or Cc receives one copy of a campaign: the
// message of the first row that lists it there. A Bcc address is a deliberate blind copy
// (an archive, say) and gets every message that lists it. It reports whether the item gets a message of its own, and
// records the addresses an earlier row already mails in item.MailedBy, naming both rows in
// a warning, so that nobody is mailed twice or left out without a word.
//
// A row with the same To addresses as an earlier one is the same recipient (the delivery
// log knows recipients by their To): it is mailed once, from the first row, and it is an
// error when it adds a Cc or Bcc that the first row does not mail, since that address would
// otherwise be left out.
func (c *checker) once(item *plan.Item) bool {
	if c.byKey == nil {
		c.byKey, c.mailer = map[string]*plan.Item{}, map[string]placed{}
	}
	table := c.Table
	if first, dup := c.byKey[item.Key]; dup {
		mailed := map[string]bool{}
		for _, a := range allAddresses(first) {
			mailed[a.addr.Key()] = true
		}
		var lost []string
		for _, a := range allAddresses(item) {
			if !mailed[a.addr.Key()] {
				lost = append(lost, a.addr.Addr+" ("+a.field+")")
			}
		}
		p := problem.Problem{Where: table.RowRef(item.Row), Row: item.Row}
		if len(lost) > 0 {
			p.Message = fmt.Sprintf("same To as row %d (%s), but this row also mails %s, which row %d does not: a recipient is mailed once, from its first row, so %s would be left out",
				first.Row, item.Key, strings.Join(lost, ", "), first.Row, pluralIt(len(lost)))
			p.Hints = []string{fmt.Sprintf("put the addresses in row %d and delete this row, or give this row a To of its own", first.Row)}
			c.add(p)
			c.Skipped = append(c.Skipped, *item)
			return false
		}
		p.Message = fmt.Sprintf("same recipient as row %d (%s); it is mailed once, from row %d", first.Row, item.Key, first.Row)
		p.Hints = []string{"delete one of the two rows, or give them different addresses"}
		p.Warning = true
		c.add(p)
		c.duplicate(item.Row, first.Row)
		return false
	}

	var shared []string
	rows := map[int]bool{}
	own := 0
	for _, a := range allAddresses(item) {
		if a.field == "Bcc" {
			own++
			continue
		}
		key := a.addr.Key()
		at, seen := c.mailer[key]
		switch {
		case !seen:
			c.mailer[key] = placed{item.Row, a.field}
			own++
		case at.row == item.Row:
			// Twice in one row: one message, the envelope names it once.
		default:
			if item.MailedBy == nil {
				item.MailedBy = map[string]int{}
			}
			item.MailedBy[key] = at.row
			rows[at.row] = true
			shared = append(shared, fmt.Sprintf("%s (%s here, %s in row %d)", a.addr.Addr, a.field, at.field, at.row))
		}
	}
	if len(shared) > 0 {
		p := problem.Problem{Where: table.RowRef(item.Row), Row: item.Row, Warning: true}
		if own == 0 {
			first := 0
			for r := range rows {
				if first == 0 || r < first {
					first = r
				}
			}
			p.Message = fmt.Sprintf("every address of this row is already mailed by an earlier row: %s; each address gets one copy, so this row gets no message of its own", strings.Join(shared, ", "))
			p.Hints = []string{"delete the row if the earlier message is the one meant; to send each row's message to every address it lists, add --repeat-addresses"}
			c.add(p)
			c.duplicate(item.Row, first)
			return false
		}
		p.Message = fmt.Sprintf("%s: each address gets one copy of the campaign, the message of its first row, so this row's message goes to its other addresses only", strings.Join(shared, ", "))
		p.Hints = []string{"to send each row's message to every address it lists, add --repeat-addresses"}
		c.add(p)
	}
	c.byKey[item.Key] = item
	return true
}

// duplicate records that row is mailed by the message of first.
func (c *checker) duplicate(row, first int) {
	if c.DuplicateOf == nil {
		c.DuplicateOf = map[int]int{}
	}
	c.DuplicateOf[row] = first
}

type fieldAddress struct {
	field string
	addr  message.Address
}

// allAddresses lists an item's addresses with their field, To first.
func allAddresses(it *plan.Item) []fieldAddress {
	var out []fieldAddress
	for _, f := range []struct {
		name string
		list []message.Address
	}{{"To", it.To}, {"Cc", it.Cc}, {"Bcc", it.Bcc}} {
		for _, a := range f.list {
			out = append(out, fieldAddress{f.name, a})
		}
	}
	return out
}

func pluralIt(n int) string {
	if n == 1 {
		return "it"
	}
	return "they"
}

// namedColumn is a column found once per plan, not once per row.
type namedColumn struct {
	name string
	col  int // index into Table.Columns
}

// findCheckedColumns finds the columns every row is checked in: the address columns the
// template reads (Email unless it has its own To header, Cc, Bcc) and the columns its
// headers use.
func (c *checker) findCheckedColumns() {
	// The address columns are checked cell by cell whether the template reads them by
	// default or in a header of its own (To: {{.Email | named .Title .FullName}}), so that
	// a wrong address is reported at its cell.
	inHeaders := map[string]bool{}
	for _, f := range c.Template.AddressFields() {
		inHeaders[f] = true
	}
	for _, ac := range []struct{ column, header string }{{colEmail, "To"}, {colCc, "Cc"}, {colBcc, "Bcc"}} {
		if !c.Template.ReadsColumnFor(ac.header) && !inHeaders[ac.column] {
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

// checkUnreadAddresses finds columns that hold e-mail addresses (in at least half of their
// filled cells) which no address header of the template reads and that are not the Email,
// Cc or Bcc column the messages go to: a forgotten column of addresses is a recipient left
// out, so it is an error until the user says these addresses are not to be mailed.
//
// It returns the columns it reported or that the user named, which need no other word.
func (c *checker) checkUnreadAddresses(notRecipients []string) map[int]bool {
	said := map[int]bool{}
	read := map[int]bool{}
	for _, ac := range c.addressColumns {
		read[ac.col] = true
	}
	for _, name := range c.Template.AddressFields() {
		if col, err := c.Table.Lookup(name); err == nil {
			read[col] = true
		}
	}
	acknowledged := func(col contacts.Column) bool {
		for _, n := range notRecipients {
			n = strings.TrimSpace(n)
			if strings.EqualFold(n, col.Header) || strings.EqualFold(n, col.Name) || strings.EqualFold(n, col.Letter()) {
				return true
			}
		}
		return false
	}
	for i, col := range c.Table.Columns {
		if acknowledged(col) {
			said[i] = true
		}
		if read[i] || said[i] {
			continue
		}
		filled, addresses, first := 0, 0, 0
		for _, row := range c.Table.Rows {
			v := row.Values[i]
			if v == "" {
				continue
			}
			filled++
			// Written as links, the addresses are no less addresses.
			if list, _, err := message.ParseList(strings.ReplaceAll(strings.ReplaceAll(v, "mailto:", ""), "MAILTO:", "")); err == nil && len(list) > 0 {
				addresses++
				if first == 0 {
					first = row.Number
				}
			}
		}
		if addresses == 0 || addresses*2 < filled {
			continue
		}
		name := col.Header
		if name == "" {
			name = "column " + col.Letter()
		}
		c.add(problem.Errorf(c.Table.Ref(c.Table.HeaderRow, i),
			fmt.Sprintf("this column holds e-mail addresses (%d of its %d filled cells, the first in %s%d), but the template sends nothing to them: they would not receive the message",
				addresses, filled, col.Letter(), first),
			fmt.Sprintf("to mail them, head the column Cc or Bcc, or add a header such as \"Cc: {{.%s}}\" to the template", identifierOr(col)),
			fmt.Sprintf("if they must not receive it, say so: --not-recipients %q (or not_recipients = %q in herald.toml)", name, name)))
		said[i] = true
	}
	return said
}

func identifierOr(col contacts.Column) string {
	if col.Name != "" {
		return col.Name
	}
	return "Column" + col.Letter()
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
	if item.requested != "" && !languageCode(item.requested) {
		col, _ := table.Lookup(colLanguage)
		hint := "write a language code: en, fr, es, or with a region fr-BE, es-419"
		if code := languageNamed(item.requested); code != "" {
			hint = fmt.Sprintf("write the code %s for %s", code, fields[colLanguage])
		}
		rowError(col, fmt.Sprintf("Language %q is not a language code, so the letter's language would be a guess", fields[colLanguage]), hint)
		return item, nil, problems
	}
	lang, fellBack := c.Template.Variant(item.requested)
	item.Language, item.fellBack = lang, fellBack && item.requested != ""
	for _, rc := range c.required[lang] {
		switch {
		case strings.TrimSpace(row.Values[rc.col]) != "":
		case rc.use.Column == colEmail:
			rowError(rc.col, "no e-mail address", "fill in the address, or delete the row")
		default:
			rowError(rc.col, fmt.Sprintf("empty, and %s:%d prints {{.%s}}: the message would have a gap there", path.Join(c.Template.Name(), rc.use.File), rc.use.Line, rc.use.Column),
				fmt.Sprintf("fill in the cell; if the message reads well without it, the template can say so: {{.%s | default \"…\"}}, or {{if .%s}}…{{end}} around the words that need it", rc.use.Column, rc.use.Column))
		}
	}
	if problem.HasError(problems) {
		return item, nil, problems
	}
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
	for _, a := range slices.Concat([]message.Address{msg.From}, msg.ReplyTo, msg.To, msg.Cc, msg.Bcc) {
		if i := strings.IndexFunc(a.Name, screen.IsBidiControl); i >= 0 {
			rowWarning(table.RowRef(row.Number), fmt.Sprintf("the name of %s holds the invisible character %U, which changes the order in which the letters after it are shown: %q",
				a.Addr, []rune(a.Name[i:])[0], a.Name))
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
// misspelt placeholder or of the wrong template. The columns in skip have been spoken of.
func (c *checker) warnUnusedColumns(skip map[int]bool) {
	used := map[string]bool{}
	for _, name := range []string{colEmail, colCc, colBcc, colLanguage} {
		if col, err := c.Table.Lookup(name); err == nil {
			used[c.Table.Columns[col].Name] = true
		}
	}
	for _, f := range c.Template.Fields() {
		used[f] = true
	}
	for i, col := range c.Table.Columns {
		if col.Name == "" || skip[i] || used[col.Name] {
			continue
		}
		c.add(problem.Warningf(c.Table.Ref(c.Table.HeaderRow, i),
			fmt.Sprintf("column %s is not used by the template", col.Name),
			fmt.Sprintf("use it as {{.%s}} or ignore this warning", col.Name)))
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

// requiredColumn is a column a variant prints as it is, found once per plan.
type requiredColumn struct {
	col int
	use template.FieldUse
}

// findRequiredColumns finds, for each variant, the columns it prints as they are (see
// template.Required): an empty cell there is an error of the row, naming the cell.
func (c *checker) findRequiredColumns() {
	c.required = map[string][]requiredColumn{}
	for _, lang := range c.Template.Languages() {
		for _, u := range c.Template.Required(lang) {
			if col, err := c.Table.Lookup(u.Column); err == nil {
				c.required[lang] = append(c.required[lang], requiredColumn{col, u})
			}
		}
	}
}

// checkAddresses warns, once for each variant, about the addresses on a domain reserved
// for examples and tests (RFC 2606, RFC 6761) that its first message would send with:
// From, Reply-To, the body's links and the calendar entry. Such an address in a real
// mailing is a leftover of a sample: replies and questions would go nowhere. The
// recipients are left alone (tests mail reserved domains on purpose), and so are the
// placeholders of values still to be set, which are errors already.
func (c *checker) checkAddresses(lang string, msg *message.Message) {
	if c.addressesChecked == nil {
		c.addressesChecked = map[string]bool{}
	}
	if c.addressesChecked[lang] {
		return
	}
	c.addressesChecked[lang] = true
	file := path.Join(c.Template.Name(), c.Template.VariantFile(lang))
	// Each address is spoken of once, at the first place it is seen: the sender is also
	// the calendar entry's organizer.
	warn := func(where, place, addr, domain string, web bool) {
		key := "\x00" + strings.ToLower(addr)
		if c.addressesChecked[key] {
			return
		}
		c.addressesChecked[key] = true
		what := "nobody can receive mail there"
		if web {
			what = "no real page can be there"
		}
		c.add(problem.Warningf(where,
			fmt.Sprintf("%s: %s is on %s, a domain reserved for examples and tests: %s", place, addr, domain, what),
			"give the real address: the --from or --reply-to setting, the campaign fact or the line of the template that holds it"))
	}
	for _, f := range []struct {
		name string
		list []message.Address
	}{{"From", []message.Address{msg.From}}, {"Reply-To", msg.ReplyTo}} {
		for _, a := range f.list {
			if d, ok := reservedDomain(domainOf(a.Addr)); ok && !template.IsPlaceholder(a) {
				warn(c.Template.Name(), f.name, a.Addr, d, false)
			}
		}
	}
	for _, m := range hrefPattern.FindAllStringSubmatch(msg.HTML, -1) {
		target := m[1]
		host := ""
		web := !strings.HasPrefix(strings.ToLower(target), "mailto:")
		if !web {
			host = domainOf(strings.SplitN(target[len("mailto:"):], "?", 2)[0])
		} else if u, err := url.Parse(strings.ReplaceAll(target, "&amp;", "&")); err == nil {
			host = u.Hostname()
		}
		if d, ok := reservedDomain(host); ok {
			warn(file, "a link of the text", strings.TrimPrefix(target, "mailto:"), d, web)
		}
	}
	if msg.Calendar != nil {
		cal := strings.ReplaceAll(string(msg.Calendar), "\r\n ", "") // unfold
		for _, m := range calendarAddress.FindAllStringSubmatch(cal, -1) {
			if d, ok := reservedDomain(m[2]); ok && !strings.HasSuffix(m[2], "to-be-set.invalid") {
				warn(c.Template.Name(), "the calendar entry", m[1], d, strings.HasPrefix(m[1], "http"))
			}
		}
	}
}

var (
	hrefPattern     = regexp.MustCompile(`href="([^"]*)"`)
	calendarAddress = regexp.MustCompile(`((?:[A-Za-z0-9._%+-]+@|https?://)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+))`)
)

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.TrimSpace(addr[i+1:]))
	}
	return ""
}

// reservedDomain tells whether host is on a domain reserved for documentation and tests, and
// which: example.org, example.com, example.net and their subdomains, and the top-level
// domains example, invalid, test and localhost.
func reservedDomain(host string) (string, bool) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return "", false
	}
	for _, d := range []string{"example.org", "example.com", "example.net"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return d, true
		}
	}
	tld := host[strings.LastIndexByte(host, '.')+1:]
	switch tld {
	case "example", "invalid", "test", "localhost":
		return "." + tld, true
	}
	return "", false
}

// checkFactNames warns about facts set for this run that neither this template nor any
// built-in one uses: most often a typo ("signatary"), which would otherwise leave the
// letter without what the user meant to give it.
func (c *checker) checkFactNames(set map[string]string) {
	if len(set) == 0 {
		return
	}
	known := map[string]bool{}
	for _, f := range c.Template.Facts() {
		known[f.Name] = true
	}
	var unknown []string
	for key := range set {
		name, _, _ := strings.Cut(key, ".")
		if !known[name] && !slices.Contains(unknown, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return
	}
	for _, name := range templates.Names() {
		if fsys, err := templates.Folder(name); err == nil {
			if t, err := template.Load(fsys, name, template.Options{}); err == nil {
				for _, f := range t.Facts() {
					known[f.Name] = true
				}
			}
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		if known[name] {
			continue
		}
		hint := "the facts the built-in templates use are " + strings.Join(slices.Sorted(maps.Keys(known)), ", ")
		if best := problem.Closest(name, slices.Collect(maps.Keys(known))); best != "" {
			hint = fmt.Sprintf("did you mean %s?", best)
		}
		c.add(problem.Warningf(c.Template.Name(), fmt.Sprintf("the fact %s is set, but no template uses it", name), hint))
	}
}

// checkShadowedCopy warns when a built-in template is used although a folder of the same
// name lies in templates/ beside the workbook or here, as herald init makes them, and that
// folder differs from the built-in: the user has probably edited that copy and expects it to
// be sent. An unedited copy (or herald's own source tree) sends the same text, so it is no
// cause for a warning.
func (c *checker) checkShadowedCopy(in Inputs) {
	name := in.Template
	if name == "" {
		name = DefaultTemplate
	}
	dirs := []string{"."}
	if in.Contacts != "" {
		dirs = append(dirs, filepath.Dir(in.Contacts))
	}
	for _, dir := range dirs {
		copyDir := filepath.Join(dir, "templates", name)
		if st, err := os.Stat(copyDir); err == nil && st.IsDir() && !sameAsBuiltin(copyDir, name) {
			c.add(problem.Warningf(name, fmt.Sprintf("the built-in template %s is used, not the folder %s", name, copyDir),
				fmt.Sprintf("to send the folder's text, give --template %s (or template = %q in herald.toml)", copyDir, filepath.ToSlash(copyDir))))
			return
		}
	}
}

// sameAsBuiltin reports whether the folder dir holds exactly the files of the built-in
// template name with the same text. Line endings are compared loosely, since a checkout or
// an editor on Windows may have turned LF into CRLF without changing a word.
func sameAsBuiltin(dir, name string) bool {
	builtin, err := templates.Folder(name)
	if err != nil {
		return false
	}
	want := map[string][]byte{}
	err = fs.WalkDir(builtin, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(builtin, p)
		want[p] = data
		return err
	})
	if err != nil {
		return false
	}
	copied := os.DirFS(dir)
	seen := 0
	err = fs.WalkDir(copied, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		builtinData, ok := want[p]
		// Only a regular file is read: a pipe or device would block, a link is an edit.
		if !ok || !d.Type().IsRegular() {
			return errDiffers
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		// A template file larger than any built-in one cannot match; do not read it.
		if info.Size() > int64(2*len(builtinData)+64) {
			return errDiffers
		}
		data, err := fs.ReadFile(copied, p)
		if err != nil {
			return err
		}
		if !bytes.Equal(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), bytes.ReplaceAll(builtinData, []byte("\r\n"), []byte("\n"))) {
			return errDiffers
		}
		seen++
		return nil
	})
	return err == nil && seen == len(want)
}

var errDiffers = errors.New("differs from the built-in template")

// languageCode reports whether a Language cell holds a language code, such as fr, fr-BE or
// es-419, as message.<code>.md files are named.
func languageCode(s string) bool {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if len(s) < 2 || !isASCIILetter(s[0]) || !isASCIILetter(s[1]) || len(s) > 2 && s[2] != '-' {
		return false
	}
	_, err := language.Parse(s)
	return err == nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// languageNamed returns the code of a language written by its name, in English or in the
// language itself ("French", "français", "Español"), or "".
func languageNamed(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, code := range []string{"en", "fr", "es", "pt", "de", "it", "nl", "ar", "ru", "zh", "ja", "ko", "mn", "sl", "uk", "pl", "tr", "fa", "sw", "hi", "id"} {
		tag := language.MustParse(code)
		for _, n := range []string{display.English.Tags().Name(tag), display.Self.Name(tag)} {
			if strings.ToLower(n) == name {
				return code
			}
		}
	}
	return ""
}
