package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"github.com/mla-initiative/herald/internal/message"
)

// calendarName is the file name of the calendar attachment. Mail clients show it and
// calendar applications ignore it.
const calendarName = "invite.ics"

// calendarType is what Outlook, Thunderbird and Gmail need to offer "add to calendar" for an
// event that is announced (PUBLISH) rather than a meeting request (REQUEST).
const calendarType = "text/calendar; method=PUBLISH; charset=UTF-8"

// mailer is the X-Mailer header. go-mail would otherwise add a User-Agent naming its own
// version, which would change every golden file on each upgrade.
const mailer = "herald"

// built is a message ready for go-mail to write.
type built struct {
	msg    *gomail.Msg
	bounds []string // MIME boundaries, outermost layer first
	// quiet makes every body write nothing, for a write that only fixes the boundaries.
	quiet bool
	fixed bool // the boundaries have been set by a first write
}

// build checks m and turns it into a go-mail message.
//
// The structure go-mail v0.8.1 writes is what mail clients expect:
// multipart/mixed{multipart/related{multipart/alternative{text, html}, inline images},
// attachments, calendar}, where a layer with a single part is left out.
//
// go-mail remembers the MIME boundaries of a message's first write and uses them again,
// so the first write decides them (see render). With fix set, build makes that first write
// itself, cheaply: before the headers are set and with the bodies silenced. Send needs
// this, as go-mail makes the real write where render cannot step in.
func build(m *message.Message, fix bool) (*built, error) {
	if err := check(m); err != nil {
		return nil, err
	}
	b := &built{msg: gomail.NewMsg(gomail.WithNoDefaultUserAgent()), bounds: boundaries(m)}
	gm := b.msg
	// Without these go-mail would make up a random Message-ID and the current date.
	gm.SetMessageIDWithValue(m.MessageID)
	gm.SetDateWithValue(m.Date)

	// A message of one part must end with a line break: SMTP adds one otherwise, and the
	// preview would then differ from what is sent by those two bytes.
	single := len(b.bounds) == 0
	switch {
	case m.Text != "" && m.HTML != "":
		gm.SetBodyWriter(gomail.TypeTextPlain, b.text(m.Text, false))
		gm.AddAlternativeWriter(gomail.TypeTextHTML, b.text(m.HTML, false))
	case m.HTML != "":
		gm.SetBodyWriter(gomail.TypeTextHTML, b.text(m.HTML, single))
	default:
		gm.SetBodyWriter(gomail.TypeTextPlain, b.text(m.Text, single))
	}

	if len(m.Inline) > 0 {
		embeds := make([]*gomail.File, len(m.Inline))
		for i := range m.Inline {
			f := &m.Inline[i]
			embeds[i] = b.file(f.Name, cleanType(f.ContentType), f.Data)
			embeds[i].Header.Set("Content-Id", "<"+f.ContentID+">")
		}
		gm.SetEmbeds(embeds)
	}
	if n := len(m.Attachments); n > 0 || m.Calendar != nil {
		atts := make([]*gomail.File, 0, n+1)
		for i := range m.Attachments {
			f := &m.Attachments[i]
			atts = append(atts, b.file(f.Name, cleanType(f.ContentType), f.Data))
		}
		if m.Calendar != nil {
			atts = append(atts, b.file(calendarName, calendarType, m.Calendar))
		}
		gm.SetAttachments(atts)
	}

	if fix && len(b.bounds) > 0 {
		b.quiet = true
		_, err := b.render(io.Discard)
		b.quiet = false
		if err != nil {
			return nil, err
		}
	}

	gm.FromMailAddress(mailAddr(m.From))
	if len(m.To) > 0 {
		gm.ToMailAddress(mailAddrs(m.To)...)
	}
	if len(m.Cc) > 0 {
		gm.CcMailAddress(mailAddrs(m.Cc)...)
	}
	if bcc := envelopeOnly(m); len(bcc) > 0 {
		gm.BccMailAddress(mailAddrs(bcc)...)
	}
	if len(m.ReplyTo) > 0 {
		gm.ReplyToMailAddress(mailAddrs(m.ReplyTo)...)
	}
	gm.Subject(m.Subject)
	gm.SetGenHeader(gomail.HeaderXMailer, mailer)
	return b, nil
}

// text returns a body writer for s, which go-mail encodes as quoted-printable; endLine adds
// a final line break if s lacks one.
func (b *built) text(s string, endLine bool) func(io.Writer) (int64, error) {
	if endLine && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return func(w io.Writer) (int64, error) {
		if b.quiet {
			return 0, nil
		}
		n, err := io.WriteString(w, s)
		return int64(n), err
	}
}

// file makes a go-mail file part that writes data without copying it; go-mail encodes it
// as base64 and adds the name to the content type.
func (b *built) file(name, contentType string, data []byte) *gomail.File {
	return &gomail.File{
		Name:        name,
		ContentType: gomail.ContentType(contentType),
		Header:      make(textproto.MIMEHeader, 4),
		Writer: func(w io.Writer) (int64, error) {
			if b.quiet {
				return 0, nil
			}
			n, err := w.Write(data)
			return int64(n), err
		},
	}
}

// cleanType returns a checked content type in canonical form without a name parameter
// (go-mail adds one), or application/octet-stream when it is empty.
func cleanType(s string) string {
	if s == "" {
		return "application/octet-stream"
	}
	t, params, err := mime.ParseMediaType(s)
	if err != nil {
		return "application/octet-stream" // check rejects this; keep render safe anyway
	}
	if len(params) == 0 {
		return t
	}
	delete(params, "name")
	return mime.FormatMediaType(t, params)
}

// layers returns the multipart layers go-mail writes for m, outermost first: mixed when
// there is an attachment, related when there is an inline file, alternative when there are
// both text and HTML.
func layers(m *message.Message) []string {
	l := make([]string, 0, 3)
	if len(m.Attachments) > 0 || m.Calendar != nil {
		l = append(l, "mixed")
	}
	if len(m.Inline) > 0 {
		l = append(l, "related")
	}
	if m.Text != "" && m.HTML != "" {
		l = append(l, "alt")
	}
	return l
}

func mailAddr(a message.Address) *mail.Address {
	return &mail.Address{Name: a.Name, Address: a.Addr}
}

func mailAddrs(as []message.Address) []*mail.Address {
	out := make([]*mail.Address, len(as))
	for i, a := range as {
		out[i] = mailAddr(a)
	}
	return out
}

// envelopeOnly returns the Bcc addresses that are not also in To or Cc, each once. A
// mailbox named twice in one envelope can receive two copies on some servers; for Bcc the
// duplicate can be dropped without changing any header.
func envelopeOnly(m *message.Message) []message.Address {
	if len(m.Bcc) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(m.To)+len(m.Cc)+len(m.Bcc))
	for _, a := range m.To {
		seen[a.Key()] = true
	}
	for _, a := range m.Cc {
		seen[a.Key()] = true
	}
	out := make([]message.Address, 0, len(m.Bcc))
	for _, a := range m.Bcc {
		if k := a.Key(); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// boundaries returns the MIME boundaries of the layers of m, in the order go-mail opens them.
// They are derived from the Message-ID so that the same message always gives the same bytes.
// Only the text and HTML bodies could contain one (they are quoted-printable, where a soft
// line break can put any substring at the start of a line; base64 never contains "_"), and a
// boundary found there is replaced by another.
func boundaries(m *message.Message) []string {
	ls := layers(m)
	if len(ls) == 0 {
		return nil
	}
	// A leading "_" keeps the common check to one fast scan of each body.
	const prefix = "_herald_"
	suspect := strings.Contains(m.Text, prefix) || strings.Contains(m.HTML, prefix)
	sum := sha256.Sum256([]byte(m.MessageID))
	var hexSum [24]byte
	out := make([]string, 0, len(ls))
	for _, layer := range ls {
		for {
			hex.Encode(hexSum[:], sum[:12])
			b := prefix + layer + "_" + string(hexSum[:])
			sum = sha256.Sum256(sum[:])
			if !suspect || !strings.Contains(m.Text, b) && !strings.Contains(m.HTML, b) {
				out = append(out, b)
				break
			}
		}
	}
	return out
}

// render writes the message, setting its boundaries if this is the first write. go-mail
// chooses random boundaries unless one is set, and its one setter (SetBoundary) applies to
// every layer, which nested multiparts forbid. But it reads that setting as it opens each layer
// and remembers the boundary it used for later writes; so setting the boundary of the next
// layer as soon as the current one appears in the output gives each layer its own. The
// golden tests catch any change in this go-mail behaviour.
func (b *built) render(w io.Writer) (int64, error) {
	var (
		n   int64
		err error
	)
	if len(b.bounds) == 0 || b.fixed {
		n, err = b.msg.WriteTo(w)
	} else {
		b.msg.SetBoundary(b.bounds[0])
		bs := &boundarySetter{w: w, gm: b.msg, bounds: b.bounds}
		n, err = b.msg.WriteTo(bs)
		b.msg.SetBoundary("")
		b.fixed = true
		if err == nil && bs.next != len(b.bounds) {
			// go-mail no longer writes layers as expected; what it wrote may be malformed.
			err = fmt.Errorf("go-mail opened %d of %d MIME layers", bs.next, len(b.bounds))
		}
	}
	if err != nil {
		return n, fmt.Errorf("write message: %w", err)
	}
	return n, nil
}

// boundarySetter passes writes through and moves gm to the next boundary once the current
// one has been announced in a Content-Type header. go-mail opens every layer before it
// writes any body, so the search ends with the headers.
type boundarySetter struct {
	w      io.Writer
	gm     *gomail.Msg
	bounds []string
	next   int
	needle []byte // "boundary=" and the current boundary
	tail   []byte // the end of the previous write, in case an announcement is split
}

func (s *boundarySetter) Write(p []byte) (int, error) {
	if s.next < len(s.bounds) {
		s.advance(p)
	}
	return s.w.Write(p)
}

func (s *boundarySetter) advance(p []byte) {
	if s.needle == nil {
		s.needle = append([]byte("boundary="), s.bounds[s.next]...)
	}
	found := bytes.Contains(p, s.needle)
	if !found && len(s.tail) > 0 {
		joined := append(s.tail, p[:min(len(p), len(s.needle)-1)]...)
		found = bytes.Contains(joined, s.needle)
	}
	if !found {
		// Keep what could be the start of an announcement split across writes.
		n := len(s.needle) - 1
		if len(p) >= n {
			s.tail = append(s.tail[:0], p[len(p)-n:]...)
		} else {
			s.tail = append(s.tail, p...)
			if extra := len(s.tail) - n; extra > 0 {
				s.tail = s.tail[:copy(s.tail, s.tail[extra:])]
			}
		}
		return
	}
	s.next++
	s.tail = s.tail[:0]
	if s.next == len(s.bounds) {
		s.gm.SetBoundary("")
		return
	}
	s.gm.SetBoundary(s.bounds[s.next])
	s.needle = append(s.needle[:len("boundary=")], s.bounds[s.next]...)
}

// check rejects anything that could produce a malformed or misleading message. Upstream has
// validated all of it already; this is the last line before the wire, so that nothing a
// Message holds can add a header line.
func check(m *message.Message) error {
	if m == nil {
		return errors.New("no message")
	}
	if err := checkAddr("From", m.From); err != nil {
		return err
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return errors.New("message has no recipient (To, Cc and Bcc are empty)")
	}
	for _, list := range []struct {
		field string
		addrs []message.Address
	}{{"Reply-To", m.ReplyTo}, {"To", m.To}, {"Cc", m.Cc}, {"Bcc", m.Bcc}} {
		for _, a := range list.addrs {
			if err := checkAddr(list.field, a); err != nil {
				return err
			}
		}
	}
	if message.ContainsControl(m.Subject) {
		return fmt.Errorf("subject %q contains a control character", m.Subject)
	}
	if longWord(m.Subject) {
		return fmt.Errorf("subject %q has a word too long for a header line", short(m.Subject))
	}
	if err := checkMessageID(m.MessageID); err != nil {
		return err
	}
	if m.Date.IsZero() {
		return errors.New("message has no date")
	}
	if m.Date.Year() < 1900 || m.Date.Year() > 9999 {
		return fmt.Errorf("message date %s is out of range", m.Date.Format(time.RFC3339))
	}
	if m.Text == "" && m.HTML == "" {
		return errors.New("message has no body (text and HTML are empty)")
	}
	for _, f := range m.Inline {
		if err := checkFile("inline file", f); err != nil {
			return err
		}
		if !validContentID(f.ContentID) {
			return fmt.Errorf("inline file %q: invalid Content-ID %q (letters, digits and !#$%%&'*+-/=?^_`{|}~.@ only)", f.Name, f.ContentID)
		}
	}
	for _, f := range m.Attachments {
		if err := checkFile("attachment", f); err != nil {
			return err
		}
	}
	return nil
}

func checkAddr(field string, a message.Address) error {
	if a.Addr == "" {
		return fmt.Errorf("%s address is empty", field)
	}
	if message.ContainsControl(a.Name) || message.ContainsControl(a.Addr) {
		return fmt.Errorf("%s address %q contains a control character", field, a.Name+" <"+a.Addr+">")
	}
	if longWord(a.Name) || len(a.Addr) > 254 {
		return fmt.Errorf("%s address %q is too long for a header line", field, short(a.Name+" <"+a.Addr+">"))
	}
	// The address goes into headers and SMTP commands as it is; only a bare addr-spec that
	// net/mail reads back unchanged is safe there.
	p, err := mail.ParseAddress(a.Addr)
	if err != nil || p.Name != "" || p.Address != a.Addr {
		return fmt.Errorf("%s address %q is not a plain address such as name@example.org", field, a.Addr)
	}
	for i := 0; i < len(a.Addr); i++ {
		if a.Addr[i] > '~' {
			return fmt.Errorf("%s address %q is not ASCII (the domain should be in its xn-- form)", field, a.Addr)
		}
	}
	return nil
}

func checkMessageID(id string) error {
	if id == "" {
		return errors.New("message has no Message-ID")
	}
	at := strings.IndexByte(id, '@')
	if at <= 0 || at == len(id)-1 || strings.Count(id, "@") != 1 {
		return fmt.Errorf("Message-ID %q is not of the form token@domain", id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == '<' || c == '>' || c == '"' || c == '\\' {
			return fmt.Errorf("Message-ID %q contains %q (printable ASCII other than <>\"\\ only)", id, c)
		}
	}
	return nil
}

const maxFileName = 200

func checkFile(kind string, f message.File) error {
	if f.Name == "" {
		return fmt.Errorf("%s has no file name", kind)
	}
	if message.ContainsControl(f.Name) {
		return fmt.Errorf("%s name %q contains a control character", kind, f.Name)
	}
	if len(f.Name) > maxFileName {
		// Encoded, a longer name could not fit the 998 characters of a header line.
		return fmt.Errorf("%s name %q is too long (at most %d bytes)", kind, short(f.Name), maxFileName)
	}
	if f.ContentType != "" {
		if message.ContainsControl(f.ContentType) {
			return fmt.Errorf("%s %q: content type %q contains a control character", kind, f.Name, f.ContentType)
		}
		if _, _, err := mime.ParseMediaType(f.ContentType); err != nil {
			return fmt.Errorf("%s %q: invalid content type %q", kind, f.Name, f.ContentType)
		}
	}
	return nil
}

// longWord reports whether s has a run without spaces that could make a header line longer
// than the 998 characters SMTP allows: go-mail folds header lines at spaces only. A quote
// or backslash counts twice, as a quoted display name escapes it; text that is not ASCII
// is encoded in words of 75 characters, which fold.
func longWord(s string) bool {
	const limit = 900
	run := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			run = 0
		case '"', '\\':
			run += 2
		default:
			run++
		}
		if run > limit {
			return true
		}
	}
	return false
}

// short cuts s for an error message.
func short(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// validContentID reports whether id can be written as <id> as it is: RFC 5322 atext and
// dots around one @, as generated by mail clients.
func validContentID(id string) bool {
	if id == "" || len(id) > 250 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.@", c) >= 0:
		default:
			return false
		}
	}
	return true
}
