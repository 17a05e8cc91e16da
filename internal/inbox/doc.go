// Package inbox tells what one message found in the sender's mailbox is, and which recipient
// of a campaign it is about: a bounce, a delay notice, an automatic reply, a reply, or mail
// it cannot place. It is pure: no network, no files, no clock. The imap package fetches the
// messages; the command line records what this package says in the delivery log.
//
// A mailbox is hostile input. Classify reads the header and a bounded prefix of the body as
// the imap package hands them over, never more; it tolerates malformed and cut-off MIME, and
// it never guesses: a message is matched to a recipient by
//
//  1. the Message-IDs it refers to (In-Reply-To, then References, the newest first), or for
//     a bounce the Message-ID of the returned message (its text/rfc822-headers or
//     message/rfc822 part, or the copy below a plain-text bounce), then its own references;
//  2. failing that, and only when the message refers to no other message at all, by address:
//     the sender of a reply, the failed recipients of a bounce. An address that belongs to
//     several recipients places nothing.
//
// A message that refers to a message of the campaign is trusted when its sender (for a
// bounce: the failed address) is among that message's recipients. One that is not, such as
// a reply from a colleague the recipient forwarded the invitation to, or a forgery carrying a
// logged Message-ID, is kept with its real sender and marked untrusted, never dropped and never
// taken for the recipient's own answer.
//
// Recognised forms: RFC 3464 delivery status notifications (multipart/report;
// report-type=delivery-status, and the RFC 6533 message/global-delivery-status), as Postfix,
// Exchange Online and Gmail write them; the plain-text bounces of qmail ("Hi. This is the
// qmail-send program") and Exim ("This message was created automatically by mail delivery
// software", failures and delay warnings); automatic replies by RFC 3834 Auto-Submitted,
// X-Autoreply, X-Autorespond, Precedence: auto_reply, and the subjects Exchange gives them
// ("Automatic reply:", "Réponse automatique :" and their kin).
package inbox
