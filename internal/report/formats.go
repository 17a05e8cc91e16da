package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
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
var csvHeader = []string{"row", "in_workbook", "key", "to", "cc", "status", "failure", "code", "enhanced_code", "reply", "error", "message_id", "attempts", "last_attempt", "tests", "action", "in_progress"}

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

// inert keeps a spreadsheet from running a value as a formula (CSV injection): one that
// starts with = + - @, or with a tab or carriage return that Excel skips before them, gets
// a leading '.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
