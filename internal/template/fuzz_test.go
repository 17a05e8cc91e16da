package template

import (
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/message"
)

// FuzzRenderHeaders checks that no cell content, however odd, puts a line break or another
// control character into a header: Render either fails or gives clean values.
func FuzzRenderHeaders(f *testing.F) {
	withTo := loadFiles(f, map[string]string{
		"message.md": "Subject: Save the date, {{.Country}} ({{.LastName | upper}})\nFrom: MLA <mla@example.org>\n" +
			"To: {{.LastName}} <{{.Email}}>\nCc: {{.Cc}}\nAttach: {{if .Title}}{{.Title}}.pdf{{end}}\n" +
			"Event: Meeting with {{.Country}}\nEvent-Start: 2024-02-14\n\nText for {{.LastName}}.\n",
	}, testOptions())
	byColumn := loadFiles(f, map[string]string{
		"message.md": "Subject: {{.Country}}\nFrom: {{.LastName}} <mla@example.org>\n\nText.\n",
	}, testOptions())

	for _, seed := range [][5]string{
		{"Chile", "Dupont", "a@justice.example", "", ""},
		{"Chile\r\nBcc: spy@evil.example", "Dupont", "a@justice.example", "", ""},
		{"Chile", "Dupont\nX-Injected: 1", "a@justice.example\r\n", "c@x.example\n", ""},
		{"\u2028", "\u0085", "a@justice.example", "", "\x00"},
		{"=?utf-8?q?=0D=0A?=", "\"Du\\\"pont\r\"", "a@justice.example>\r\nBcc: b@x.example", "", ""},
		{"  \t ", "ü", "ü@bücher.example", "x@y.example; z@w.example", "../../etc/passwd"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	f.Fuzz(func(t *testing.T, country, name, email, cc, title string) {
		row := map[string]string{"Country": country, "LastName": name, "Email": email, "Cc": cc, "Title": title}
		for _, tp := range []*Template{withTo, byColumn} {
			m, _, err := tp.Render(row, "")
			if err != nil {
				continue
			}
			values := []string{m.Subject, m.MessageID, m.From.Name, m.From.Addr, m.From.String()}
			for _, list := range [][]message.Address{m.ReplyTo, m.To, m.Cc, m.Bcc} {
				for _, a := range list {
					values = append(values, a.Name, a.Addr, a.String())
				}
			}
			for _, a := range m.Attachments {
				values = append(values, a.Name)
			}
			for _, v := range values {
				if message.ContainsControl(v) || strings.ContainsAny(v, "\r\n") {
					t.Fatalf("header value %q holds a control character (row %q)", v, row)
				}
			}
			if m.Subject != strings.Join(strings.FieldsFunc(m.Subject, isASCIISpace), " ") || m.Subject == "" {
				t.Fatalf("Subject %q is empty or has uncollapsed spaces", m.Subject)
			}
			if len(m.To) == 0 {
				t.Fatalf("message without a recipient (row %q)", row)
			}
		}
	})
}
