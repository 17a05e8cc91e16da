package template

import (
	"fmt"
	"strings"
)

// headerNames lists the headers of a message file in the order the manual gives them, in
// their canonical spelling.
var headerNames = []string{
	"Subject", "From", "Reply-To", "To", "Cc", "Bcc", "Attach", "Language",
	"Event", "Event-ID", "Event-Start", "Event-End", "Event-Location", "Event-Description", "Event-Sequence", "Event-Show-As",
}

var canonicalHeader = func() map[string]string {
	m := make(map[string]string, len(headerNames))
	for _, n := range headerNames {
		m[strings.ToLower(n)] = n
	}
	return m
}()

// rawHeader is one header as written in the file, continuation lines joined.
type rawHeader struct {
	name  string // canonical spelling
	value string
	line  int
}

// parsedFile is a message file split into its header block and body.
type parsedFile struct {
	headers  []rawHeader
	body     string
	bodyLine int // line of the file on which the body starts
	problems []fault
}

// normalizeSource removes a byte order mark and turns CRLF and CR line ends into LF, as
// files saved by Windows editors have them.
func normalizeSource(src string) string {
	src = strings.TrimPrefix(src, "\ufeff")
	if strings.IndexByte(src, '\r') >= 0 {
		src = strings.ReplaceAll(src, "\r\n", "\n")
		src = strings.ReplaceAll(src, "\r", "\n")
	}
	return src
}

// parseFile splits src into headers and body. A header is "Name: value"; a line starting
// with a space or tab continues the header before it. The header block ends at the first
// blank line. A first line that is not a header means there is no header block; a later line
// that is not a header means the blank line was forgotten, which is only a warning.
func parseFile(file, src string) parsedFile {
	src = normalizeSource(src)
	var p parsedFile
	seen := make(map[string]int) // canonical name → line of first occurrence
	pos, line := 0, 1
	for pos < len(src) {
		end := strings.IndexByte(src[pos:], '\n')
		next := len(src)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(src)
		}
		text := src[pos:end]
		switch {
		case strings.TrimSpace(text) == "":
			p.body, p.bodyLine = src[next:], line+1
			return p
		case (text[0] == ' ' || text[0] == '\t') && len(p.headers) > 0:
			h := &p.headers[len(p.headers)-1]
			h.value = strings.TrimSpace(h.value + " " + strings.TrimSpace(text))
		default:
			name, value, ok := splitHeaderLine(text)
			if !ok {
				if line > 1 {
					p.problems = append(p.problems, fault{
						File: file, Line: line, Warning: true,
						Message: "no blank line after the headers; the text starts here",
						Hint:    "put an empty line between the last header and the text",
					})
				}
				p.body, p.bodyLine = src[pos:], line
				return p
			}
			canon, known := canonicalHeader[strings.ToLower(name)]
			switch {
			case !known:
				p.problems = append(p.problems, fault{
					File: file, Line: line,
					Message: fmt.Sprintf("unknown header %q", name),
					Hint: "the headers are " + strings.Join(headerNames, ", ") +
						"; if this line is the start of the text, put an empty line before it",
				})
			case canon != "Attach" && seen[canon] > 0:
				p.problems = append(p.problems, fault{
					File: file, Line: line,
					Message: fmt.Sprintf("%s given twice (first on line %d)", canon, seen[canon]),
					Hint:    "only Attach may be repeated; keep one " + canon + " line",
				})
			default:
				if seen[canon] == 0 {
					seen[canon] = line
				}
				p.headers = append(p.headers, rawHeader{name: canon, value: value, line: line})
			}
		}
		pos, line = next, line+1
	}
	p.bodyLine = line
	return p
}

// splitHeaderLine splits "Name: value". A name is letters, digits and hyphens, starting with
// a letter, so "Dear Sir: …" or "12:30" is not a header.
func splitHeaderLine(s string) (name, value string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", "", false
	}
	name = strings.TrimRight(s[:i], " \t")
	if name == "" || !isLetter(name[0]) {
		return "", "", false
	}
	for j := 0; j < len(name); j++ {
		if c := name[j]; !isLetter(c) && !(c >= '0' && c <= '9') && c != '-' {
			return "", "", false
		}
	}
	return name, strings.TrimSpace(s[i+1:]), true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
