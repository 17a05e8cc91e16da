package run

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
	"testing"
)

// indexReference is the whole index page as one html/template, as it was before the rows
// were written directly: writeIndex must give the same page.
var indexReference = template.Must(template.New("index").Funcs(template.FuncMap{"breakable": breakable}).Parse(strings.TrimSuffix(indexHeadSource, "\n") + "\n" +
	`{{range .Entries}}<tr><td>{{.Row}}</td><td>{{.Label}}</td><td class="to">{{breakable .To}}{{if .Cc}}<br>Cc: {{breakable .Cc}}{{end}}{{if .Bcc}}<br>Bcc: {{breakable .Bcc}}{{end}}</td>
<td><a href="html/{{.File}}.html" target="view">{{.Subject}}</a></td><td>{{.Language}}</td><td>{{.Attachments}}</td>
<td><a href="{{.File}}.eml">.eml</a></td></tr>
{{end}}` + indexFootSource))

func TestIndexRows(t *testing.T) {
	tricky := "<script>alert('x')</script> & \"quoted\" a+b \x00 é 王 \xff"
	data := indexData{
		Campaign: "save-the-date & co", Source: "contacts.xlsx", Template: "save-the-date", Total: 4,
		Entries: []indexEntry{
			{File: "0001-row0002-jean@justice.example", Row: 2, Label: "France · Ministère <de> la Justice", To: "Jean <jean@justice.example>", Subject: "Save the date", Language: "fr", Attachments: "invite.ics"},
			{File: "0002-row0003-a+b@x.example", Row: 3, To: tricky, Cc: tricky, Bcc: tricky, Subject: tricky, Language: tricky, Attachments: tricky},
			{File: "0003-row0010-no-address", Row: 10},
		},
	}
	for _, d := range []indexData{data, {Campaign: "empty"}} {
		var got, want bytes.Buffer
		if err := writeIndex(&got, d); err != nil {
			t.Fatal(err)
		}
		if err := indexReference.Execute(&want, d); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("writeIndex wrote\n%s\nwant (html/template)\n%s", got.String(), want.String())
		}
	}
}

func TestSafeName(t *testing.T) {
	reference := regexp.MustCompile(`[^a-zA-Z0-9._@+-]+`)
	for _, s := range []string{
		"jean@justice.example", "a+b_c-d.e@x.example", "", "王小明@例え.jp", "a  b\x00\xffc", "é", "/../x", "Ω@Ω", "a_b", "__",
	} {
		want := reference.ReplaceAllString(s, "_")
		if got := safeName(s); got != want {
			t.Errorf("safeName(%q) = %q, want %q", s, got, want)
		}
	}
}
