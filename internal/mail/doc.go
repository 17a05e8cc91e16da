// Package mail turns a message.Message into MIME and delivers it over SMTP. It is herald's
// only importer of github.com/wneessen/go-mail (v0.8.1).
//
// # MIME
//
// WriteEML writes the message a recipient gets; Send transmits the same bytes. The layout is
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
// Content-Transfer-Encoding for a single part); Bcc never appears. Subjects and display
// names that are not plain ASCII are RFC 2047 encoded.
//
// go-mail draws random MIME boundaries. Here each layer's boundary is derived from the
// Message-ID instead, so the same Message always gives the same bytes: previews can be
// compared, and golden files stay put. A boundary is never found in the body it encloses.
//
// Two details are go-mail's and left so: multipart/related has no type parameter (RFC 2387
// asks for one; Outlook, Gmail and Thunderbird do not need it), and a file name that is not
// ASCII is an RFC 2047 word inside quotes rather than RFC 2231, which those clients read.
// A single-part body gets a final line break if it lacks one, because SMTP would add it.
//
// Before writing, every value that reaches a header is checked once more (control
// characters, addresses that net/mail does not read back unchanged, the Message-ID form,
// content types, Content-IDs): upstream checks come first, but nothing a Message holds
// may add a header line.
//
// # Delivery
//
// A Sender holds one SMTP connection and sends one message at a time. MAIL FROM is the From
// address; RCPT TO lists To, Cc and Bcc (a Bcc address already in To or Cc is given once).
// TLS is on by default with the certificate checked; Config.CAFile adds a trusted authority
// and there is no way to skip the check. Credentials are never sent over an unencrypted
// connection except to this machine (localhost, 127.0.0.0/8, ::1).
//
// Send reports an Outcome. The rules, in order:
//
//   - The server answered 250 to the final dot: Delivered, even when what follows (RSET)
//     fails; go-mail then still returns an error, and Redial is set.
//   - The connection failed after the message was sent and before the reply came (or the
//     timeout ran out while waiting): Unknown. The server may have kept it; never send it
//     again automatically (RFC 5321 §4.5.3.2.6, RFC 1047).
//   - The connection failed at MAIL FROM, RCPT TO or DATA, before the message: TempFailure,
//     Redial; nothing was sent.
//   - 421 (the server is closing the connection): TempFailure, Redial.
//   - Other 4xx: TempFailure.
//   - 5xx: PermFailure, unless it concerns the sender or the session rather than the
//     message, then Stop: any 5xx to MAIL FROM; 530, 534, 535, 538 (authentication); 5.4.5
//     and 5.2.0 (Gmail's and Exchange's sending quotas); 5.7.x to DATA or to the message
//     (send-as denied, rejected as spam), which the following messages would get too. A 5.7.x to
//     RCPT TO concerns that recipient and is a PermFailure.
//
// A message goes to all of its recipients or to none. When the server refuses one RCPT TO
// among several, go-mail still offers the others, then resets the transaction without
// sending the message: the Outcome is a failure for the whole message, PermFailure if any
// refusal is permanent, and Reply lists every refusal ("550 5.1.1 …; 451 4.7.1 …"), so
// that the bad address can be fixed and the message sent again to everyone.
//
// Dial's failures are *DialError values: Stop when the configuration or the account must
// be fixed (certificate, TLS mode, AUTH refused), TempFailure when trying later may work.
// The password appears in no error and no Outcome, in clear or in base64.
package mail
