// Package message is herald's shared vocabulary: one rendered, checked e-mail for one
// recipient row. The campaign package produces it, the mail package turns it into MIME and
// delivers it, and the run package moves it between them. It holds data and the rules for
// addresses, and imports nothing of herald.
package message

import "time"

// Message is everything needed to write one e-mail byte for byte. Nothing in it is a
// template any more: every value is final and every address has been parsed.
type Message struct {
	From    Address
	ReplyTo []Address
	To      []Address
	Cc      []Address
	// Bcc receive the message but never appear in its headers.
	Bcc []Address
	// Withheld lists mailboxes (by Address.Key) of To, Cc or Bcc that are left out of the
	// envelope: they already have this campaign's message, from another row or an earlier
	// run. They stay in the headers, which say who the letter is addressed to.
	Withheld []string

	Subject string
	// MessageID is "token@sender-domain", without angle brackets, ASCII only. It is chosen
	// before sending so that the delivery log can record it.
	MessageID string
	Date      time.Time

	Text string // the text/plain alternative
	HTML string // the text/html alternative: a complete document

	// Inline files are referenced from HTML as "cid:<ContentID>".
	Inline      []File
	Attachments []File
	// Calendar, when not nil, is an iCalendar object (METHOD:PUBLISH) sent as an .ics
	// attachment of type text/calendar.
	Calendar []byte
}

// File is an attachment or an inline image.
type File struct {
	Name        string // file name shown to the recipient
	ContentType string // e.g. "application/pdf"
	ContentID   string // inline files only
	Data        []byte
}
