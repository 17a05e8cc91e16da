package inbox

import (
	"bytes"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Kind is what a message is, as far as the campaign is concerned.
type Kind string

const (
	// Bounce reports that the message could not be delivered to one or more recipients.
	Bounce Kind = "bounce"
	// Delayed reports that delivery is still being tried: a note, not a failure.
	Delayed Kind = "delayed"
	// Notice is a delivery report that names no failure and no delay (relayed, delivered).
	Notice Kind = "notice"
	// AutoReply is an out-of-office or other automatic answer; it is never an answer.
	AutoReply Kind = "auto_reply"
	// Reply is a message written by a person (or one that says nothing to the contrary).
	Reply Kind = "reply"
	// Unmatched is a message that could not be placed with a recipient of the campaign.
	Unmatched Kind = "unmatched"
)

// Match says what a match rests on.
type Match string

const (
	ByInReplyTo       Match = "in-reply-to"
	ByReferences      Match = "references"
	ByReturnedHeaders Match = "returned-headers"
	ByAddress         Match = "address"
)

// Sent is one message of the campaign, as the delivery log has it.
type Sent struct {
	// MessageID is the Message-ID header, without angle brackets.
	MessageID string
	// Key is the recipient key of the delivery log.
	Key string
	// Addresses are the envelope recipients of the message: To, Cc and Bcc.
	Addresses []string
}

// Lookup finds the campaign's messages by Message-ID and its recipients by address.
type Lookup struct {
	byID   map[string]*Sent
	byAddr map[string][]string // address, lower case → keys
}

// NewLookup indexes the campaign's sent messages. A recipient sent several messages (a
// retry after a failure) appears once per message; all of them place replies.
func NewLookup(sent []Sent) *Lookup {
	l := &Lookup{byID: make(map[string]*Sent, len(sent)), byAddr: make(map[string][]string)}
	for i := range sent {
		s := sent[i]
		s.Addresses = make([]string, 0, len(sent[i].Addresses))
		for _, a := range sent[i].Addresses {
			a = strings.ToLower(strings.TrimSpace(a))
			s.Addresses = append(s.Addresses, a)
			if keys := l.byAddr[a]; !slices.Contains(keys, s.Key) {
				l.byAddr[a] = append(keys, s.Key)
			}
		}
		l.byID[strings.Trim(s.MessageID, "<> ")] = &s
	}
	return l
}

// Result is what Classify found.
type Result struct {
	// Kind is what the message is for the campaign: Unmatched when no recipient could be
	// placed, whatever it looked like.
	Kind Kind
	// Nature is what the message looked like, placed or not: Bounce, Delayed, Notice,
	// AutoReply or Reply. herald inbox --unmatched shows it.
	Nature Kind
	// Key is the recipient the message is about, "" when unmatched. A bounce matched by
	// address may name several recipients: see Failures.
	Key string
	// MatchedBy and MatchedID say what the match rests on: the campaign's Message-ID that
	// was referred to, empty for a match by address.
	MatchedBy Match
	MatchedID string
	// Trusted is false when the message refers to a message of the campaign but its sender
	// (for a bounce: a failed address) is not among that message's recipients: a colleague
	// answering a forwarded invitation, or a forgery. It is recorded with its real sender and
	// must not count as the recipient's own answer.
	Trusted bool
	// Reason says, in words, why the message is untrusted or unmatched.
	Reason string

	// MessageID is the message's own Message-ID, without angle brackets: the same message
	// seen twice (in two folders, or after a rescan) has the same one.
	MessageID string
	// From and FromName are the real sender, as the From field has it.
	From     string
	FromName string
	// Date is the message's Date field; zero when missing or unreadable.
	Date time.Time
	// Subject is decoded, on one line, cut to a readable length.
	Subject string
	// Failures are the recipients a bounce, delay or notice names, each placed on its own.
	Failures []Failure
}

// SplitMessage splits a whole message into its header (with the empty line after it) and
// its body, as the imap package fetches them.
func SplitMessage(raw []byte) (hdr, body []byte) {
	for pos := 0; pos < len(raw); {
		line, rest := cutLine(raw[pos:])
		next := len(raw) - len(rest)
		if len(bytes.TrimRight(line, "\r")) == 0 {
			return raw[:next], raw[next:]
		}
		pos = next
	}
	return raw, nil
}

// Classify tells what the message with header hdr and body body is, and places it with a
// recipient of the campaign that l describes. body may be cut off at any byte: the imap
// package hands over a bounded prefix. Malformed input gives a result, never a panic.
func Classify(hdr, body []byte, l *Lookup) Result {
	if l == nil {
		l = NewLookup(nil)
	}
	h, _ := parseHeader(hdr)
	r := Result{Subject: decodeText(h.get("subject"))}
	if ids := messageIDs(h.get("message-id")); len(ids) > 0 {
		r.MessageID = ids[0]
	}
	r.From, r.FromName = parseAddress(h.get("from"))
	if d, err := mail.ParseDate(h.get("date")); err == nil {
		r.Date = d
	}
	if _, own := l.byID[r.MessageID]; own && r.MessageID != "" {
		r.Kind, r.Nature = Unmatched, Reply
		r.Reason = "a copy of a message of this campaign, not an answer to one"
		return r
	}

	var w walked
	w.walk(h, body, 0)
	failures, returned, hasReturned, isReport := report(h, &w, r.From, r.Subject)
	if isReport {
		r.Failures = failures
		r.Nature = reportKind(failures)
		placeReport(&r, h, returned, hasReturned, l)
	} else {
		r.Nature = Reply
		if isAutoReply(h, r.Subject) {
			r.Nature = AutoReply
		}
		placeMessage(&r, h, l)
	}
	r.Kind = r.Nature
	if r.Key == "" && !slices.ContainsFunc(r.Failures, func(f Failure) bool { return f.Key != "" }) {
		r.Kind = Unmatched
	}
	return r
}

// report finds a delivery report: an RFC 3464 one, else a qmail or Exim plain-text bounce,
// else a message from a mailer daemon that reads like a bounce.
func report(h header, w *walked, from, subject string) (failures []Failure, returned header, hasReturned, ok bool) {
	if len(w.status) > 0 {
		for _, s := range w.status {
			failures = append(failures, parseDeliveryStatus(s)...)
		}
		ok = true
		returned, hasReturned = w.returned, w.hasReturned
	} else if w.hasText {
		failures, returned, hasReturned, ok = plainBounce(w.text)
	}
	if !ok && fromMailerDaemon(from) && bounceSubject(subject) {
		ok = true
		returned, hasReturned = w.returned, w.hasReturned
	}
	if ok && len(failures) == 0 {
		// Exim names the failed addresses in a field of their own as well.
		for _, a := range parseAddressList(h.get("x-failed-recipients")) {
			failures = append(failures, Failure{Recipient: a, Action: "failed"})
		}
	}
	return failures, returned, hasReturned, ok
}

func fromMailerDaemon(addr string) bool {
	local, _, _ := strings.Cut(addr, "@")
	return local == "mailer-daemon" || local == "postmaster" || local == "mail-daemon"
}

var bounceSubjects = []string{
	"undelivered mail", "undeliverable", "delivery status notification", "mail delivery failed",
	"returned mail", "failure notice", "delivery failure", "non remis", "non distribuable",
	"unzustellbar",
}

func bounceSubject(s string) bool {
	s = strings.ToLower(s)
	return slices.ContainsFunc(bounceSubjects, func(p string) bool { return strings.Contains(s, p) })
}

// reportKind is Bounce when any recipient failed, Delayed when all that are named are
// delayed (or delayed and delivered), Notice when none failed or was delayed.
func reportKind(failures []Failure) Kind {
	if len(failures) == 0 {
		return Bounce
	}
	delayed := false
	for _, f := range failures {
		switch f.Action {
		case "delayed":
			delayed = true
		case "delivered", "relayed", "expanded":
		default:
			return Bounce
		}
	}
	if delayed {
		return Delayed
	}
	return Notice
}

// placeReport matches a report by the returned message's Message-ID, then by the report's
// own references (Exchange sets them), then each failure by address when the report names
// no message at all.
func placeReport(r *Result, h header, returned header, hasReturned bool, l *Lookup) {
	var refs []ref
	if hasReturned {
		for _, id := range messageIDs(returned.get("message-id")) {
			refs = append(refs, ref{id, ByReturnedHeaders})
		}
	}
	refs = append(refs, references(h)...)
	if s, by := l.find(refs); s != nil {
		r.Key, r.MatchedBy, r.MatchedID, r.Trusted = s.Key, by, s.MessageID, true
		for i := range r.Failures {
			f := &r.Failures[i]
			f.Key = s.Key
			if !slices.Contains(s.Addresses, f.Recipient) && !slices.Contains(s.Addresses, f.OriginalRecipient) && r.Trusted {
				r.Trusted = false
				r.Reason = fmt.Sprintf("names %s, who is not a recipient of message <%s>", f.Recipient, s.MessageID)
			}
		}
		return
	}
	if len(refs) > 0 {
		r.Reason = fmt.Sprintf("the returned message <%s> is not of this campaign", refs[0].id)
		return
	}
	keys := map[string]bool{}
	for i := range r.Failures {
		f := &r.Failures[i]
		if k := l.keyOf(f.Recipient); k != "" {
			f.Key = k
		} else if k := l.keyOf(f.OriginalRecipient); k != "" {
			f.Key = k
		}
		if f.Key != "" {
			keys[f.Key] = true
		}
	}
	switch {
	case len(keys) == 0 && len(r.Failures) == 0:
		r.Reason = "the report names neither a message nor a recipient"
	case len(keys) == 0:
		r.Reason = fmt.Sprintf("%s is not a recipient of this campaign", r.Failures[0].Recipient)
	default:
		r.MatchedBy, r.Trusted = ByAddress, true
		if len(keys) == 1 {
			for k := range keys {
				r.Key = k
			}
		}
	}
}

// placeMessage matches a reply or an automatic reply by the messages it refers to, and by
// its sender's address only when it refers to none.
func placeMessage(r *Result, h header, l *Lookup) {
	refs := references(h)
	if s, by := l.find(refs); s != nil {
		r.Key, r.MatchedBy, r.MatchedID = s.Key, by, s.MessageID
		r.Trusted = r.From != "" && slices.Contains(s.Addresses, r.From)
		if !r.Trusted {
			r.Reason = fmt.Sprintf("sent by %s, who is not a recipient of message <%s>", orNone(r.From), s.MessageID)
		}
		return
	}
	if len(refs) > 0 {
		// An answer in some other conversation, perhaps to another campaign: not guessed.
		r.Reason = "refers only to messages that are not of this campaign"
		return
	}
	switch keys := l.byAddr[r.From]; {
	case r.From == "":
		r.Reason = "has no readable sender"
	case len(keys) == 1:
		r.Key, r.MatchedBy, r.Trusted = keys[0], ByAddress, true
	case len(keys) > 1:
		r.Reason = fmt.Sprintf("%s is a recipient of %d messages and the message refers to none", r.From, len(keys))
	default:
		r.Reason = fmt.Sprintf("%s is not a recipient of this campaign", r.From)
	}
}

func orNone(s string) string {
	if s == "" {
		return "an unreadable sender"
	}
	return s
}

type ref struct {
	id string
	by Match
}

// references lists In-Reply-To, then References from the newest to the oldest.
func references(h header) []ref {
	var out []ref
	for _, id := range messageIDs(h.get("in-reply-to")) {
		out = append(out, ref{id, ByInReplyTo})
	}
	ids := messageIDs(h.get("references"))
	for i := len(ids) - 1; i >= 0; i-- {
		out = append(out, ref{ids[i], ByReferences})
	}
	return out
}

func (l *Lookup) find(refs []ref) (*Sent, Match) {
	for _, r := range refs {
		if s := l.byID[r.id]; s != nil {
			return s, r.by
		}
	}
	return nil, ""
}

// keyOf returns the one key an address belongs to, "" when none or several.
func (l *Lookup) keyOf(addr string) string {
	if keys := l.byAddr[addr]; len(keys) == 1 {
		return keys[0]
	}
	return ""
}

// autoSubjects are the subject prefixes of automatic replies, lower case, as Exchange and
// Outlook write them in the languages ministries use most.
var autoSubjects = []string{
	"automatic reply:", "réponse automatique :", "réponse automatique:", "auto:",
	"out of office:", "out of office reply", "autoreply:", "auto reply:", "auto-reply:",
	"automatische antwort:", "abwesenheitsnotiz:", "respuesta automática:",
	"risposta automatica:", "resposta automática:", "automatisch antwoord:",
	"автоматический ответ:",
}

// isAutoReply reads RFC 3834 Auto-Submitted (anything but "no"), the X-Autoreply and
// X-Autorespond fields older responders set, Precedence: auto_reply, and the subjects
// Exchange gives its automatic replies. Gmail's vacation responder sets Auto-Submitted.
func isAutoReply(h header, subject string) bool {
	if v := strings.ToLower(firstWord(h.get("auto-submitted"))); v != "" && v != "no" {
		return true
	}
	for _, name := range []string{"x-autoreply", "x-autorespond", "x-autogenerated"} {
		if h.has(name) {
			if v := strings.ToLower(strings.TrimSpace(h.get(name))); v != "no" && v != "false" {
				return true
			}
		}
	}
	if strings.EqualFold(strings.TrimSpace(h.get("precedence")), "auto_reply") {
		return true
	}
	s := strings.ToLower(subject)
	return slices.ContainsFunc(autoSubjects, func(p string) bool { return strings.HasPrefix(s, p) })
}
