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
//	status *         outcome records only: delivered, failed, unknown, skipped or not_sent.
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
// # State of a recipient
//
// [Fold] reduces the records of one campaign to a [State] per key. An attempt with no outcome
// after it is unknown: herald stopped, or the machine did, between sending and recording, and
// the message may have arrived. Delivered is final: a later attempt or failure for the same
// key does not undo it, because the recipient has the message. Test records are counted in
// State.Tests and change nothing else.
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
