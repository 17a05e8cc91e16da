package mail

import (
	"bytes"
	"encoding/base64"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/mla-initiative/herald/internal/message"
)

// AppendEML appends m to dst as an RFC 5322 message: what Send transmits, byte for byte,
// and what the preview shows. Bcc recipients are in the envelope only, never in a header.
// The same Message always gives the same bytes. A caller writing many messages can reuse
// one buffer and write each with a single call.
//
// It writes directly what go-mail v0.8.1 would build from maps and closures, about ten
// times faster (a preview writes tens of thousands of messages); the layout and the body
// encodings are go-mail's, the header encodings are those described in header.go, which
// go-mail's writer gets wrong. TestAppendEMLAgreesWithGoMail and its fuzz target check
// that both give the same message once parsed back.
func AppendEML(dst []byte, m *message.Message) ([]byte, error) {
	if err := check(m); err != nil {
		return dst, err
	}
	bounds := boundaries(m)
	layerNames := layers(m)

	// go-mail's generic headers, sorted by name (msgWriter.writeGenHeader).
	var date [len(time.RFC1123Z) + 8]byte
	dst = appendHeader(dst, "Date", string(m.Date.AppendFormat(date[:0], time.RFC1123Z)))
	dst = appendHeader(dst, "MIME-Version", "1.0")
	dst = appendHeader(dst, "Message-ID", "<"+m.MessageID+">")
	dst = appendSubject(dst, m.Subject)
	dst = appendHeader(dst, "X-Mailer", mailer)

	// Address headers in go-mail's order.
	dst = appendAddressHeader(dst, "From", []message.Address{m.From})
	for _, h := range []struct {
		name  string
		addrs []message.Address
	}{{"To", m.To}, {"Cc", m.Cc}, {"Reply-To", m.ReplyTo}} {
		if len(h.addrs) > 0 {
			dst = appendAddressHeader(dst, h.name, h.addrs)
		}
	}

	// The multipart layers as msgWriter.startMP opens them: the outermost announced in the
	// message header, each inner one as the first part of the layer around it.
	mp := make([]multipartWriter, len(layerNames))
	for i, l := range layerNames {
		mp[i].boundary = bounds[i]
		ct := "multipart/" + mimeSubtype(l) + ";\r\n boundary=" + bounds[i]
		if i == 0 {
			dst = append(dst, "Content-Type: "...)
			dst = append(dst, ct...)
			dst = append(dst, "\r\n\r\n"...)
		} else {
			dst = mp[i-1].createPart(dst, "Content-Type", ct)
		}
	}
	depth := len(mp)

	single := depth == 0
	switch {
	case m.Text != "" && m.HTML != "":
		dst = appendTextPart(dst, mp, "text/plain", m.Text, false)
		dst = appendTextPart(dst, mp, "text/html", m.HTML, false)
	case m.HTML != "":
		dst = appendTextPart(dst, mp, "text/html", m.HTML, single)
	default:
		dst = appendTextPart(dst, mp, "text/plain", m.Text, single)
	}
	if m.Text != "" && m.HTML != "" {
		depth--
		dst = mp[depth].close(dst)
	}
	if len(m.Inline) > 0 {
		for i := range m.Inline {
			f := &m.Inline[i]
			dst = appendFilePart(dst, &mp[depth-1], "inline", f.Name, cleanType(f.ContentType), "<"+f.ContentID+">", f.Data)
		}
		depth--
		dst = mp[depth].close(dst)
	}
	if len(m.Attachments) > 0 || m.Calendar != nil {
		for i := range m.Attachments {
			f := &m.Attachments[i]
			dst = appendFilePart(dst, &mp[depth-1], "attachment", f.Name, cleanType(f.ContentType), "", f.Data)
		}
		if m.Calendar != nil {
			dst = appendFilePart(dst, &mp[depth-1], "attachment", calendarName, calendarType, "", m.Calendar)
		}
		depth--
		dst = mp[depth].close(dst)
	}
	return dst, nil
}

func mimeSubtype(layer string) string {
	if layer == "alt" {
		return "alternative"
	}
	return layer
}

// multipartWriter writes what mime/multipart.Writer does, for a part whose header keys
// are given in sorted order.
type multipartWriter struct {
	boundary string
	started  bool
}

// createPart writes the delimiter and the header of a new part; kv alternates keys and
// values, keys in increasing order (multipart.Writer sorts them).
func (w *multipartWriter) createPart(dst []byte, kv ...string) []byte {
	if w.started {
		dst = append(dst, "\r\n--"...)
	} else {
		dst = append(dst, "--"...)
		w.started = true
	}
	dst = append(dst, w.boundary...)
	dst = append(dst, "\r\n"...)
	for i := 0; i+1 < len(kv); i += 2 {
		dst = append(dst, kv[i]...)
		dst = append(dst, ": "...)
		dst = append(dst, kv[i+1]...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

func (w *multipartWriter) close(dst []byte) []byte {
	dst = append(dst, "\r\n--"...)
	dst = append(dst, w.boundary...)
	return append(dst, "--\r\n"...)
}

// appendTextPart writes a quoted-printable body part as msgWriter.writePart does: with its
// own header lines when the message has a single part, else as a part of the innermost
// layer. endLine adds a final line break if s lacks one (see build).
func appendTextPart(dst []byte, mp []multipartWriter, contentType, s string, endLine bool) []byte {
	ct := contentType + "; charset=UTF-8"
	if len(mp) == 0 {
		dst = appendHeader(dst, "Content-Transfer-Encoding", "quoted-printable")
		dst = appendHeader(dst, "Content-Type", ct)
		dst = append(dst, "\r\n"...)
	} else {
		dst = mp[len(mp)-1].createPart(dst, "Content-Transfer-Encoding", "quoted-printable", "Content-Type", ct)
	}
	q := qpEncoder{dst: dst}
	q.write(s)
	if endLine && !strings.HasSuffix(s, "\n") {
		q.write("\n")
	}
	q.checkLastByte()
	return q.dst
}

// appendFilePart writes a file as msgWriter.addFiles does, its body in base64, with its
// name as header.go describes.
func appendFilePart(dst []byte, w *multipartWriter, disposition, name, contentType, contentID string, data []byte) []byte {
	name = sanitizeFilename(name)
	kv := make([]string, 0, 8)
	kv = append(kv, "Content-Disposition", withFileName(disposition, len("Content-Disposition: "), "filename", name))
	if contentID != "" {
		kv = append(kv, "Content-Id", contentID)
	}
	kv = append(kv, "Content-Transfer-Encoding", "base64", "Content-Type", withFileName(contentType, len("Content-Type: "), "name", name))
	dst = w.createPart(dst, kv...)
	return encodedFiles.appendTo(dst, data)
}

// sanitizeFilename replaces what go-mail's sanitizeFilename replaces: control characters
// and "/:<>?\| with '_'.
func sanitizeFilename(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if badFilenameByte(s[i]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if badFilenameByte(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func badFilenameByte(c byte) bool {
	return c < 32 || c == '"' || c == '/' || c == ':' || c == '<' || c == '>' || c == '?' || c == '\\' || c == '|' || c == 127
}

// appendBase64 encodes data as go-mail does: standard base64 in lines of 76 characters,
// each ending with CRLF (base64.NewEncoder into go-mail's base64LineBreaker). 57 bytes
// make exactly one line.
func appendBase64(dst, data []byte) []byte {
	const perLine = 57
	for len(data) > 0 {
		n := min(len(data), perLine)
		dst = base64.StdEncoding.AppendEncode(dst, data[:n])
		dst = append(dst, "\r\n"...)
		data = data[n:]
	}
	return dst
}

// fileCache keeps the base64 form of the files that every message of a mailing shares
// (the calendar, a logo, a programme in PDF): Template.Render hands out the same Data for
// each message, so each is encoded once instead of once per message. An entry is found by
// the address of the data and used only when the data still has the content it was
// encoded from, so that a slice that was changed, or freed and its memory reused, is
// encoded afresh.
type fileCache struct {
	mu    sync.Mutex
	files map[fileKey]*cachedFile
	size  int
}

type fileKey struct {
	p *byte
	n int
}

type cachedFile struct {
	data, encoded []byte
}

var encodedFiles = &fileCache{}

const (
	// Files below this size are quicker to encode than to look up.
	minCachedFile = 512
	// The cache holds files with their encoded form up to about this much memory, then
	// starts again: a mailing shares few files, and a stream of different ones (a letter
	// per row) gains nothing from it.
	maxCacheSize = 32 << 20
)

func (c *fileCache) appendTo(dst, data []byte) []byte {
	if len(data) < minCachedFile || len(data) > maxCacheSize/4 {
		return appendBase64(dst, data)
	}
	key := fileKey{unsafe.SliceData(data), len(data)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.files[key]; f != nil && bytes.Equal(f.data, data) {
		return append(dst, f.encoded...)
	}
	encoded := appendBase64(make([]byte, 0, base64.StdEncoding.EncodedLen(len(data))*78/76+2), data)
	if c.files == nil || c.size+len(data)+len(encoded) > maxCacheSize {
		c.files, c.size = map[fileKey]*cachedFile{}, 0
	}
	c.files[key] = &cachedFile{data: bytes.Clone(data), encoded: encoded}
	c.size += len(data) + len(encoded)
	return append(dst, encoded...)
}

type qpEncoder struct {
	dst []byte
	i   int // length of the open line
	cr  bool
}

const qpLineMax = 76

func (q *qpEncoder) write(s string) {
	for k := 0; k < len(s); {
		b := s[k]
		switch qpClass[b] {
		case qpLiteral:
			// A run of literal bytes, cut into lines of 75 and a soft break.
			end := k + 1
			for end < len(s) && qpClass[s[end]] == qpLiteral {
				end++
			}
			for k < end {
				if q.i == qpLineMax-1 {
					q.softBreak()
				}
				n := min(end-k, qpLineMax-1-q.i)
				q.dst = append(q.dst, s[k:k+n]...)
				q.i += n
				k += n
			}
			q.cr = false
			continue
		case qpLineBreak:
			if !q.cr || b != '\n' {
				q.cr = b == '\r'
				q.checkLastByte()
				q.dst = append(q.dst, '\r', '\n')
				q.i = 0
			} else {
				q.cr = false
			}
		default:
			q.encode(b)
		}
		k++
	}
}

const (
	qpEncoded = iota
	qpLiteral
	qpLineBreak
)

// qpClass sorts bytes as quotedprintable.Writer.Write does.
var qpClass = func() (c [256]uint8) {
	for b := '!'; b <= '~'; b++ {
		c[b] = qpLiteral
	}
	c['='] = qpEncoded
	c[' '], c['\t'] = qpLiteral, qpLiteral
	c['\r'], c['\n'] = qpLineBreak, qpLineBreak
	return c
}()

func (q *qpEncoder) encode(b byte) {
	if qpLineMax-1-q.i < 3 {
		q.softBreak()
	}
	const upperhex = "0123456789ABCDEF"
	q.dst = append(q.dst, '=', upperhex[b>>4], upperhex[b&0x0f])
	q.i += 3
}

func (q *qpEncoder) checkLastByte() {
	if q.i == 0 {
		return
	}
	if b := q.dst[len(q.dst)-1]; b == ' ' || b == '\t' {
		q.dst = q.dst[:len(q.dst)-1]
		q.i--
		q.encode(b)
	}
}

func (q *qpEncoder) softBreak() {
	q.dst = append(q.dst, '=', '\r', '\n')
	q.i = 0
}
