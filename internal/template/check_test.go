package template

import (
	"reflect"
	"strings"
	"testing"
)

func TestCheckUnknownPlaceholders(t *testing.T) {
	files := map[string]string{
		"message.md": "Subject: Hello {{.Contry}}\n" + // line 1
			"From: a@example.org\n" + // 2
			"Attach: letters/{{.country}}.pdf\n" + // 3
			"\n" + // 4
			"Dear {{.FristName}},\n" + // 5
			"\n" + // 6
			"{{if .Tilte}}\n" + // 7
			"{{$.Ministery}} and {{index . \"Ministry\"}} and {{index . \"Zone\"}}\n" + // 8
			"{{end}}\n", // 9
		"message.html":    "Subject: S\n\n<p>{{.Nope}}</p>\n",
		"message.fr.html": "Subject: S\nFrom: a@example.org\n\n<p>{{.LastName}}</p>\n",
		"message.fr.txt":  "Line 1\n{{.LastNam}}\n",
	}
	tp := loadFiles(t, files, testOptions())
	var got []string
	for _, p := range tp.Check(testColumns) {
		got = append(got, inFolder(p)+" | "+hintOf(p))
	}
	want := []string{
		"message.md: both message.md and message.html exist; a language has either a .md or a .html file | remove or rename the one that should not be sent",
		"message.md:1: Subject: {{.Contry}} names no column of the workbook | did you mean {{.Country}}?",
		"message.md:3: Attach: {{.country}} names no column of the workbook | did you mean {{.Country}}?",
		"message.md:5: {{.FristName}} names no column of the workbook | did you mean {{.FirstName}}?",
		"message.md:7: {{.Tilte}} names no column of the workbook | did you mean {{.Title}}?",
		"message.md:8: {{.Ministery}} names no column of the workbook | did you mean {{.Ministry}}?",
		"message.md:8: {{.Zone}} names no column of the workbook | the columns are {{.Email}}, {{.Salutation}}, {{.FirstName}}, {{.LastName}}, {{.Title}}, {{.Country}}, {{.Ministry}}, {{.Language}}, {{.Cc}}, {{.RegistrationURL}}",
		"message.fr.html: message.fr.html has 0 Attach lines and message.md has 1 | ",
		"message.fr.txt:2: {{.LastNam}} names no column of the workbook | did you mean {{.LastName}}?",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Check:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := tp.Fields(), []string{"Contry", "FristName", "LastNam", "LastName", "Ministery", "Ministry", "Tilte", "Zone", "country"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Fields() = %q, want %q", got, want)
	}
}

func TestCheckProblems(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		opt     func(*Options)
		columns []string
		errors  []string
		warns   []string
	}{
		{
			name:  "clean",
			files: map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nText.\n"},
		},
		{
			name:   "no Subject, no sender",
			files:  map[string]string{"message.md": "To: a@example.org\n\nText.\n"},
			errors: []string{"message.md:1: no Subject header", "message.md:1: no sender: no From header and no From setting"},
		},
		{
			name:   "empty Subject and To",
			files:  map[string]string{"message.md": "Subject:\nFrom: a@example.org\nTo:\n\nText.\n"},
			errors: []string{"message.md:1: Subject is empty", "message.md:3: To is empty"},
		},
		{
			name:  "From setting instead of a From header",
			files: map[string]string{"message.md": "Subject: S\nFrom: not an address\n\nText.\n"},
			opt:   func(o *Options) { o.From = "protocol@ministry.example" },
		},
		{
			name:   "bad From setting",
			files:  map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nText.\n"},
			opt:    func(o *Options) { o.From = "protocol@ministry" },
			errors: []string{`From setting: invalid address "protocol@ministry": domain "ministry" has no dot (a full domain such as justice.example is needed)`},
		},
		{
			name:   "bad addresses in headers",
			files:  map[string]string{"message.md": "Subject: S\nFrom: MLA\nReply-To: r@@example.org\nCc: a@example.org; b\n\nText.\n"},
			errors: []string{`message.md:2: From: invalid address "MLA"`, `message.md:3: Reply-To: invalid address "r@@example.org"`, `message.md:4: Cc: invalid address "b"`},
		},
		{
			name:   "template syntax errors name the file line",
			files:  map[string]string{"message.md": "Subject: {{.A\nFrom: a@example.org\n\nOne\n\n{{if .Country}}\nTwo\n"},
			errors: []string{"message.md:1: Subject: unclosed action", "message.md:8: unexpected EOF"},
		},
		{
			name:  "block across a paragraph and a list",
			files: map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n{{if .Title}}\nPara\n\n- item\n{{end}}\n\n{{with .Cc}}\n\nFine.\n\n{{end}}\n"},
			warns: []string{"message.md:8: {{end}} is not in the same paragraph, list or table as the {{if .Title}} on line 4; the HTML of some messages will be malformed"},
		},
		{
			name:   "not UTF-8",
			files:  map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nCh\xe8re Madame,\n"},
			errors: []string{"message.md:4: the file is not in UTF-8: accented letters would show as garbage"},
		},
		{
			name:   "unknown function",
			files:  map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n\nText {{capitalize .Country}}\n"},
			errors: []string{`message.md:5: function "capitalize" not defined`},
		},
		{
			name:    "no recipient column",
			files:   map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nText.\n"},
			columns: []string{"Name"},
			errors:  []string{"message.md: no recipient: the workbook has no e-mail column and there is no To header"},
		},
		{
			name:  "static attachments",
			files: map[string]string{"message.md": "Subject: S\nFrom: a@example.org\nAttach: missing.pdf\nAttach: ../x.pdf\nAttach: /etc/passwd\nAttach: sub\nAttach: sub/ok.pdf\n\nText.\n", "sub/ok.pdf": "%PDF"},
			errors: []string{
				`message.md:3: Attach: file "missing.pdf" not found (looked for tmpl/missing.pdf)`,
				`message.md:4: Attach: path "../x.pdf" leaves the template folder; files must be inside it`,
				`message.md:5: Attach: path "/etc/passwd" is absolute; give a path inside the template folder`,
				`message.md:6: Attach: "sub" is a folder, not a file`,
			},
		},
		{
			name:   "an action html/template cannot escape",
			files:  map[string]string{"message.html": "Subject: S\nFrom: a@example.org\n\n{{if .Title}}<a href=\"{{else}}<b>{{end}}x\">\n"},
			errors: []string{`message.html:4: the HTML made from this file cannot be a template: {{if}} branches end in different contexts`},
		},
		{
			name: "warnings",
			files: map[string]string{
				"message.md":     "Subject: S\nFrom: a@example.org\nAttach: a.pdf\nEvent: E\nEvent-Start: 2024-02-14\nLanguage: fr\nDear Sir,\n",
				"message.es.md":  "Subject: S\nFrom: a@example.org\nLanguage: de\n\n",
				"message.es.txt": "ignored",
				"message.de.txt": "ignored",
				"a.pdf":          "%PDF",
			},
			warns: []string{
				"message.md:4: no Event-ID: the calendar entry is known by its title and start, so a later message with a title changed by one word would add a second entry",
				"message.md:7: no blank line after the headers; the text starts here",
				"message.es.md: message.md has an Event and message.es.md has none: only some rows get the calendar file",
				"message.es.md: message.es.md has 0 Attach lines and message.md has 1",
				`message.es.md:3: Language "de" ignored: the file name says "es"`,
				"message.es.md:5: the message has no text",
				"message.de.txt: file ignored: a .txt file is only used beside a .html file of the same language",
				"message.es.txt: file ignored: the text part of message.es.md is made from its Markdown",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := testOptions()
			if tt.opt != nil {
				tt.opt(&opt)
			}
			tp := loadFiles(t, tt.files, opt)
			columns := testColumns
			if tt.columns != nil {
				columns = tt.columns
			}
			ps := tp.Check(columns)
			if got := errorsOf(ps); !reflect.DeepEqual(got, tt.errors) {
				t.Errorf("errors:\n%q\nwant:\n%q", got, tt.errors)
			}
			if got := warningsOf(ps); !reflect.DeepEqual(got, tt.warns) {
				t.Errorf("warnings:\n%q\nwant:\n%q", got, tt.warns)
			}
			// Render refuses a file with an error found on loading.
			_, _, err := tp.Render(testRow(), "")
			var loadErr bool
			for _, p := range ps {
				if !p.Warning && !strings.Contains(p.Message, "no recipient") {
					loadErr = true
				}
			}
			if loadErr && err == nil {
				t.Error("Render succeeded on a template with errors")
			}
			if !loadErr && tt.columns == nil && err != nil {
				t.Errorf("Render: %v", err)
			}
		})
	}
}

func TestColumnHint(t *testing.T) {
	columns := []string{"FirstName", "LastName", "Country", "Email"}
	tests := []struct{ name, want string }{
		{"firstname", "did you mean {{.FirstName}}?"},
		{"FirstNmae", "did you mean {{.FirstName}}?"},
		{"E_mail", "did you mean {{.Email}}?"},
		{"Pays", "the columns are {{.FirstName}}, {{.LastName}}, {{.Country}}, {{.Email}}"},
	}
	for _, tt := range tests {
		if got := columnHint(tt.name, columns); got != tt.want {
			t.Errorf("columnHint(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := columnHint("X", nil); got != "the workbook has no columns" {
		t.Errorf("columnHint with no columns = %q", got)
	}
}
