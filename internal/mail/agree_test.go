package mail_test

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	heraldmail "github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
)

// AppendEML writes what go-mail's own writer writes, except for the header encodings that
// go-mail gets wrong (header.go). These tests hold the two together: the same message once
// parsed back (headers decoded, MIME tree, bodies, file contents), and the same bytes
// outside the fields whose encoding differs.

// encodedFields are the fields whose bytes may differ from go-mail's: the message's
// Subject and address headers, and the Content-Type and Content-Disposition of a part
// that names a file.
var encodedFields = []string{"Subject", "From", "To", "Cc", "Reply-To"}

// agreeWithGoMail fails unless AppendEML writes m as go-mail does, apart from the
// documented header encodings, and reads back exactly as m. With lenient, a header that
// go-mail itself does not write faithfully (a run of spaces, a word that looks encoded)
// is not compared with go-mail's.
func agreeWithGoMail(t *testing.T, m *message.Message, lenient bool) {
	t.Helper()
	got, err := heraldmail.AppendEML(nil, m)
	want, wantErr := heraldmail.WriteGoMail(m)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendEML error = %v; go-mail's = %v", err, wantErr)
	}
	if err != nil {
		return
	}
	checkDecoded(t, m, got, structureOf(m))

	if g, w := withoutEncodedFields(t, got), withoutEncodedFields(t, want); !bytes.Equal(g, w) {
		t.Fatalf("AppendEML differs from go-mail outside the encoded header fields:\n%s", firstDiff(g, w))
	}

	gm, wm, source := parseBack(t, got), parseBack(t, want), sourceFields(m)
	if gm.structure != wm.structure {
		t.Fatalf("MIME structure %s, go-mail's %s", gm.structure, wm.structure)
	}
	for i := range gm.leaves {
		if g, w := gm.leaves[i], wm.leaves[i]; g != w {
			t.Errorf("part %d differs from go-mail's:\n got: %+v\nwant: %+v", i+1, g, w)
		}
	}
	for _, name := range encodedFields {
		g, w := gm.fields[name], wm.fields[name]
		if lenient && w != source[name] {
			continue // go-mail's own writing of it is not faithful
		}
		if g != w {
			t.Errorf("%s decodes to %q, go-mail's to %q", name, g, w)
		}
	}
}

// structureOf is the MIME tree AppendEML gives m.
func structureOf(m *message.Message) string {
	s := "text/plain"
	switch {
	case m.Text != "" && m.HTML != "":
		s = "multipart/alternative(text/plain text/html)"
	case m.HTML != "":
		s = "text/html"
	}
	if len(m.Inline) > 0 {
		parts := []string{s}
		for _, f := range m.Inline {
			parts = append(parts, mediaType(f.ContentType))
		}
		s = "multipart/related(" + strings.Join(parts, " ") + ")"
	}
	if len(m.Attachments) > 0 || m.Calendar != nil {
		parts := []string{s}
		for _, f := range m.Attachments {
			parts = append(parts, mediaType(f.ContentType))
		}
		if m.Calendar != nil {
			parts = append(parts, "text/calendar")
		}
		s = "multipart/mixed(" + strings.Join(parts, " ") + ")"
	}
	return s
}

func mediaType(ct string) string {
	t, _, err := mime.ParseMediaType(ct)
	if err != nil || t == "" {
		return "application/octet-stream"
	}
	return t
}

// withoutEncodedFields removes the encoded fields from the message header and from the
// headers of parts that name a file.
func withoutEncodedFields(t *testing.T, data []byte) []byte {
	t.Helper()
	lines := strings.Split(string(data), "\r\n")
	var bounds []string
	for _, l := range lines {
		if b, ok := strings.CutPrefix(l, " boundary="); ok {
			bounds = append(bounds, b)
		}
	}
	var out []string
	top, inHeader := true, true
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !inHeader {
			out = append(out, l)
			if b, ok := strings.CutPrefix(l, "--"); ok && slices.Contains(bounds, b) {
				inHeader, top = true, false
			}
			continue
		}
		if l == "" {
			inHeader = false
			out = append(out, l)
			continue
		}
		field := []string{l}
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") {
			i++
			field = append(field, lines[i])
		}
		name, _, _ := strings.Cut(l, ":")
		all := strings.Join(field, "\r\n")
		switch {
		case top && slices.Contains(encodedFields, name):
		case !top && (name == "Content-Type" || name == "Content-Disposition") && strings.Contains(all, "name"):
		default:
			out = append(out, field...)
		}
	}
	return []byte(strings.Join(out, "\r\n"))
}

// parsedBack is a message as a reader sees it.
type parsedBack struct {
	fields    map[string]string // the encoded fields, decoded, white space normalised
	structure string
	leaves    []leaf
}

type leaf struct {
	mediaType, params, disposition, contentID, encoding, body string
}

func parseBack(t *testing.T, data []byte) parsedBack {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v", err)
	}
	dec := new(mime.WordDecoder)
	p := parsedBack{fields: map[string]string{}}
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = "error: " + err.Error()
	}
	p.fields["Subject"] = normalSpace(subject)
	for _, name := range encodedFields[1:] {
		if msg.Header.Get(name) == "" {
			continue
		}
		list, err := msg.Header.AddressList(name)
		if err != nil {
			p.fields[name] = "error: " + err.Error()
			continue
		}
		s := make([]string, len(list))
		for i, a := range list {
			s[i] = normalSpace(a.Name) + " <" + a.Address + ">"
		}
		p.fields[name] = strings.Join(s, ", ")
	}
	root := readPart(t, textproto.MIMEHeader(msg.Header), msg.Body)
	p.structure = root.structure()
	for _, l := range root.leaves() {
		// A file name is an RFC 2231 parameter in one, an encoded word in quotes in the
		// other: compare them decoded.
		params := make([]string, 0, len(l.params))
		for k, v := range l.params {
			if k == "name" {
				v, _ = dec.DecodeHeader(v)
			}
			params = append(params, k+"="+v)
		}
		slices.Sort(params)
		disp, dparams, _ := mime.ParseMediaType(l.header.Get("Content-Disposition"))
		if f, ok := dparams["filename"]; ok {
			f, _ = dec.DecodeHeader(f)
			disp += "; filename=" + f
		}
		p.leaves = append(p.leaves, leaf{
			mediaType: l.mediaType, params: strings.Join(params, "; "), disposition: disp,
			contentID: l.header.Get("Content-Id"), encoding: l.header.Get("Content-Transfer-Encoding"), body: string(l.body),
		})
	}
	return p
}

// sourceFields is what each encoded field of m should decode to, as parseBack gives it.
func sourceFields(m *message.Message) map[string]string {
	source := map[string]string{"Subject": normalSpace(m.Subject)}
	for _, f := range []struct {
		name  string
		addrs []message.Address
	}{{"From", []message.Address{m.From}}, {"To", m.To}, {"Cc", m.Cc}, {"Reply-To", m.ReplyTo}} {
		s := make([]string, len(f.addrs))
		for i, a := range f.addrs {
			s[i] = normalSpace(a.Name) + " <" + a.Addr + ">"
		}
		if len(s) > 0 {
			source[f.name] = strings.Join(s, ", ")
		}
	}
	return source
}

func normalSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestAppendEMLAgreesWithGoMail covers every structure a message can have (text, HTML or
// both; with or without inline images, attachments and a calendar) with headers that fold,
// addresses that need quoting or encoding, and bodies that stress quoted-printable.
func TestAppendEMLAgreesWithGoMail(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdefghij\x00\xff"), 200) // cached: above the cache's minimum
	bodies := []string{
		"Dear Minister,\n",
		"Dear Minister,",
		"Уважаемый министр,\n\n尊敬的部长：\r\n\r\nA line that is much longer than seventy-six characters so that quoted-printable must wrap it softly, and then some more.\n",
		"trailing space \ntrailing tab\t\nCR only\rCRLF\r\nbare \r end with space ",
		"\r",
		"x\r",
		"= at the start, =3D, =\n" + strings.Repeat("é", 60) + "\n" + strings.Repeat("a", 74) + " \n" + strings.Repeat("b", 75) + "\t",
		strings.Repeat("=", 200) + "\n" + strings.Repeat(" ", 100),
		"\x00\x01\x7f\x80\xff control bytes",
	}
	var cases []*message.Message
	for i, text := range bodies {
		for shape := range 16 {
			html := "<p>" + bodies[(i+1)%len(bodies)] + "</p>"
			m := scriptsMessage()
			m.MessageID = fmt.Sprintf("case-%d-%d@example.org", i, shape)
			m.Text, m.HTML = text, html
			m.Cc, m.Bcc, m.ReplyTo = nil, nil, nil
			switch shape % 4 {
			case 1:
				m.HTML = ""
			case 2:
				m.Text = ""
			case 3:
				m.Cc = []message.Address{{Name: "O'Brien, \"Pat\"", Addr: "pat@example.org"}, {Name: "محمد العلي", Addr: "m@justice.example"}}
				m.Bcc = []message.Address{{Addr: "archive@example.org"}, {Addr: "IVAN.SIDOROV@minjust.example"}}
				m.ReplyTo = []message.Address{{Name: "Secretariat, MLA", Addr: "secretariat@example.org"}}
				m.Subject = "Save the date"
			}
			if shape&4 != 0 {
				m.Inline = []message.File{
					{Name: "logo.png", ContentType: "image/png", ContentID: "logo@herald.example", Data: testPNG},
					{Name: "seal.png", ContentType: "image/png; name=x.png", ContentID: "seal@herald.example", Data: big},
				}
			}
			if shape&8 != 0 {
				m.Attachments = []message.File{
					{Name: "Lettre d'invitation — Müller.pdf", ContentType: "application/pdf", Data: big},
					{Name: `a"b/c:d<e>f?g\h|i.txt`, ContentType: "", Data: []byte("09:30 Opening\n")},
					{Name: "empty.bin", ContentType: "application/octet-stream", Data: nil},
				}
				if shape&1 == 0 {
					m.Calendar = []byte(testICS)
				}
			}
			cases = append(cases, m)
		}
	}
	// Every length of attachment around the 57-byte lines of base64.
	for n := range 120 {
		m := fullMessage()
		m.Attachments[0].Data = bytes.Repeat([]byte{byte(n)}, n)
		m.Inline = nil
		cases = append(cases, m)
	}
	for i, m := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			agreeWithGoMail(t, m, false)
			// Again, now that the files are cached.
			agreeWithGoMail(t, m, false)
		})
	}
}

// FuzzAppendEMLAgreesWithGoMail writes a message of every part with fuzzed headers,
// bodies and file names both ways.
func FuzzAppendEMLAgreesWithGoMail(f *testing.F) {
	f.Add("Save the date", "MLA Initiative", "Jane Doe", "letter.pdf", "Dear Minister,\n", "<p>x</p>", false)
	f.Add("Приглашение — 签署会议", "Ministère", "王小明", "Lettre été.pdf", "a \r\nb\t\r\r\n", "=\n", true)
	f.Add(strings.Repeat("word ", 40), strings.Repeat("Ж", 80), "\"q\" <z@example.org>", "a\";X: y.pdf", strings.Repeat("x", 80)+" ", "", false)
	f.Add(strings.Repeat("x", 901), "a  b ", " =?utf-8?q?x?=", strings.Repeat("é", 150)+".pdf", "", "\xff\x00", true)
	f.Fuzz(func(t *testing.T, subject, fromName, toName, fileName, text, html string, replyTo bool) {
		if text == "" && html == "" {
			return
		}
		// herald's bodies end their lines with LF alone: template files and cells are
		// normalized on reading. A CR on its own is read differently by go-mail's and Go's
		// quoted-printable writers, so the two are compared on what herald can give them.
		lf := strings.NewReplacer("\r\n", "\n", "\r", "\n")
		text, html = lf.Replace(text), lf.Replace(html)
		m := fullMessage()
		m.Subject, m.From.Name, m.To[0].Name, m.Attachments[0].Name = subject, fromName, toName, fileName
		m.Text, m.HTML = text, html
		if replyTo {
			m.ReplyTo = []message.Address{{Name: toName, Addr: "reply@example.org"}}
			m.Inline = nil
		}
		all := subject + fromName + toName + fileName
		if message.ContainsControl(all) || !allUTF8(subject, fromName, toName, fileName) || fileName == "" {
			if _, err := heraldmail.AppendEML(nil, m); err == nil {
				t.Fatal("AppendEML accepted a control character, text that is not UTF-8 or no file name")
			}
			return
		}
		agreeWithGoMail(t, m, true)
	})
}
