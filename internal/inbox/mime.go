package inbox

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
)

// walked is what a pass over a message's MIME tree found that classification needs.
type walked struct {
	// status holds the bodies of message/delivery-status parts, decoded.
	status [][]byte
	// returned is the header of the returned message of a report (text/rfc822-headers or
	// message/rfc822 part); hasReturned tells an empty one from none.
	returned    header
	hasReturned bool
	// text is the first text/plain part, decoded; plain-text bounces are read from it.
	text    []byte
	hasText bool
	parts   int
}

// walk visits the part with header h and body body. Only multiparts are entered: a
// message/rfc822 part gives its header and nothing more, so that a forwarded message or the
// copy inside a bounce is never taken for the message itself.
func (w *walked) walk(h header, body []byte, depth int) {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		return
	}
	t, params := mediaType(h.get("content-type"))
	switch {
	case strings.HasPrefix(t, "multipart/"):
		boundary := params["boundary"]
		if boundary == "" {
			// A multipart without a boundary cannot be split; its text may still be read.
			w.leaf("text/plain", h, body)
			return
		}
		for _, p := range splitMultipart(body, boundary) {
			ph, pbody := parseHeader(p)
			w.walk(ph, pbody, depth+1)
			if w.parts > maxParts {
				return
			}
		}
	default:
		w.leaf(t, h, body)
	}
}

func (w *walked) leaf(t string, h header, body []byte) {
	switch t {
	case "message/delivery-status", "message/global-delivery-status":
		w.status = append(w.status, decodeBody(h, body))
	case "text/rfc822-headers", "message/rfc822-headers", "message/global-headers",
		"message/rfc822", "message/global":
		if !w.hasReturned {
			w.returned, _ = parseHeader(decodeBody(h, body))
			w.hasReturned = true
		}
	case "text/plain":
		if !w.hasText {
			w.text = decodeBody(h, body)
			w.hasText = true
		}
	}
}

// splitMultipart returns the bodies of the parts of a multipart body, each with its header.
// It is written for cut-off and malformed input rather than with mime/multipart: the body
// the imap package hands over usually ends in the middle of the last part (the returned
// message of a bounce), and that part's header is what matters; a missing close delimiter
// or a stray line is no reason to give up.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // where the current part's content begins; -1 in the preamble
	for pos := 0; pos < len(body); {
		line, rest := cutLine(body[pos:])
		next := len(body) - len(rest)
		if bytes.HasPrefix(line, delim) {
			after := bytes.TrimRight(line[len(delim):], " \t\r")
			closing := bytes.Equal(after, []byte("--"))
			if closing || len(after) == 0 {
				if start >= 0 {
					parts = append(parts, trimEOL(body[start:pos]))
					if len(parts) >= maxParts {
						return parts
					}
				}
				if closing {
					return parts
				}
				start = next
			}
		}
		pos = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// trimEOL drops the line break that belongs to the delimiter after a part.
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// decodeBody undoes the part's Content-Transfer-Encoding as far as the bytes allow: a cut-off
// base64 or quoted-printable body gives what decodes, an unknown encoding the bytes as they are.
func decodeBody(h header, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(h.get("content-transfer-encoding"))) {
	case "base64":
		clean := make([]byte, 0, len(body))
		for _, c := range body {
			if c == '=' {
				break
			}
			if c < 128 && base64Alphabet[c] {
				clean = append(clean, c)
			}
		}
		// Padding is made up afresh: it was cut off, or missing, as often as it was there.
		switch len(clean) % 4 {
		case 1:
			clean = clean[:len(clean)-1]
		case 2:
			clean = append(clean, "=="...)
		case 3:
			clean = append(clean, '=')
		}
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, _ := base64.StdEncoding.Decode(out, clean)
		return out[:n]
	case "quoted-printable":
		var out bytes.Buffer
		// The error is a malformed or cut-off sequence; what came before it is kept.
		_, _ = io.Copy(&out, quotedprintable.NewReader(bytes.NewReader(body)))
		return out.Bytes()
	}
	return body
}

var base64Alphabet = func() (a [128]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		a[c] = true
	}
	return a
}()
