package mail

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mla-initiative/herald/internal/message"
)

// calendarName is the file name of the calendar attachment. Mail clients show it and
// calendar applications ignore it.
const calendarName = "invite.ics"

// calendarType is what Outlook, Thunderbird and Gmail need to offer "add to calendar" for an
// event that is announced (PUBLISH) rather than a meeting request (REQUEST).
const calendarType = "text/calendar; method=PUBLISH; charset=UTF-8"

// mailer is the X-Mailer header.
const mailer = "herald"

// cleanType returns a checked content type in canonical form without a name parameter
// (the file's own name is added), or application/octet-stream when it is empty.
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

// layers returns the multipart layers of m, outermost first: mixed when
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

// boundaries returns the MIME boundaries of the layers of m, outermost first.
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
	if err := checkText("subject", m.Subject); err != nil {
		return err
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
	if err := checkText(field+" display name", a.Name); err != nil {
		return err
	}
	if message.ContainsControl(a.Addr) {
		return fmt.Errorf("%s address %q contains a control character", field, a.Addr)
	}
	if len(a.Addr) > 254 {
		return fmt.Errorf("%s address %q is longer than the 254 characters SMTP allows", field, short(a.Addr))
	}
	// The address goes into headers and SMTP commands as it is; only a bare addr-spec that
	// net/mail reads back unchanged is safe there. A quoted local part is not one:
	// message.ParseAddress refuses it.
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

// checkText refuses what no header may hold: control characters (a line break would
// start a new header) and bytes that are not UTF-8. Length is no concern: long words are
// written as encoded words, which fold.
func checkText(what, s string) error {
	if message.ContainsControl(s) {
		return fmt.Errorf("%s %q contains a control character", what, short(s))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8 text", what, short(s))
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

func checkFile(kind string, f message.File) error {
	if f.Name == "" {
		return fmt.Errorf("%s has no file name", kind)
	}
	if err := checkText(kind+" name", f.Name); err != nil {
		return err
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
