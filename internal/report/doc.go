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
//	status         string  delivered, failed, unknown, pending or skipped.
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
// herald status --format csv writes the same fields as columns of that name, in that order,
// with addresses joined by ", ", an empty code for 0 and an empty last_attempt for null.
//
// # Exports
//
// herald status --export FILE writes the workbook's sheet as the user made it (same
// columns, order and rows) with the columns Status, Sent at, Message-ID, Server reply /
// error and Attempts appended. A .xlsx file has every value as text, never a formula, a
// frozen header with filter buttons, Status filled green (delivered), red (failed) or amber
// (unknown), and columns as wide as their content. A .csv file is UTF-8 with a byte order
// mark so that Excel reads it correctly. In both CSV forms a value that starts with = + - @
// gets a leading ' so that a spreadsheet never runs it. Exports are written with mode 0600:
// they hold names and addresses.
package report
