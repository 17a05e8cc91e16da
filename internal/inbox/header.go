package inbox

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// Bounds on what one message may make this package do, whatever its size or shape. They keep
// a hostile message from costing more than a linear pass over the bytes it came with.
const (
	maxFields  = 1000 // header fields read from one header block
	maxParts   = 200  // MIME parts visited in one message
	maxDepth   = 8    // nesting of multiparts and message/rfc822 parts
	maxIDs     = 100  // Message-IDs read from one In-Reply-To or References field
	maxFailure = 100  // failed recipients read from one bounce
	maxText    = 512  // characters kept of a diagnostic or a subject
)

// field is one header field, its value unfolded but not decoded.
type field struct {
	name  string // lower case
	value string
}

type header []field

// get returns the value of the first field called name (lower case), or "".
func (h header) get(name string) string {
	for _, f := range h {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// has reports whether a field called name (lower case) is present.
func (h header) has(name string) bool {
	for _, f := range h {
		if f.name == name {
			return true
		}
	}
	return false
}

// parseHeader reads a header block up to the first empty line and returns it with the rest.
// It is lenient where net/textproto is strict, because a mailbox holds whatever senders
// wrote: a line without a colon is skipped, a continuation line with nothing before it too,
// LF and CRLF endings are both accepted, and a block without an empty line ends with the
// input (a cut-off message).
func parseHeader(b []byte) (header, []byte) {
	var h header
	// Continuation lines are gathered and joined once per field: appending to a string
	// line by line would be quadratic in a hostile header of many short lines.
	var cont []string
	end := func() {
		if n := len(h); n > 0 && len(cont) > 0 {
			h[n-1].value = strings.Join(append([]string{h[n-1].value}, cont...), " ")
		}
		cont = cont[:0]
	}
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(bytes.TrimRight(line, "\r")) == 0 {
			end()
			return h, rest
		}
		b = rest
		if line[0] == ' ' || line[0] == '\t' {
			if len(h) > 0 {
				cont = append(cont, strings.TrimSpace(string(line)))
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		name = bytes.TrimSpace(name)
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") || len(h) >= maxFields {
			continue
		}
		end()
		h = append(h, field{name: strings.ToLower(string(name)), value: strings.TrimSpace(string(value))})
	}
	end()
	return h, nil
}

// cutLine splits b after its first line, returning the line without its "\n".
func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// wordDecoder decodes RFC 2047 encoded words in any charset golang.org/x/text knows, so that
// "=?iso-8859-1?Q?R=E9ponse_automatique?=" reads as "Réponse automatique".
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}}

// decodeText decodes encoded words, keeping the raw text when they are malformed, and cuts
// the result to maxText runes of one line: it is shown to people and written to the log.
func decodeText(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		s = d
	}
	return clip(s)
}

// clip folds whitespace runs (including line breaks) to one space and cuts to maxText runes.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxText {
		s = string(r[:maxText]) + "…"
	}
	return s
}

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// parseAddress returns the address, lower case, and the display name of the first mailbox
// of a From-like field; when the field does not parse, the text between the first "<" and
// ">", or the first word with an "@", so that a malformed but readable sender is not lost.
func parseAddress(v string) (addr, name string) {
	if list, err := addressParser.ParseList(v); err == nil && len(list) > 0 {
		return strings.ToLower(list[0].Address), clip(list[0].Name)
	}
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			if a := strings.TrimSpace(v[i+1 : i+j]); strings.Contains(a, "@") {
				return strings.ToLower(a), clip(decodeText(strings.Trim(v[:i], ` "`)))
			}
		}
	}
	for _, w := range strings.Fields(v) {
		if strings.Contains(w, "@") {
			return strings.ToLower(strings.Trim(w, `<>"(),;:`)), ""
		}
	}
	return "", ""
}

// parseAddressList returns the addresses of a To-like field, lower case.
func parseAddressList(v string) []string {
	var out []string
	if list, err := addressParser.ParseList(v); err == nil {
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
		return out
	}
	for _, part := range strings.Split(v, ",") {
		if a, _ := parseAddress(part); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// messageIDs returns the Message-IDs of an In-Reply-To or References field, without angle
// brackets, in the order written. Words without brackets that look like id@domain are
// accepted too: some clients write them so.
func messageIDs(v string) []string {
	var out []string
	for len(v) > 0 && len(out) < maxIDs {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			for _, w := range strings.Fields(v) {
				if strings.Contains(w, "@") && len(out) < maxIDs {
					out = append(out, strings.Trim(w, "<>,;"))
				}
			}
			break
		}
		for _, w := range strings.Fields(v[:i]) {
			if strings.Contains(w, "@") && len(out) < maxIDs {
				out = append(out, strings.Trim(w, "<>,;"))
			}
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
	return out
}

// mediaType returns the lower-case media type and parameters of a Content-Type value. A
// value that does not parse gives its first word and no parameters, and an empty one gives
// text/plain, as RFC 2045 says.
func mediaType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", nil
	}
	t, params, err := mime.ParseMediaType(v)
	if err != nil && t == "" {
		t, _, _ = strings.Cut(v, ";")
		t = strings.ToLower(strings.TrimSpace(t))
		params = nil
		// A boundary is what matters most and the parameter most often mangled.
		if i := strings.Index(asciiLower(v), "boundary="); i >= 0 {
			b := strings.Trim(strings.TrimSpace(strings.SplitN(v[i+len("boundary="):], ";", 2)[0]), `"`)
			params = map[string]string{"boundary": b}
		}
	}
	return t, params
}

// asciiLower lowers ASCII letters only, so that indexes into the result are indexes into s
// (strings.ToLower turns an invalid byte into three).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
