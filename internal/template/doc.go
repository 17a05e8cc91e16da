// Package template reads a template folder and renders one message.Message per contact row.
//
// # The template folder
//
// A template is a folder. It holds message.md, optionally language variants
// message.<lang>.md (message.fr.md, message.es.md, …), optionally facts.toml (defaults of
// the campaign facts, below), and any files the messages attach or show inline. A folder may instead hold message.html (and optionally message.txt; without it
// the text part is derived from the HTML) for full control of the HTML; its header block is
// the same. message.txt has no header block: all of it is the text part. Each language
// chooses for itself: message.fr.html (with or without message.fr.txt) may sit beside
// message.md. <lang> is a two-letter language code, optionally with a region (fr, fr-BE,
// es-419); other files, such as message.old.md, are ignored with a warning.
//
// message.md is a header block of "Name: value" lines, one blank line, then a Markdown body:
//
//	Subject: Save the date — Signing Conference, The Hague, 14–15 February 2024
//	Reply-To: {{fact "contact"}}
//	Attach: letters/{{.Country}}.pdf
//	Event: Signing Conference of the Ljubljana–The Hague Convention
//	Event-ID: ljubljana-the-hague-convention-signing-conference-2024
//	Event-Start: 2024-02-14
//	Event-End: 2024-02-15
//	Event-Location: {{fact "venue"}}, The Hague, the Netherlands
//
//	{{.Salutation}},
//
//	The co-hosting States have the honour …
//
// Headers (names are case-insensitive; a header other than Attach given twice is an error, and
// so is a name not in this list). A line starting with a space or a tab continues the header
// above it. A file without the blank line gets a warning and its text starts at the first
// line that is not a header; a file whose first line is not a header has no headers.
//
//   - Subject (required). Runs of spaces in it become one space.
//   - From, Reply-To: an address with an optional display name. The --from and --reply-to
//     settings, when given, take precedence over the template's headers. Without both a From
//     header and --from, the messages have a placeholder sender, «to be set: sender»
//     <sender@to-be-set.invalid>: a problem with ErrUnset, which check reports and send
//     refuses (the built-in templates have no From: the sender is the ministry's).
//   - To: default the row's Email column (every address in the cell).
//   - Cc, Bcc: default the row's Cc and Bcc columns when they exist. An empty "Cc:" line
//     sends no copy even when the row has a Cc column.
//     To, Cc and Bcc may list several addresses separated by ';' or ','.
//   - Attach: repeatable; a path relative to the template folder, with / or \. It may not
//     leave the folder: "..", absolute paths and symbolic links pointing outside are refused.
//     An Attach line that renders empty for a row attaches nothing to it, so
//     "Attach: {{if .Letter}}letters/{{.Letter}}{{end}}" attaches a letter only where the
//     Letter cell is filled in. An Attach line naming no file is an error, and so is one
//     that renders empty for every row (UnusedAttachments): every letter would go without
//     its attachment, and nothing would say so.
//   - Language: the language message.md is written in (fr, es, …); English when absent. It
//     sets the lang attribute of the HTML and means rows in that language are not warned
//     about. In message.<lang>.md the file name says it already.
//   - Event, Event-Start, Event-End, Event-Location, Event-Description: declare a calendar
//     event; every message then carries an .ics (text/calendar, METHOD:PUBLISH, with the
//     sender as ORGANIZER, which RFC 5546 requires of a PUBLISH). Start and end are dates
//     (2024-02-14, an all-day event; Event-End is the last day, inclusive) or local times
//     with a zone (2024-02-14T09:30 Europe/Amsterdam, or UTC), converted to UTC in the file.
//     Event and Event-Start are required together; Event-End defaults to Event-Start. An
//     event that has already ended is a warning.
//   - Event-ID: the calendar entry's identity (its UID), a fixed text such as
//     "signing-conference-2024". Every language, every re-send, and every template with the
//     same Event-ID (the invitation after the save-the-date) update the same entry in the
//     recipient's calendar instead of adding one, whatever their titles say. message.md's
//     serves every language. Without it the identity comes from the Event and Event-Start
//     lines of message.md, with a warning: a title changed by a word would make a second
//     entry.
//   - Event-Show-As: free or busy (the default). A save-the-date is free
//     (TRANSP:TRANSPARENT): the days are not blocked until the invitation, a later
//     Event-Sequence, makes them busy.
//   - Event-Sequence: the version of the calendar entry, a whole number without placeholders;
//     0 when absent. Calendar programs take a message about an entry they already have as an
//     update only when its Event-Sequence is higher (RFC 5545 §3.8.7.4), so a later message
//     that revises the event (the invitation after the save-the-date) says 1, the next 2. Give
//     every language the same number: the others are warned about.
//
// Every header value and the body are Go templates (text/template syntax) over the row's
// columns: a column's header made into an identifier, so "First name" is {{.FirstName}} and
// "E-mail" is {{.Email}}. Functions available besides Go's built-ins: default, upper, lower,
// trim ({{.Ministry | default "the competent authority"}} uses the text when the cell is
// empty), fact (below) and named ({{.Email | named .Title .FullName}} gives the name made of
// its arguments to the first address of the cell that has no name of its own, so that To
// reads "Dra. Lucía Belén Ferreyra" <lferreyra@…>; the other addresses of the cell, an
// office's, keep none). A placeholder naming a column the workbook does not have is an error
// found before anything is rendered, never an empty string; the error gives the file, the
// line and the closest column name. A cell holding a line break or another control character
// cannot be used in a header: that row fails rather than getting a damaged header.
//
// An empty cell that the template prints as it is ({{.Salutation}}, {{.Country | upper}}) is
// an error for that row, naming the cell (Required lists them): "Dear ," must not go out. The
// rule is read from the parse tree. A use is optional, and an empty cell no error, when the
// template says what to do without the value: as the value of default or or
// ({{.X | default "…"}}, {{or .X .Y}}); as a name part of named; in the condition of an
// {{if}} or {{with}}; inside the {{if}} or {{with}} whose condition reads that
// column ({{if .Title}}{{.Title}} {{end}}), or in the {{else}} of an {{if not .X}}. The
// headers Cc, Bcc and Attach are left out: empty, they mean no copy and no file.
//
// # Campaign facts
//
// {{fact "name"}} is a campaign fact: a value set once for a campaign that the headers, the
// body and the calendar entry share, such as the contact address, the letterhead, the reply
// deadline or the venue. Its name is lower-case words joined by hyphens. Options.Facts gives
// the values ("venue" for every language, "venue.fr" for the French variants, "venue.fr-be"
// for message.fr-BE.md only; a variant takes the most precise), and facts.toml in the folder
// gives defaults for the facts the settings do not mention, in the same form:
//
//	contact = "MLA-initiative@minjenv.nl"
//	letterhead = { en = "REPUBLIC OF SLOVENIA\nMINISTRY OF FOREIGN AND EUROPEAN AFFAIRS", fr = "…" }
//
// A fact is taken as a whole from one place: a setting "letterhead" hides every
// "letterhead.<lang>" of facts.toml. A value of several lines keeps its line breaks where the
// fact is printed on its own ({{fact "letterhead"}}). The loader finds every use in the parse
// trees; the same rule as for cells makes a use required or optional ({{if fact "signatory"}}
// … {{fact "signatory"}} … {{end}}). A required fact without a value for a variant's language
// is a problem whose Err is an *UnsetError (errors.Is ErrUnset), in every file that prints
// it, with the exact settings to write; the message shows «to be set: reply deadline» in its
// place (in an address header, an address on to-be-set.invalid named so), so that it can be
// previewed; check reports it as an error and send refuses it. An optional fact without a
// value is an empty text. A header made of text and facts only is worked out once, when the
// folder is loaded. Facts lists the facts a template uses.
//
// # The Markdown
//
// CommonMark with GitHub's tables, strikethrough (~~text~~) and automatic links for bare
// addresses; straight quotes become typographic ones ("…" → “…”, ' → ’) and -- a dash. As in
// all Markdown, a single line break inside a paragraph is a space: end a line with a
// backslash to keep the break, as in a signature block. HTML written in the Markdown is kept.
//
// {{if}}, {{else}}, {{end}} and {{with}} written on lines of their own around paragraphs
// choose between whole paragraphs ({{range}}, {{template}}, {{define}} and {{block}} are
// errors: every value of a letter is one text, and they could make a template run without
// end):
//
//	{{if eq .Language "fr"}}
//	Cette lettre existe aussi en français.
//	{{else}}
//	This letter also exists in French.
//	{{end}}
//
// Placeholders work in link addresses too: [register]({{.RegistrationURL}}).
//
// # Languages
//
// Rows whose Language cell is "fr" use message.fr.md; "fr-BE" uses message.fr-BE.md, else
// message.fr.md; anything else, or an empty cell, uses message.md. A language with no variant
// is a warning, not an error.
//
// # What a rendered message holds
//
// multipart/alternative of an HTML part (the Markdown rendered by goldmark into a clean,
// mobile-friendly layout; every value from a cell is HTML-escaped) and a plain-text part;
// images referenced from the body that exist in the folder are embedded inline; then the
// attachments and the calendar file. Cell values never change the structure of the message:
// a cell holding Markdown or HTML shows as text.
//
// The HTML part is one centred column, at most 640 pixels wide, in a serif font, with every
// style written on its element, as mail programs require. Outlook for Windows, which knows no
// max-width and no white-space, gets a fixed width from a conditional comment, line heights
// in pixels with mso-line-height-rule, lists indented by their margin (it ignores padding
// and would clip the bullets) and 96 dots per inch. A mail link (mailto:) is kept on one line
// where white-space is known, since narrow screens would otherwise break the address at a
// hyphen; web links wrap. An image wider than the column is shown at the
// column's width. Images on the web (https://…) are left as links, with a warning: most mail
// programs hide them.
//
// The text part is made from the HTML: paragraphs separated by an empty line and never cut,
// since mail programs wrap long lines on screen; no-break spaces kept; list items start with
// "-" or "1."; links are followed by their address in angle brackets, unless the link's text
// is its address; images are left out.
//
// # For programs
//
// The Markdown is converted once, when the folder is loaded, with each template action
// replaced by a token, and the result parsed as html/template; rendering a message only
// executes templates. Load reports every fault of the folder at once as Problems (Check);
// Render refuses a language variant with an error.
package template
