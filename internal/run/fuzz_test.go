package run

import (
	"bytes"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mla-initiative/herald/internal/contacts"
	heraldmail "github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/template"
)

// FuzzNoHeaderInjection renders cells of any content through a template that puts them in
// every header it can, writes the message as it would be sent, and parses it back: the
// message must have exactly the headers herald writes, each once. A cell that could add a
// line such as "Bcc: spy@evil.example" would show up here as an extra or repeated header.
func FuzzNoHeaderInjection(f *testing.F) {
	fsys := fstest.MapFS{"message.md": {Data: []byte(
		"Subject: Save the date, {{.Country}} ({{.Name}})\n" +
			"From: {{.Name}} <secretariat@conference.example.org>\n" +
			"Reply-To: {{.Name}} <reply@conference.example.org>\n" +
			"To: {{.Name}} <{{.Email}}>\n" +
			"Cc: {{.Cc}}\n\n" +
			"Dear {{.Name}}, {{.Country}}\n")}}
	tmpl, err := template.Load(fsys, "fuzz", template.Options{
		Now:   func() time.Time { return time.Unix(1700000000, 0).UTC() },
		NewID: func() string { return "fuzz.1" },
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][4]string{
		{"Chile", "Juan Pérez", "juan@justice.cl.example", ""},
		{"Chile\r\nBcc: spy@evil.example", "Juan", "juan@justice.cl.example", ""},
		{"Chile", "Juan\nX-Injected: yes", "juan@justice.cl.example", ""},
		{"Chile", "Juan", "juan@justice.cl.example>\r\nBcc: spy@evil.example", ""},
		{"Chile", "Juan", "juan@justice.cl.example", "c@x.example\r\nBcc: spy@evil.example"},
		{"=?utf-8?q?=0D=0ABcc:_spy@evil.example?=", "\"Ju\\\"an\"", "juan@justice.cl.example", "a@x.example; b@y.example"},
		{"\u2028Bcc: spy@evil.example", "\u0085", "juan@justice.cl.example", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	allowed := []string{"Date", "Mime-Version", "Message-Id", "Subject", "X-Mailer", "From", "To", "Cc", "Reply-To", "Content-Type"}
	f.Fuzz(func(t *testing.T, country, name, email, cc string) {
		row := map[string]string{"Country": country, "Name": name, "Email": email, "Cc": cc}
		m, _, err := tmpl.Render(row, "")
		if err != nil {
			return // refused: nothing is sent
		}
		eml, err := heraldmail.AppendEML(nil, m)
		if err != nil {
			return // refused when writing: nothing is sent
		}
		parsed, err := mail.ReadMessage(bytes.NewReader(eml))
		if err != nil {
			t.Fatalf("the message written for row %q does not parse: %v", row, err)
		}
		for key, values := range parsed.Header {
			if !slices.Contains(allowed, key) {
				t.Fatalf("row %q added the header %q: %q", row, key, values)
			}
			if len(values) != 1 {
				t.Fatalf("row %q gave %d %s headers: %q", row, len(values), key, values)
			}
		}
		if _, ok := parsed.Header["Bcc"]; ok {
			t.Fatalf("row %q put a Bcc header in the message", row)
		}
	})
}

// FuzzCheckedRowRenders holds check and preview to one rule: a row that check accepts
// renders and is written as it would be sent. A row check passes but the writer refuses
// would abort a whole preview, or be logged as a failure by send.
func FuzzCheckedRowRenders(f *testing.F) {
	longFile := strings.Repeat("Lettre d’invitation ", 12) + ".pdf"
	var templates []*template.Template
	for _, src := range []string{
		"Subject: Save the date, {{.Name}}\nFrom: Secretariat <secretariat@conference.example.org>\n\nDear {{.Name}}\n",
		"Subject: {{.Name}}\nFrom: {{.Name}} <secretariat@conference.example.org>\nTo: {{.Name}} <{{.Email}}>\nAttach: {{.File}}\n\nDear {{.Name}}\n",
	} {
		tmpl, err := template.Load(fstest.MapFS{
			"message.md": {Data: []byte(src)},
			"a.pdf":      {Data: []byte("%PDF-1.4")},
			longFile:     {Data: []byte("%PDF-1.4")},
		}, "fuzz", template.Options{
			Now:   func() time.Time { return time.Unix(1700000000, 0).UTC() },
			NewID: func() string { return "fuzz.1" },
		})
		if err != nil {
			f.Fatal(err)
		}
		templates = append(templates, tmpl)
	}
	for _, seed := range [][4]string{
		{"ana@justice.test", "", "Ana", "a.pdf"},
		{`"john doe"@example.org`, "", "John", "a.pdf"},
		{"=?utf-8?q?A=0D=0AX?= <w4@example.org>", "", "W", "a.pdf"},
		{"ana@justice.test", "b@x.test; c@y.test", strings.Repeat("Ministère", 120), "a.pdf"},
		{"ana@justice.test", "", "Directorate", longFile},
		{"Dr. Ana Pérez-Ibáñez de la Fuente y Ñúñez <ana@justice.test>", "", "Ana", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	table := &contacts.Table{File: "fuzz.csv", HeaderRow: 1, Columns: []contacts.Column{
		{Header: "Email", Name: "Email", Index: 0}, {Header: "Cc", Name: "Cc", Index: 1},
		{Header: "Name", Name: "Name", Index: 2}, {Header: "File", Name: "File", Index: 3},
	}}
	f.Fuzz(func(t *testing.T, email, cc, name, file string) {
		table.Rows = []contacts.Row{{Number: 2, Values: []string{email, cc, name, file}}}
		for _, tmpl := range templates {
			c := &checker{Plan: &plan.Plan{Campaign: "fuzz", Table: table, Template: tmpl}}
			c.findCheckedColumns()
			_, msg, problems := c.checkRow(0)
			if problem.HasError(problems) {
				continue
			}
			if _, err := heraldmail.AppendEML(nil, msg); err != nil {
				t.Fatalf("check accepted the row %q, but its message cannot be written: %v", table.Rows[0].Values, err)
			}
		}
	})
}
