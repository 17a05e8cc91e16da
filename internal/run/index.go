package run

import (
	"encoding/base64"
	"fmt"
	"io"
	"time"
	"html/template"
	"strings"

	"github.com/mla-initiative/herald/internal/message"
)

type indexEntry struct {
	File        string
	Row         int
	To, Cc, Bcc string
	Subject     string
	Language    string
	Attachments string
}

type indexData struct {
	Campaign, Source, Template string
	Entries                    []indexEntry
	Total                      int
}

func newIndexEntry(base string, it *Item, msg *message.Message) indexEntry {
	var files []string
	for _, f := range msg.Attachments {
		files = append(files, f.Name)
	}
	if msg.Calendar != nil {
		files = append(files, "invite.ics")
	}
	lang := it.Language
	if lang == "" {
		lang = "default"
	}
	return indexEntry{
		File: base, Row: it.Row, Subject: msg.Subject, Language: lang,
		To: joinAddrs(msg.To), Cc: joinAddrs(msg.Cc), Bcc: joinAddrs(msg.Bcc),
		Attachments: strings.Join(files, ", "),
	}
}

func joinAddrs(list []message.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.Display()
	}
	return strings.Join(s, ", ")
}

func dataURL(f message.File) string {
	return "data:" + f.ContentType + ";base64," + base64.StdEncoding.EncodeToString(f.Data)
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>herald preview: {{.Campaign}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;display:flex;height:100vh;color:#1b1b1b}
#list{width:46%;overflow:auto;border-right:1px solid #ccc}
#view{flex:1;border:0;height:100vh}
header{padding:12px 16px;background:#f4f4f2;border-bottom:1px solid #ccc}
h1{font-size:18px;margin:0 0 4px}
p.meta{margin:0;font-size:13px;color:#555}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e5e5;vertical-align:top}
th{position:sticky;top:0;background:#fff}
tr:hover td{background:#eef4fb}
a{color:#0b4f8a}
</style></head><body>
<div id="list"><header><h1>Preview: {{.Campaign}}</h1>
<p class="meta">{{len .Entries}} of {{.Total}} messages · contacts: {{.Source}} · template: {{.Template}} · nothing has been sent</p></header>
<table><thead><tr><th>Row</th><th>To / Cc / Bcc</th><th>Subject</th><th>Lang</th><th>Attachments</th><th>Files</th></tr></thead><tbody>
{{range .Entries}}<tr><td>{{.Row}}</td><td>{{.To}}{{if .Cc}}<br>Cc: {{.Cc}}{{end}}{{if .Bcc}}<br>Bcc: {{.Bcc}}{{end}}</td>
<td><a href="html/{{.File}}.html" target="view">{{.Subject}}</a></td><td>{{.Language}}</td><td>{{.Attachments}}</td>
<td><a href="{{.File}}.eml">.eml</a></td></tr>
{{end}}</tbody></table></div>
<iframe id="view" name="view" title="message body"{{if .Entries}} src="html/{{(index .Entries 0).File}}.html"{{end}}></iframe>
</body></html>
`))

// PrintMessage shows one message as a person reads it: the headers that matter, the
// attachments, then the text part.
func PrintMessage(w io.Writer, it *Item, msg *message.Message) error {
	var b strings.Builder
	line := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%-12s %s\n", name+":", value)
		}
	}
	line("Row", fmt.Sprint(it.Row))
	line("From", msg.From.Display())
	line("Reply-To", joinAddrs(msg.ReplyTo))
	line("To", joinAddrs(msg.To))
	line("Cc", joinAddrs(msg.Cc))
	line("Bcc", joinAddrs(msg.Bcc))
	line("Subject", msg.Subject)
	line("Date", msg.Date.Format(time.RFC1123Z))
	line("Message-ID", "<"+msg.MessageID+">")
	lang := it.Language
	if lang == "" {
		lang = "default (message.md)"
	}
	line("Language", lang)
	var files []string
	for _, f := range msg.Attachments {
		files = append(files, fmt.Sprintf("%s (%s, %d bytes)", f.Name, f.ContentType, len(f.Data)))
	}
	if msg.Calendar != nil {
		files = append(files, fmt.Sprintf("invite.ics (text/calendar, %d bytes)", len(msg.Calendar)))
	}
	line("Attachments", strings.Join(files, "; "))
	b.WriteString("\n")
	b.WriteString(msg.Text)
	if !strings.HasSuffix(msg.Text, "\n") {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
