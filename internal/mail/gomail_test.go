package mail

import (
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"

	"github.com/mla-initiative/herald/internal/message"
)

// go-mail's own MIME writer, the reference for AppendEML: the same layout and body
// encodings, with go-mail's header encodings (see header.go for why they are not used).

// built is a message ready for go-mail to write.
type built struct {
	msg    *gomail.Msg
	bounds []string // MIME boundaries, outermost layer first
	fixed  bool     // the boundaries have been set by a first write
}

// build checks m and turns it into a go-mail message, the reference that AppendEML is
// compared with.
//
// The structure go-mail v0.8.1 writes is what mail clients expect:
// multipart/mixed{multipart/related{multipart/alternative{text, html}, inline images},
// attachments, calendar}, where a layer with a single part is left out.
func build(m *message.Message) (*built, error) {
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
			n, err := w.Write(data)
			return int64(n), err
		},
	}
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

// TestBoundarySetterSplitHeader feeds the boundary announcement in pieces, as a writer
// other than go-mail's current one might, and checks that the next boundary is set once
// the whole announcement has gone through, not before.
func TestBoundarySetterSplitHeader(t *testing.T) {
	t.Run("two pieces", testBoundarySetterTwoPieces)
	t.Run("byte by byte", testBoundarySetterBytes)
}

func testBoundarySetterBytes(t *testing.T) {
	gm := gomail.NewMsg()
	bounds := []string{"_herald_mixed_aaa", "_herald_alt_bbb"}
	gm.SetBoundary(bounds[0])
	s := &boundarySetter{w: io.Discard, gm: gm, bounds: bounds}
	text := "Date: x\r\nContent-Type: multipart/mixed;\r\n boundary=_herald_mixed_aaa\r\n\r\n" +
		"--_herald_mixed_aaa\r\nContent-Type: multipart/alternative;\r\n boundary=_herald_alt_bbb\r\n"
	first := strings.Index(text, "mixed_aaa") + len("mixed_aaa") - 1
	second := strings.Index(text, "alt_bbb") + len("alt_bbb") - 1
	for i := range len(text) {
		if _, err := s.Write([]byte{text[i]}); err != nil {
			t.Fatal(err)
		}
		want := bounds[0]
		switch {
		case i >= second:
			want = ""
		case i >= first:
			want = bounds[1]
		}
		if got := gm.GetBoundary(); got != want {
			t.Fatalf("after byte %d (%q): boundary %q, want %q", i, text[:i+1], got, want)
		}
	}
}

func testBoundarySetterTwoPieces(t *testing.T) {
	gm := gomail.NewMsg()
	bounds := []string{"_herald_mixed_aaa", "_herald_alt_bbb"}
	gm.SetBoundary(bounds[0])
	var out bytes.Buffer
	s := &boundarySetter{w: &out, gm: gm, bounds: bounds}
	header := "Content-Type: multipart/mixed;\r\n boundary=_herald_mixed_aaa\r\n"
	cut := strings.Index(header, "mixed_a")
	for _, piece := range []string{header[:cut], header[cut:]} {
		if gm.GetBoundary() != bounds[0] {
			t.Fatalf("boundary moved to %q before the announcement was complete", gm.GetBoundary())
		}
		if _, err := s.Write([]byte(piece)); err != nil {
			t.Fatal(err)
		}
	}
	if got := gm.GetBoundary(); got != bounds[1] {
		t.Errorf("boundary after the announcement = %q, want %q", got, bounds[1])
	}
	if _, err := s.Write([]byte("Content-Type: multipart/alternative;\r\n boundary=_herald_alt_bbb\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := gm.GetBoundary(); got != "" {
		t.Errorf("boundary after the last layer = %q, want empty", got)
	}
	if got, want := out.String(), header+"Content-Type: multipart/alternative;\r\n boundary=_herald_alt_bbb\r\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}
