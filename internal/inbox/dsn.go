package inbox

import (
	"bytes"
	"regexp"
	"strings"
)

// Failure is one recipient named by a bounce or a delay notice.
type Failure struct {
	// Recipient is the address the report names, lower case: its Final-Recipient, or the
	// address a plain-text bounce lists.
	Recipient string
	// OriginalRecipient is the Original-Recipient of an RFC 3464 report, when given: the
	// address herald sent to, when the message was forwarded before it failed.
	OriginalRecipient string
	// Action is failed, delayed, delivered, relayed or expanded (RFC 3464); plain-text bounces
	// give failed or delayed.
	Action string
	// Status is the enhanced status code, such as "5.1.1", when the report gives one.
	Status string
	// Diagnostic is the remote server's answer (Diagnostic-Code without its "smtp;" type),
	// on one line and cut to a readable length.
	Diagnostic string
	// Key is the campaign recipient this failure belongs to, "" when it could not be placed.
	Key string
}

// parseDeliveryStatus reads the per-recipient fields of a message/delivery-status body
// (RFC 3464 section 2.3): blocks of fields separated by empty lines, the first of which is
// about the message and has no Final-Recipient.
func parseDeliveryStatus(b []byte) []Failure {
	var out []Failure
	for len(b) > 0 && len(out) < maxFailure {
		var h header
		h, b = parseHeader(trimLeadingBlank(b))
		if !h.has("final-recipient") && !h.has("original-recipient") {
			continue
		}
		f := Failure{
			Recipient:         dsnAddress(h.get("final-recipient")),
			OriginalRecipient: dsnAddress(h.get("original-recipient")),
			Action:            strings.ToLower(firstWord(h.get("action"))),
			Status:            enhancedCode(h.get("status")),
			Diagnostic:        clip(dsnTyped(h.get("diagnostic-code"))),
		}
		if f.Recipient == "" {
			f.Recipient = f.OriginalRecipient
		}
		out = append(out, f)
	}
	return out
}

// trimLeadingBlank drops empty lines, which would otherwise end a header block at once.
func trimLeadingBlank(b []byte) []byte {
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(bytes.TrimSpace(line)) != 0 {
			return b
		}
		b = rest
	}
	return b
}

// dsnTyped strips the address or diagnostic type of a DSN field: "rfc822; a@b" gives "a@b",
// "smtp; 550 5.1.1 …" gives "550 5.1.1 …".
func dsnTyped(v string) string {
	if t, rest, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(t, " @<") {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(v)
}

func dsnAddress(v string) string {
	a := strings.Trim(dsnTyped(v), "<> ")
	if !strings.Contains(a, "@") {
		return ""
	}
	return strings.ToLower(a)
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return strings.Trim(f[0], ";,")
	}
	return ""
}

var enhancedRE = regexp.MustCompile(`\b[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`)

// enhancedCode returns the first enhanced status code (RFC 3463) in s, or "".
func enhancedCode(s string) string {
	return enhancedRE.FindString(s)
}

// A plain-text bounce: qmail's and Exim's are the two common forms that are no RFC 3464
// report. Each starts with a fixed sentence, lists the failed addresses, and ends with a
// line introducing a copy of the message (or of its header).
const (
	qmailIntro  = "Hi. This is the qmail-send program"
	eximIntro   = "This message was created automatically by mail delivery software."
	eximDelayed = "has not yet been delivered"
)

var copyMarkers = []string{
	"--- Below this line is a copy of the message.",       // qmail
	"------ This is a copy of the message, including all", // Exim
	"------ This is a copy of the message's headers.",     // Exim, return_size_limit
	"------ This is a copy of the body of the message",    // Exim, headers left out
	"--- Below this line is the original bounce.",         // qmail, double bounce
	"------ The body of the message is",                   // Exim, size note
}

// plainBounce reads a qmail or Exim bounce from the text of the message. ok is false for any
// other text. The returned header is the copy of the message below the marker line, if any.
func plainBounce(text []byte) (failures []Failure, returned header, hasReturned, ok bool) {
	s := string(text)
	body, copied, found := cutCopy(s)
	// The sentence must open the text: a person quoting a bounce in a reply is no bounce.
	start := strings.TrimLeft(body, " \t\r\n")
	switch {
	case strings.HasPrefix(start, qmailIntro):
		failures = qmailFailures(body)
	case strings.HasPrefix(start, eximIntro):
		action := "failed"
		if strings.Contains(body, eximDelayed) {
			action = "delayed"
		}
		failures = eximFailures(body, action)
	default:
		return nil, nil, false, false
	}
	if found {
		returned, _ = parseHeader([]byte(strings.TrimLeft(copied, "\r\n")))
		hasReturned = len(returned) > 0
	}
	return failures, returned, hasReturned, true
}

// cutCopy splits a bounce's text at the line that introduces the copy of the message.
func cutCopy(s string) (before, after string, found bool) {
	best := -1
	for _, m := range copyMarkers {
		if i := strings.Index(s, m); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return s, "", false
	}
	_, after, _ = strings.Cut(s[best:], "\n")
	return s[:best], after, true
}

// qmailFailures reads paragraphs that start with "<address>:", the reason on the lines
// after it.
func qmailFailures(s string) []Failure {
	var out []Failure
	for _, para := range paragraphs(s) {
		first, rest, _ := strings.Cut(para, "\n")
		first = strings.TrimSpace(first)
		if !strings.HasPrefix(first, "<") || !strings.HasSuffix(first, ">:") {
			continue
		}
		addr := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(first, "<"), ">:"))
		if !strings.Contains(addr, "@") {
			continue
		}
		out = append(out, Failure{Recipient: addr, Action: "failed", Status: enhancedCode(rest), Diagnostic: clip(rest)})
		if len(out) >= maxFailure {
			break
		}
	}
	return out
}

// eximFailures reads the list after "The following address(es) failed:" (or the delay
// warning's "…has not yet been delivered is:"): each address indented by two spaces, its
// reason indented further on the lines below, until the text returns to the margin.
func eximFailures(s string, action string) []Failure {
	var out []Failure
	var diag []string
	flush := func() {
		if n := len(out); n > 0 && len(diag) > 0 {
			d := strings.Join(diag, " ")
			out[n-1].Diagnostic = clip(d)
			out[n-1].Status = enhancedCode(d)
		}
		diag = diag[:0]
	}
	inList := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r ")
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasSuffix(trimmed, "failed:") || strings.HasSuffix(trimmed, "delivered is:") ||
			strings.HasSuffix(trimmed, "delivered are:"):
			inList = true
		case !inList || trimmed == "":
		case !strings.HasPrefix(line, " "):
			// Back at the margin: the list is over.
			flush()
			inList = false
		case strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.Contains(trimmed, "@") &&
			!strings.ContainsAny(trimmed, " \t"):
			flush()
			if len(out) < maxFailure {
				out = append(out, Failure{Recipient: strings.ToLower(strings.Trim(trimmed, "<>")), Action: action})
			}
		case len(out) > 0:
			diag = append(diag, trimmed)
		}
	}
	flush()
	return out
}

// paragraphs splits text at empty lines, line ends normalised to "\n".
func paragraphs(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.Trim(p, "\n"); p != "" {
			out = append(out, p)
		}
	}
	return out
}
