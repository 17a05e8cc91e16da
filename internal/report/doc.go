// Package report answers "who has it, who doesn't, and why" for a campaign, offline: it
// joins the checked plan of the workbook with the delivery log and gives the state of each
// recipient, as a table for people, as JSON or CSV for scripts, and as an export of the
// workbook (.xlsx or .csv) with the outcome of each row appended. herald status prints it;
// herald send ends with its summary.
//
// # States
//
// Every recipient of the workbook is in exactly one state:
//
//	delivered  the server accepted the message.
//	bounced    the server accepted it, and then a bounce came back for one of its To
//	           addresses: herald inbox found it in the sender's mailbox. Not delivered;
//	           herald send --only-failed sends again, and a corrected To address is a new
//	           recipient that a plain herald send sends.
//	failed     the server refused it: temporary (4xx, or the connection failed before the
//	           message was sent; retries ran out) or permanent (5xx). herald send
//	           --only-failed sends again, with the row as it is now.
//	unknown    the message was sent but no answer came (the connection dropped after it, or
//	           herald stopped before recording the outcome): the server may have it. Look for
//	           its Message-ID in the Sent folder or the server's log; herald send
//	           --resend-unknown sends again.
//	pending    nothing was sent yet (no log, a --limit, a stopped run); herald send sends it.
//	skipped    the row has errors (it was left out with --skip-invalid); fix the cell named.
//
// While a herald send has the log open, the report says so, with the run's process where
// the system tells, and its figures are a moment of that run: a recipient whose message is
// on the wire reads as unknown and is shown as "sending", one waiting for a retry reads as
// failed, and both are marked in progress. No action then advises sending (a second send
// is refused while the first runs, and --only-failed or --resend-unknown afterwards could
// mail those recipients twice): pending, failed and unknown recipients read "wait for the
// herald send in progress to finish".
//
// Replies are not a state: a recipient that replied is delivered (or bounced, when one of
// its addresses came back and another answered). What herald inbox found is reported beside
// the state: the recipient's latest reply (sender, date and subject, never the body) and how
// many, its latest automatic reply (which is no answer), bounces of Cc addresses, delay
// notices, and messages about it from someone who is not among its recipients, such as a
// colleague it was forwarded to or a forgery, with their real sender, never counted as
// replies. The table lists them after the recipients not delivered.
//
// A recipient is the campaign plus its To addresses, not a row, so rows may be reordered
// between runs. Recipients in the log that are no longer in the workbook (row deleted,
// address changed) are listed apart and not counted, so nothing disappears from view. A row
// that repeats an earlier row's recipient is mailed once; in an export it shows the
// earlier row's outcome.
//
// # JSON
//
// herald status --format json writes one JSON array: the workbook's recipients in sheet
// order, then those no longer in it. The format is stable: fields are never removed or
// renamed, and new ones may be added, so a reader should ignore fields it does not know.
// Every field is always present.
//
//	[
//	{"row":3,"in_workbook":true,"key":"ana@justice.example","to":["ana@justice.example"],"cc":[],"status":"failed","failure":"permanent","code":550,"enhanced_code":"5.1.1","reply":"550 5.1.1 <ana@justice.example>: user unknown","error":"","message_id":"4c1e9d20@mla-initiative.example","attempts":1,"last_attempt":"2024-01-10T09:30:01.004Z","tests":0,"action":"correct the address, then herald send","in_progress":false},
//	{"row":4,"in_workbook":true,"key":"jl@justice.example","to":["jl@justice.example"],"cc":["protocol@justice.example"],"status":"pending","failure":"","code":0,"enhanced_code":"","reply":"","error":"","message_id":"","attempts":0,"last_attempt":null,"tests":0,"action":"herald send","in_progress":false}
//	]
//
// Fields:
//
//	row            number  the sheet row (CSV: line); for a recipient no longer in the
//	                       workbook, the row its last message was made from.
//	in_workbook    bool    false for recipients found only in the log.
//	key            string  the recipient's key in the log: its To addresses, lower case,
//	                       sorted, joined by ","; "" for a skipped row.
//	to, cc         array   of addresses (strings), never null: those of the last message
//	                       sent, else those of the row; for a skipped row, the Email cell as
//	                       written.
//	status         string  delivered, bounced, failed, unknown, pending or skipped.
//	failure        string  for failed: temporary or permanent; otherwise "".
//	code           number  the server's reply code (250, 451, 550); 0 when there was none.
//	enhanced_code  string  the enhanced status code (RFC 3463), such as "5.1.1", or "".
//	reply          string  the server's reply as it gave it, or "".
//	error          string  what went wrong when there was no reply to quote; for a skipped
//	                       row, the first problem with it; otherwise "".
//	message_id     string  the Message-ID of the last message sent, without <>, or "".
//	attempts       number  how many times the message was sent to the server.
//	last_attempt   string  when the last attempt was made, RFC 3339 in UTC with
//	                       milliseconds ("2024-01-10T09:30:01.004Z"); null when never.
//	tests          number  messages sent to a tester instead (--test-to); never delivered.
//	action         string  what would act on it, for people: "herald send --only-failed",
//	                       "herald send --resend-unknown" with the Message-ID to look for,
//	                       "herald send", or the cell to fix; "" when nothing is to be done.
//	                       While a send runs: "wait for the herald send in progress to
//	                       finish", or what that run is doing with it.
//	in_progress    bool    true while a herald send has the log open and the recipient in
//	                       hand: its message is being sent (status unknown) or failed
//	                       temporarily and may be tried again (status failed).
//
// Added with herald inbox and --copy-to-sent. For a bounced recipient, code, reply and
// enhanced_code remain the SMTP server's answer (it took the message); the bounce is in:
//
//	bounce_status     string  the status the bounce gives (RFC 3463), "5.1.1"; "" when the
//	                          recipient did not bounce.
//	bounce_recipient  string  the address that came back.
//	bounce_diagnostic string  the remote server's words, as the bounce quotes them.
//	bounced_at        string  the bounce's date (when herald inbox found it, if it had
//	                          none), as last_attempt; null when it did not bounce.
//	cc_bounced        array   Cc or Bcc addresses a bounce named; the recipient has the
//	                          message all the same. Never null.
//	delayed_at        string  the date of the latest delay notice, a note; null when none.
//	replied           bool    a recipient of the message replied (an automatic reply, or a
//	                          reply from someone else, is not one).
//	replies           number  how many replies from its recipients.
//	reply_from        string  the sender of the latest reply, its address; "" when none.
//	reply_from_name   string  and its name, as the From field gives it.
//	replied_at        string  the latest reply's date, as last_attempt; null when none.
//	reply_subject     string  its subject (herald keeps no body).
//	auto_reply        bool    an automatic reply (out of office) came; never an answer.
//	auto_replied_at   string  its date; null when none.
//	other_replies     array   messages about the recipient from someone who is not among
//	                          the recipients of the message they refer to (forwarded to a
//	                          colleague, or forged): objects with type (reply, auto_reply,
//	                          bounce), from, from_name, date (string or null), subject and
//	                          reason. Never counted as replies. Never null.
//	copied_to         string  the IMAP folder --copy-to-sent filed the message in, or "".
//	copy_error        string  why that copy could not be filed, or "".
//
// herald status --format csv writes the same fields as columns of that name, in that order,
// with addresses joined by ", ", an empty code for 0 and an empty last_attempt for null
// (any date that is null likewise), and other_replies on one line, "from (date, type):
// subject", separated by "; ".
//
// # Exports
//
// herald status --export FILE writes the workbook's sheet as the user made it (same
// columns, order and rows) with the columns Status, Sent at, Message-ID, Server reply /
// error, Attempts, Bounce (what the bounce said, and bounces of Cc addresses), Replied
// ("yes", "automatic reply only" or "from someone else only"), Reply from and Replied at
// appended. A .xlsx file has every value as text, never a formula, a frozen header with
// filter buttons, Status filled green (delivered), red (failed, bounced) or amber
// (unknown), and columns as wide as their content. A .csv file is UTF-8 with a byte order
// mark so that Excel reads it correctly. In both CSV forms a value that starts with = + - @
// gets a leading ' so that a spreadsheet never runs it. Exports are written with mode 0600:
// they hold names and addresses.
package report
