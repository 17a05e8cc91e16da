package template

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/message"
)

func TestRenderFixture(t *testing.T) {
	tp, err := Load(os.DirFS("testdata/full"), "testdata/full", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if ps := tp.Check(testColumns); len(ps) != 0 {
		t.Fatalf("Check found problems in the fixture: %v", ps)
	}
	row := testRow()
	row["Cc"] = "Desk <desk@justice.example>"
	m, notices, err := tp.Render(row, "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 0 {
		t.Errorf("notices = %q, want none", notices)
	}
	want := struct {
		From, ReplyTo, To, Cc, Subject, MessageID string
	}{
		From:      `"MLA Initiative" <mla-initiative@example.org>`,
		ReplyTo:   `"MLA Initiative Secretariat" <secretariat@example.org>`,
		To:        `"Jean Dupont" <jean.dupont@justice.example>`,
		Cc:        `"Desk" <desk@justice.example>`,
		Subject:   "Save the date — Signing Conference, The Hague, 14–15 February 2024 (Chile)",
		MessageID: "id1@example.org",
	}
	got := want
	got.From = m.From.String()
	got.ReplyTo = joinAddresses(m.ReplyTo)
	got.To = joinAddresses(m.To)
	got.Cc = joinAddresses(m.Cc)
	got.Subject = m.Subject
	got.MessageID = m.MessageID
	if got != want {
		t.Errorf("headers:\n got %+v\nwant %+v", got, want)
	}
	if !m.Date.Equal(testNow) {
		t.Errorf("Date = %v, want %v", m.Date, testNow)
	}
	if len(m.Bcc) != 0 {
		t.Errorf("Bcc = %v, want none", m.Bcc)
	}

	var files []string
	for _, f := range m.Attachments {
		files = append(files, f.Name+" "+f.ContentType)
	}
	if want := []string{"programme.pdf application/pdf", "Chile.pdf application/pdf"}; !reflect.DeepEqual(files, want) {
		t.Errorf("attachments = %q, want %q", files, want)
	}
	if len(m.Inline) != 1 || m.Inline[0].Name != "emblem.png" || m.Inline[0].ContentType != "image/png" {
		t.Fatalf("inline files = %+v, want emblem.png as image/png", m.Inline)
	}
	if !strings.Contains(m.HTML, `<img src="cid:`+m.Inline[0].ContentID+`" alt="Emblem of the Conference" width="120"`) {
		t.Errorf("HTML does not show the emblem inline:\n%s", m.HTML)
	}
	for _, s := range []string{
		"<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\" xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\">",
		`<meta charset="utf-8">`,
		"<title>Save the date — Signing Conference, The Hague, 14–15 February 2024 (Chile)</title>",
		"Excellency Dupont,</p>",
		"inform the Ministry of Justice of\nChile that the <strong>Signing Conference</strong>",
		"With our compliments to Minister Jean Dupont.</p>",
		`<a href="https://register.example/?c=CL" style=`,
		`<a href="https://conference.example/chile" style=`,
		"A copy of this letter is sent to Desk &lt;desk@justice.example&gt;.</p>",
		"&ldquo;The Convention is the fruit of a decade of work,&rdquo; said &#34;Chile&#34;&rsquo;s delegate.",
		"Yours faithfully,<br>\nThe co-hosts</p>",
	} {
		if !strings.Contains(m.HTML, s) {
			t.Errorf("HTML lacks %q:\n%s", s, m.HTML)
		}
	}
	if strings.Contains(m.HTML, "French") || strings.Contains(m.HTML, "{{") {
		t.Errorf("HTML holds the wrong branch or an action:\n%s", m.HTML)
	}
	wantText := `Excellency Dupont,

The co-hosting States — Argentina, Belgium, Mongolia, the Netherlands, Senegal and Slovenia — have the honour to inform the Ministry of Justice of Chile that the Signing Conference of the Ljubljana–The Hague Convention will take place in The Hague on 14 and 15 February 2024.

With our compliments to Minister Jean Dupont.

Date | Programme
14 February 2024 | Opening and signing ceremony
15 February 2024 | Plenary sessions

Please register your delegation at the conference website <https://register.example/?c=CL> or write to secretariat@example.org. See also https://conference.example/chile.

A copy of this letter is sent to Desk <desk@justice.example>.

> “The Convention is the fruit of a decade of work,” said "Chile"’s delegate.

1. Registration closes on 15 January 2024.
2. Accreditation is personal.

Yours faithfully,
The co-hosts
`
	if m.Text != wantText {
		t.Errorf("Text:\n%s\nwant:\n%s", m.Text, wantText)
	}

	fr, _, err := tp.Render(testRow(), "fr-BE")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Réservez la date — Conférence de signature, La Haye, 14–15 février 2024 (Chile)"; fr.Subject != want {
		t.Errorf("French subject = %q, want %q", fr.Subject, want)
	}
	if !strings.Contains(fr.HTML, `<html lang="fr" dir="ltr" `) || !strings.Contains(fr.HTML, "d&rsquo;informer Ministry of Justice") {
		t.Errorf("French HTML is not the French variant:\n%s", fr.HTML)
	}
}

func joinAddresses(list []message.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func TestRenderEscapesCellValues(t *testing.T) {
	tp := loadFiles(t, map[string]string{
		"message.md": "Subject: For {{.LastName}}\nFrom: a@example.org\n\n" +
			"Dear **{{.LastName}}**, see [this]({{.RegistrationURL}}).\n\n" +
			"| Name |\n|---|\n| {{.LastName}} |\n",
	}, testOptions())
	row := testRow()
	row["LastName"] = "<b>Jo</b> & **x** <script>alert(1)</script> [y](https://evil.example)"
	m, _, err := tp.Render(row, "")
	if err != nil {
		t.Fatal(err)
	}
	escaped := "&lt;b&gt;Jo&lt;/b&gt; &amp; **x** &lt;script&gt;alert(1)&lt;/script&gt; [y](https://evil.example)"
	if got := strings.Count(m.HTML, escaped); got != 3 {
		t.Errorf("the escaped cell appears %d times in the HTML, want 3 (title, paragraph, table):\n%s", got, m.HTML)
	}
	for _, bad := range []string{"<b>Jo", "<script>", `href="https://evil.example"`, "<strong>x</strong>"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML holds %q: a cell changed the structure:\n%s", bad, m.HTML)
		}
	}
	if !strings.Contains(m.Text, "Dear "+row["LastName"]+", see this <https://register.example/?c=CL>.") {
		t.Errorf("text part does not show the cell as it is:\n%s", m.Text)
	}
	if m.Subject != "For "+row["LastName"] {
		t.Errorf("Subject = %q, want the cell as it is", m.Subject)
	}
}

func TestRenderLinks(t *testing.T) {
	tests := []struct {
		name, markdown, url, want string
	}{
		{"plain", "[Register]({{.RegistrationURL}})", "https://r.example/?a=1&b=2", `<a href="https://r.example/?a=1&amp;b=2">Register</a>`},
		{"javascript refused", "[Register]({{.RegistrationURL}})", "javascript:alert(1)", `<a href="#ZgotmplZ">Register</a>`},
		{"quote cannot leave the attribute", "[Register]({{.RegistrationURL}})", `https://r.example/" onclick="x`, `<a href="https://r.example/%22%20onclick=%22x">Register</a>`},
		{"in the query", "[Register](https://r.example/?c={{.RegistrationURL}}&l=en)", "Côte d'Ivoire & co", `<a href="https://r.example/?c=C%c3%b4te%20d%27Ivoire%20%26%20co&amp;l=en">Register</a>`},
		{"action with spaces and quotes", `[Register](https://r.example/{{printf "%s/%s" .Country .RegistrationURL | lower}})`, "X", `<a href="https://r.example/chile/x">Register</a>`},
		{"autolink", "<https://r.example/{{.Country}}>", "", `<a href="https://r.example/Chile">https://r.example/Chile</a>`},
		{"mail link", "[write]({{.RegistrationURL}})", "mailto:desk@example.org", `<a href="mailto:desk@example.org">write</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n" + tt.markdown + "\n"}, testOptions())
			if errs := errorsOf(tp.Check(testColumns)); len(errs) > 0 {
				t.Fatalf("Check: %v", errs)
			}
			row := testRow()
			row["RegistrationURL"] = tt.url
			m, _, err := tp.Render(row, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := stripStyles(body(m.HTML)); !strings.Contains(got, tt.want) {
				t.Errorf("HTML body = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestRenderBlocks(t *testing.T) {
	src := "Subject: S\nFrom: a@example.org\n\n" +
		"{{if eq .Language \"fr\"}}\n\nParagraphe un.\n\nParagraphe deux.\n\n{{else}}\n\nParagraph one.\n\n{{end}}\n\n" +
		"Dear {{if .Title}}{{.Title}} {{end}}{{.LastName}},\n\n" +
		"{{with .Ministry}}\nFor the {{.}}.\n{{end}}\n\n" +
		"- item {{.Country}}\n{{- if .Cc}}\n- copy to {{.Cc}}\n{{- end}}\n"
	tp := loadFiles(t, map[string]string{"message.md": src}, testOptions())
	tests := []struct {
		name      string
		row       map[string]string
		html      string
		text      string
		textLines int
	}{
		{
			name: "English with title",
			row:  map[string]string{"Language": "en", "Title": "Minister", "Ministry": "Ministry of Justice", "Cc": "c@example.org"},
			html: "\n<p>Paragraph one.</p>\n\n<p>Dear Minister Dupont,</p>\n<p>For the Ministry of Justice.</p>\n<ul>\n<li>item Chile</li>\n<li>copy to c@example.org</li>\n</ul>\n",
			text: "Paragraph one.\n\nDear Minister Dupont,\n\nFor the Ministry of Justice.\n\n- item Chile\n- copy to c@example.org\n",
		},
		{
			name: "French without title",
			row:  map[string]string{"Language": "fr", "Title": "", "Ministry": "", "Cc": ""},
			html: "\n<p>Paragraphe un.</p>\n<p>Paragraphe deux.</p>\n\n<p>Dear Dupont,</p>\n\n<ul>\n<li>item Chile</li>\n</ul>\n",
			text: "Paragraphe un.\n\nParagraphe deux.\n\nDear Dupont,\n\n- item Chile\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := testRow()
			for k, v := range tt.row {
				row[k] = v
			}
			m, _, err := tp.Render(row, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := stripStyles(body(m.HTML)); got != tt.html {
				t.Errorf("HTML body:\n%q\nwant:\n%q", got, tt.html)
			}
			if m.Text != tt.text {
				t.Errorf("Text:\n%q\nwant:\n%q", m.Text, tt.text)
			}
		})
	}
}

func TestRenderHeaders(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		opt     func(*Options)
		row     map[string]string
		want    string // From | Reply-To | To | Cc | Bcc | Subject | Message-ID
		notices []message.Notice
	}{
		{
			name:    "defaults from the row",
			headers: "Subject: Hello {{.Country}}\nFrom: MLA <mla@example.org>",
			row:     map[string]string{"Email": "a@justice.example; B <b@justice.example>", "Cc": "c@justice.example", "Bcc": "archive@example.org"},
			want:    `"MLA" <mla@example.org> |  | <a@justice.example>, "B" <b@justice.example> | <c@justice.example> | <archive@example.org> | Hello Chile | id1@example.org`,
		},
		{
			name:    "settings replace From and Reply-To",
			headers: "Subject: S\nFrom: MLA <mla@example.org>\nReply-To: r@example.org",
			opt:     func(o *Options) { o.From = "Protocol <protocol@ministry.example>"; o.ReplyTo = "desk@ministry.example" },
			row:     map[string]string{},
			want:    `"Protocol" <protocol@ministry.example> | <desk@ministry.example> | "Jean Dupont" <jean.dupont@justice.example> |  |  | S | id1@ministry.example`,
		},
		{
			name:    "From setting without a From header",
			headers: "Subject: S",
			opt:     func(o *Options) { o.From = "protocol@ministry.example" },
			row:     map[string]string{},
			want:    `<protocol@ministry.example> |  | "Jean Dupont" <jean.dupont@justice.example> |  |  | S | id1@ministry.example`,
		},
		{
			name:    "headers replace the columns",
			headers: "Subject: S\nFrom: mla@example.org\nTo: {{.LastName}} <{{.Other}}>\nCc: desk@example.org\nBcc:",
			row:     map[string]string{"Other": "other@justice.example", "Cc": "ignored@example.org", "Bcc": "ignored@example.org"},
			want:    `<mla@example.org> |  | "Dupont" <other@justice.example> | <desk@example.org> |  | S | id1@example.org`,
		},
		{
			name:    "subject spaces collapsed",
			headers: "Subject:   Save   the {{.Country}}  date ",
			opt:     func(o *Options) { o.From = "mla@example.org" },
			row:     map[string]string{"Country": "  Côte\u00a0d'Ivoire "},
			// The no-break space of the cell is kept; ordinary spaces are collapsed.
			want: "<mla@example.org> |  | \"Jean Dupont\" <jean.dupont@justice.example> |  |  | Save the Côte\u00a0d'Ivoire date | id1@example.org",
		},
		{
			name:    "internationalised domain",
			headers: "Subject: S\nFrom: mla@example.org",
			row:     map[string]string{"Email": "a@bücher.example"},
			want:    `<mla@example.org> |  | <a@xn--bcher-kva.example> |  |  | S | id1@example.org`,
			notices: []message.Notice{`domain "bücher.example" of "a@bücher.example" is sent as "xn--bcher-kva.example"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := testOptions()
			if tt.opt != nil {
				tt.opt(&opt)
			}
			tp := loadFiles(t, map[string]string{"message.md": tt.headers + "\n\nText.\n"}, opt)
			row := testRow()
			for k, v := range tt.row {
				row[k] = v
			}
			m, notices, err := tp.Render(row, "")
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join([]string{m.From.String(), joinAddresses(m.ReplyTo), joinAddresses(m.To), joinAddresses(m.Cc), joinAddresses(m.Bcc), m.Subject, m.MessageID}, " | ")
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !reflect.DeepEqual(notices, tt.notices) {
				t.Errorf("notices = %q, want %q", notices, tt.notices)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		row     map[string]string
		want    string
	}{
		{"line break in the subject", "Subject: Hello {{.Country}}", map[string]string{"Country": "Chile\r\nBcc: spy@evil.example"},
			`message.md: Subject: the value contains a control character (U+000D), as from a line break in a cell: "Hello Chile\r\nBcc: spy@evil.example"`},
		{"tab in the subject", "Subject: {{.Country}}", map[string]string{"Country": "a\tb"}, "message.md: Subject: the value contains a control character (U+0009)"},
		{"line separator in an event", "Subject: S\nEvent: {{.Country}}\nEvent-Start: 2024-02-14", map[string]string{"Country": "a\u2028b"}, "message.md: Event: the value contains a control character (U+2028)"},
		{"line break in a To header", "Subject: S\nTo: {{.Country}} <x@example.org>", map[string]string{"Country": "A\nB"}, `message.md: To: the value contains a control character (U+000A), as from a line break in a cell: "A\nB <x@example.org>"`},
		{"line break in the Email column", "Subject: S", map[string]string{"Email": "a@example.org\nBcc: b@example.org"}, `message.md: To (the Email column): address "a@example.org\nBcc: b@example.org" contains a control character (U+000A)`},
		{"empty subject", "Subject: {{.Country}}", map[string]string{"Country": " "}, "message.md: Subject: the subject is empty for this row"},
		{"empty Email cell", "Subject: S", map[string]string{"Email": ""}, "message.md: no recipient: the Email cell of this row is empty"},
		{"no Email column", "Subject: S", map[string]string{"Email": "\x00delete"}, "message.md: no recipient: the workbook has no Email column and there is no To header"},
		{"bad Cc cell", "Subject: S", map[string]string{"Cc": "not an address"}, `message.md: Cc (the Cc column): invalid address "not an address"`},
		{"bad From made from a cell", "Subject: S\nFrom: {{.Country}}", nil, `message.md: From: invalid address "Chile"`},
		{"missing column", "Subject: {{.Nope}}", nil, `message.md: Subject: no column "Nope" in the workbook`},
		{"bad event date from a cell", "Subject: S\nEvent: E\nEvent-Start: {{.Country}}", nil, `message.md: Event-Start: "Chile" is not a date (2024-02-14)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := testOptions()
			opt.From = "mla@example.org"
			if strings.Contains(tt.headers, "From:") {
				opt.From = ""
			}
			tp := loadFiles(t, map[string]string{"message.md": tt.headers + "\n\nText.\n"}, opt)
			row := testRow()
			for k, v := range tt.row {
				if v == "\x00delete" {
					delete(row, k)
					continue
				}
				row[k] = v
			}
			m, _, err := tp.Render(row, "")
			if err == nil {
				t.Fatalf("Render succeeded with subject %q, want error %q", m.Subject, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to start with %q", err, tt.want)
			}
		})
	}
}

func TestRenderAttachments(t *testing.T) {
	files := map[string]string{
		"message.md":          "Subject: S\nFrom: a@example.org\nAttach: programme.pdf\nAttach: letters/{{.Country}}.pdf\nAttach: {{if .Title}}notes/{{.Title}}.docx{{end}}\n\nText.\n",
		"programme.pdf":       "%PDF programme",
		"letters/Chile.pdf":   "%PDF Chile",
		"notes/Minister.docx": "docx",
	}
	tp := loadFiles(t, files, testOptions())
	m1, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range m1.Attachments {
		got = append(got, f.Name+" "+f.ContentType+" "+string(f.Data))
	}
	want := []string{
		"programme.pdf application/pdf %PDF programme",
		"Chile.pdf application/pdf %PDF Chile",
		"Minister.docx application/vnd.openxmlformats-officedocument.wordprocessingml.document docx",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attachments = %q, want %q", got, want)
	}

	row := testRow()
	row["Title"] = ""
	m2, _, err := tp.Render(row, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.Attachments) != 2 {
		t.Errorf("with an empty Title got %d attachments, want 2 (the empty Attach adds none)", len(m2.Attachments))
	}
	if &m1.Attachments[0].Data[0] != &m2.Attachments[0].Data[0] {
		t.Error("programme.pdf was read twice; its content should be shared between messages")
	}

	row["Country"] = "Peru"
	_, _, err = tp.Render(row, "")
	wantErr := `message.md: Attach: file "letters/Peru.pdf" not found (looked for ` + filepath.Join("tmpl", "letters", "Peru.pdf") + ")"
	if err == nil || err.Error() != wantErr {
		t.Errorf("error = %v, want %s", err, wantErr)
	}
}

func TestAttachPathFromCell(t *testing.T) {
	files := map[string]string{
		"message.md":        "Subject: S\nFrom: a@example.org\nAttach: {{.Country}}\n\nText.\n",
		"letters/Chile.pdf": "%PDF Chile",
	}
	tp := loadFiles(t, files, testOptions())
	tests := []struct {
		cell string
		want string // error, or the attachment's name
	}{
		{"letters/Chile.pdf", "Chile.pdf"},
		{"./letters/./Chile.pdf", "Chile.pdf"},
		{`letters\Chile.pdf`, "Chile.pdf"},
		{"", ""},
		{"../secret.txt", `message.md: Attach: path "../secret.txt" leaves the template folder; files must be inside it`},
		{"letters/../../secret.txt", `message.md: Attach: path "letters/../../secret.txt" leaves the template folder; files must be inside it`},
		{"letters/../letters/Chile.pdf", `message.md: Attach: path "letters/../letters/Chile.pdf" leaves the template folder; files must be inside it`},
		{`..\secret.txt`, `message.md: Attach: path "../secret.txt" leaves the template folder; files must be inside it`},
		{"/etc/passwd", `message.md: Attach: path "/etc/passwd" is absolute; give a path inside the template folder`},
		{`C:\Windows\win.ini`, `message.md: Attach: path "C:/Windows/win.ini" is absolute; give a path inside the template folder`},
		{"letters", `message.md: Attach: "letters" is a folder, not a file`},
		{"letters/\x00.pdf", `message.md: Attach: the value contains a control character (U+0000)`},
	}
	for _, tt := range tests {
		t.Run(tt.cell, func(t *testing.T) {
			row := testRow()
			row["Country"] = tt.cell
			m, _, err := tp.Render(row, "")
			var got string
			switch {
			case err != nil:
				got = err.Error()
			case len(m.Attachments) > 0:
				got = m.Attachments[0].Name
			}
			if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAttachSymlinks(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "tmpl")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Skipf("cannot make the folder (symbolic links unsupported?): %v", err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "letters"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "private"), 0o755))
	must(os.WriteFile(filepath.Join(root, "private", "id_rsa"), []byte("SECRET"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "letters", "Chile.pdf"), []byte("%PDF"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "message.md"), []byte("Subject: S\nFrom: a@example.org\nAttach: {{.Country}}\n\nText.\n"), 0o644))
	must(os.Symlink(filepath.Join(root, "private", "id_rsa"), filepath.Join(dir, "absolute.pdf")))
	must(os.Symlink("../private/id_rsa", filepath.Join(dir, "relative.pdf")))
	must(os.Symlink("../private", filepath.Join(dir, "private")))
	must(os.Symlink("letters/Chile.pdf", filepath.Join(dir, "inside.pdf")))
	must(os.Symlink("../letters", filepath.Join(dir, "letters", "again")))

	tests := []struct{ cell, want string }{
		{"inside.pdf", ""},
		{"letters/again/Chile.pdf", ""},
		{"absolute.pdf", `message.md: Attach: "absolute.pdf" is a symbolic link to`},
		{"relative.pdf", `message.md: Attach: "relative.pdf" is a symbolic link to "../private/id_rsa", outside the template folder`},
		{"private/id_rsa", `message.md: Attach: "private" is a symbolic link to "../private", outside the template folder`},
	}
	root2, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root2.Close()
	for _, fsys := range []struct {
		name string
		fs   func() *Template
	}{
		{"DirFS", func() *Template { tp, _ := Load(os.DirFS(dir), dir, testOptions()); return tp }},
		{"Root", func() *Template { tp, _ := Load(root2.FS(), dir, testOptions()); return tp }},
	} {
		tp := fsys.fs()
		for _, tt := range tests {
			t.Run(fsys.name+"/"+tt.cell, func(t *testing.T) {
				row := testRow()
				row["Country"] = tt.cell
				m, _, err := tp.Render(row, "")
				if tt.want == "" {
					if err != nil || len(m.Attachments) != 1 || string(m.Attachments[0].Data) != "%PDF" {
						t.Errorf("Render = %v, want the letter attached", err)
					}
					return
				}
				if err == nil {
					t.Fatalf("Render attached %q, want error %q", m.Attachments[0].Data, tt.want)
				}
				if !strings.HasPrefix(err.Error(), tt.want) {
					t.Errorf("error = %q, want it to start with %q", err, tt.want)
				}
			})
		}
	}
}

func TestInlineImages(t *testing.T) {
	png, err := os.ReadFile("testdata/full/images/emblem.png")
	if err != nil {
		t.Fatal(err)
	}
	banner, err := os.ReadFile("testdata/full/images/banner.png")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"message.md": "Subject: S\nFrom: a@example.org\n\n![Emblem](emblem.png)\n\nText ![again](./emblem.png) and ![wide](img/My%20Banner.png).\n\n" +
			"![remote](https://cdn.example/logo.png) ![flag]({{.Country}}.png)\n",
		"emblem.png":        string(png),
		"img/My Banner.png": string(banner),
		"message.fr.html":   "Subject: S\nFrom: a@example.org\n\n<html><body><img src=\"emblem.png\" alt=\"E\"><IMG SRC='img/My Banner.png'></body></html>\n",
		"message.es.md":     "Subject: S\nFrom: a@example.org\n\nA\n\n![missing](missing.png)\n",
		"message.de.md":     "Subject: S\nFrom: a@example.org\n\n![escape](../emblem.png)\n",
		"message.it.html":   "Subject: S\nFrom: a@example.org\n\nSee <img src=\"emblem.png\" {{if .Title}}title=\"{{.Title}}\"{{end}}>\n",
	}
	tp := loadFiles(t, files, testOptions())
	problems := tp.Check(testColumns)
	wantProblems := []string{
		`message.md:8: image "https://cdn.example/logo.png" is on the web: most mail programs will not show it until the reader allows it`,
		`message.de.md:4: image: path "../emblem.png" leaves the template folder; files must be inside it`,
		`message.es.md:6: image: file "missing.png" not found (looked for ` + filepath.Join("tmpl", "missing.png") + ")",
	}
	var got []string
	for _, p := range problems {
		if strings.Contains(p.Message, "image") {
			got = append(got, inFolder(p))
		}
	}
	if !reflect.DeepEqual(got, wantProblems) {
		t.Errorf("image problems:\n%q\nwant:\n%q", got, wantProblems)
	}

	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inline) != 2 {
		t.Fatalf("got %d inline files, want 2 (emblem.png once, My Banner.png)", len(m.Inline))
	}
	emblem, wide := m.Inline[0], m.Inline[1]
	if emblem.Name != "emblem.png" || string(emblem.Data) != string(png) || wide.Name != "My Banner.png" {
		t.Errorf("inline files are %q and %q", emblem.Name, wide.Name)
	}
	html := stripStyles(m.HTML)
	for _, s := range []string{
		`<img src="cid:` + emblem.ContentID + `" alt="Emblem" width="120">`,
		`<img src="cid:` + emblem.ContentID + `" alt="again" width="120">`,
		`<img src="cid:` + wide.ContentID + `" alt="wide" width="568">`,
		`<img src="https://cdn.example/logo.png" alt="remote">`,
		`<img src="Chile.png" alt="flag">`,
	} {
		if !strings.Contains(html, s) {
			t.Errorf("HTML lacks %s:\n%s", s, html)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{24}@herald$`).MatchString(emblem.ContentID) {
		t.Errorf("Content-ID %q is not a digest @herald", emblem.ContentID)
	}

	fr, _, err := tp.Render(testRow(), "fr")
	if err != nil {
		t.Fatal(err)
	}
	want := `<html><body><img src="cid:` + emblem.ContentID + `" alt="E"><img src="cid:` + wide.ContentID + `">`
	if !strings.HasPrefix(fr.HTML, want) || len(fr.Inline) != 2 {
		t.Errorf("message.html images: got %q with %d inline files, want it to start with %q", fr.HTML, len(fr.Inline), want)
	}

	if _, _, err := tp.Render(testRow(), "es"); err == nil || !strings.Contains(err.Error(), `file "missing.png" not found`) {
		t.Errorf("Render with a missing image: error = %v, want file not found", err)
	}

	it, _, err := tp.Render(testRow(), "it")
	if err != nil {
		t.Fatal(err)
	}
	if want := `See <img src="emblem.png" title="Minister">`; !strings.Contains(it.HTML, want) {
		t.Errorf("an <img> with an action among its attributes must be left as written: got\n%s\nwant %s", it.HTML, want)
	}
}

func TestHTMLVariant(t *testing.T) {
	tp, err := Load(os.DirFS("testdata/html"), "testdata/html", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if ps := tp.Check(testColumns); len(ps) != 0 {
		t.Fatalf("Check: %v", ps)
	}
	row := testRow()
	row["LastName"] = "O'Brien <x>"
	m, _, err := tp.Render(row, "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inline) != 1 {
		t.Fatalf("got %d inline files, want 1", len(m.Inline))
	}
	wantHTML := `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Invitation</title>
<style>p { margin: 0 }</style></head>
<body>
<p><img src="cid:` + m.Inline[0].ContentID + `" alt="Emblem"></p>
<p>Excellency O&#39;Brien &lt;x&gt;,</p>
<p>You are invited. <a href="https://register.example/?c=CL">Register</a>.</p>
</body>
</html>
`
	if m.HTML != wantHTML {
		t.Errorf("HTML:\n%s\nwant:\n%s", m.HTML, wantHTML)
	}
	if want := "Excellency O'Brien <x>,\n\nYou are invited. Register at https://register.example/?c=CL.\n"; m.Text != want {
		t.Errorf("Text from message.txt = %q, want %q", m.Text, want)
	}

	fr, _, err := tp.Render(row, "fr")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Excellency O'Brien <x>,\n\nVous êtes invité·e. Inscription <https://register.example/?c=CL>.\n"; fr.Text != want {
		t.Errorf("Text made from message.fr.html = %q, want %q", fr.Text, want)
	}
}

func TestLanguages(t *testing.T) {
	files := map[string]string{
		"message.md":       "Subject: S\nFrom: a@example.org\n\nText.\n",
		"message.fr.md":    "Subject: S\nFrom: a@example.org\n\nTexte.\n",
		"message.fr-BE.md": "Subject: S\nFrom: a@example.org\n\nTexte belge.\n",
		"message.es.html":  "Subject: S\nFrom: a@example.org\n\n<p>Texto.</p>\n",
		"message.ar.md":    "Subject: S\nFrom: a@example.org\n\nنص.\n",
		"message.old.md":   "Subject: S\n\nOld.\n",
		"notes.md":         "not a message",
	}
	tp := loadFiles(t, files, testOptions())
	if got, want := tp.Languages(), []string{"", "ar", "es", "fr", "fr-BE"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Languages() = %q, want %q", got, want)
	}
	if got, want := warningsOf(tp.Check(testColumns)), []string{`message.old.md: file ignored: "old" is not a language code`}; !reflect.DeepEqual(got, want) {
		t.Errorf("warnings = %q, want %q", got, want)
	}
	tests := []struct {
		lang     string
		chosen   string
		fellBack bool
	}{
		{"", "", false},
		{"  ", "", false},
		{"fr", "fr", false},
		{"FR", "fr", false},
		{"fr-BE", "fr-BE", false},
		{"fr_be", "fr-BE", false},
		{"fr-CA", "fr", false},
		{"es-419", "es", false},
		{"en", "", false},
		{"en-GB", "", false},
		{"de", "", true},
		{"French", "", true},
	}
	for _, tt := range tests {
		chosen, fellBack := tp.Variant(tt.lang)
		if chosen != tt.chosen || fellBack != tt.fellBack {
			t.Errorf("Variant(%q) = %q, %v; want %q, %v", tt.lang, chosen, fellBack, tt.chosen, tt.fellBack)
		}
	}
	for lang, want := range map[string]string{
		"fr-be": `<html lang="fr-BE" dir="ltr" `,
		"ar":    `<html lang="ar" dir="rtl" `,
		"":      `<html lang="en" dir="ltr" `,
	} {
		m, _, err := tp.Render(testRow(), lang)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.HTML, want) {
			t.Errorf("Render(%q): HTML lacks %s", lang, want)
		}
	}

	// A Language header says what message.md is written in.
	tp = loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\nLanguage: fr\n\nTexte.\n"}, testOptions())
	if _, fellBack := tp.Variant("fr-CH"); fellBack {
		t.Error(`Variant("fr-CH") fell back although message.md is in French`)
	}
	if _, fellBack := tp.Variant("en"); !fellBack {
		t.Error(`Variant("en") did not fall back although message.md is in French`)
	}
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.HTML, `<html lang="fr" dir="ltr" `) {
		t.Errorf("HTML of a French message.md lacks lang=\"fr\"")
	}
}

func TestLoadFails(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty folder", map[string]string{}, "template folder tmpl has no message.md"},
		{"only a variant", map[string]string{"message.fr.md": "Subject: S\n\nT"}, "template folder tmpl has no message.md"},
		{"only a text file", map[string]string{"message.txt": "T"}, "template folder tmpl has no message.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(mapFS(tt.files), "tmpl", testOptions())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDefaultOptions(t *testing.T) {
	tp, err := Load(os.DirFS("testdata/full"), "testdata/full", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tp.Name() != "testdata/full" {
		t.Errorf("Name() = %q", tp.Name())
	}
	before := time.Now()
	m1, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`^[A-Z2-7]{26}@example\.org$`)
	if !id.MatchString(m1.MessageID) || !id.MatchString(m2.MessageID) || m1.MessageID == m2.MessageID {
		t.Errorf("Message-IDs %q and %q are not two random tokens @example.org", m1.MessageID, m2.MessageID)
	}
	if m1.Date.Before(before) || time.Since(m1.Date) > time.Minute {
		t.Errorf("Date = %v, want the time of rendering", m1.Date)
	}
}

// TestRenderConcurrent renders from several goroutines, as a sender with several
// connections may; run with -race it checks the caches.
func TestRenderConcurrent(t *testing.T) {
	tp, err := Load(os.DirFS("testdata/full"), "testdata/full", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	countries := []string{"Chile", "Senegal"}
	want := make([]*message.Message, len(countries))
	for i, c := range countries {
		row := testRow()
		row["Country"] = c
		if want[i], _, err = tp.Render(row, ""); err != nil {
			t.Fatal(err)
		}
	}
	tp, _ = Load(os.DirFS("testdata/full"), "testdata/full", testOptions()) // empty caches
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(countries)
				row := testRow()
				row["Country"] = countries[k]
				m, _, err := tp.Render(row, "")
				if err != nil {
					errs <- err
					return
				}
				if !reflect.DeepEqual(m, want[k]) {
					errs <- fmt.Errorf("message for %s differs from the one rendered alone", countries[k])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCollapseSpaces(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Save the date", "Save the date"},
		{"  Save \t the\n date  ", "Save the date"},
		// French typography: the no-break space before a colon stays.
		{"Invitation\u00a0: Conférence", "Invitation\u00a0: Conférence"},
		{"Réservez la date\u202f!", "Réservez la date\u202f!"},
		{"", ""},
	} {
		if got := collapseSpaces(tt.in); got != tt.want {
			t.Errorf("collapseSpaces(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMailLinksDoNotWrap: narrow screens broke "mla-initiative@example.org" at its hyphen.
// Mail links stay on one line; web links must still wrap, or a long URL widens the column.
func TestMailLinksDoNotWrap(t *testing.T) {
	const linkStyle = "color:" + linkColor + ";text-decoration:underline;"
	tests := []struct {
		name, markdown, want string
	}{
		{"bare address", "Write to mla-initiative@example.org.", `<a href="mailto:mla-initiative@example.org" style="` + linkStyle + `white-space:nowrap;">mla-initiative@example.org</a>`},
		{"mailto link", "[the secretariat](mailto:mla-initiative@example.org)", `<a href="mailto:mla-initiative@example.org" style="` + linkStyle + `white-space:nowrap;">the secretariat</a>`},
		{"upper-case scheme", "[write](MAILTO:desk@example.org)", `<a href="MAILTO:desk@example.org" style="` + linkStyle + `white-space:nowrap;">write</a>`},
		{"address from a cell", "[{{.LastName}}](mailto:{{.Email}})", `<a href="mailto:Jean%20Dupont%20%3cjean.dupont@justice.example%3e" style="` + linkStyle + `white-space:nowrap;">Dupont</a>`},
		{"author's style wins", `<a href="mailto:desk@example.org" style="white-space:normal">desk</a>`, `<a href="mailto:desk@example.org" style="` + linkStyle + `white-space:nowrap;white-space:normal">desk</a>`},
		{"web link", "[the programme](https://mla-initiative.example.org/long-programme-page)", `<a href="https://mla-initiative.example.org/long-programme-page" style="` + linkStyle + `">the programme</a>`},
		{"bare web address", "See https://mla-initiative.example.org/a-b.", `<a href="https://mla-initiative.example.org/a-b" style="` + linkStyle + `">https://mla-initiative.example.org/a-b</a>`},
		{"web link mentioning mailto", "[x](https://r.example/?to=mailto:a@example.org)", `<a href="https://r.example/?to=mailto:a@example.org" style="` + linkStyle + `">x</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n" + tt.markdown + "\n"}, testOptions())
			if errs := errorsOf(tp.Check(testColumns)); len(errs) > 0 {
				t.Fatalf("Check: %v", errs)
			}
			m, _, err := tp.Render(testRow(), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := body(m.HTML); !strings.Contains(got, tt.want) {
				t.Errorf("HTML body = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
