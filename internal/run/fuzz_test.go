package run

import (
	"bytes"
	"net/mail"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mla-initiative/herald/internal/campaign"
	heraldmail "github.com/mla-initiative/herald/internal/mail"
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
	tmpl, err := campaign.Load(fsys, "fuzz", campaign.Options{
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
