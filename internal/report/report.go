package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
)

// The states of a recipient, in the order reports list them.
const (
	Delivered = deliverylog.StatusDelivered
	Failed    = deliverylog.StatusFailed
	Unknown   = deliverylog.StatusUnknown
	Pending   = deliverylog.StatusPending
	Skipped   = deliverylog.StatusSkipped
	// Bounced: the server accepted the message, and a bounce came back for a To address
	// (herald inbox found it). Not delivered.
	Bounced = deliverylog.StatusBounced
)

// States lists the six states in report order.
var States = []string{Delivered, Bounced, Failed, Unknown, Pending, Skipped}

// Recipient is where one recipient of the campaign stands.
type Recipient struct {
	// Row is the sheet row; for a recipient no longer in the workbook, the row its last
	// message was made from.
	Row int
	// Key identifies the recipient in the log; "" for a skipped row, which has none.
	Key string
	// To and Cc are the addresses of the last message attempted, or those in the workbook
	// when there was none; for a skipped row, the Email cell as written.
	To, Cc []string
	// Status is one of the five states; Failure is temporary or permanent when it is failed.
	Status, Failure string
	// Code, Enhanced and Reply are the server's answer; Error says what went wrong when there
	// was no answer to quote, or, for a skipped row, the problem with it.
	Code            int
	Enhanced, Reply string
	Error           string
	MessageID       string
	Attempts        int
	LastAttempt     time.Time // zero when never attempted
	Tests           int       // messages sent to a tester instead (--test-to)
	InWorkbook      bool
	// Action is the command or step that would act on the recipient; "" for nothing to do.
	Action string
	// InProgress is set while the herald send in progress (Report.InProgress) has the
	// recipient in hand: its message is being sent (Status unknown), or failed temporarily
	// and may be tried again (Status failed). Its state may change any moment.
	InProgress bool

	// What herald inbox found (see deliverylog.State): the bounce that made it bounced,
	// bounces of Cc or Bcc addresses, the latest delay notice, the latest reply from the
	// recipient and how many there were, the latest automatic reply, and the messages
	// about it from others than its recipients.
	Bounce      *deliverylog.Inbound
	CopyBounces []deliverylog.Inbound
	Delayed     *deliverylog.Inbound
	Replied     *deliverylog.Inbound
	Replies     int
	AutoReply   *deliverylog.Inbound
	Untrusted   []deliverylog.Inbound
	// CopiedTo and CopyError are what --copy-to-sent did with the delivered message.
	CopiedTo, CopyError string

	run       string // the run of the last attempt
	noOutcome bool   // the last attempt has no outcome: being sent, or herald stopped
}

// Counts are the workbook's recipients by state.
type Counts struct {
	Delivered, Bounced, Failed, Unknown, Pending, Skipped int
	// Temporary and Permanent split Failed.
	Temporary, Permanent int
	// Replied counts the recipients that replied; AutoReplyOnly those with an automatic
	// reply and no reply; Untrusted those with messages from someone else than their
	// recipients. They are not states: a replied recipient is delivered (or bounced).
	Replied, AutoReplyOnly, Untrusted int
}

// Total is the number of recipients counted.
func (c Counts) Total() int {
	return c.Delivered + c.Bounced + c.Failed + c.Unknown + c.Pending + c.Skipped
}

// Of returns the count of one state.
func (c Counts) Of(state string) int {
	switch state {
	case Delivered:
		return c.Delivered
	case Bounced:
		return c.Bounced
	case Failed:
		return c.Failed
	case Unknown:
		return c.Unknown
	case Pending:
		return c.Pending
	case Skipped:
		return c.Skipped
	}
	return 0
}

// Report is the state of every recipient of a campaign: the workbook joined with the log.
type Report struct {
	Campaign string
	Source   string // the workbook, as plan.Plan names it
	LogPath  string
	// NoLog is true when the log does not exist yet: nothing has been sent.
	NoLog bool
	// OtherCampaigns are the campaigns with records in the log other than this one, and,
	// when there is no log, those whose logs lie in the same folder: a mistyped --campaign
	// is then easy to spot.
	OtherCampaigns []string
	// Recipients are the workbook's, in sheet order, skipped rows included.
	Recipients []Recipient
	// Gone are the recipients in the log that are no longer in the workbook (row deleted,
	// address changed), by row. They are not counted in Counts.
	Gone   []Recipient
	Counts Counts
	// Location is the time zone times are shown in, except in JSON (UTC); nil means local.
	Location *time.Location
	// InProgress is the herald send that had the log open when the report was made, nil
	// when none had. Its figures are then a moment of that run, and no action advises
	// sending, which could mail someone twice while it runs.
	InProgress *deliverylog.Holder

	plan *plan.Plan
	// byRow maps a sheet row to its index in Recipients. A row that repeats an earlier
	// row's recipient maps to that recipient, and dupOf names the earlier row.
	byRow map[int]int
	dupOf map[int]int
}

// AllDelivered reports whether every recipient of the workbook has the message: the
// question "are we done?", answered by exit code 0.
func (r *Report) AllDelivered() bool {
	// No recipient at all is more likely the wrong sheet than a finished mailing.
	return r.Counts.Total() > 0 && r.Counts.Delivered == r.Counts.Total()
}

// NotDelivered returns the workbook's recipients that are not delivered, in sheet order.
func (r *Report) NotDelivered() []Recipient {
	var out []Recipient
	for _, rc := range r.Recipients {
		if rc.Status != Delivered {
			out = append(out, rc)
		}
	}
	return out
}

// Load reads the log at logPath and builds the report of plan's campaign. A log that does
// not exist yet is not an error: everyone is pending. A log cut short by a crash reads as
// far as it is whole. A herald send that has the log open is named in InProgress.
func Load(pl *plan.Plan, logPath string) (*Report, error) {
	// Asked before the records are read, so that they show what that run did until then.
	// Not knowing is no reason to give no report: it is then made as if no run were going.
	running, _ := deliverylog.Holding(logPath)
	records, err := deliverylog.Read(logPath)
	var r *Report
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r = Build(pl, nil, logPath)
		r.NoLog = true
		r.OtherCampaigns = campaignsBeside(logPath, pl.Campaign)
	case err != nil:
		return nil, err
	default:
		r = Build(pl, records, logPath)
	}
	if running != nil {
		r.inProgress(running)
	}
	return r, nil
}

// inProgress marks the report as made while run was sending.
func (r *Report) inProgress(run *deliverylog.Holder) {
	r.InProgress = run
	mark := func(list []Recipient) {
		for i := range list {
			rc := &list[i]
			ours := run.Run != "" && rc.run == run.Run
			switch {
			case ours && rc.Status == Unknown && rc.noOutcome:
				rc.InProgress = true
				rc.Error = "being sent by the herald send in progress"
				rc.Action = "wait: it is being sent"
			case ours && rc.Status == Failed && rc.Failure == deliverylog.FailureTemporary:
				rc.InProgress = true
				rc.Action = "wait: the herald send in progress may try it again"
			case rc.Status == Skipped || rc.Status == Delivered || !rc.InWorkbook:
			default:
				rc.Action = "wait for the herald send in progress to finish"
			}
		}
	}
	mark(r.Recipients)
	mark(r.Gone)
}

// campaignsBeside names the campaigns whose logs are in the folder of logPath. Empty
// files, which earlier versions left after runs that sent nothing, are no campaign.
func campaignsBeside(logPath, campaign string) []string {
	const suffix = ".delivery.jsonl"
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(logPath), "*"+suffix))
	own := deliverylog.FileName(campaign)
	var out []string
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Size() == 0 {
			continue
		}
		if base := filepath.Base(m); base != own {
			out = append(out, strings.TrimSuffix(base, suffix))
		}
	}
	return out
}

// Build joins plan and the log's records into the report of plan's campaign.
func Build(pl *plan.Plan, records []deliverylog.Record, logPath string) *Report {
	states := deliverylog.Fold(records, pl.Campaign)
	r := &Report{
		Campaign: pl.Campaign, Source: pl.Source, LogPath: logPath, plan: pl,
		Recipients: make([]Recipient, 0, len(pl.Items)+len(pl.Skipped)),
		byRow:      make(map[int]int, len(pl.Items)+len(pl.Skipped)),
	}
	r.OtherCampaigns = otherCampaigns(records, pl.Campaign)

	problems := firstErrors(pl)
	mailed := deliverylog.Mailed(records, pl.Campaign)
	sent := deliverylog.SentTo(records, pl.Campaign)
	seen := make(map[string]bool, len(pl.Items))
	items, skipped := pl.Items, pl.Skipped
	// Both lists are in sheet order; merging them keeps it.
	for len(items) > 0 || len(skipped) > 0 {
		var rc Recipient
		if len(skipped) == 0 || (len(items) > 0 && items[0].Row < skipped[0].Row) {
			it := &items[0]
			items = items[1:]
			st, ok := states[it.Key]
			if !ok {
				st = deliverylog.State{Key: it.Key, Status: Pending}
			}
			seen[it.Key] = true
			rc = fromState(st)
			rc.Row, rc.InWorkbook = it.Row, true
			if st.Attempts == 0 {
				rc.To, rc.Cc = addrs(it.To), addrs(it.Cc)
			}
			if rc.Status == Skipped {
				// A run chose not to send it; nothing stands in the way of the next.
				rc.Status = Pending
			}
			if rc.Status == Delivered {
				if missing := unreached(it, sent); len(missing) > 0 {
					// Its message went, but not to an address it lists now: put in the row
					// since, or left to another row whose message then failed. The next
					// herald send sends it that copy.
					rc.Status, rc.Code, rc.Enhanced, rc.Reply = Pending, 0, "", ""
					rc.Error = fmt.Sprintf("delivered, but %s %s no copy yet (put in the row since, or left to a row whose message failed)", strings.Join(missing, ", "), hasHave(len(missing)))
				}
			}
			if rc.Status == Pending {
				if by := haveIt(it, mailed); by != "" {
					// Every address has the campaign's message from another recipient's
					// delivered message (rows split or merged since): send withholds
					// them all, so the row is as good as delivered.
					rc.Status, rc.Error = Delivered, "every address already has the message sent to "+by
				}
			}
		} else {
			it := &skipped[0]
			skipped = skipped[1:]
			rc = Recipient{Row: it.Row, Status: Skipped, InWorkbook: true, To: addrs(it.To), Cc: addrs(it.Cc)}
			if email := emailCell(pl, it); len(rc.To) == 0 && email != "" {
				// The address that could not be read, so that the reader sees who it is.
				rc.To = []string{email}
			}
			if p, ok := problems[it.Row]; ok {
				rc.Error = p.Message
				rc.Action = "fix " + place(p.Where, pl.Table.File) + ", then herald send"
			}
		}
		if rc.Action == "" {
			rc.Action = action(rc)
		}
		r.byRow[rc.Row] = len(r.Recipients)
		r.Recipients = append(r.Recipients, rc)
		r.count(rc)
	}

	for key, st := range states {
		if seen[key] || st.Attempts == 0 {
			// Never sent for real (only tests, or skipped): nothing the recipient could
			// have, so nothing to account for.
			continue
		}
		r.Gone = append(r.Gone, fromState(st))
	}
	slices.SortFunc(r.Gone, func(a, b Recipient) int {
		if a.Row != b.Row {
			return a.Row - b.Row
		}
		return strings.Compare(a.Key, b.Key)
	})
	r.dupOf = pl.DuplicateOf
	for row, first := range r.dupOf {
		if i, ok := r.byRow[first]; ok {
			r.byRow[row] = i
		}
	}
	return r
}

func (r *Report) count(rc Recipient) {
	c := &r.Counts
	switch {
	case rc.Replies > 0:
		c.Replied++
	case rc.AutoReply != nil:
		c.AutoReplyOnly++
	}
	if len(rc.Untrusted) > 0 {
		c.Untrusted++
	}
	switch rc.Status {
	case Delivered:
		c.Delivered++
	case Bounced:
		c.Bounced++
	case Failed:
		c.Failed++
		if rc.Failure == deliverylog.FailurePermanent {
			c.Permanent++
		} else {
			c.Temporary++
		}
	case Unknown:
		c.Unknown++
	case Skipped:
		c.Skipped++
	default:
		c.Pending++
	}
}

func fromState(st deliverylog.State) Recipient {
	noOutcome := st.Status == Unknown && st.Reply == "" && st.Error == "" && st.Code == 0
	if noOutcome {
		// An attempt with no outcome after it: nothing else in the log says why.
		st.Error = "no outcome was recorded: herald, or the machine, stopped while sending"
	}
	return Recipient{
		Row: st.Row, Key: st.Key, To: st.To, Cc: st.Cc,
		Status: st.Status, Failure: st.Failure,
		Code: st.Code, Enhanced: st.Enhanced, Reply: st.Reply, Error: st.Error,
		MessageID: st.MessageID, Attempts: st.Attempts, LastAttempt: st.LastAttempt, Tests: st.Tests,
		Bounce: st.Bounce, CopyBounces: st.CopyBounces, Delayed: st.Delayed,
		Replied: st.Replied, Replies: st.Replies, AutoReply: st.AutoReply, Untrusted: st.Untrusted,
		CopiedTo: st.CopiedTo, CopyError: st.CopyError,
		run: st.Run, noOutcome: noOutcome,
	}
}

// action says what would act on a recipient in the workbook.
func action(rc Recipient) string {
	switch rc.Status {
	case Failed:
		switch {
		case rc.Failure == deliverylog.FailureTemporary:
			return "herald send --only-failed"
		case strings.HasPrefix(rc.Enhanced, "5.1."):
			// A corrected To address is a new recipient, which a plain send sends.
			return "correct the address, then herald send"
		default:
			return "remove the cause the server gives, then herald send --only-failed"
		}
	case Unknown:
		id := ""
		if rc.MessageID != "" {
			id = " <" + rc.MessageID + ">"
		}
		return "look for Message-ID" + id + " in the Sent folder or the server's log; if it is not there: herald send --resend-unknown"
	case Pending:
		return "herald send"
	case Bounced:
		if rc.Bounce != nil && strings.HasPrefix(rc.Bounce.Status, "5.1.") {
			return "correct the address, then herald send"
		}
		return "remove the cause the bounce gives, then herald send --only-failed"
	}
	return ""
}

// unreached returns the To and Cc addresses of it that no delivered message went to.
func unreached(it *plan.Item, mailed map[string]string) []string {
	var out []string
	for _, list := range [][]message.Address{it.To, it.Cc} {
		for _, a := range list {
			if _, ok := mailed[a.Key()]; !ok && !slices.Contains(out, a.Addr) {
				out = append(out, a.Addr)
			}
		}
	}
	return out
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// haveIt returns the recipients (their keys) whose delivered messages went to every To and
// Cc address of it, or "" when some address has no message yet. A row with a Bcc still
// sends that blind copy, so it is not as good as delivered.
func haveIt(it *plan.Item, mailed map[string]string) string {
	if len(it.Bcc) > 0 {
		return ""
	}
	var by []string
	n := 0
	for _, list := range [][]message.Address{it.To, it.Cc} {
		for _, a := range list {
			n++
			key, ok := mailed[a.Key()]
			if !ok || key == it.Key {
				return ""
			}
			if !slices.Contains(by, key) {
				by = append(by, key)
			}
		}
	}
	if n == 0 {
		return ""
	}
	return strings.Join(by, "; ")
}

// emailCell is the row's Email cell as written, whatever the column's header.
func emailCell(pl *plan.Plan, it *plan.Item) string {
	col, err := pl.Table.Lookup("Email")
	if err != nil {
		return ""
	}
	return it.Fields[pl.Table.Columns[col].Name]
}

// place names the place of a problem within the workbook: "cell Authorities!H2 (Email)",
// "line 5, column A (Email)" for CSV, "Authorities, row 14" for a whole row.
func place(where, file string) string {
	where = strings.TrimPrefix(where, file+": ")
	if strings.Contains(where, "!") {
		return "cell " + where
	}
	return where
}

// firstErrors returns the first error of each row, which names the cell to fix.
func firstErrors(pl *plan.Plan) map[int]problem.Problem {
	out := map[int]problem.Problem{}
	for _, p := range pl.Problems {
		if p.Row == 0 || p.Warning {
			continue
		}
		if _, ok := out[p.Row]; !ok {
			out[p.Row] = p
		}
	}
	return out
}

func otherCampaigns(records []deliverylog.Record, campaign string) []string {
	seen := map[string]bool{campaign: true}
	var out []string
	for i := range records {
		if c := records[i].Campaign; !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func addrs(list []message.Address) []string {
	if len(list) == 0 {
		return nil
	}
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.Addr
	}
	return s
}

// BounceText says what the bounce said: the address, the status and the remote server's
// words, "r@justice.example: 5.1.1 550 5.1.1 user unknown"; "" when it did not bounce.
func (rc Recipient) BounceText() string {
	b := rc.Bounce
	if b == nil {
		return ""
	}
	text := b.Diagnostic
	if b.Status != "" && !strings.Contains(text, b.Status) {
		text = joinNonEmpty(" ", b.Status, text)
	}
	if text == "" {
		text = "returned (the report gives no reason)"
	}
	if b.Recipient != "" {
		text = b.Recipient + ": " + text
	}
	return text
}

// shown is what the table shows of a recipient's outcome: the bounce when it bounced,
// else Detail.
func (rc Recipient) shown() string {
	if rc.Status == Bounced {
		return "bounced: " + rc.BounceText()
	}
	return rc.Detail()
}

// Detail is what the server said, or the error when it said nothing: "550 5.1.1 user
// unknown", "closing SMTP DATA writer: EOF".
func (rc Recipient) Detail() string {
	switch {
	case rc.Code == 0 && rc.Error != "":
		// No reply came; what is in Reply then is no more than the error's last words.
		return rc.Error
	case rc.Reply != "" && (rc.Code == 0 || strings.HasPrefix(rc.Reply, strconv.Itoa(rc.Code))):
		return rc.Reply
	case rc.Reply != "":
		parts := []string{strconv.Itoa(rc.Code)}
		if rc.Enhanced != "" && !strings.HasPrefix(rc.Reply, rc.Enhanced) {
			parts = append(parts, rc.Enhanced)
		}
		return strings.Join(append(parts, rc.Reply), " ")
	case rc.Code != 0:
		return joinNonEmpty(" ", strconv.Itoa(rc.Code), rc.Enhanced, rc.Error)
	}
	return rc.Error
}
