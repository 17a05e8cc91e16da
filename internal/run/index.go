package run

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/screen"
)

type indexEntry struct {
	File        string
	Row         int
	Label       string
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

// newIndexEntry describes a message for the index; Language is "" for message.md, whose
// language the template knows.
func newIndexEntry(base string, it *plan.Item, msg *message.Message) indexEntry {
	var files []string
	for _, f := range msg.Attachments {
		files = append(files, f.Name)
	}
	if msg.Calendar != nil {
		files = append(files, "invite.ics")
	}
	return indexEntry{
		File: base, Row: it.Row, Label: it.Label, Subject: msg.Subject, Language: it.Language,
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

// writeIndex writes index.html. The rows are written directly rather than by the
// template: html/template takes longer over 10,000 rows than writing all of their files.
// They are escaped as html/template escapes text and quoted attributes (TestIndexRows
// compares the two).
func writeIndex(w io.Writer, d indexData) error {
	if err := indexHead.Execute(w, d); err != nil {
		return err
	}
	buf := make([]byte, 0, 4<<10)
	for i := range d.Entries {
		buf = appendIndexRow(buf[:0], &d.Entries[i])
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return indexFoot.Execute(w, d)
}

func appendIndexRow(b []byte, e *indexEntry) []byte {
	b = append(b, "<tr><td>"...)
	b = strconv.AppendInt(b, int64(e.Row), 10)
	b = append(b, "</td><td>"...)
	b = appendEscaped(b, e.Label)
	b = append(b, "</td><td class=\"to\">"...)
	b = appendBreakable(b, e.To)
	if e.Cc != "" {
		b = append(b, "<br>Cc: "...)
		b = appendBreakable(b, e.Cc)
	}
	if e.Bcc != "" {
		b = append(b, "<br>Bcc: "...)
		b = appendBreakable(b, e.Bcc)
	}
	b = append(b, "</td>\n<td><a href=\"html/"...)
	b = appendEscaped(b, e.File) // previewName makes it safe in a URL
	b = append(b, ".html\" target=\"view\">"...)
	b = appendEscaped(b, e.Subject)
	b = append(b, "</a></td><td>"...)
	b = appendEscaped(b, e.Language)
	b = append(b, "</td><td>"...)
	b = appendEscaped(b, e.Attachments)
	b = append(b, "</td>\n<td><a href=\""...)
	b = appendEscaped(b, e.File)
	b = append(b, ".eml\">.eml</a></td></tr>\n"...)
	return b
}

// appendBreakable escapes s as appendEscaped does and lets a line break before each @ and
// each dot inside a word: a long address then wraps as "maarten.vanderlinden" /
// "@minbuza.nl.example", never in the middle of a name, and "Dra. Lucía" keeps its dot.
func appendBreakable(b []byte, s string) []byte {
	start := 0
	for i := 1; i < len(s)-1; i++ {
		if (s[i] == '@' || s[i] == '.') && s[i-1] != ' ' && s[i+1] != ' ' {
			b = appendEscaped(b, s[start:i])
			b = append(b, "<wbr>"...)
			start = i
		}
	}
	return appendEscaped(b, s[start:])
}

// breakable is appendBreakable for a template.
func breakable(s string) template.HTML { return template.HTML(appendBreakable(nil, s)) }

// appendEscaped escapes s as html/template does in text and in quoted attributes.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, repl...)
		start = i + 1
	}
	return append(b, s[start:]...)
}

var indexHead = template.Must(template.New("index").Parse(indexHeadSource))

const indexHeadSource = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>herald preview: {{.Campaign}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;display:flex;height:100vh;color:#1b1b1b}
#list{flex:0 0 60%;min-width:0;overflow:auto;border-right:1px solid #ccc}
#view{flex:1;border:0;height:100vh;min-width:0}
header{padding:12px 16px;background:#f4f4f2;border-bottom:1px solid #ccc}
h1{font-size:18px;margin:0 0 4px}
p.meta{margin:0 0 8px;font-size:13px;color:#555}
#filter{width:100%;box-sizing:border-box;font:inherit;font-size:14px;padding:6px 8px;border:1px solid #bbb;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e5e5;vertical-align:top}
td.to{overflow-wrap:break-word;min-width:11em}
td:nth-child(2){max-width:11em}
td:nth-child(4){min-width:12em}
th{position:sticky;top:0;background:#fff}
tr:hover td{background:#eef4fb}
tr.shown td{background:#dce9f7}
a{color:#0b4f8a}
@media (max-width:760px){
body{display:block;height:auto}
#list{border-right:0}
thead{display:none}
tr{display:block;padding:6px 0;border-bottom:1px solid #ddd}
td,td:nth-child(2){display:block;border:0;padding:1px 12px;max-width:none}
td:first-child::before{content:"Row "}
td:nth-child(6){display:none}
#view{display:block;width:100%;height:85vh;border-top:1px solid #ccc}
}
</style></head><body>
<div id="list"><header><h1>Preview: {{.Campaign}}</h1>
<p class="meta">{{len .Entries}} of {{.Total}} messages · contacts: {{.Source}} · template: {{.Template}} · nothing has been sent</p>
<input id="filter" type="search" placeholder="Filter: country, name, address, subject…" aria-label="filter the messages"></header>
<table><thead><tr><th>Row</th><th>Recipient</th><th>To / Cc / Bcc</th><th>Subject</th><th>Lang</th><th>Attachments</th><th>File</th></tr></thead><tbody>
`

var indexFoot = template.Must(template.New("index-end").Parse(indexFootSource))

const indexFootSource = `</tbody></table></div>
<iframe id="view" name="view" title="message body"{{if .Entries}} src="html/{{(index .Entries 0).File}}.html"{{end}}></iframe>
<script>
// Filter the rows as you type, and mark the row whose body is shown.
var rows = document.querySelectorAll("tbody tr");
document.getElementById("filter").addEventListener("input", function () {
  var q = this.value.toLowerCase();
  rows.forEach(function (r) { r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0; });
});
document.querySelector("tbody").addEventListener("click", function (e) {
  var a = e.target.closest("a[target=view]");
  if (!a) return;
  rows.forEach(function (r) { r.classList.remove("shown"); });
  a.closest("tr").classList.add("shown");
  if (window.matchMedia("(max-width:760px)").matches) {
    setTimeout(function () { document.getElementById("view").scrollIntoView(); }, 0);
  }
});
if (rows.length) rows[0].classList.add("shown");
</script>
</body></html>
`

// PrintMessage shows one message as a person reads it: the headers that matter, the
// attachments, then the text part.
func PrintMessage(w io.Writer, it *plan.Item, msg *message.Message) error {
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
	_, err := io.WriteString(w, screen.Clean(b.String()))
	return err
}
