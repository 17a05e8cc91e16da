package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
)

// TestEveryOutcome builds the log through a real send with every outcome and checks the
// state of each row.
func TestEveryOutcome(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))

	want := []struct {
		row      int
		to       string
		status   string
		failure  string
		code     int
		attempts int
		action   string // a part of Action; "" requires none
	}{
		{2, "ok1@a.test", report.Delivered, "", 250, 1, ""},
		{3, "perm@b.test", report.Failed, deliverylog.FailurePermanent, 550, 1, "correct the address, then herald send"},
		{4, "temp@c.test", report.Failed, deliverylog.FailureTemporary, 451, 3, "herald send --only-failed"},
		{5, "bad@@d.test", report.Skipped, "", 0, 0, "fix line 5, column A (Email), then herald send"},
		{6, "hang@e.test", report.Unknown, "", 0, 1, "herald send --resend-unknown"},
		{7, "ok2@f.test", report.Delivered, "", 250, 1, ""},
		{9, "later@g.test", report.Pending, "", 0, 0, "herald send"},
	}
	if len(r.Recipients) != len(want) {
		t.Fatalf("got %d recipients, want %d: %+v", len(r.Recipients), len(want), r.Recipients)
	}
	for i, w := range want {
		got := r.Recipients[i]
		if got.Row != w.row || strings.Join(got.To, ",") != w.to || got.Status != w.status || got.Failure != w.failure ||
			got.Code != w.code || got.Attempts != w.attempts || !got.InWorkbook {
			t.Errorf("recipient %d: got row %d to %q %s/%s code %d attempts %d in workbook %t; want row %d to %q %s/%s code %d attempts %d in workbook",
				i, got.Row, got.To, got.Status, got.Failure, got.Code, got.Attempts, got.InWorkbook, w.row, w.to, w.status, w.failure, w.code, w.attempts)
		}
		if (w.action == "") != (got.Action == "") || !strings.Contains(got.Action, w.action) {
			t.Errorf("row %d: got action %q, want one containing %q", w.row, got.Action, w.action)
		}
		if (got.Status == report.Delivered || got.Status == report.Failed || got.Status == report.Unknown) && (got.MessageID == "" || got.LastAttempt.IsZero()) {
			t.Errorf("row %d (%s): got Message-ID %q, last attempt %v; want both", w.row, got.Status, got.MessageID, got.LastAttempt)
		}
	}
	if unknown := r.Recipients[4]; !strings.Contains(unknown.Action, unknown.MessageID) {
		t.Errorf("unknown recipient: action %q does not name its Message-ID %s", unknown.Action, unknown.MessageID)
	}
	if got := r.Recipients[0].Cc; !slices.Equal(got, []string{"desk@a.test"}) {
		t.Errorf("row 2: got Cc %q, want [desk@a.test]", got)
	}
	wantCounts := report.Counts{Delivered: 2, Failed: 2, Unknown: 1, Pending: 1, Skipped: 1, Temporary: 1, Permanent: 1}
	if r.Counts != wantCounts {
		t.Errorf("got counts %+v, want %+v", r.Counts, wantCounts)
	}
	if r.AllDelivered() || len(r.Gone) != 0 || r.NoLog {
		t.Errorf("got all delivered %t, %d gone, no log %t; want false, 0, false", r.AllDelivered(), len(r.Gone), r.NoLog)
	}
}

// The table is for people: counts, then each recipient not delivered with what to do, in
// aligned columns, coloured only when asked.
func TestWriteTable(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))
	var plain, color bytes.Buffer
	if err := r.WriteTable(&plain, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteTable(&color, report.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := plain.String()
	for _, want := range []string{
		`(?m)^Campaign conference: 7 recipients in .*contacts\.csv$`,
		`(?m)^  delivered +2$`,
		`(?m)^  failed +2 +1 temporary, 1 permanent: herald send --only-failed$`,
		`(?m)^  unknown +1 .*herald send --resend-unknown$`,
		`(?m)^  pending +1 +not sent yet: herald send$`,
		`(?m)^  skipped +1 .*fix the cells named`,
		`(?m)^  total +7$`,
		`(?m)^Not delivered \(5\):$`,
		`(?m)^ROW +TO +CC +STATUS +REPLY / ERROR +ATTEMPTS +LAST ATTEMPT +ACTION$`,
		`(?m)^3 +perm@b\.test +failed \(permanent\) +550 5\.1\.1 <perm@b\.test>: user unknown +1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC +correct the address`,
		`(?m)^4 +temp@c\.test +failed \(temporary\) +451 4\.7\.1 greylisted, try later +3 `,
		`(?m)^5 +bad@@d\.test +skipped +invalid address "bad@@d\.test" +0 +fix line 5, column A \(Email\), then herald send$`,
		`(?m)^6 +hang@e\.test +unknown +end of message: the server closed the connection.* +1 +.*look for Message-ID <[^>]+>`,
		`(?m)^9 +later@g\.test +pending +0 +herald send$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("table does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ok1@a.test") || strings.Contains(out, "\x1b") {
		t.Errorf("plain table lists a delivered recipient or has colour codes:\n%s", out)
	}
	// Every line of the list has its STATUS where the header has it.
	lines := strings.Split(out[strings.Index(out, "ROW "):], "\n")
	at := strings.Index(lines[0], "STATUS")
	for _, l := range lines[1:6] {
		if !regexp.MustCompile(`^(failed|skipped|unknown|pending)`).MatchString(l[at:]) {
			t.Errorf("line %q: column STATUS is not at %d", l, at)
		}
	}
	col := color.String()
	for _, want := range []string{"\x1b[32mdelivered\x1b[0m", "\x1b[31mfailed (permanent)\x1b[0m", "\x1b[33munknown\x1b[0m"} {
		if !strings.Contains(col, want) {
			t.Errorf("coloured table lacks %q:\n%s", want, col)
		}
	}
	// Colour codes must not shift the columns after them.
	if got := regexp.MustCompile(`\x1b\[[0-9]*m`).ReplaceAllString(col, ""); got != out {
		t.Errorf("coloured table without its colour codes differs from the plain one:\n%s\nwant\n%s", got, out)
	}
}

// jsonFields are the documented fields of the JSON output, with their JSON types.
var jsonFields = map[string]string{
	"row": "number", "in_workbook": "bool", "key": "string", "to": "array", "cc": "array",
	"status": "string", "failure": "string", "code": "number", "enhanced_code": "string",
	"reply": "string", "error": "string", "message_id": "string", "attempts": "number",
	"last_attempt": "string|null", "tests": "number", "action": "string", "in_progress": "bool",
	// Added with herald inbox and --copy-to-sent.
	"bounce_status": "string", "bounce_recipient": "string", "bounce_diagnostic": "string",
	"bounced_at": "string|null", "cc_bounced": "array", "delayed_at": "string|null",
	"replied": "bool", "replies": "number", "reply_from": "string", "reply_from_name": "string",
	"replied_at": "string|null", "reply_subject": "string", "auto_reply": "bool",
	"auto_replied_at": "string|null", "other_replies": "array", "copied_to": "string", "copy_error": "string",
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case float64:
		return "number"
	case bool:
		return "bool"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

func TestWriteJSON(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, buf.String())
	}
	if len(list) != 7 {
		t.Fatalf("got %d objects, want 7", len(list))
	}
	for i, obj := range list {
		for name, typ := range jsonFields {
			v, ok := obj[name]
			if !ok || !strings.Contains("|"+typ+"|", "|"+jsonType(v)+"|") {
				t.Errorf("object %d: field %s is %v (%s), want a %s", i, name, v, jsonType(v), typ)
			}
		}
		if len(obj) != len(jsonFields) {
			t.Errorf("object %d has %d fields, want the %d documented", i, len(obj), len(jsonFields))
		}
		if s, ok := obj["last_attempt"].(string); ok {
			if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
				t.Errorf("object %d: last_attempt %q is not RFC 3339 in UTC: %v", i, s, err)
			}
		}
	}
	perm := list[1]
	if perm["row"] != 3.0 || perm["status"] != "failed" || perm["failure"] != "permanent" || perm["code"] != 550.0 ||
		perm["enhanced_code"] != "5.1.1" || perm["reply"] != "550 5.1.1 <perm@b.test>: user unknown" || perm["attempts"] != 1.0 {
		t.Errorf("row 3: got %v", perm)
	}
	if got := list[0]["cc"].([]any); len(got) != 1 || got[0] != "desk@a.test" {
		t.Errorf("row 2: got cc %v, want [desk@a.test]", got)
	}
	if pending := list[6]; pending["status"] != "pending" || pending["last_attempt"] != nil || len(pending["cc"].([]any)) != 0 {
		t.Errorf("row 9: got %v; want pending, last_attempt null, cc []", pending)
	}
	// Replies quote addresses in <>, which must not come out as \u003c.
	if strings.Contains(buf.String(), `\u003c`) {
		t.Errorf("JSON escapes < in replies:\n%s", buf.String())
	}
}

func TestWriteCSV(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 8 {
		t.Fatalf("got %d records, want a header and 7 rows", len(records))
	}
	if len(records[0]) != len(jsonFields) {
		t.Errorf("got columns %q, want the %d JSON fields", records[0], len(jsonFields))
	}
	for _, name := range records[0] {
		if _, ok := jsonFields[name]; !ok {
			t.Errorf("column %q is not a documented field", name)
		}
	}
	field := func(rec []string, name string) string { return rec[slices.Index(records[0], name)] }
	if got := field(records[2], "reply"); got != "550 5.1.1 <perm@b.test>: user unknown" {
		t.Errorf("row 3: got reply %q", got)
	}
	if got := field(records[7], "code") + "|" + field(records[7], "last_attempt"); got != "|" {
		t.Errorf("pending row: got code|last_attempt %q, want both empty", got)
	}
}

// exportHeader is outcomesCSV's header with the report's columns.
var exportHeader = []string{"Email", "Name", "Cc", "Note", "Status", "Sent at", "Message-ID", "Server reply / error", "Attempts",
	"Bounce", "Replied", "Reply from", "Replied at"}

func TestExportCSV(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))
	path := filepath.Join(t.TempDir(), "report.csv")
	if err := r.Export(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body, bom := bytes.CutPrefix(data, []byte("\xef\xbb\xbf"))
	if !bom {
		t.Errorf("export starts with %q, want a UTF-8 byte order mark", data[:min(len(data), 3)])
	}
	if !bytes.Contains(body, []byte("\r\n")) {
		t.Errorf("export has no CRLF line ends")
	}
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(records[0], exportHeader) {
		t.Errorf("got header %q, want %q", records[0], exportHeader)
	}
	if len(records) != 9 {
		t.Fatalf("got %d records, want a header and the 8 rows of the workbook", len(records))
	}
	wantStatus := []string{"delivered", "failed", "failed", "skipped", "unknown", "delivered", "delivered", "pending"}
	wantNote := []string{`'=HYPERLINK("http://evil.invalid")`, "'+221 33 000", "'-1", "'@SUM(A1)", "plain", "", "", ""}
	for i, rec := range records[1:] {
		if rec[4] != wantStatus[i] || rec[3] != wantNote[i] {
			t.Errorf("row %d: got Note %q, Status %q; want %q, %q", i+2, rec[3], rec[4], wantNote[i], wantStatus[i])
		}
	}
	// Row 8 repeats row 2's recipient: it shows what became of the one message.
	if dup := records[7]; dup[6] != records[1][6] || !strings.HasPrefix(dup[7], "same recipient as row 2") {
		t.Errorf("row 8: got Message-ID %q, reply %q; want row 2's, saying it is the same recipient", dup[6], dup[7])
	}
	if got := records[2][7]; got != "550 5.1.1 <perm@b.test>: user unknown" {
		t.Errorf("row 3: got reply %q", got)
	}
}

func TestExportXLSX(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))
	path := filepath.Join(t.TempDir(), "report.xlsx")
	// An earlier export with loose permissions is replaced, not reused.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Export(path); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Errorf("export: %v, mode %v; want mode 0600", err, st.Mode().Perm())
	}
	tb, err := contacts.Read(path, contacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	for _, c := range tb.Columns {
		header = append(header, c.Header)
	}
	if !slices.Equal(header, exportHeader) || tb.Sheet != "Report" {
		t.Errorf("got sheet %q, header %q; want report.Report, %q", tb.Sheet, header, exportHeader)
	}
	if len(tb.Rows) != 8 {
		t.Fatalf("got %d rows, want 8", len(tb.Rows))
	}
	// A formula cell would read back empty: the value must be there as text.
	if got := tb.Rows[0].Values[3]; got != `=HYPERLINK("http://evil.invalid")` {
		t.Errorf("row 2 Note: got %q, want the text as written", got)
	}
	if got := tb.Rows[2].Values[4:]; got[0] != "failed" || got[3] != "451 4.7.1 greylisted, try later" || got[4] != "3" ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`).MatchString(got[1]) {
		t.Errorf("row 4: got %q", got)
	}
	if err := r.Export(filepath.Join(t.TempDir(), "report.ods")); err == nil || !strings.Contains(err.Error(), ".xlsx or .csv") {
		t.Errorf("export to .ods: got %v, want an error naming .xlsx and .csv", err)
	}
}

func TestNoLog(t *testing.T) {
	in := campaign(t, outcomesCSV)
	p := prepare(t, in)
	// Another campaign's log in the same folder is pointed out; an empty one, as earlier
	// versions left after a run that sent nothing, is not (regression: it was).
	dir := filepath.Dir(in.Contacts)
	line := `{"type":"attempt","time":"2024-01-10T09:30:01.000Z","campaign":"gala","key":"a@b.test"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, deliverylog.FileName("gala")), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, deliverylog.FileName("confrence")), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := load(t, p, run.LogPath(in))
	if !r.NoLog || r.Counts.Pending != 6 || r.Counts.Skipped != 1 || r.Counts.Total() != 7 {
		t.Errorf("got no log %t, counts %+v; want no log, 6 pending, 1 skipped", r.NoLog, r.Counts)
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No delivery log at " + run.LogPath(in) + " yet: nothing has been sent", "other campaigns in that folder: gala (choose"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

// writeLog writes records with the log's own writer, as a run would.
func writeLog(t *testing.T, path string, records ...deliverylog.Record) {
	t.Helper()
	l, err := deliverylog.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range records {
		if rec.Type == deliverylog.TypeAttempt {
			err = l.Attempt(rec)
		} else {
			err = l.Outcome(rec)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func attempt(campaign, key string, row int) deliverylog.Record {
	return deliverylog.Record{Type: deliverylog.TypeAttempt, Campaign: campaign, Key: key, Row: row, To: []string{key}, MessageID: key + ".id@conference.example.org"}
}

func outcome(campaign, key, status, failure string, code int, reply string) deliverylog.Record {
	return deliverylog.Record{Type: deliverylog.TypeOutcome, Campaign: campaign, Key: key, Status: status, Failure: failure, Code: code, Reply: reply}
}

// A run that crashed leaves attempts without outcome, and maybe a torn last line; a
// recipient whose row was deleted since stays in view, apart.
func TestCrashedLogAndGoneRecipients(t *testing.T) {
	in := campaign(t, outcomesCSV)
	p := prepare(t, in)
	path := run.LogPath(in)
	ok1 := attempt("conference", "ok1@a.test", 2)
	ok1.Cc = []string{"desk@a.test"} // as row 2 has it
	writeLog(t, path,
		ok1,
		outcome("conference", "ok1@a.test", deliverylog.StatusDelivered, "", 250, "250 2.0.0 OK"),
		attempt("conference", "gone@x.test", 3),
		outcome("conference", "gone@x.test", deliverylog.StatusFailed, deliverylog.FailurePermanent, 550, "550 5.1.1 no such user \x1b[2J"),
		attempt("conference", "ok2@f.test", 7), // the crash came here
	)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"type":"outcome","time":"2024-01-10T09:30:01.004Z","campaign":"conference","key":"ok2@f.te`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r := load(t, p, path)
	got := map[int]string{}
	for _, rc := range r.Recipients {
		got[rc.Row] = rc.Status
		if rc.Row == 7 && !strings.Contains(rc.Detail(), "no outcome was recorded") {
			t.Errorf("row 7: got detail %q, want it to say no outcome was recorded", rc.Detail())
		}
	}
	want := map[int]string{2: report.Delivered, 3: report.Pending, 4: report.Pending, 5: report.Skipped, 6: report.Pending, 7: report.Unknown, 9: report.Pending}
	for row, w := range want {
		if got[row] != w {
			t.Errorf("row %d: got %q, want %q", row, got[row], w)
		}
	}
	if len(r.Gone) != 1 || r.Gone[0].Key != "gone@x.test" || r.Gone[0].Status != report.Failed || r.Gone[0].Row != 3 || r.Gone[0].InWorkbook {
		t.Fatalf("got gone %+v, want gone@x.test, failed, row 3", r.Gone)
	}
	if r.Counts.Total() != 7 || r.Counts.Failed != 0 {
		t.Errorf("got counts %+v; want 7 recipients and the gone one not counted", r.Counts)
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !regexp.MustCompile(`(?m)^In the log but no longer in the workbook \(1\)`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^3 +gone@x\.test +failed \(permanent\) +550 5\.1\.1 no such user +\[2J +1 `).MatchString(out) {
		t.Errorf("table does not list the recipient gone from the workbook:\n%s", out)
	}
	// A server's reply must not drive the terminal.
	if strings.Contains(out, "\x1b") {
		t.Errorf("table passes an escape sequence from a reply through:\n%q", out)
	}
}

// Several campaigns can share a log: each report sees its own records only.
func TestCampaignsInOneLog(t *testing.T) {
	in := campaign(t, "Email,Name\nok1@a.test,Ana\nok2@f.test,Fay\n")
	path := filepath.Join(t.TempDir(), "shared.jsonl")
	writeLog(t, path,
		attempt("conference", "ok1@a.test", 2),
		outcome("conference", "ok1@a.test", deliverylog.StatusDelivered, "", 250, "250 OK"),
		attempt("gala", "ok1@a.test", 2),
		outcome("gala", "ok1@a.test", deliverylog.StatusDelivered, "", 250, "250 OK"),
		attempt("gala", "ok2@f.test", 3),
		outcome("gala", "ok2@f.test", deliverylog.StatusDelivered, "", 250, "250 OK"),
	)
	tests := []struct {
		campaign   string
		delivered  int
		others     []string
		allDone    bool
		tableMatch string
	}{
		{"conference", 1, []string{"gala"}, false, `(?m)^  pending +1 `},
		{"gala", 2, []string{"conference"}, true, `(?m)^Every recipient has the message\.$`},
		{"typo", 0, []string{"conference", "gala"}, false, `The log has no record of campaign typo; it holds: conference, gala`},
	}
	for _, tt := range tests {
		t.Run(tt.campaign, func(t *testing.T) {
			in := in
			in.Campaign = tt.campaign
			r := load(t, prepare(t, in), path)
			if r.Campaign != tt.campaign || r.Counts.Delivered != tt.delivered || !slices.Equal(r.OtherCampaigns, tt.others) || r.AllDelivered() != tt.allDone {
				t.Errorf("got campaign %s, %d delivered, others %q, all delivered %t; want %s, %d, %q, %t",
					r.Campaign, r.Counts.Delivered, r.OtherCampaigns, r.AllDelivered(), tt.campaign, tt.delivered, tt.others, tt.allDone)
			}
			var buf bytes.Buffer
			if err := r.WriteTable(&buf, report.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(tt.tableMatch).MatchString(buf.String()) {
				t.Errorf("table does not match %s:\n%s", tt.tableMatch, buf.String())
			}
		})
	}
}

func TestDetail(t *testing.T) {
	tests := []struct {
		rc   report.Recipient
		want string
	}{
		{report.Recipient{Code: 550, Enhanced: "5.1.1", Reply: "550 5.1.1 user unknown"}, "550 5.1.1 user unknown"},
		{report.Recipient{Code: 550, Enhanced: "5.1.1", Reply: "user unknown"}, "550 5.1.1 user unknown"},
		{report.Recipient{Code: 250, Enhanced: "2.0.0", Reply: "2.0.0 Ok: queued"}, "250 2.0.0 Ok: queued"},
		{report.Recipient{Reply: "EOF", Error: "closing SMTP DATA writer: EOF"}, "closing SMTP DATA writer: EOF"},
		{report.Recipient{Code: 421, Error: "connection closed"}, "421 connection closed"},
		{report.Recipient{Error: "invalid address"}, "invalid address"},
		{report.Recipient{}, ""},
	}
	for _, tt := range tests {
		if got := tt.rc.Detail(); got != tt.want {
			t.Errorf("Detail(%+v) = %q, want %q", tt.rc, got, tt.want)
		}
	}
}

// herald send ends with the summary herald status starts with, from the same code.
func TestWriteSummaryIsTheTableHead(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))
	var summary, table bytes.Buffer
	if err := r.WriteSummary(&summary, report.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteTable(&table, report.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(table.String(), summary.String()) || !strings.Contains(summary.String(), "\x1b[31mfailed") ||
		strings.Contains(summary.String(), "Not delivered") {
		t.Errorf("summary:\n%s\nis not the counts the table starts with:\n%s", summary.String(), table.String())
	}
}
