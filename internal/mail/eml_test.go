package mail

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/message"
)

// writeGoMail writes m the way Send transmits it: go-mail's Msg, written by go-mail. It
// is the reference AppendEML must match.
func writeGoMail(w io.Writer, m *message.Message) (int64, error) {
	b, err := build(m, false)
	if err != nil {
		return 0, err
	}
	return b.render(w)
}

// compareWithGoMail fails unless AppendEML and go-mail write the same bytes for m, or
// refuse it alike.
func compareWithGoMail(t *testing.T, m *message.Message) {
	t.Helper()
	var want bytes.Buffer
	_, wantErr := writeGoMail(&want, m)
	got, err := AppendEML(nil, m)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendEML error = %v; go-mail's = %v", err, wantErr)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("AppendEML differs from go-mail: %s\ngot:\n%s\nwant (go-mail):\n%s", diffAt(got, want.Bytes()), got, want.Bytes())
	}
}

func diffAt(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-40)
	return fmt.Sprintf("first difference at byte %d: got %q, want %q", i, got[from:min(len(got), i+40)], want[from:min(len(want), i+40)])
}

var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

// TestAppendEMLMatchesGoMail covers every structure a message can have (text, HTML or
// both; with or without inline images, attachments and a calendar) with headers that fold,
// addresses that need quoting or encoding, and bodies that stress quoted-printable.
func TestAppendEMLMatchesGoMail(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdefghij\x00\xff"), 200) // cached: above minCachedFile
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
			m := &message.Message{
				From:      message.Address{Name: "Ministère de la Justice", Addr: "mla@justice.example"},
				To:        []message.Address{{Name: "Иван Петрович Сидоров", Addr: "ivan@minjust.example"}, {Addr: "wang@moj.example"}},
				Subject:   "Приглашение — 签署会议 — Signing Conference of the Ljubljana–The Hague Convention, 14–15 February 2024",
				MessageID: fmt.Sprintf("case-%d-%d@example.org", i, shape),
				Date:      time.Date(2024, 1, 10, 9, 30, 0, 0, time.FixedZone("CET", 3600)),
				Text:      text,
				HTML:      html,
			}
			switch shape % 4 {
			case 1:
				m.HTML = ""
			case 2:
				m.Text = ""
			case 3:
				m.Cc = []message.Address{{Name: "O'Brien, \"Pat\"", Addr: "pat@example.org"}, {Name: "محمد العلي", Addr: "m@justice.example"}}
				m.Bcc = []message.Address{{Addr: "archive@example.org"}, {Addr: "IVAN@minjust.example"}}
				m.ReplyTo = []message.Address{{Name: "Secretariat, MLA", Addr: "secretariat@example.org"}}
				m.Subject = "Save the date"
			}
			if shape&4 != 0 {
				m.Inline = []message.File{
					{Name: "logo.png", ContentType: "image/png", ContentID: "logo@herald.example", Data: png},
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
					m.Calendar = []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
				}
			}
			cases = append(cases, m)
		}
	}
	// Every length of attachment around the 57-byte lines of base64.
	for n := range 120 {
		m := fullMessageInternal()
		m.Attachments[0].Data = bytes.Repeat([]byte{byte(n)}, n)
		m.Inline = nil
		cases = append(cases, m)
	}
	for i, m := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			compareWithGoMail(t, m)
			// Again, now that the files are cached.
			compareWithGoMail(t, m)
		})
	}
}

// TestFileCacheChangedData checks that a cached encoding is not used for data that has
// changed since, even at the same address.
func TestFileCacheChangedData(t *testing.T) {
	m := fullMessageInternal()
	data := bytes.Repeat([]byte("a"), 2*minCachedFile)
	m.Attachments[0].Data = data
	compareWithGoMail(t, m)
	data[0] = 'b'
	compareWithGoMail(t, m)
	first, err := AppendEML(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(first, []byte("YmFh")) { // base64 of "baa"
		t.Errorf("the changed attachment was not encoded afresh:\n%s", first)
	}
}

// FuzzAppendEMLMatchesGoMail writes a message of every part with fuzzed headers, bodies
// and file names both ways.
func FuzzAppendEMLMatchesGoMail(f *testing.F) {
	f.Add("Save the date", "MLA Initiative", "Jane Doe", "letter.pdf", "Dear Minister,\n", "<p>x</p>", false)
	f.Add("Приглашение — 签署会议", "Ministère", "王小明", "Lettre été.pdf", "a \r\nb\t\r\r\n", "=\n", true)
	f.Add(strings.Repeat("word ", 40), strings.Repeat("Ж", 80), "\"q\" <z@example.org>", "a\";X: y.pdf", strings.Repeat("x", 80)+" ", "", false)
	f.Add("", "", "", "x", "", "\xff\x00", true)
	f.Fuzz(func(t *testing.T, subject, fromName, toName, fileName, text, html string, replyTo bool) {
		m := fullMessageInternal()
		m.Subject, m.From.Name, m.To[0].Name, m.Attachments[0].Name = subject, fromName, toName, fileName
		m.Text, m.HTML = text, html
		if replyTo {
			m.ReplyTo = []message.Address{{Name: toName, Addr: "reply@example.org"}}
			m.Inline = nil
		}
		compareWithGoMail(t, m)
	})
}

// FuzzQuotedPrintable compares the body encoder with mime/quotedprintable.
func FuzzQuotedPrintable(f *testing.F) {
	for _, s := range []string{"", "a", " ", "a \n", "\r\n\r", "é", strings.Repeat("a", 75) + "=", strings.Repeat("b ", 40) + "\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		w := quotedprintable.NewWriter(&want)
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := appendQP(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendQP(%q) = %q, want %q", s, got, want.Bytes())
		}
	})
}

// appendQP encodes s as mime/quotedprintable.Writer does (not in binary mode) when s is
// written to it in one call and the writer is then closed: lines of at most 76
// characters with soft breaks, CR, LF and CRLF turned into CRLF, and a space or tab
// before a line break or at the end encoded.
func appendQP(dst []byte, s string) []byte {
	q := qpEncoder{dst: dst}
	q.write(s)
	q.checkLastByte()
	return q.dst
}

func BenchmarkAppendEML(b *testing.B) {
	m := fullMessageInternal()
	m.Text = strings.Repeat("The co-hosting States — Argentina, Belgium, Mongolia — have the honour to invite Your Excellency.\n\n", 25)
	m.HTML = strings.Repeat("<p style=\"margin:0 0 1em\">The co-hosting States — Argentina, Belgium, Mongolia — have the honour.</p>\n", 50)
	m.Calendar = bytes.Repeat([]byte("COMMENT:padding\r\n"), 60)
	for _, bc := range []struct {
		name  string
		write func(io.Writer, *message.Message) (int64, error)
	}{{"herald", WriteEML}, {"go-mail", writeGoMail}} {
		b.Run(bc.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if _, err := bc.write(&buf, m); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}
