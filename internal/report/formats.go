package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// jsonRecipient is one object of the JSON output; the package documentation describes it.
// Its fields are in the order written and may only ever be added to.
type jsonRecipient struct {
	Row          int      `json:"row"`
	InWorkbook   bool     `json:"in_workbook"`
	Key          string   `json:"key"`
	To           []string `json:"to"`
	Cc           []string `json:"cc"`
	Status       string   `json:"status"`
	Failure      string   `json:"failure"`
	Code         int      `json:"code"`
	EnhancedCode string   `json:"enhanced_code"`
	Reply        string   `json:"reply"`
	Error        string   `json:"error"`
	MessageID    string   `json:"message_id"`
	Attempts     int      `json:"attempts"`
	LastAttempt  *string  `json:"last_attempt"`
	Tests        int      `json:"tests"`
	Action       string   `json:"action"`
	InProgress   bool     `json:"in_progress"`
	// Added with herald inbox and --copy-to-sent.
	BounceStatus     string        `json:"bounce_status"`
	BounceRecipient  string        `json:"bounce_recipient"`
	BounceDiagnostic string        `json:"bounce_diagnostic"`
	BouncedAt        *string       `json:"bounced_at"`
	CcBounced        []string      `json:"cc_bounced"`
	DelayedAt        *string       `json:"delayed_at"`
	Replied          bool          `json:"replied"`
	Replies          int           `json:"replies"`
	ReplyFrom        string        `json:"reply_from"`
	ReplyFromName    string        `json:"reply_from_name"`
	RepliedAt        *string       `json:"replied_at"`
	ReplySubject     string        `json:"reply_subject"`
	AutoReply        bool          `json:"auto_reply"`
	AutoRepliedAt    *string       `json:"auto_replied_at"`
	OtherReplies     []jsonInbound `json:"other_replies"`
	CopiedTo         string        `json:"copied_to"`
	CopyError        string        `json:"copy_error"`
}

// jsonInbound is a message about the recipient from someone else than its recipients.
type jsonInbound struct {
	Type     string  `json:"type"`
	From     string  `json:"from"`
	FromName string  `json:"from_name"`
	Date     *string `json:"date"`
	Subject  string  `json:"subject"`
	Reason   string  `json:"reason"`
}

func jsonDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(jsonTime)
	return &s
}

// jsonTime is RFC 3339 in UTC to the millisecond, as in the delivery log.
const jsonTime = "2006-01-02T15:04:05.000Z07:00"

func toJSON(rc Recipient) jsonRecipient {
	j := jsonRecipient{
		Row: rc.Row, InWorkbook: rc.InWorkbook, Key: rc.Key,
		To: nonNil(rc.To), Cc: nonNil(rc.Cc),
		Status: rc.Status, Failure: rc.Failure, Code: rc.Code, EnhancedCode: rc.Enhanced,
		Reply: rc.Reply, Error: rc.Error, MessageID: rc.MessageID,
		Attempts: rc.Attempts, Tests: rc.Tests, Action: rc.Action, InProgress: rc.InProgress,
	}
	if rc.Code == 0 && rc.Error != "" {
		// No reply came (the connection dropped); what the mail layer kept is the
		// error's wording, which is in error, not words of the server.
		j.Reply = ""
	}
	if !rc.LastAttempt.IsZero() {
		s := rc.LastAttempt.UTC().Format(jsonTime)
		j.LastAttempt = &s
	}
	if b := rc.Bounce; b != nil {
		j.BounceStatus, j.BounceRecipient, j.BounceDiagnostic = b.Status, b.Recipient, b.Diagnostic
		j.BouncedAt = jsonDate(when(b))
	}
	j.CcBounced = []string{}
	for _, b := range rc.CopyBounces {
		j.CcBounced = append(j.CcBounced, b.Recipient)
	}
	if d := rc.Delayed; d != nil {
		j.DelayedAt = jsonDate(when(d))
	}
	if in := rc.Replied; in != nil {
		j.Replied, j.Replies = true, rc.Replies
		j.ReplyFrom, j.ReplyFromName, j.ReplySubject = in.From, in.FromName, in.Subject
		j.RepliedAt = jsonDate(when(in))
	}
	if in := rc.AutoReply; in != nil {
		j.AutoReply, j.AutoRepliedAt = true, jsonDate(when(in))
	}
	j.OtherReplies = []jsonInbound{}
	for i := range rc.Untrusted {
		in := &rc.Untrusted[i]
		j.OtherReplies = append(j.OtherReplies, jsonInbound{Type: in.Type, From: in.From, FromName: in.FromName,
			Date: jsonDate(when(in)), Subject: in.Subject, Reason: in.Reason})
	}
	j.CopiedTo, j.CopyError = rc.CopiedTo, rc.CopyError
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// all lists the workbook's recipients, then those no longer in it.
func (r *Report) all() []Recipient {
	out := make([]Recipient, 0, len(r.Recipients)+len(r.Gone))
	return append(append(out, r.Recipients...), r.Gone...)
}

// WriteJSON writes every recipient as a JSON array of objects, one a line, in the
// documented form: the workbook's recipients in sheet order, then those no longer in it.
func (r *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	var obj bytes.Buffer
	enc := json.NewEncoder(&obj)
	// SMTP replies quote addresses in <>, which must stay readable.
	enc.SetEscapeHTML(false)
	list := r.all()
	bw.WriteString("[")
	for i, rc := range list {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
		obj.Reset()
		if err := enc.Encode(toJSON(rc)); err != nil {
			return err
		}
		bw.Write(bytes.TrimSuffix(obj.Bytes(), []byte("\n")))
	}
	if len(list) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// csvHeader are the columns of the CSV output: the JSON fields, in the same order.
var csvHeader = []string{"row", "in_workbook", "key", "to", "cc", "status", "failure", "code", "enhanced_code", "reply", "error", "message_id", "attempts", "last_attempt", "tests", "action", "in_progress",
	"bounce_status", "bounce_recipient", "bounce_diagnostic", "bounced_at", "cc_bounced", "delayed_at",
	"replied", "replies", "reply_from", "reply_from_name", "replied_at", "reply_subject", "auto_reply", "auto_replied_at",
	"other_replies", "copied_to", "copy_error"}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// WriteCSV writes every recipient as CSV with the JSON fields as columns; lists of
// addresses are joined with ", ". Values that a spreadsheet would take for a formula are
// prefixed with ', since a CSV file is as likely to be opened in Excel as read by a script.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, rc := range r.all() {
		j := toJSON(rc)
		last := ""
		if j.LastAttempt != nil {
			last = *j.LastAttempt
		}
		code := ""
		if j.Code != 0 {
			code = strconv.Itoa(j.Code)
		}
		rec := []string{
			strconv.Itoa(j.Row), strconv.FormatBool(j.InWorkbook), j.Key,
			strings.Join(j.To, ", "), strings.Join(j.Cc, ", "), j.Status, j.Failure, code, j.EnhancedCode,
			j.Reply, j.Error, j.MessageID, strconv.Itoa(j.Attempts), last, strconv.Itoa(j.Tests), j.Action,
			strconv.FormatBool(j.InProgress),
			j.BounceStatus, j.BounceRecipient, j.BounceDiagnostic, orEmpty(j.BouncedAt), strings.Join(j.CcBounced, ", "), orEmpty(j.DelayedAt),
			strconv.FormatBool(j.Replied), strconv.Itoa(j.Replies), j.ReplyFrom, j.ReplyFromName, orEmpty(j.RepliedAt), j.ReplySubject,
			strconv.FormatBool(j.AutoReply), orEmpty(j.AutoRepliedAt), otherReplies(j.OtherReplies), j.CopiedTo, j.CopyError,
		}
		for i := range rec {
			rec[i] = inert(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// otherReplies writes the messages from others on one line: "from (date, type): subject;
// …".
func otherReplies(list []jsonInbound) string {
	parts := make([]string, 0, len(list))
	for _, in := range list {
		parts = append(parts, fmt.Sprintf("%s (%s, %s): %s", in.From, orEmpty(in.Date), in.Type, in.Subject))
	}
	return strings.Join(parts, "; ")
}

// inert keeps a spreadsheet from running a value as a formula (CSV injection): one that
// starts with = + - @, or with a tab or carriage return that Excel skips before them, gets
// a leading '.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
