package mail_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	heraldmail "github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
)

var update = flag.Bool("update", false, "rewrite the golden .eml files in testdata")

var goldenCases = []struct {
	name      string
	msg       func() *message.Message
	structure string
}{
	{"ascii", asciiMessage, "multipart/alternative(text/plain text/html)"},
	{"scripts", scriptsMessage, "multipart/alternative(text/plain text/html)"},
	{"full", fullMessage, "multipart/mixed(multipart/related(multipart/alternative(text/plain text/html) image/png) application/pdf text/plain text/calendar)"},
	{"text-only", textOnlyMessage, "text/plain"},
	{"inline", inlineMessage, "multipart/related(multipart/alternative(text/plain text/html) image/png)"},
}

func TestAppendEMLGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("kept")
			out, err := heraldmail.AppendEML(prefix, tc.msg())
			if err != nil {
				t.Fatalf("AppendEML: %v", err)
			}
			if string(out[:4]) != "kept" {
				t.Fatalf("AppendEML did not append: %q", out[:4])
			}
			buf := bytes.NewBuffer(out[4:])
			path := filepath.Join("testdata", tc.name+".eml")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("AppendEML output differs from %s (go test -update rewrites it):\n%s", path, firstDiff(buf.Bytes(), want))
			}
		})
	}
}

// writeEML is AppendEML into a new buffer.
func writeEML(m *message.Message) ([]byte, error) { return heraldmail.AppendEML(nil, m) }

// TestAppendEMLDecodes reads each golden message back as a mail client would and compares
// every header and part with the Message it came from.
func TestAppendEMLDecodes(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.msg()
			data, err := os.ReadFile(filepath.Join("testdata", tc.name+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			checkDecoded(t, m, data, tc.structure)
		})
	}
}

func TestAppendEMLDeterministic(t *testing.T) {
	a, err := writeEML(fullMessage())
	if err != nil {
		t.Fatal(err)
	}
	b, err := writeEML(fullMessage())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two writes of the same message differ:\n%s", firstDiff(a, b))
	}
	// Another Message-ID gives other boundaries, so one message's boundary can never be
	// predicted from another's.
	m := fullMessage()
	m.MessageID = "invitation-0008@example.org"
	c, err := writeEML(m)
	if err != nil {
		t.Fatal(err)
	}
	if ba, bc := boundaryOf(t, a), boundaryOf(t, c); ba == bc {
		t.Errorf("boundary %q is the same for two Message-IDs", ba)
	}
}

// TestAppendEMLBoundaryInBody writes messages whose text holds the boundary the message
// would otherwise get, at the start of a line and where a soft line break would put it at
// the start of one.
func TestAppendEMLBoundaryInBody(t *testing.T) {
	first, err := writeEML(fullMessage())
	if err != nil {
		t.Fatal(err)
	}
	b := boundaryOf(t, first)
	for _, text := range []string{
		"--" + b + "\n",
		"--" + b + "--\n",
		strings.Repeat("x", 73) + "--" + b + "\n",
	} {
		m := fullMessage()
		m.Text = text
		m.HTML = "<p>--" + b + "</p>"
		out, err := writeEML(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := boundaryOf(t, out); got == b {
			t.Errorf("text %q: boundary %q kept although the body holds it", text, got)
		}
		checkDecoded(t, m, out, "multipart/mixed(multipart/related(multipart/alternative(text/plain text/html) image/png) application/pdf text/plain text/calendar)")
	}
}

func TestAppendEMLRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *message.Message)
		want   string
	}{
		{"CR LF in subject", func(m *message.Message) { m.Subject = "Hello\r\nBcc: x@example.org" }, "control character"},
		{"TAB in subject", func(m *message.Message) { m.Subject = "a\tb" }, "control character"},
		{"subject not UTF-8", func(m *message.Message) { m.Subject = "caf\xe9" }, "not valid UTF-8"},
		{"display name not UTF-8", func(m *message.Message) { m.Cc = []message.Address{{Name: "\xff", Addr: "a@example.org"}} }, "not valid UTF-8"},
		{"quoted local part", func(m *message.Message) { m.To[0].Addr = "john doe@example.org" }, "not a plain address"},
		{"address too long", func(m *message.Message) { m.To[0].Addr = strings.Repeat("a", 250) + "@example.org" }, "longer than the 254"},
		{"LF in display name", func(m *message.Message) { m.To[0].Name = "Jane\nBcc: x@example.org" }, "control character"},
		{"LF in address", func(m *message.Message) { m.To[0].Addr = "jane@example.org\nBcc: x@example.org" }, "control character"},
		{"display name in address", func(m *message.Message) { m.Cc = []message.Address{{Addr: "Jane <jane@example.org>"}} }, "not a plain address"},
		{"unicode domain", func(m *message.Message) { m.To[0].Addr = "jane@justicé.example" }, "not ASCII"},
		{"empty From", func(m *message.Message) { m.From = message.Address{} }, "From address is empty"},
		{"no recipient", func(m *message.Message) { m.To, m.Cc, m.Bcc = nil, nil, nil }, "no recipient"},
		{"no Message-ID", func(m *message.Message) { m.MessageID = "" }, "no Message-ID"},
		{"Message-ID in brackets", func(m *message.Message) { m.MessageID = "<a@example.org>" }, "Message-ID"},
		{"Message-ID with space", func(m *message.Message) { m.MessageID = "a b@example.org" }, "Message-ID"},
		{"Message-ID without @", func(m *message.Message) { m.MessageID = "abc" }, "token@domain"},
		{"no date", func(m *message.Message) { m.Date = time.Time{} }, "no date"},
		{"no body", func(m *message.Message) { m.Text, m.HTML = "", "" }, "no body"},
		{"bad content type", func(m *message.Message) { m.Attachments[0].ContentType = "application/pdf; name" }, "invalid content type"},
		{"content type with LF", func(m *message.Message) { m.Attachments[0].ContentType = "text/plain\nX-Evil: 1" }, "control character"},
		{"file name with CR", func(m *message.Message) { m.Attachments[0].Name = "a\r.pdf" }, "control character"},
		{"no file name", func(m *message.Message) { m.Attachments[0].Name = "" }, "no file name"},
		{"file name not UTF-8", func(m *message.Message) { m.Attachments[0].Name = "\xffa.pdf" }, "not valid UTF-8"},
		{"Content-ID with >", func(m *message.Message) { m.Inline[0].ContentID = "logo>\r\nX-Evil: 1" }, "invalid Content-ID"},
		{"empty Content-ID", func(m *message.Message) { m.Inline[0].ContentID = "" }, "invalid Content-ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := fullMessage()
			tc.change(m)
			out, err := heraldmail.AppendEML([]byte("kept"), m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AppendEML error = %v, want one containing %q", err, tc.want)
			}
			if string(out) != "kept" {
				t.Errorf("AppendEML wrote %q before failing", out[4:])
			}
		})
	}
}

// FuzzHeaders checks that no subject, display name or file name can add a header line or
// break the structure: every output parses, with exactly the expected headers.
func FuzzHeaders(f *testing.F) {
	f.Add("Save the date", "MLA Initiative", "Jane Doe", "letter.pdf")
	f.Add("Приглашение — 签署会议", "Ministère", "王小明", "Lettre été.pdf")
	f.Add("a\r\nBcc: evil@example.org", "x\nTo: y@example.org", "\"quoted\" <z@example.org>", "a\";\r\nX: y.pdf")
	f.Add("=?utf-8?q?=0D=0AX-Evil:_1?=", "(comment) \\ ; , : < >", "@@@", "../../etc/passwd")
	f.Add(strings.Repeat("word ", 40), strings.Repeat("Ж", 80), strings.Repeat("long-name-", 20), strings.Repeat("ü", 98)+".pdf")
	f.Add(strings.Repeat("x", 900), strings.Repeat("y", 900), strings.Repeat("\"", 450), strings.Repeat("\"", 200))
	f.Add(strings.Repeat("x", 901), strings.Repeat("\\", 451), strings.Repeat("\"", 899), strings.Repeat("\"", 201))
	f.Add("", "", "", "x")
	f.Fuzz(func(t *testing.T, subject, fromName, toName, fileName string) {
		m := fullMessage()
		m.Subject = subject
		m.From.Name = fromName
		m.To[0].Name = toName
		m.Attachments[0].Name = fileName
		out, err := writeEML(m)
		all := subject + fromName + toName + fileName
		if message.ContainsControl(all) || !allUTF8(subject, fromName, toName, fileName) || fileName == "" {
			if err == nil {
				t.Fatalf("AppendEML accepted a control character, text that is not UTF-8 or no file name")
			}
			return // refused, as it must be
		}
		if err != nil {
			t.Fatalf("AppendEML: %v", err)
		}
		checkDecoded(t, m, out, "multipart/mixed(multipart/related(multipart/alternative(text/plain text/html) image/png) application/pdf text/plain text/calendar)")
	})
}

// BenchmarkAppendEMLRealistic writes the benchmark message into a reused buffer, as the
// preview does.
func BenchmarkAppendEMLRealistic(b *testing.B) {
	m := realisticMessage()
	buf := make([]byte, 0, 32<<10)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = heraldmail.AppendEML(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// checkDecoded parses data as a mail client would and compares it with m.
func checkDecoded(t *testing.T, m *message.Message, data []byte, structure string) {
	t.Helper()
	headerEnd := bytes.Index(data, []byte("\r\n\r\n"))
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) > 0 && !bytes.HasSuffix(line, []byte("\r\n")) {
			t.Errorf("line %d does not end with CRLF: %q", i+1, line)
		}
		if len(line) > 998 {
			t.Errorf("line %d is %d characters long", i+1, len(line))
		}
	}
	for i, line := range strings.Split(string(data[:headerEnd]), "\r\n") {
		// Only an address longer than a line may pass 78 characters, alone on a
		// continuation line, or a message ID, since neither can be folded.
		unfoldable := strings.HasPrefix(line, " ") && !strings.Contains(line[1:], " ") ||
			strings.HasPrefix(line, "Message-ID: ") && !strings.Contains(line[len("Message-ID: "):], " ")
		if len(line) > 78 && !unfoldable {
			t.Errorf("header line %d is %d characters long: %q", i+1, len(line), line)
		}
	}
	for _, a := range m.Bcc {
		if bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(a.Addr))) && !inVisible(m, a) {
			t.Errorf("Bcc address %s appears in the message", a.Addr)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v", err)
	}
	h := msg.Header
	if got, want := headerNames(h), expectedHeaders(m); !slices.Equal(got, want) {
		t.Errorf("headers = %v, want %v", got, want)
	}
	for name, vals := range h {
		if len(vals) != 1 {
			t.Errorf("header %s appears %d times", name, len(vals))
		}
	}
	dec := new(mime.WordDecoder)
	if got, err := dec.DecodeHeader(h.Get("Subject")); err != nil || got != m.Subject {
		t.Errorf("Subject = %q (%v), want %q", got, err, m.Subject)
	}
	if got, err := h.Date(); err != nil || !got.Equal(m.Date) {
		t.Errorf("Date = %v (%v), want %v", got, err, m.Date)
	}
	if got, want := h.Get("Message-Id"), "<"+m.MessageID+">"; got != want {
		t.Errorf("Message-ID = %q, want %q", got, want)
	}
	if got := h.Get("X-Mailer"); got != "herald" {
		t.Errorf("X-Mailer = %q, want herald", got)
	}
	if got := h.Get("Mime-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q, want 1.0", got)
	}
	for _, f := range []struct {
		name string
		want []message.Address
	}{{"From", []message.Address{m.From}}, {"To", m.To}, {"Cc", m.Cc}, {"Reply-To", m.ReplyTo}} {
		if len(f.want) == 0 {
			continue
		}
		list, err := h.AddressList(f.name)
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		got := make([]message.Address, len(list))
		for i, a := range list {
			got[i] = message.Address{Name: a.Name, Addr: a.Address}
		}
		if !slices.Equal(got, f.want) {
			t.Errorf("%s = %q, want %q", f.name, got, f.want)
		}
	}

	root := readPart(t, textproto.MIMEHeader(h), msg.Body)
	if got := root.structure(); got != structure {
		t.Errorf("structure = %s, want %s", got, structure)
	}
	leaves := root.leaves()
	var files []message.File
	files = append(files, m.Inline...)
	files = append(files, m.Attachments...)
	wantLeaves := 1 + len(files)
	if m.Text != "" && m.HTML != "" {
		wantLeaves++
	}
	if m.Calendar != nil {
		wantLeaves++
	}
	if len(leaves) != wantLeaves {
		t.Fatalf("message has %d leaf parts, want %d", len(leaves), wantLeaves)
	}
	i := 0
	for _, body := range []struct{ typ, text string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		if body.text == "" {
			continue
		}
		p := leaves[i]
		i++
		if p.mediaType != body.typ || p.params["charset"] != "UTF-8" || p.header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("part %d: Content-Type %q, Content-Transfer-Encoding %q, want %s; charset=UTF-8, quoted-printable",
				i, p.header.Get("Content-Type"), p.header.Get("Content-Transfer-Encoding"), body.typ)
		}
		// Quoted-printable makes every CR, LF and CR LF a line break.
		got := strings.ReplaceAll(string(p.body), "\r\n", "\n")
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(body.text)
		if len(leaves) == 1 && !strings.HasSuffix(want, "\n") {
			want += "\n" // a single part gets a final line break
		}
		if got != want {
			t.Errorf("%s part = %q, want %q", body.typ, got, want)
		}
	}
	for j, f := range files {
		p := leaves[i]
		i++
		disp, dparams, err := mime.ParseMediaType(p.header.Get("Content-Disposition"))
		if err != nil {
			t.Errorf("file %q: Content-Disposition: %v", f.Name, err)
		}
		wantDisp := "attachment"
		if j < len(m.Inline) {
			wantDisp = "inline"
			if got, want := p.header.Get("Content-Id"), "<"+f.ContentID+">"; got != want {
				t.Errorf("file %q: Content-ID = %q, want %q", f.Name, got, want)
			}
		}
		// Written as RFC 2231 parameters when not plain ASCII, which ParseMediaType decodes.
		name, pname := dparams["filename"], p.params["name"]
		wantName := heraldmail.SanitizeFilename(f.Name)
		wantType, _, _ := mime.ParseMediaType(f.ContentType)
		if wantType == "" {
			wantType = "application/octet-stream"
		}
		if disp != wantDisp || name != wantName || pname != wantName || p.mediaType != wantType {
			t.Errorf("file part: %s %q (name %q) of type %s, want %s %q of type %s", disp, name, pname, p.mediaType, wantDisp, wantName, wantType)
		}
		if p.header.Get("Content-Transfer-Encoding") != "base64" {
			t.Errorf("file %q: Content-Transfer-Encoding = %q, want base64", f.Name, p.header.Get("Content-Transfer-Encoding"))
		}
		if !bytes.Equal(p.body, f.Data) {
			t.Errorf("file %q: content = %q, want %q", f.Name, p.body, f.Data)
		}
	}
	if m.Calendar != nil {
		p := leaves[i]
		disp, dparams, _ := mime.ParseMediaType(p.header.Get("Content-Disposition"))
		if p.mediaType != "text/calendar" || p.params["method"] != "PUBLISH" || p.params["charset"] != "UTF-8" ||
			disp != "attachment" || dparams["filename"] != "invite.ics" {
			t.Errorf("calendar part: Content-Type %q, Content-Disposition %q; want text/calendar; method=PUBLISH; charset=UTF-8, attachment invite.ics",
				p.header.Get("Content-Type"), p.header.Get("Content-Disposition"))
		}
		if !bytes.Equal(p.body, m.Calendar) {
			t.Errorf("calendar = %q, want %q", p.body, m.Calendar)
		}
	}
}

func inVisible(m *message.Message, a message.Address) bool {
	for _, v := range slices.Concat(m.To, m.Cc, m.ReplyTo, []message.Address{m.From}) {
		if v.Key() == a.Key() {
			return true
		}
	}
	return false
}

func expectedHeaders(m *message.Message) []string {
	h := []string{"Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "X-Mailer"}
	if len(m.To) > 0 {
		h = append(h, "To")
	}
	if len(m.Cc) > 0 {
		h = append(h, "Cc")
	}
	if len(m.ReplyTo) > 0 {
		h = append(h, "Reply-To")
	}
	if len(m.Attachments) == 0 && len(m.Inline) == 0 && m.Calendar == nil && (m.Text == "" || m.HTML == "") {
		h = append(h, "Content-Transfer-Encoding")
	}
	slices.Sort(h)
	return h
}

func headerNames(h mail.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

type part struct {
	header    textproto.MIMEHeader
	mediaType string
	params    map[string]string
	body      []byte // decoded; nil for a multipart
	children  []*part
}

func readPart(t *testing.T, h textproto.MIMEHeader, r io.Reader) *part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	p := &part{header: h, mediaType: mt, params: params}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			np, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", mt, err)
			}
			p.children = append(p.children, readPart(t, np.Header, np))
		}
		return p
	}
	switch enc := h.Get("Content-Transfer-Encoding"); enc {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	default:
		t.Fatalf("%s part: Content-Transfer-Encoding %q", mt, enc)
	}
	p.body, err = io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s part: %v", mt, err)
	}
	return p
}

func (p *part) structure() string {
	if p.children == nil {
		return p.mediaType
	}
	s := make([]string, len(p.children))
	for i, c := range p.children {
		s[i] = c.structure()
	}
	return p.mediaType + "(" + strings.Join(s, " ") + ")"
}

func (p *part) leaves() []*part {
	if p.children == nil {
		return []*part{p}
	}
	var out []*part
	for _, c := range p.children {
		out = append(out, c.leaves()...)
	}
	return out
}

func boundaryOf(t *testing.T, data []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		t.Fatalf("no boundary in Content-Type %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	return params["boundary"]
}

// firstDiff shows the first differing line of two outputs.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}

// allUTF8 reports whether every one of ss is valid UTF-8 (their concatenation may be
// although one is not).
func allUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
