package template

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	texttemplate "text/template"

	"github.com/mla-initiative/herald/internal/message"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render makes the message for one row: row maps column identifiers to cell values, lang
// is the row's language (its Language cell). Errors name the file and the header, as in
// `message.fr.md: Attach: file "letters/Chile.pdf" not found (looked for …)`. The notices
// are about addresses, such as an internationalised domain converted to its xn-- form.
//
// The Data of inline files and attachments, and the Calendar, are shared between messages:
// they must not be modified.
func (t *Template) Render(row map[string]string, lang string) (*message.Message, []message.Notice, error) {
	v, _ := t.pick(lang)
	if v.err != nil {
		return nil, nil, v.err
	}
	if row == nil {
		row = map[string]string{}
	}
	r := rendering{t: t, v: v, row: row}
	v.rendered.Add(1)
	m := &message.Message{Date: t.opt.Now()}

	subject, err := r.header("Subject")
	if err != nil {
		return nil, nil, err
	}
	m.Subject = collapseSpaces(subject)
	if m.Subject == "" {
		return nil, nil, r.errorf("Subject", "the subject is empty for this row")
	}

	if err := r.addresses(m); err != nil {
		return nil, nil, err
	}
	at := strings.LastIndexByte(m.From.Addr, '@')
	m.MessageID = t.opt.NewID() + "@" + m.From.Addr[at+1:]

	if err := r.body(m); err != nil {
		return nil, nil, err
	}

	m.Inline = slices.Clip(v.inline)
	if err := r.attachments(m); err != nil {
		return nil, nil, err
	}
	if v.event {
		m.Calendar = v.calendar
		if m.Calendar == nil {
			f, err := r.eventFields()
			if err != nil {
				return nil, nil, err
			}
			if m.Calendar, err = buildCalendar(f, v.uid, t.opt.Now(), m.From); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", v.file, err)
			}
		}
	}
	return m, r.notices, nil
}

// rendering is the state of one Render call.
type rendering struct {
	t       *Template
	v       *variant
	row     map[string]string
	notices []message.Notice
}

func (r *rendering) errorf(header, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", r.v.file, header, fmt.Sprintf(format, args...))
}

// exec renders one header, and refuses a value with a control character: a line break from
// a cell must never start a new header line.
func (r *rendering) exec(p *part) (string, error) {
	if p == nil {
		return "", nil
	}
	s := p.value
	if p.tmpl != nil {
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		err := p.tmpl.Execute(buf, r.row)
		s = buf.String()
		bufPool.Put(buf)
		if err != nil {
			return "", r.errorf(p.header, "%s", execError(err))
		}
	}
	if !utf8.ValidString(s) {
		return "", r.errorf(p.header, "the value is not valid UTF-8 text: %q", s)
	}
	if message.ContainsControl(s) {
		i := strings.IndexFunc(s, func(c rune) bool { return unicode.IsControl(c) || c == '\u2028' || c == '\u2029' })
		return "", r.errorf(p.header, "the value contains a control character (%U), as from a line break in a cell: %q", []rune(s[i:])[0], s)
	}
	return s, nil
}

func (r *rendering) header(name string) (string, error) { return r.exec(r.v.headers[name]) }

// addresses fills From, Reply-To, To, Cc and Bcc.
func (r *rendering) addresses(m *message.Message) error {
	switch {
	case r.t.from != nil:
		m.From = *r.t.from
	case r.v.from != nil:
		m.From = *r.v.from
	default:
		s, err := r.header("From")
		if err != nil {
			return err
		}
		a, notices, err := message.ParseAddress(s)
		if err != nil {
			return r.errorf("From", "%v", err)
		}
		m.From = a
		r.notices = append(r.notices, notices...)
	}

	var err error
	if r.t.replyTo != nil {
		m.ReplyTo = r.t.replyTo
	} else if m.ReplyTo, err = r.list("Reply-To", ""); err != nil {
		return err
	}
	if m.To, err = r.list("To", "Email"); err != nil {
		return err
	}
	if len(m.To) == 0 {
		if r.v.headers["To"] != nil {
			return r.errorf("To", "no address for this row")
		}
		if _, ok := r.row["Email"]; !ok {
			return fmt.Errorf("%s: no recipient: the workbook has no Email column and there is no To header", r.v.file)
		}
		return fmt.Errorf("%s: no recipient: the Email cell of this row is empty", r.v.file)
	}
	if m.Cc, err = r.list("Cc", "Cc"); err != nil {
		return err
	}
	m.Bcc, err = r.list("Bcc", "Bcc")
	return err
}

// list parses the addresses of a header or, without that header, of the column.
func (r *rendering) list(header, column string) ([]message.Address, error) {
	var s string
	if p := r.v.headers[header]; p != nil && p.addrs != nil {
		return slices.Clip(p.addrs), nil
	} else if p != nil && p.named != nil {
		return r.named(p)
	} else if p != nil {
		var err error
		if s, err = r.exec(p); err != nil {
			return nil, err
		}
	} else if column != "" {
		s = r.row[column]
	}
	list, notices, err := message.ParseList(s)
	if err != nil {
		if r.v.headers[header] == nil {
			return nil, fmt.Errorf("%s: %s (the %s column): %w", r.v.file, header, column, err)
		}
		return nil, r.errorf(header, "%v", err)
	}
	r.notices = append(r.notices, notices...)
	return list, nil
}

// named renders a header of the form {{.Email | named .Title .FullName}} without going
// through text: the cell's addresses are read once, and the name is given to the first
// address that has none, as the function named does. It is the To of every built-in
// template, rendered for every row.
func (r *rendering) named(p *part) ([]message.Address, error) {
	cell := r.row[p.named.column]
	if message.ContainsControl(cell) {
		return nil, r.errorf(p.header, "the value contains a control character, as from a line break in a cell: %q", cell)
	}
	list, notices, err := message.ParseList(cell)
	if err != nil {
		return nil, r.errorf(p.header, "%v", err)
	}
	r.notices = append(r.notices, notices...)
	if len(list) > 0 && list[0].Name == "" {
		var b strings.Builder
		for _, part := range p.named.name {
			v := part.text
			if part.column != "" {
				v = r.row[part.column]
			}
			if v = strings.TrimSpace(v); v != "" {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(v)
			}
		}
		if name := collapseSpaces(b.String()); name != "" && !message.ContainsControl(name) {
			list[0].Name = name
		}
	}
	return list, nil
}

func (r *rendering) body(m *message.Message) error {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)

	buf.Reset()
	if l := r.v.layout; l != nil {
		buf.WriteString(l.head[0])
		buf.WriteString(html.EscapeString(m.Subject))
		buf.WriteString(l.head[1])
	}
	if err := r.v.html.Execute(buf, r.row); err != nil {
		return fmt.Errorf("%s: %s", r.v.file, execError(err))
	}
	if l := r.v.layout; l != nil {
		buf.WriteString(l.foot)
	}
	m.HTML = lfOnly(buf.String())
	if strings.Contains(m.HTML, "ZgotmplZ") && len(r.v.unset) == 0 {
		// html/template puts this in place of a value it refuses in an attribute, such as
		// a link from a cell starting with javascript: or data:. (A fact still to be set
		// gives it too, in a link; that is an error of its own.)
		r.notices = append(r.notices, message.Notice("a link or attribute made from a cell was refused as unsafe (it starts with javascript:, data: or the like) and shows as #ZgotmplZ"))
	}

	buf.Reset()
	if err := r.v.text.Execute(buf, r.row); err != nil {
		return fmt.Errorf("%s: %s", r.v.text.Name(), execError(err))
	}
	m.Text = lfOnly(tidy(buf.Bytes()))
	return nil
}

func (r *rendering) attachments(m *message.Message) error {
	n := len(r.v.staticAt)
	for _, p := range r.v.attach {
		if p.tmpl != nil {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	m.Attachments = make([]message.File, 0, n)
	static := r.v.staticAt
	for i, p := range r.v.attach {
		var c string
		if p.tmpl == nil {
			if strings.TrimSpace(p.value) == "" {
				continue
			}
			c, static = static[0], static[1:]
		} else {
			s, err := r.exec(p)
			if err != nil {
				return err
			}
			if strings.TrimSpace(s) == "" {
				continue // {{if .Letter}}letters/{{.Letter}}{{end}} attaches nothing to some rows
			}
			r.v.attachUsed[i].Add(1)
			if c, err = cleanPath(s); err != nil {
				return r.errorf("Attach", "%v", err)
			}
		}
		f, err := r.t.files.file(c)
		if err != nil {
			return r.errorf("Attach", "%v", err)
		}
		m.Attachments = append(m.Attachments, f)
	}
	total := 0
	for _, f := range m.Attachments {
		total += len(f.Data)
	}
	for _, f := range m.Inline {
		total += len(f.Data)
	}
	if total > maxMessageFiles {
		return r.errorf("Attach", "the files of this message add up to %d MB, more than any mail server accepts (at most %d MB, once encoded %d MB)", total>>20, maxMessageFiles>>20, maxMessageFiles*4/3>>20)
	}
	return nil
}

// maxMessageFiles bounds the files of one message: Exchange Online takes 35 MB at most once
// encoded (Gmail 25 MB).
const maxMessageFiles = 25 << 20

// eventFields renders the Event headers for this row.
func (r *rendering) eventFields() (eventFields, error) {
	f := eventFields{sequence: r.v.sequence, free: r.v.free}
	for _, h := range []struct {
		name string
		dst  *string
	}{
		{"Event", &f.summary}, {"Event-Start", &f.start}, {"Event-End", &f.end},
		{"Event-Location", &f.location}, {"Event-Description", &f.description},
	} {
		s, err := r.header(h.name)
		if err != nil {
			return f, err
		}
		*h.dst = s
	}
	return f, nil
}

// eventFields returns the Event headers of a variant whose headers have no placeholder.
func (v *variant) eventFields() eventFields {
	value := func(name string) string {
		if p := v.headers[name]; p != nil {
			return p.value
		}
		return ""
	}
	return eventFields{
		summary: value("Event"), start: value("Event-Start"), end: value("Event-End"),
		location: value("Event-Location"), description: value("Event-Description"),
		sequence: v.sequence, free: v.free,
	}
}

// execError shortens text/template's execution errors, whose positions refer to generated
// text, to what went wrong and where in the template's terms.
func execError(err error) string {
	var ee texttemplate.ExecError
	s := err.Error()
	if errors.As(err, &ee) {
		s = ee.Err.Error()
	}
	if i := strings.Index(s, "executing "); i >= 0 {
		s = s[i:]
		if j := strings.Index(s, " at <"); j >= 0 {
			s = s[j+len(" at "):]
		}
	}
	if i := strings.Index(s, "map has no entry for key "); i >= 0 {
		return "no column " + s[i+len("map has no entry for key "):] + " in the workbook"
	}
	return strings.TrimPrefix(s, "template: ")
}

// collapseSpaces replaces every run of ASCII white space with one space and trims both
// ends. A no-break space is kept: French puts one before a colon ("Invitation\u00a0:").
func collapseSpaces(s string) string {
	clean := true
	prevSpace := true
	for _, c := range s {
		space := isASCIISpace(c)
		if space && (prevSpace || c != ' ') {
			clean = false
			break
		}
		prevSpace = space
	}
	if clean && !prevSpace {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isASCIISpace), " ")
}

func isASCIISpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// lfOnly ends every line with LF alone, as the files and cells the body is made of are read:
// a carriage return that a value still held would be read as a line end by some mail
// programs and not by others.
func lfOnly(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
}
