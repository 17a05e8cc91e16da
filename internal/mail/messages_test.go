package mail_test

import (
	"strings"
	"time"

	"github.com/mla-initiative/herald/internal/message"
)

// The sample messages of the golden files and of the delivery tests.

var testDate = time.Date(2024, 1, 10, 9, 30, 0, 0, time.FixedZone("CET", 3600))

const testICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//herald//EN\r\nMETHOD:PUBLISH\r\n" +
	"BEGIN:VEVENT\r\nUID:signing-2024@example.org\r\nDTSTAMP:20240110T083000Z\r\n" +
	"DTSTART;VALUE=DATE:20240214\r\nDTEND;VALUE=DATE:20240216\r\n" +
	"SUMMARY:Signing Conference of the Ljubljana–The Hague Convention\r\n" +
	"LOCATION:World Forum\\, The Hague\\, the Netherlands\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// A 1×1 PNG.
var testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func asciiMessage() *message.Message {
	return &message.Message{
		From:      message.Address{Name: "MLA Initiative", Addr: "mla-initiative@example.org"},
		ReplyTo:   []message.Address{{Name: "Conference Secretariat", Addr: "secretariat@example.org"}},
		To:        []message.Address{{Name: "Jane Doe", Addr: "jane.doe@justice.example"}},
		Subject:   "Save the date: Signing Conference, The Hague, 14-15 February 2024",
		MessageID: "save-the-date-0001@example.org",
		Date:      testDate,
		Text:      "Dear Minister,\n\nThe co-hosting States have the honour to invite you.\n\n-- \nMLA Initiative\n",
		HTML:      "<!DOCTYPE html>\n<html><body><p>Dear Minister,</p>\n<p>The co-hosting States have the honour to invite you.</p></body></html>\n",
	}
}

func scriptsMessage() *message.Message {
	return &message.Message{
		From:    message.Address{Name: "Ministère de la Justice", Addr: "mla@justice.example"},
		ReplyTo: []message.Address{{Name: "Secretariat, MLA", Addr: "secretariat@example.org"}},
		To: []message.Address{
			{Name: "Иван Петрович Сидоров", Addr: "ivan.sidorov@minjust.example"},
			{Name: "王小明", Addr: "wang@moj.example"},
		},
		Cc: []message.Address{
			{Name: "محمد العلي", Addr: "m.alali@justice.example"},
			{Name: "Γιώργος Παπαδόπουλος", Addr: "gpapadopoulos@ministry.example"},
			{Name: "O'Brien, \"Pat\"", Addr: "pat.obrien@example.org"},
		},
		Bcc:       []message.Address{{Name: "Archive", Addr: "archive@example.org"}},
		Subject:   "Приглашение — 签署会议 — Signing Conference of the Ljubljana–The Hague Convention, 14–15 February 2024",
		MessageID: "invitation-0042@justice.example",
		Date:      testDate,
		Text:      "Уважаемый министр,\n\n尊敬的部长：\n\nΑξιότιμε κύριε Υπουργέ,\n\nA line that is much longer than seventy-six characters so that quoted-printable must wrap it softly.\n.\n. A line starting with a dot, which SMTP must escape.\n",
		HTML:      "<!DOCTYPE html>\n<html lang=\"ru\"><body><p>Уважаемый министр,</p><p>尊敬的部长：</p></body></html>\n",
	}
}

func fullMessage() *message.Message {
	m := asciiMessage()
	m.MessageID = "invitation-0007@example.org"
	m.Subject = "Invitation — Signing Conference, The Hague"
	m.To = []message.Address{{Name: "Dr. Amélie Müller", Addr: "a.mueller@bmj.example"}}
	m.Cc = []message.Address{{Addr: "protocol@bmj.example"}}
	m.Bcc = []message.Address{{Addr: "archive@example.org"}, {Addr: "A.Mueller@bmj.example"}}
	m.HTML = "<!DOCTYPE html>\n<html><body><img src=\"cid:logo@herald.example\" alt=\"MLA\">\n<p>Dear Minister,</p></body></html>\n"
	m.Inline = []message.File{{Name: "logo.png", ContentType: "image/png", ContentID: "logo@herald.example", Data: testPNG}}
	m.Attachments = []message.File{
		{Name: "Lettre d'invitation — Müller.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")},
		{Name: "programme.txt", ContentType: "text/plain; charset=utf-8; name=other.txt", Data: []byte("09:30 Opening\n10:00 Signing\n")},
	}
	m.Calendar = []byte(testICS)
	return m
}

func textOnlyMessage() *message.Message {
	m := asciiMessage()
	m.MessageID = "reminder-0003@example.org"
	m.Subject = "Reminder"
	m.HTML = ""
	m.Text = "Dear Minister,\n\nA reminder, without a final line break."
	return m
}

func inlineMessage() *message.Message {
	m := fullMessage()
	m.MessageID = "inline-0004@example.org"
	m.Attachments, m.Calendar = nil, nil
	return m
}

// realisticMessage is the benchmark's message: 2 KB of text, 4 KB of HTML, 1 KB of
// iCalendar.
func realisticMessage() *message.Message {
	m := scriptsMessage()
	m.Cc, m.Bcc = nil, nil
	para := "The co-hosting States — Argentina, Belgium, Mongolia, the Netherlands, Senegal and Slovenia — have the honour to invite Your Excellency.\n\n"
	m.Text = strings.Repeat(para, 20)[:2048]
	m.HTML = ("<!DOCTYPE html>\n<html><body>" + strings.Repeat("<p style=\"margin:0 0 1em\">"+para+"</p>\n", 40))[:4096]
	m.Calendar = []byte((testICS + strings.Repeat("COMMENT:padding\r\n", 60))[:1024])
	return m
}
