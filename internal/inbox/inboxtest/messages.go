// Package inboxtest makes the messages a sender's mailbox receives after a campaign, for
// tests that deliver them to a real IMAP server and run herald inbox over them: bounces as
// Postfix writes them (RFC 3464), delay notices, out-of-office replies as Exchange writes
// them, replies, and the hostile kinds (forged, malformed, huge). Every address and host is
// on a reserved domain; n makes each message's own Message-ID unique.
package inboxtest

import (
	"bytes"
	"fmt"
	"strings"
)

// Sender is the address the campaign is sent from, which the mailbox belongs to.
const Sender = "protocol@mfa.example"

const date = "Thu, 11 Jan 2024 09:%02d:00 +0100"

// Bounce is a Postfix bounce (multipart/report; report-type=delivery-status) saying that
// the message messageID could not be delivered to rcpt, with status (5.1.1) and the remote
// server's words, the returned message's header included.
func Bounce(n int, rcpt, messageID, status, diagnostic string) []byte {
	return report(n, rcpt, messageID, "failed", status, diagnostic, "Undelivered Mail Returned to Sender")
}

// Delayed is a Postfix delay notice for rcpt: still trying.
func Delayed(n int, rcpt, messageID string) []byte {
	return report(n, rcpt, messageID, "delayed", "4.4.1", "connect to mx.example: Connection timed out", "Delayed Mail (still being retried)")
}

func report(n int, rcpt, messageID, action, status, diagnostic, subject string) []byte {
	b := fmt.Sprintf("Return-Path: <>\r\n"+
		"Date: "+date+"\r\n"+
		"From: MAILER-DAEMON@mx.mfa.example (Mail Delivery System)\r\n"+
		"Subject: %s\r\n"+
		"To: %s\r\n"+
		"Auto-Submitted: auto-replied\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B%d/mx.mfa.example\"\r\n"+
		"Message-Id: <dsn-%d@mx.mfa.example>\r\n"+
		"\r\n"+
		"This is a MIME-encapsulated message.\r\n"+
		"\r\n"+
		"--B%d/mx.mfa.example\r\n"+
		"Content-Description: Notification\r\n"+
		"Content-Type: text/plain; charset=us-ascii\r\n"+
		"\r\n"+
		"This is the mail system at host mx.mfa.example.\r\n"+
		"\r\n"+
		"<%s>: %s\r\n"+
		"\r\n"+
		"--B%d/mx.mfa.example\r\n"+
		"Content-Description: Delivery report\r\n"+
		"Content-Type: message/delivery-status\r\n"+
		"\r\n"+
		"Reporting-MTA: dns; mx.mfa.example\r\n"+
		"\r\n"+
		"Final-Recipient: rfc822; %s\r\n"+
		"Original-Recipient: rfc822;%s\r\n"+
		"Action: %s\r\n"+
		"Status: %s\r\n"+
		"Diagnostic-Code: smtp; %s\r\n"+
		"\r\n"+
		"--B%d/mx.mfa.example\r\n"+
		"Content-Description: Undelivered Message Headers\r\n"+
		"Content-Type: text/rfc822-headers\r\n"+
		"\r\n"+
		"From: Protocol <%s>\r\n"+
		"To: %s\r\n"+
		"Subject: Save the date\r\n"+
		"Message-ID: <%s>\r\n"+
		"\r\n"+
		"--B%d/mx.mfa.example--\r\n",
		n%60, subject, Sender, n, n, n, rcpt, diagnostic, n, rcpt, rcpt, action, status, diagnostic, n, Sender, rcpt, messageID, n)
	return []byte(b)
}

// AutoReply is an out-of-office reply from from, as Exchange writes it: Auto-Submitted and
// "Automatic reply:" in the subject, answering messageID.
func AutoReply(n int, from, messageID string) []byte {
	return fmt.Appendf(nil, "From: %s\r\n"+
		"To: %s\r\n"+
		"Subject: Automatic reply: Save the date\r\n"+
		"Date: "+date+"\r\n"+
		"Message-ID: <ooo-%d@mx.recipient.example>\r\n"+
		"In-Reply-To: <%s>\r\n"+
		"References: <%s>\r\n"+
		"Auto-Submitted: auto-replied\r\n"+
		"X-Auto-Response-Suppress: All\r\n"+
		"Content-Type: text/plain; charset=UTF-8\r\n"+
		"\r\n"+
		"I am out of the office until 22 January, with limited access to e-mail.\r\n",
		from, Sender, n%60, n, messageID, messageID)
}

// Reply is a reply written by a person, fromName <from>, to messageID.
func Reply(n int, from, fromName, messageID, subject string) []byte {
	return fmt.Appendf(nil, "From: %s <%s>\r\n"+
		"To: %s\r\n"+
		"Subject: %s\r\n"+
		"Date: "+date+"\r\n"+
		"Message-ID: <reply-%d@mx.recipient.example>\r\n"+
		"In-Reply-To: <%s>\r\n"+
		"References: <%s>\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=UTF-8\r\n"+
		"\r\n"+
		"The Minister thanks you and will attend. (This body is never kept.)\r\n",
		fromName, from, Sender, subject, n%60, n, messageID, messageID)
}

// Unrelated is a message about something else: a newsletter that refers to no message of
// any campaign, from an address no campaign sent to.
func Unrelated(n int) []byte {
	return fmt.Appendf(nil, "From: News <news@bulletin.example>\r\n"+
		"To: %s\r\n"+
		"Subject: Weekly bulletin %d\r\n"+
		"Date: "+date+"\r\n"+
		"Message-ID: <bulletin-%d@bulletin.example>\r\n"+
		"List-Id: <bulletin.example>\r\n"+
		"\r\n"+
		"This week in multilateral affairs.\r\n", Sender, n, n%60, n)
}

// Malformed is a reply from from to messageID whose MIME is broken every way a mail program
// can break it: an encoded word that is not one, a header line without a colon, an empty
// boundary, a base64 part that is not base64, a multipart that never ends.
func Malformed(n int, from, messageID string) []byte {
	return fmt.Appendf(nil, "From: \"Consul\" <%s>\r\n"+
		"To: %s\r\n"+
		"Subject: =?utf-8?B?broken?= Re: Save the date\r\n"+
		"Date: "+date+"\r\n"+
		"Message-ID: <malformed-%d@mx.recipient.example>\r\n"+
		"In-Reply-To: <%s>\r\n"+
		"this line has no colon\r\n"+
		": empty name\r\n"+
		"Content-Type: multipart/mixed; boundary=\r\n"+
		"\r\n"+
		"--\r\n"+
		"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n"+
		"\r\n"+
		"--inner\r\n"+
		"Content-Type: text/plain\r\n"+
		"Content-Transfer-Encoding: base64\r\n"+
		"\r\n"+
		"VGhhbmsgeW91!!!@@@=\r\n"+
		"--inner\r\n"+
		"Content-Type: message/delivery-status\r\n"+
		"\r\n"+
		"Final-Recipient\r\n", from, Sender, n%60, n, messageID)
}

// Huge is a reply from from to messageID with an attachment that makes it size bytes.
func Huge(n int, from, messageID string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\n"+
		"To: %s\r\n"+
		"Subject: Re: Save the date, with the full powers attached\r\n"+
		"Date: "+date+"\r\n"+
		"Message-ID: <huge-%d@mx.recipient.example>\r\n"+
		"In-Reply-To: <%s>\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"h\"\r\n"+
		"\r\n"+
		"--h\r\n"+
		"Content-Type: text/plain\r\n"+
		"\r\n"+
		"Please find the full powers attached.\r\n"+
		"--h\r\n"+
		"Content-Type: application/pdf; name=\"full-powers.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n"+
		"\r\n", from, Sender, n%60, n, messageID)
	line := strings.Repeat("QUJD", 19) + "\r\n"
	for b.Len() < size-len("--h--\r\n")-len(line) {
		b.WriteString(line)
	}
	b.WriteString("--h--\r\n")
	return b.Bytes()
}
