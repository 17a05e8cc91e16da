package mail_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	heraldmail "github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
)

// Long names, subjects and file names in the scripts the ministries write, each read back
// by Go's net/mail and mime, and by Python's email when python3 is here.

var readerNames = []struct {
	name string
	// splits: the name needs several encoded words in a row, which Python's email reads
	// with a space between them (see header.go); every other reader reads it exactly.
	splits bool
}{
	{name: "Ministère de l'Europe et des Affaires étrangères, Direction des affaires juridiques"},
	{name: "Secretaría de la Conferencia de Firma de la Convención de Liubliana–La Haya"},
	{name: "Dirección General de Asuntos Jurídicos Internacionales y Cooperación Judicial"},
	{name: "The Permanent Mission of the Kingdom of the Netherlands to the United Nations Office at Geneva"},
	{name: "O'Brien, \"Pat\" (Legal Adviser)"},
	{name: "=?utf-8?q?looks_encoded?= but is not"},
	{name: "Jean-Étienne Müller-Lüdenscheidt von und zu Hohenzollern-Sigmaringen"},
	{name: "王明华"},
	{name: "Министерство юстиции"},
	{name: "Министерство иностранных дел Российской Федерации, Правовой департамент", splits: true},
	{name: "中华人民共和国外交部条约法律司国际司法协助处", splits: true},
	{name: "وزارة العدل - مديرية التعاون القضائي الدولي", splits: true},
	{name: "Υπουργείο Δικαιοσύνης της Ελληνικής Δημοκρατίας", splits: true},
	{name: "Jean " + strings.Repeat("x", 950), splits: true},
}

var readerSubjects = []string{
	"Save the date: Signing Conference, The Hague, 14-15 February 2024",
	"Invitation : Conférence de signature de la Convention de Ljubljana–La Haye sur la coopération internationale",
	"Invitación: Conferencia de Firma de la Convención de Liubliana–La Haya, La Haya, 14 y 15 de febrero de 2024",
	"Приглашение: конференция по подписанию Люблянско-Гаагской конвенции, Гаага, 14–15 февраля 2024 года",
	"邀请函：卢布尔雅那—海牙公约签署会议，海牙，2024年2月14日至15日，敬请出席并确认代表团名单",
	"Приглашение — 签署会议 — Signing Conference of the Ljubljana–The Hague Convention, 14–15 February 2024",
	"Reminder " + strings.Repeat("y", 950) + " end",
	"  two  spaces  and  more  ",
	"What is =?utf-8?q?this?= doing here",
	"",
}

var readerFiles = []string{
	"Carta de invitación.pdf",
	"Programme — Conférence de signature de la Convention de Ljubljana–La Haye (version définitive).pdf",
	strings.Repeat("annex-", 42) + ".pdf",
	"会议议程.pdf",
	"=?UTF-8?q?x?=.pdf",
	"50% off; 'quoted' (1).pdf",
}

// readerMessages makes one message per subject, name and file name, cycling through the
// others.
func readerMessages() []*message.Message {
	n := max(len(readerNames), len(readerSubjects), len(readerFiles))
	msgs := make([]*message.Message, n)
	for i := range n {
		m := fullMessage()
		m.MessageID = fmt.Sprintf("reader-%02d@example.org", i)
		m.Inline, m.Calendar = nil, nil
		m.HTML = ""
		m.Subject = readerSubjects[i%len(readerSubjects)]
		m.From.Name = readerNames[i%len(readerNames)].name
		m.To = []message.Address{
			{Name: readerNames[(i+1)%len(readerNames)].name, Addr: "first@example.org"},
			{Name: readerNames[(i+2)%len(readerNames)].name, Addr: "second@example.org"},
		}
		m.Cc, m.Bcc, m.ReplyTo = nil, nil, nil
		m.Attachments = m.Attachments[:1]
		m.Attachments[0].Name = readerFiles[i%len(readerFiles)]
		msgs[i] = m
	}
	return msgs
}

var encodedWord = regexp.MustCompile(`=\?[^?]*\?[bBqQ]\?[^?]*\?=`)

// TestHeadersGoReaders writes every case and reads it back with net/mail and mime
// (checkDecoded: exactly the text written), and checks the form: the Subject's first word on
// its own line, encoded words of at most 75 characters on lines of at most 76.
func TestHeadersGoReaders(t *testing.T) {
	for _, m := range readerMessages() {
		eml, err := heraldmail.AppendEML(nil, m)
		if err != nil {
			t.Fatalf("%s: %v", m.MessageID, err)
		}
		checkDecoded(t, m, eml, "multipart/mixed(text/plain application/pdf)")
		header := string(eml[:bytes.Index(eml, []byte("\r\n\r\n"))])
		if strings.Contains(header, "Subject:\r\n") && m.Subject != "" {
			t.Errorf("%s: the Subject is folded right after the colon", m.MessageID)
		}
		for _, line := range strings.Split(header, "\r\n") {
			for _, w := range encodedWord.FindAllString(line, -1) {
				if len(w) > 75 {
					t.Errorf("%s: encoded word of %d characters: %s", m.MessageID, len(w), w)
				}
			}
			if encodedWord.MatchString(line) && len(line) > 76 {
				t.Errorf("%s: line with encoded words is %d characters long: %s", m.MessageID, len(line), line)
			}
		}
	}
}

// TestHeadersPython reads every case with Python's email (policy.default, the modern
// parser), which has readers of its own: subjects and file names must come back exactly,
// display names too except for the extra space Python puts between two encoded words.
func TestHeadersPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	msgs := readerMessages()
	var paths []string
	for _, m := range msgs {
		eml, err := heraldmail.AppendEML(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, m.MessageID+".eml")
		if err := os.WriteFile(p, eml, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	const script = `
import email, json, sys
from email import policy
out = []
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        m = email.message_from_binary_file(f, policy=policy.default)
    out.append({
        'subject': str(m['Subject']),
        'names': [a.display_name for h in ('From', 'To') for a in m[h].addresses],
        'files': [p.get_filename() for p in m.iter_attachments()],
        'defects': [type(d).__name__ for h in ('Subject', 'From', 'To') for d in m[h].defects],
    })
print(json.dumps(out))
`
	out, err := exec.Command(python, append([]string{"-c", script}, paths...)...).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var got []struct {
		Subject string
		Names   []string
		Files   []string
		Defects []string
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(msgs) {
		t.Fatalf("python3 printed %s (%v)", out, err)
	}
	for i, m := range msgs {
		g := got[i]
		if g.Subject != m.Subject {
			t.Errorf("%s: Python reads the Subject as %q, want %q", m.MessageID, g.Subject, m.Subject)
		}
		if want := heraldmail.SanitizeFilename(m.Attachments[0].Name); len(g.Files) != 1 || g.Files[0] != want {
			t.Errorf("%s: Python reads the file names %q, want %q", m.MessageID, g.Files, want)
		}
		if len(g.Defects) > 0 {
			t.Errorf("%s: Python finds defects %q", m.MessageID, g.Defects)
		}
		eml, _ := heraldmail.AppendEML(nil, m)
		for j, a := range append([]message.Address{m.From}, m.To...) {
			if j >= len(g.Names) {
				t.Errorf("%s: Python reads %d names", m.MessageID, len(g.Names))
				break
			}
			want := a.Name
			if splitsIn(a.Name) {
				want = pythonPhrase(t, eml, a.Addr)
				if strings.ReplaceAll(want, " ", "") != strings.ReplaceAll(a.Name, " ", "") {
					t.Errorf("%s: %q would read as %q, more than extra spaces", m.MessageID, a.Name, want)
				}
			}
			if g.Names[j] != want {
				t.Errorf("%s: Python reads the name %q as %q, want %q", m.MessageID, a.Name, g.Names[j], want)
			}
		}
	}
}

func splitsIn(name string) bool {
	for _, n := range readerNames {
		if n.name == name {
			return n.splits
		}
	}
	return false
}

// pythonPhrase is how Python's email reads the display name before <addr> in eml: each
// encoded word decoded, every white space between words kept as one space.
func pythonPhrase(t *testing.T, eml []byte, addr string) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"From", "To"} {
		v := msg.Header.Get(h)
		end := strings.Index(v, " <"+addr+">")
		if end < 0 {
			continue
		}
		start := strings.LastIndex(v[:end], ">, ") + 1
		if start > 0 {
			start += 2
		}
		dec := new(mime.WordDecoder)
		var words []string
		sc := bufio.NewScanner(strings.NewReader(v[start:end]))
		sc.Split(bufio.ScanWords)
		for sc.Scan() {
			w := sc.Text()
			if d, err := dec.Decode(w); err == nil {
				w = d
			}
			words = append(words, w)
		}
		return strings.Join(words, " ")
	}
	t.Fatalf("no <%s> in the message", addr)
	return ""
}

// FuzzAcceptedAddressesWrite holds the rule that whatever package message accepts,
// AppendEML writes and the SMTP client can send: a list that ParseList accepts, with a
// subject and a file name as a template gives them (no control characters, UTF-8), makes a
// message that is written, reads back to the same addresses, names, subject and file name,
// adds no header, and whose envelope addresses need no quoting.
func FuzzAcceptedAddressesWrite(f *testing.F) {
	f.Add(`"john doe"@example.org`, "Save the date", "letter.pdf")
	f.Add("=?utf-8?q?A=0D=0AX?= <w4@example.org>", "x", "a.pdf")
	f.Add("=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@example.org>; b@example.org", "Invitación", "Carta de invitación.pdf")
	f.Add(`Jean <a@b.example>, "Doe; Jane" <c@d.example>, "O'Brien, \"Pat\"" <p@example.org>`, strings.Repeat("w", 950), strings.Repeat("é", 150)+".pdf")
	f.Add(strings.Repeat("Ж", 500)+" <long@example.org>", "  a  b  ", "=?UTF-8?q?x?=.pdf")
	f.Add("(comment) jean@justice.example (Jean)", "=?utf-8?q?=0D=0AX-Evil:_1?=", "../../etc/passwd")
	f.Add("info@justiz.bücher.example", "Приглашение — 签署会议", "会议议程.pdf")
	// Addresses around the length where "Reply-To: <addr>" passes 78 characters, and the
	// longest SMTP allows.
	f.Add("<0@"+strings.Repeat("0", 62)+".0a>", "0", "0")
	f.Add(strings.Repeat("a", 64)+"@"+strings.Repeat("b", 63)+"."+strings.Repeat("c", 63)+"."+strings.Repeat("d", 53)+".example", "x", "a.pdf")
	f.Fuzz(func(t *testing.T, list, subject, fileName string) {
		to, _, err := message.ParseList(list)
		if err != nil || len(to) == 0 {
			return
		}
		if message.ContainsControl(subject+fileName) || !utf8.ValidString(subject) || !utf8.ValidString(fileName) || fileName == "" {
			return // a template refuses these before a message is made
		}
		m := asciiMessage()
		m.From = to[0]
		m.To, m.Cc, m.ReplyTo = to, to[len(to)-1:], to[:1]
		m.Subject = subject
		m.Attachments = []message.File{{Name: fileName, ContentType: "application/pdf", Data: []byte("%PDF")}}
		eml, err := heraldmail.AppendEML(nil, m)
		if err != nil {
			t.Fatalf("ParseList accepted %q, AppendEML refuses it: %v", list, err)
		}
		checkDecoded(t, m, eml, "multipart/mixed(multipart/alternative(text/plain text/html) application/pdf)")
		for _, a := range to {
			// MAIL FROM and RCPT TO send <addr> as it is.
			if strings.ContainsAny(a.Addr, " <>\"\\()[],;:") || strings.Count(a.Addr, "@") != 1 {
				t.Errorf("envelope address %q would need quoting", a.Addr)
			}
		}
	})
}
