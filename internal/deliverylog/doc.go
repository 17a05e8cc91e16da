// Package deliverylog keeps the delivery log of a campaign: an append-only file that records
// every message before it is sent and what became of it afterwards. herald send reads it to
// mail nobody twice, to resume a run that was interrupted and to re-send failures; herald
// status reads it to report on each recipient.
//
// # File format
//
// The log is a text file in JSON Lines form, UTF-8, one record per line, each line ending in
// "\n". It is created with the first record, so that a run that sends nothing leaves no file,
// with mode 0600 because it holds names and addresses. Records are only ever appended; herald
// never changes a complete line. This format is stable: later versions of
// herald may add fields and record types, and readers ignore what they do not know.
//
//	{"type":"attempt","time":"2024-01-10T09:30:00.120Z","campaign":"invitation","run":"20240110T093000Z-3f2a","key":"minister@justice.example","row":7,"to":["minister@justice.example"],"cc":["protocol@justice.example"],"message_id":"4c1e9d20@mla-initiative.example"}
//	{"type":"outcome","time":"2024-01-10T09:30:01.004Z","campaign":"invitation","run":"20240110T093000Z-3f2a","key":"minister@justice.example","message_id":"4c1e9d20@mla-initiative.example","status":"delivered","code":250,"enhanced_code":"2.0.0","reply":"2.0.0 Ok: queued as 4TzX1"}
//
// Fields, in the order they are written; fields marked * are left out when empty or zero:
//
//	type             "attempt": the message is about to be sent; it was written to disk first.
//	                 "outcome": what the attempt before it, for the same key, came to.
//	time             when the record was made: RFC 3339, UTC, milliseconds ("…T09:30:00.120Z").
//	campaign         the campaign name; one file may hold several campaigns.
//	run *            identifies the herald run that wrote the record.
//	key              the recipient: its To addresses, lower case, sorted, joined by ",". Row
//	                 numbers are not part of it, so editing the workbook between runs is safe.
//	row *            the workbook row the message was made from, for people reading the log.
//	to, cc, bcc *    the recipients the message names, as lists of addresses.
//	withheld *       those of them left out of the envelope, lower case: they already had
//	                 the campaign's message (from another row, or an earlier run).
//	message_id *     the Message-ID header of the message, without angle brackets.
//	status *         outcome records only: delivered, failed, unknown, skipped or not_sent
//	                 (never bounced: that is a State, from a bounce record).
//	                 unknown means the server may or may not have kept the message (the
//	                 connection was lost after the message was sent, say); it is never re-sent
//	                 automatically. skipped means the run chose not to send it; error says why.
//	                 not_sent ends an attempt whose message never reached the server (the run
//	                 stopped first): the recipient stands where it stood before that attempt.
//	failure *        with status failed: temporary (4xx, worth retrying) or permanent (5xx).
//	code *           the SMTP reply code, such as 250 or 550; 0 when there was no reply.
//	enhanced_code *  the enhanced status code (RFC 3463), such as "5.1.1".
//	reply *          the server's reply text; at most 2 KiB of it, then " [cut by herald: N bytes
//	                 in all]".
//	error *          what went wrong, in words, when there was no reply to quote; cut like reply.
//	test *           true for messages sent to a tester instead of the recipient (--test-to);
//	                 they never count as delivered to the recipient.
//
// # What herald inbox found
//
// herald inbox reads the sender's mailbox and adds records of its own, and herald send
// --copy-to-sent one more. They are written like outcomes (see [Log.Note]); versions of
// herald that do not know them ignore them. Their fields follow the ones above, in this
// order; * marks those left out when empty or zero:
//
//	{"type":"bounce","time":"2024-01-12T08:00:00.000Z","campaign":"invitation","key":"minister@justice.example","message_id":"20240111.5d2@mx.justice.example","enhanced_code":"5.1.1","folder":"INBOX","uidvalidity":1704960000,"uid":42,"matched_id":"4c1e9d20@mla-initiative.example","matched_by":"returned-headers","trusted":true,"recipient":"minister@justice.example","action":"failed","diagnostic":"550 5.1.1 user unknown","from":"mailer-daemon@mx.justice.example","date":"2024-01-11T17:02:11.000Z","subject":"Undelivered Mail Returned to Sender"}
//	{"type":"inbox_cursor","time":"2024-01-12T08:00:01.000Z","campaign":"invitation","key":"","account":"protocol@mfa.example","host":"imap.mfa.example","folder":"INBOX","uidvalidity":1704960000,"last_uid":57}
//
//	bounce             a delivery status notification (or a plain-text bounce) saying that the
//	                   message to key did not reach recipient: one record per address named.
//	delayed            the same for a delay notice ("still trying"): a note, nothing fails.
//	auto_reply         an automatic reply (out of office): never an answer.
//	reply              a reply written by a person.
//	unmatched          a message that could not be placed with a recipient (key is ""): kept so
//	                   that herald inbox --unmatched can list it; nothing is guessed.
//	inbox_cursor       how far a folder was read: after the message with UID last_uid, while
//	                   the folder's UIDVALIDITY is uidvalidity. The last one for an account,
//	                   host and folder counts; key is "".
//	sent_copy          --copy-to-sent filed the delivered message message_id of key in folder
//	                   (on host, as account), or could not: then error says why.
//
//	message_id *       in bounce … unmatched: the Message-ID of the message found, not of the
//	                   campaign's; "" when it had none.
//	enhanced_code *    bounce and delayed: the status the report gives (RFC 3463), "5.1.1".
//	error *            sent_copy: why the copy could not be filed.
//	account, host *    the mailbox read (inbox_cursor) or written (sent_copy).
//	folder *           the folder the message was found in, or read, or filed in.
//	uidvalidity, uid * where the message was found: a message is only known by these when it
//	                   has no Message-ID. inbox_cursor: the folder's UIDVALIDITY.
//	last_uid           inbox_cursor only: the highest UID read (0 for a folder read empty).
//	rescan *           inbox_cursor: the folder's UIDVALIDITY had changed, so it was read anew.
//	matched_id *       the campaign's Message-ID the message refers to; "" when it was placed
//	                   by address (it referred to no message at all).
//	matched_by *       in-reply-to, references, returned-headers or address.
//	trusted            bounce, delayed, auto_reply, reply: false when the sender (for a
//	                   bounce, the address named) is not among the recipients of the message
//	                   referred to: a colleague it was forwarded to, or a forgery. Always written.
//	nature *           unmatched: what the message looked like (bounce, delayed, notice,
//	                   auto_reply, reply).
//	recipient *        bounce and delayed: the address the report names, lower case.
//	original_recipient * the address herald sent to, when the report gives it and it differs.
//	action *           bounce and delayed: the report's Action: failed, delayed.
//	diagnostic *       bounce and delayed: the remote server's words; cut like reply.
//	from, from_name *  the real sender, as the From field gives it.
//	date *             the message's Date field, in UTC; left out when missing or unreadable.
//	subject *          decoded, on one line; cut like reply.
//	reason *           why a message is untrusted or unmatched, in words.
//
// The same message is recorded once: herald inbox skips one whose type, key, Message-ID
// and (for a bounce) named address are recorded already, or, without a Message-ID, whose
// folder, UIDVALIDITY and UID are; and Fold counts each once even when the log holds it
// twice (see [InboundID]).
//
// # State of a recipient
//
// [Fold] reduces the records of one campaign to a [State] per key. An attempt with no outcome
// after it is unknown: herald stopped, or the machine did, between sending and recording, and
// the message may have arrived. Delivered is final: a later attempt or failure for the same
// key does not undo it, because the recipient has the message — unless it comes back. Test
// records are counted in State.Tests and change nothing else.
//
// Records of herald inbox fold as follows; untrusted ones change no status and are kept in
// State.Untrusted, with their real sender:
//
//   - A trusted bounce of the recipient's current message (matched_id is its Message-ID, or
//     "" for a bounce placed by address and not dated before the last attempt) that names
//     one of its To addresses makes a delivered recipient bounced (StatusBounced), with
//     State.Bounce; an unknown one too when the bounce names its Message-ID, since the
//     server evidently had it. One that names only a Cc or Bcc address leaves the status
//     alone and is kept in State.CopyBounces. Outcome records never say bounced, and the
//     outcome's fields (code, reply) keep the SMTP server's answer: 250, since it took the
//     message. herald send treats bounced like a permanent failure: not delivered, sent
//     again with --only-failed, and a new attempt starts the recipient afresh.
//   - delayed sets State.Delayed, a note.
//   - A trusted reply counts in State.Replies and sets State.Replied (the latest by date);
//     that, and only that, is an answer ([State.Answered]).
//   - A trusted auto_reply sets State.AutoReply; it is never an answer.
//   - Replies and automatic replies outlive new attempts; bounces, delays and copies are
//     about the message they name, and a new attempt clears them.
//   - sent_copy sets State.CopiedTo, or State.CopyError, for the current message.
//
// [Mailed] leaves out an address a trusted bounce names: it does not have the message.
//
// # Crash safety
//
// [Log.Attempt] returns only once its record is on disk (fsync), so a message is never sent
// without a trace. Outcomes are written at once but made durable by the next attempt, or by
// [Log.Sync] or [Log.Close]: losing one to a power cut turns a recipient into unknown, never
// into a duplicate, and it halves the number of fsyncs. Attempts made at the same time by
// several connections share one fsync (group commit).
//
// A crash can leave the last line cut short. [Open] drops such a line, says what it dropped
// ([Log.Dropped]), and repairs the file so that the next record starts on a line of its own.
// The line was never made durable: if it was an attempt, its message was not sent; if it was
// an outcome, the recipient is unknown. A damaged line anywhere else is an error naming the
// line: the file was changed outside herald.
//
// # Sharing
//
// [Open] locks the log so that two runs cannot write it: it locks a lock file beside it,
// PATH.lock, which herald creates if need be and never removes, and the log itself once it
// exists. The lock file holds the process ID and run of the holder, for herald status
// ([Holding]). Deleting the log, or saving over it, does not let a second run in; deleting
// the lock file alone does not either while the log exists.
//
// Before each write the log checks that its path still names the file it has open, with the
// length it left it: a log deleted, replaced (an editor saving, a copy moved over it) or
// changed by another program during a run would otherwise receive records nobody reads, and
// the next run would mail everyone again. From then on it writes nothing to that path; its
// errors match [ErrReplaced], and [Log.Close] saves every record it holds to PATH.saved-RUN.
//
// [Read] and [Holding] take no lock and may be used while a run is writing.
package deliverylog
