// Package mail turns a message.Message into MIME and delivers it over SMTP. It is herald's
// only importer of github.com/wneessen/go-mail (v0.8.1).
//
// # One writer
//
// AppendEML writes the message a recipient gets. The preview writes those bytes to its .eml
// files and Send transmits the very same bytes, so what was looked at is what is sent. It
// writes what go-mail's own writer would, about ten times faster, except for the header
// encodings below, which go-mail gets wrong; a test compares the two on every kind of
// message (the same message parsed back, the same bytes outside those headers), and
// another checks that a server receives exactly the preview.
//
// # MIME
//
// The layout is
//
//	multipart/mixed
//	├── multipart/related
//	│   ├── multipart/alternative
//	│   │   ├── text/plain; charset=UTF-8   (quoted-printable)
//	│   │   └── text/html; charset=UTF-8    (quoted-printable)
//	│   └── inline images, with Content-ID  (base64)
//	├── attachments                         (base64)
//	└── invite.ics: text/calendar; method=PUBLISH; charset=UTF-8 (base64)
//
// and a layer with one part is left out: a message without files is multipart/alternative,
// one without HTML is a single text/plain part. Headers are Date, MIME-Version, Message-ID,
// Subject, X-Mailer: herald, From, To, Cc, Reply-To and Content-Type (plus
// Content-Transfer-Encoding for a single part); Bcc never appears.
//
// Each layer's boundary is derived from the Message-ID, so the same Message always gives
// the same bytes: previews can be compared, and golden files stay put. A boundary is never
// found in the body it encloses.
//
// Header values are written so that mail clients, Go's net/mail and mime, Python's email,
// mblaze and reformime all read the same text:
//
//   - A subject of plain ASCII words is written as it is; a display name of plain ASCII is
//     a quoted string ("Dupont, Jean"). Lines fold at spaces, never right after the colon.
//   - Other text is in RFC 2047 encoded words (UTF-8, Q or B, whichever is shorter), each at
//     most 75 characters, the first on the header's own line. Words are cut only after a
//     space, which is encoded inside the word before the cut (readers drop the white space
//     between two encoded words); only a single word longer than an encoded word is cut
//     between two characters. A word that looks like an encoded word, a run of spaces and
//     a word too long for a line are encoded too, so nothing is refused for its length.
//   - In a display name only the runs of words that need it are encoded, the plain words
//     between them stay plain: `=?UTF-8?q?Minist=C3=A8re?= de la Justice`. (Python's email
//     keeps the space between two encoded words in an address, against RFC 2047 §6.2: a
//     name that needs several encoded words in a row reads there with an extra space.)
//   - A file name that is not short plain ASCII is an RFC 2231 parameter, in
//     Content-Disposition (filename) and Content-Type (name) alike, as below, in numbered
//     sections (filename*0*=…; filename*1*=…) when it does not fit on one line. There is
//     no plain ASCII fallback: Python reads a plain filename= before filename*, and would
//     show the fallback. A reader that knows only plain names (munpack) saves such a file
//     under a name of its own. The characters "/:<>?\| of a file name become _.
//
// For example:
//
//	Subject: =?UTF-8?q?Invitaci=C3=B3n:_Conferencia_de_Firma_de_la_?=
//	 =?UTF-8?q?Convenci=C3=B3n_de_Liubliana=E2=80=93La_Haya?=
//	From: =?UTF-8?q?Secr=C3=A9tariat?= de la =?UTF-8?q?Conf=C3=A9rence?= <s@example.org>
//	Content-Disposition: attachment;
//	 filename*=UTF-8''Carta%20de%20invitaci%C3%B3n.pdf
//
// multipart/related has no type parameter (RFC 2387 asks for one; Outlook, Gmail and
// Thunderbird do not need it). A single-part body gets a final line break if it lacks one,
// because SMTP would add it.
//
// Before writing, every value that reaches a header is checked once more: no control
// character, valid UTF-8, addresses that net/mail reads back unchanged and need no quoting,
// the Message-ID form, content types, Content-IDs. Upstream checks come first
// (message.ParseAddress refuses what would fail here), but nothing a Message holds may add
// a header line.
//
// # Delivery
//
// A Sender holds one SMTP connection and sends one message at a time. go-mail connects and
// says EHLO (Client.DialToSMTPClientWithContext); STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA
// and RSET are then asked of its smtp.Client one by one. So each failure is known by its
// step, and a server's refusal is a *textproto.Error with its code: nothing is read out of
// an error's text. MAIL FROM is the From address; RCPT TO lists To, Cc and Bcc, each
// mailbox once. TLS is on by default with the certificate checked; Config.CAFile adds a
// trusted authority and there is no way to skip the check. Credentials are never sent over
// an unencrypted connection except to this machine (localhost, 127.0.0.0/8, ::1). AUTH is
// PLAIN or LOGIN, whichever the server offers (PLAIN first), unless Config.Auth names one,
// or XOAUTH2.
//
// A server reply is read up to 1 MiB: a longer one fails its command as a lost connection
// would (below), and memory stays small whatever the server sends. Outcome.Reply and
// DialError keep the first 4 KiB of a reply, followed by " … [reply cut: N bytes]".
//
// Send reports an Outcome. The rules, in order:
//
//   - The server answered 2xx to the final dot: Delivered, even when the RSET that follows
//     fails (Err then says so, and Redial is set). A message is never reported failed
//     after the server took it.
//   - The connection failed while the message was being sent or before the reply to the
//     final dot came (a timeout, a reply over 1 MiB): Unknown, Redial. The server may have
//     kept it; never send it again automatically (RFC 5321 §4.5.3.2.6, RFC 1047).
//   - The connection failed at MAIL FROM, RCPT TO or DATA, before the message (no reply,
//     or one over 1 MiB): TempFailure, Redial; nothing was sent.
//   - 421 (the server is closing the connection): TempFailure, Redial.
//   - Other 4xx: TempFailure.
//   - 5xx: PermFailure, unless it concerns the sender or the session rather than the
//     message, then Stop: any 5xx to MAIL FROM; 530, 534, 535, 538 (authentication); 5.4.5
//     and 5.2.0 (Gmail's and Exchange's sending quotas); 5.7.x to DATA or to the message
//     (send-as denied, rejected as spam), which the following messages would get too. A 5.7.x to
//     RCPT TO concerns that recipient and is a PermFailure.
//
// A transaction refused before the message is ended with RSET; an RSET that fails asks for
// a redial.
//
// A message goes to all of its recipients or to none. When the server refuses one RCPT TO
// among several, the others are still offered, then the transaction is reset without
// sending the message: the Outcome is a failure for the whole message, PermFailure if any
// refusal is permanent, and Reply lists every refusal ("550 5.1.1 …; 451 4.7.1 …"), so
// that the bad address can be fixed and the message sent again to everyone. Reply holds
// only what the server said; Err names each failed command and what happened.
//
// Dial's failures are *DialError values: Stop when the configuration or the account must
// be fixed (certificate, TLS mode, no STARTTLS, AUTH refused), TempFailure when trying
// later may work. What to do about it is in DialError.Hints, never in the error's text
// (problem.Hints collects them). The password appears in no error and no Outcome, in clear
// or in base64.
package mail
