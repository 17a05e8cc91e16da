// Package send delivers a checked plan over SMTP and keeps the delivery log, so that every
// recipient gets its message once.
//
// # The protocol
//
// For each message, in this order:
//
//  1. a connection is free for it and the rate limiter has given it its turn;
//  2. the attempt is appended to the log and fsync'd (recipient, row, addresses,
//     Message-ID, time);
//  3. only then is the message handed to the SMTP server, at once;
//  4. the outcome (delivered, failed, unknown) is appended at once and made durable by the
//     next attempt's fsync or at the end of the run;
//  5. with Options.CopyTo (--copy-to-sent), a delivered message is filed in an IMAP folder,
//     the same bytes, and the copy, or its failure, is recorded (sent_copy). Whatever
//     becomes of the copy, the message is delivered and is not sent again.
//
// A recipient that herald inbox found bounced (deliverylog.StatusBounced) is treated like
// a permanent failure: a plain run leaves it, --only-failed sends to it again.
//
// What a crash (SIGKILL, power cut) leaves: a recipient with no attempt was never sent; an
// attempt without an outcome reads as unknown — the message may have reached the server —
// and is never sent again without --resend-unknown; a lost outcome turns delivered into
// unknown, never the reverse. Each connection has at most one attempt without an outcome at
// any moment, so a crash leaves at most one unknown recipient per connection. Ctrl-C sends
// nothing more and lets the messages on the wire finish and be recorded.
//
// If the log is deleted, replaced or changed by another program during the run, the next
// attempt fails instead of being recorded where nobody will read it: the run stops, and
// Run returns an error matching deliverylog.ErrReplaced that says where the records went.
//
// See Run for how messages are spread over connections and paced.
package send

import (
	"context"
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
)

// Options are the settings of one send run.
type Options struct {
	LogPath string
	Limit   int // at most this many messages in this run; 0 = all

	OnlyFailed    bool // send only to recipients whose last outcome was a failure
	ResendUnknown bool // also send to recipients whose outcome is unknown
	// RepeatAddresses sends each row's message to every address it lists, even one that
	// already has the campaign's message (from an earlier row, or an earlier run).
	RepeatAddresses bool
	// TestTo, when set, receives every message instead of its recipients; such sends are
	// logged as tests and never count as delivered.
	TestTo *message.Address

	SMTP        mail.Config
	Connections int
	Rate        rate.Limit // messages a second across all connections; rate.Inf or 0 for none
	DailyCap    int        // messages delivered in any 24 hours, counted from the log; 0 for none
	Retries     int        // further tries of a temporary failure
	RetryWait   time.Duration

	// CopyTo, when set, files a copy of each delivered message in an IMAP folder
	// (--copy-to-sent), for servers that keep no copy of what SMTP submits. The copy is
	// made after the outcome is recorded, and recorded in turn (a sent_copy record); one
	// that fails is reported and recorded, and never makes the message go again.
	CopyTo Copier

	// Confirm is shown the plan of the run and says whether to go on.
	Confirm func(*Selection) (bool, error)
	// Progress hears of each message as it is done, from one goroutine at a time.
	Progress func(Progress)
}

// Copier files copies of delivered messages for --copy-to-sent. Copy is called from one
// goroutine at a time.
type Copier interface {
	// Copy files msg, the bytes that were sent.
	Copy(msg []byte) error
	// Where names the folder, the server and the account, for the log.
	Where() (folder, host, account string)
}

// Selection says what a run is about to do, for the user to confirm: the plan's items it
// picked and why it left the others.
type Selection struct {
	Campaign   string
	LogPath    string
	Selected   []*plan.Item
	Delivered  int // already delivered in this campaign: skipped
	Failed     int // failed before and not selected (see --only-failed)
	Bounced    int // delivered, then bounced (herald inbox found it), and not selected
	Unknown    int // outcome unknown and not selected (see --resend-unknown)
	NeverSent  int // no outcome yet and not selected (--only-failed): a plain run sends them
	Server     string
	Sender     string
	ReplyTo    string // the first message's Reply-To, "" when it has none
	Rate       rate.Limit
	Estimate   time.Duration
	Test       bool
	TestTo     string
	OverDaily  int // selected messages beyond the daily cap, left for later
	Limited    int // selected messages beyond --limit, left for later
	OnlyFailed bool
	// LogRepaired, when not "", says what was cut from the end of the delivery log as it
	// was opened (a line that a crash cut short), in a sentence for the user.
	LogRepaired string
	// Shared lists the selected rows with addresses that already have the campaign's
	// message, which their messages are not sent to; and, with Whole set, the rows left out
	// because every address of theirs has it.
	Shared []Shared
	// Added lists the delivered rows with To or Cc addresses put in since: their message
	// goes again, to those addresses only.
	Added []Shared
	// withheld holds the addresses each selected item's message is not sent to.
	withheld map[*plan.Item][]string
}

// Shared is a row some of whose addresses already have the campaign's message.
type Shared struct {
	Row int
	// Addresses are those addresses, each with where it got the message: "row 2", or
	// "delivered earlier, row 5".
	Addresses []SharedAddress
	// Whole is set when every address of the row has it: the row is not sent at all.
	Whole bool
}

// SharedAddress is one address of a row that already has the campaign's message.
type SharedAddress struct {
	Addr string
	By   string // "row 2 of this sheet", or "a message delivered earlier (row 5)"
}

// Progress is the news of one message, or of the connection when Item is nil.
type Progress struct {
	Item    *plan.Item
	Outcome string // delivered, failed, unknown, retry; for the connection: retry, note
	Detail  string
	Done    int // messages finished so far
	Total   int
}

// Result is what a run did.
type Result struct {
	Selection *Selection
	Delivered int
	Failed    int
	Unknown   []Unknown
	Pending   int    // selected but not sent: stopped, interrupted or over the cap
	Stopped   string // why the run stopped early, "" if it did not
	Cancelled bool   // the user asked it to stop
	Declined  bool   // the user answered no
	// Copied counts the copies filed with Options.CopyTo; CopyFailed lists those that
	// could not be.
	Copied     int
	CopyFailed []CopyFailure
	CopyFolder string // the folder of Options.CopyTo, "" without one
}

// CopyFailure is a delivered message whose copy could not be filed.
type CopyFailure struct {
	Row       int
	To        string
	MessageID string
	Err       error
}

// Unknown is a message that may or may not have reached the server.
type Unknown struct {
	Row       int
	To        string
	MessageID string
	Detail    string
}

// Run delivers the plan's messages to the recipients that have no outcome yet (or as
// selected by the options), logging each attempt before it is made and each outcome after.
// Each of opt.Connections connections (fewer when the server refuses more) sends one
// message at a time; one rate limiter paces them all, and a temporary failure is retried
// with backoff while the others go on. An error is about the delivery log (it could not be
// opened or written, or was replaced); what the server did is in the Result, which is
// non-nil whenever the log could be opened and the user was asked.
func Run(ctx context.Context, p *plan.Plan, opt Options) (*Result, error) {
	switch {
	case opt.Rate == 0:
		// The zero value would let the limiter give one token and then none at all.
		opt.Rate = rate.Inf
	case opt.Rate < 0:
		return nil, fmt.Errorf("send: the rate %v messages a second is negative; give a positive rate, or rate.Inf for none", float64(opt.Rate))
	}
	log, err := deliverylog.Open(opt.LogPath)
	if err != nil {
		return nil, err
	}
	sp := selectForSend(p, log, opt)
	sp.LogRepaired = repairNotice(opt.LogPath, log.Dropped())
	res := &Result{Selection: sp}
	if opt.CopyTo != nil {
		res.CopyFolder, _, _ = opt.CopyTo.Where()
	}
	if opt.Confirm != nil && len(sp.Selected) > 0 {
		ok, err := opt.Confirm(sp)
		if err != nil {
			log.Close()
			return nil, err
		}
		if !ok {
			res.Declined = true
			res.Pending = len(sp.Selected)
		}
	}
	if len(sp.Selected) > 0 && !res.Declined {
		e := &engine{plan: p, log: log, opt: opt, res: res}
		e.run(ctx)
		err = e.logErr
	}
	// Close makes the last outcomes durable, and after a replaced log says where the
	// records went: that error tells more than the one that stopped the run.
	if cerr := log.Close(); cerr != nil {
		if errors.Is(cerr, deliverylog.ErrReplaced) || err == nil {
			err = cerr
		}
	}
	return res, err
}

// repairNotice tells what Open cut from the end of the log, "" when nothing.
func repairNotice(path string, dropped []byte) string {
	if dropped == nil {
		return ""
	}
	shown := strconv.Quote(string(dropped[:min(len(dropped), 120)]))
	if len(dropped) > 120 {
		shown += "…"
	}
	return fmt.Sprintf("the delivery log %s ended in %d bytes that were not a whole record, as a crash or power cut leaves them, and herald removed them (a message whose attempt was cut short was never sent): %s", path, len(dropped), shown)
}

func selectForSend(p *plan.Plan, log *deliverylog.Log, opt Options) *Selection {
	states := log.States(p.Campaign)
	sp := &Selection{
		Campaign: p.Campaign, LogPath: opt.LogPath, Rate: opt.Rate,
		Server: fmt.Sprintf("%s (%s)", opt.SMTP.Server(), opt.SMTP.TLS), OnlyFailed: opt.OnlyFailed,
	}
	if opt.TestTo != nil {
		sp.Test, sp.TestTo = true, opt.TestTo.String()
	}
	mailed := deliverylog.SentTo(log.Records(), p.Campaign)
	for i := range p.Items {
		it := &p.Items[i]
		status := deliverylog.StatusPending
		if st, ok := states[it.Key]; ok {
			status = st.Status
		}
		if sp.Test {
			sp.Selected = append(sp.Selected, it)
			continue
		}
		switch status {
		case deliverylog.StatusDelivered:
			if added := addedSince(it, mailed); len(added) > 0 && !opt.OnlyFailed {
				// A colleague put in the To or Cc of a row that was delivered: the message
				// goes to the new addresses only, never again to the others.
				sp.Selected = append(sp.Selected, it)
				sp.Added = append(sp.Added, Shared{Row: it.Row, Addresses: added})
				sp.withhold(it, func(k string) bool {
					return !slices.ContainsFunc(added, func(a SharedAddress) bool { return strings.EqualFold(a.Addr, k) })
				})
				continue
			}
			sp.Delivered++
		case deliverylog.StatusFailed:
			if opt.OnlyFailed {
				sp.Selected = append(sp.Selected, it)
			} else {
				sp.Failed++
			}
		case deliverylog.StatusBounced:
			// Like a permanent failure: the message did not reach the recipient.
			if opt.OnlyFailed {
				sp.Selected = append(sp.Selected, it)
			} else {
				sp.Bounced++
			}
		case deliverylog.StatusUnknown:
			if opt.ResendUnknown {
				sp.Selected = append(sp.Selected, it)
			} else {
				sp.Unknown++
			}
		default:
			if opt.OnlyFailed {
				sp.NeverSent++
			} else {
				sp.Selected = append(sp.Selected, it)
			}
		}
	}
	if !sp.Test && !opt.RepeatAddresses {
		withholdShared(p, sp, mailed, states)
	}
	if opt.Limit > 0 && len(sp.Selected) > opt.Limit {
		sp.Limited = len(sp.Selected) - opt.Limit
		sp.Selected = sp.Selected[:opt.Limit]
	}
	if opt.DailyCap > 0 && !sp.Test {
		left := opt.DailyCap - deliveredSince(log.Records(), time.Now().Add(-24*time.Hour))
		left = max(left, 0)
		if len(sp.Selected) > left {
			sp.OverDaily = len(sp.Selected) - left
			sp.Selected = sp.Selected[:left]
		}
	}
	if len(sp.Selected) > 0 {
		if msg, err := p.Render(sp.Selected[0]); err == nil {
			sp.Sender = msg.From.Display()
			var replyTo []string
			for _, a := range msg.ReplyTo {
				replyTo = append(replyTo, a.Display())
			}
			sp.ReplyTo = strings.Join(replyTo, ", ")
		}
	}
	sp.Estimate = estimate(len(sp.Selected), opt.Rate)
	return sp
}

// withholdShared applies the rule that each address in To or Cc receives one copy of a
// campaign (a Bcc address, an archive say, gets every message that lists it): an address
// that an earlier row of the sheet mails (plan.Item.MailedBy), or that a message
// delivered earlier in the campaign went to, is left out of a selected message's envelope;
// a row all of whose addresses are left out is not sent at all. Both are listed in
// sp.Shared, for the confirmation.
func withholdShared(p *plan.Plan, sp *Selection, mailed map[string]string, states map[string]deliverylog.State) {
	rowOf := map[string]int{}
	for key, st := range states {
		rowOf[key] = st.Row
	}
	for i := range p.Items {
		rowOf[p.Items[i].Key] = p.Items[i].Row
	}
	kept := sp.Selected[:0]
	for _, it := range sp.Selected {
		if _, topUp := sp.withheld[it]; topUp {
			kept = append(kept, it)
			continue
		}
		var shared []SharedAddress
		var keys []string
		for _, list := range [][]message.Address{it.To, it.Cc} {
			for _, a := range list {
				k := a.Key()
				if row, ok := it.MailedBy[k]; ok {
					shared = append(shared, SharedAddress{a.Addr, fmt.Sprintf("row %d of this sheet", row)})
					keys = append(keys, k)
				} else if key, ok := mailed[k]; ok && key != it.Key {
					by := "a message delivered earlier"
					if row := rowOf[key]; row > 0 {
						by = fmt.Sprintf("a message delivered earlier (row %d)", row)
					}
					shared = append(shared, SharedAddress{a.Addr, by})
					keys = append(keys, k)
				}
			}
		}
		if len(shared) == 0 {
			kept = append(kept, it)
			continue
		}
		whole := len(it.Bcc) == 0 && len(slices.Compact(slices.Sorted(slices.Values(keys)))) == len(distinctKeys(it))
		sp.Shared = append(sp.Shared, Shared{Row: it.Row, Addresses: shared, Whole: whole})
		if whole {
			continue
		}
		sp.withhold(it, func(k string) bool { return slices.Contains(keys, k) })
		kept = append(kept, it)
	}
	sp.Selected = kept
}

// markTest puts at the top of a test message who would receive it for real: a tester reads
// the letter as it is, and must also be able to see a wrong or forgotten Cc.
func markTest(msg *message.Message) {
	var lines []string
	for _, f := range []struct {
		name string
		list []message.Address
	}{{"To", msg.To}, {"Cc", msg.Cc}, {"Bcc", msg.Bcc}} {
		if len(f.list) == 0 {
			continue
		}
		names := make([]string, len(f.list))
		for i, a := range f.list {
			names[i] = a.Display()
		}
		lines = append(lines, f.name+": "+strings.Join(names, ", "))
	}
	note := "TEST: sent to you instead of " + strings.Join(lines, "; ")
	msg.Text = note + "\n\n" + msg.Text
	if i := strings.Index(msg.HTML, "<body"); i >= 0 {
		if j := strings.IndexByte(msg.HTML[i:], '>'); j >= 0 {
			at := i + j + 1
			banner := `<div style="border:2px solid #b00020;padding:8px;margin:8px;font-family:Arial,sans-serif;font-size:14px;color:#b00020;">` + html.EscapeString(note) + `</div>`
			msg.HTML = msg.HTML[:at] + banner + msg.HTML[at:]
		}
	}
}

// addedSince returns the To and Cc addresses of a delivered recipient's row that no
// delivered message of the campaign went to: put in the row after the message was sent.
func addedSince(it *plan.Item, mailed map[string]string) []SharedAddress {
	var added []SharedAddress
	for _, list := range [][]message.Address{it.To, it.Cc} {
		for _, a := range list {
			if _, ok := mailed[a.Key()]; !ok {
				added = append(added, SharedAddress{Addr: a.Addr, By: "added to the row after the message was delivered"})
			}
		}
	}
	return added
}

// withhold records which of the item's addresses (by key) its message is not sent to.
func (sp *Selection) withhold(it *plan.Item, withheld func(key string) bool) {
	var keys []string
	for _, list := range [][]message.Address{it.To, it.Cc, it.Bcc} {
		for _, a := range list {
			if k := a.Key(); withheld(k) && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	if sp.withheld == nil {
		sp.withheld = map[*plan.Item][]string{}
	}
	sp.withheld[it] = keys
}

// distinctKeys returns the mailboxes an item names in To and Cc, each once.
func distinctKeys(it *plan.Item) []string {
	var keys []string
	for _, list := range [][]message.Address{it.To, it.Cc} {
		for _, a := range list {
			keys = append(keys, a.Key())
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// estimate assumes a fast server: the rate is what takes time.
func estimate(n int, r rate.Limit) time.Duration {
	if r == rate.Inf || r <= 0 {
		return time.Duration(n) * 20 * time.Millisecond
	}
	return time.Duration(float64(n) / float64(r) * float64(time.Second))
}

// job is one message on its way, with its retries.
type job struct {
	item      *plan.Item
	msg       *message.Message // rendered at the first try: a retry sends the same Message-ID
	tries     int              // tries that ended in a temporary failure
	notBefore time.Time        // a retry waits until then
}

// The engine runs one worker per connection. A worker takes the next message (a retry that
// is due, else the next one in sheet order), waits for its turn from the rate limiter that
// all connections share, records the attempt, sends the message and records the outcome;
// then it takes the next. A temporary failure goes back to the queue with a backoff, and
// meanwhile the workers send the others.
//
// So each connection has at most one attempt without an outcome at any moment, and a kill
// leaves at most one unknown recipient per connection: the message on the wire, or the one
// whose attempt had just been recorded. The attempts of several connections made at the
// same time share an fsync (the log's group commit). Nothing is recorded ahead: a message
// takes its token from the limiter, and is recorded, only once a connection is free for it.
// When the run stops or is interrupted, the waits for the limiter end at once, and the
// messages on the wire are finished and recorded.
type engine struct {
	plan    *plan.Plan
	log     *deliverylog.Log
	opt     Options
	res     *Result
	limiter *rate.Limiter
	// waits is done when the run is interrupted or stops: it ends the waits for the
	// limiter, whose tokens belong to messages that will not be sent.
	waits    context.Context
	endWaits context.CancelFunc
	// progressMu makes the calls of Progress one at a time; the workers report from their
	// own goroutines.
	progressMu sync.Mutex
	// copyMu makes the calls of CopyTo one at a time: it has one IMAP connection.
	copyMu sync.Mutex

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever the queue changes or the run stops
	fresh    []*plan.Item  // never tried in this run, in sheet order
	retries  []*job        // failed temporarily, each due at its notBefore
	busy     int           // jobs taken by workers and not finished
	conns    int           // open connections
	lost     string        // why a broken connection could not be made again
	stopped  string        // why the run stopped, "" while it goes on
	logErr   error         // the log's first error: the run ends with it
	done     int
	policy57 int // consecutive 5.7.x refusals: the server's policy is against the sender
}

// policyStreak is how many 5.7.x refusals in a row stop a run. One can be about the
// recipient; several in a row are about the sender (SPF, DMARC, send-as rights).
const policyStreak = 3

func (e *engine) run(ctx context.Context) {
	e.fresh = slices.Clone(e.res.Selection.Selected)
	e.changed = make(chan struct{})
	// A burst of 1 spaces messages evenly, which is what servers that count per minute
	// expect; a larger burst would send a minute's worth at once.
	e.limiter = rate.NewLimiter(e.opt.Rate, 1)
	e.waits, e.endWaits = context.WithCancel(ctx)
	defer e.endWaits()

	defer func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.res.Pending = len(e.fresh)
		// A retry still waiting has its temporary failure logged already.
		e.res.Failed += len(e.retries)
		e.res.Stopped = e.stopped
		e.res.Cancelled = ctx.Err() != nil
	}()

	// The first connection is made before any attempt is recorded, so that a refused login
	// leaves the log untouched and everything pending.
	first, why := e.dial(ctx, false)
	if first == nil {
		e.stop(why)
		return
	}
	conns := min(max(e.opt.Connections, 1), len(e.fresh))
	var wg sync.WaitGroup
	wg.Go(func() { e.worker(ctx, first) })
	for range conns - 1 {
		wg.Go(func() {
			// A further connection that fails is no reason to stop: the server may allow
			// fewer than asked for, and the first connection carries on.
			if s, _ := e.dial(ctx, true); s != nil {
				e.worker(ctx, s)
			}
		})
	}
	wg.Wait()

	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.fresh)+len(e.retries) > 0 && ctx.Err() == nil {
		// Every worker lost its connection with messages left.
		why := "no connection to the SMTP server is left"
		if e.lost != "" {
			why = "the connection broke and could not be made again: " + e.lost
		}
		e.stopLocked(why)
	}
}

// worker sends over one connection until nothing is left, the run stops or is
// interrupted, or the connection breaks and cannot be made again.
func (e *engine) worker(ctx context.Context, s *mail.Sender) {
	defer func() {
		if s != nil {
			e.hangUp(s)
		}
	}()
	for {
		j := e.next(ctx)
		if j == nil {
			return
		}
		if s == nil {
			// The connection broke after the last message.
			var why string
			if s, why = e.dial(ctx, false); s == nil {
				e.putBack(j)
				if why != "" {
					e.mu.Lock()
					e.lost = why
					e.mu.Unlock()
				}
				return
			}
		}
		if err := e.limiter.Wait(e.waits); err != nil {
			e.putBack(j)
			return
		}
		if !e.begin(ctx, j) {
			return
		}
		if e.deliver(j, s) {
			e.hangUp(s)
			s = nil
		}
	}
}

// next takes the next job: a retry that is due, else a fresh message, else it waits for a
// retry to fall due or for a job in hand to end (it may come back as a retry). It returns
// nil when nothing is left, or the run stops or is interrupted.
func (e *engine) next(ctx context.Context) *job {
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.stopped != "" || ctx.Err() != nil {
			return nil
		}
		j, due := e.pickLocked(time.Now())
		if j != nil {
			e.busy++
			return j
		}
		if due.IsZero() && e.busy == 0 {
			return nil
		}
		changed := e.changed
		e.mu.Unlock()
		var timer *time.Timer
		var fire <-chan time.Time
		if !due.IsZero() {
			timer = time.NewTimer(time.Until(due))
			fire = timer.C
		}
		select {
		case <-changed:
		case <-fire:
		case <-ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
		e.mu.Lock()
	}
}

// pickLocked takes a retry that is due, else a fresh message; else it returns when the
// first retry falls due (zero when there is none).
func (e *engine) pickLocked(now time.Time) (*job, time.Time) {
	var due time.Time
	for i, j := range e.retries {
		if !j.notBefore.After(now) {
			e.retries = slices.Delete(e.retries, i, i+1)
			return j, time.Time{}
		}
		if due.IsZero() || j.notBefore.Before(due) {
			due = j.notBefore
		}
	}
	if len(e.fresh) > 0 {
		it := e.fresh[0]
		e.fresh = e.fresh[1:]
		return &job{item: it}, time.Time{}
	}
	return nil, due
}

// putBack returns a job that was not sent and has no attempt recorded: a fresh one stays
// pending, at the front so that sheet order holds; a retry keeps its place in the retry
// queue.
func (e *engine) putBack(j *job) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if j.tries == 0 {
		e.fresh = slices.Insert(e.fresh, 0, j.item)
	} else {
		e.retries = append(e.retries, j)
	}
	e.finishLocked(nil, "")
}

// finishLocked records that a job in hand ended, with a retry to queue or a reason to stop.
func (e *engine) finishLocked(retry *job, stop string) {
	e.busy--
	if retry != nil {
		e.retries = append(e.retries, retry)
	}
	e.stopLocked(stop)
	e.wakeLocked()
}

func (e *engine) wakeLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *engine) stop(why string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked(why)
}

// stopLocked stops the run for the first reason given; "" is no reason.
func (e *engine) stopLocked(why string) {
	if why != "" && e.stopped == "" {
		e.stopped = why
		e.endWaits()
		e.wakeLocked()
	}
}

// failLocked stops the run because the log failed: the run ends with err.
func (e *engine) failLocked(what string, err error) {
	if e.logErr == nil {
		e.logErr = err
	}
	if errors.Is(err, deliverylog.ErrReplaced) {
		// It names the log and says what happened to it.
		e.stopLocked(err.Error())
		return
	}
	e.stopLocked(fmt.Sprintf("%s in the delivery log %s: %v", what, e.opt.LogPath, err))
}

// begin renders the job's message (once: a retry sends the same Message-ID) and records
// the attempt. The attempt is on disk before the first byte goes out, so that a crash at
// any point leaves either no attempt (never sent) or an attempt without outcome (unknown),
// never a message sent twice. It reports false, with the job put back, when the run
// stopped or was interrupted meanwhile, or the attempt could not be recorded.
func (e *engine) begin(ctx context.Context, j *job) bool {
	e.mu.Lock()
	stopped := e.stopped != "" || ctx.Err() != nil
	e.mu.Unlock()
	if stopped {
		e.putBack(j)
		return false
	}
	it := j.item
	if j.msg == nil {
		msg, err := e.plan.Render(it)
		if err != nil {
			e.putBack(j)
			e.stop(fmt.Sprintf("render the message of row %d: %v", it.Row, err))
			return false
		}
		if e.opt.TestTo != nil {
			markTest(msg)
			msg.To, msg.Cc, msg.Bcc = []message.Address{*e.opt.TestTo}, nil, nil
			msg.Subject = "[TEST] " + msg.Subject
		}
		msg.Withheld = e.res.Selection.withheld[it]
		j.msg = msg
	}
	if err := e.log.Attempt(e.record(j)); err != nil {
		e.putBack(j)
		e.mu.Lock()
		e.failLocked(fmt.Sprintf("record the attempt for row %d", it.Row), err)
		e.mu.Unlock()
		return false
	}
	return true
}

// record starts a log record for j. It names the envelope as sent: for a test, the tester;
// the key still names the recipient whose message it was.
func (e *engine) record(j *job) deliverylog.Record {
	return deliverylog.Record{
		Campaign: e.plan.Campaign, Key: j.item.Key, Row: j.item.Row, Run: e.log.Run(),
		To: addrs(j.msg.To), Cc: addrs(j.msg.Cc), Bcc: addrs(j.msg.Bcc), Withheld: j.msg.Withheld,
		MessageID: j.msg.MessageID, Test: e.opt.TestTo != nil,
	}
}

// dial opens a connection, trying again with backoff while the failure is temporary. It
// returns nil and why it failed; when extra is set it gives up at once if another
// connection is open.
func (e *engine) dial(ctx context.Context, extra bool) (*mail.Sender, string) {
	for try := 1; ; try++ {
		s, err := mail.Dial(ctx, e.opt.SMTP)
		if err == nil {
			e.mu.Lock()
			e.conns++
			e.mu.Unlock()
			return s, ""
		}
		if ctx.Err() != nil {
			return nil, ""
		}
		var de *mail.DialError
		if !errors.As(err, &de) || de.Status != mail.TempFailure {
			return nil, withHints(err)
		}
		// A server name that does not exist will not exist in a minute either: a typo in
		// --smtp-host must not cost a quarter of an hour of retries.
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return nil, err.Error() + "; check --smtp-host"
		}
		e.mu.Lock()
		others := e.conns
		e.mu.Unlock()
		if extra && others > 0 {
			e.progress(nil, "note", "one connection fewer: "+err.Error())
			return nil, ""
		}
		if try > e.opt.Retries {
			return nil, fmt.Sprintf("%s; gave up after %d tries", withHints(err), try)
		}
		wait := e.backoff(try)
		e.progress(nil, "retry", fmt.Sprintf("%s; trying again in %s", err, wait.Round(time.Millisecond)))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ""
		}
	}
}

// withHints is err's text followed by its hints (problem.Hints): Result.Stopped is one line
// of text, where the advice of a dial error would otherwise be lost.
func withHints(err error) string {
	s := err.Error()
	for _, h := range problem.Hints(err) {
		s += "; " + h
	}
	return s
}

func (e *engine) hangUp(s *mail.Sender) {
	_ = s.Close()
	e.mu.Lock()
	e.conns--
	e.mu.Unlock()
}

// deliver sends one message whose attempt is logged, and logs its outcome. A reason to
// stop the run goes to stopLocked; it reports whether the connection is unusable.
func (e *engine) deliver(j *job, sender *mail.Sender) (redial bool) {
	it, msg := j.item, j.msg
	// The message in flight is finished even after Ctrl-C: abandoning it half-way would
	// only turn a clean outcome into an unknown one.
	out := sender.Send(context.Background(), msg)

	rec := e.record(j)
	rec.Time = time.Now()
	rec.Code, rec.Enhanced, rec.Reply = out.Code, out.Enhanced, out.Reply
	if out.Err != nil {
		rec.Error = out.Err.Error()
	}
	detail := clip(describe(out))
	var retry *job
	var outcome, stopWhy string
	switch out.Status {
	case mail.Delivered:
		rec.Status, outcome = deliverylog.StatusDelivered, "delivered"
	case mail.TempFailure:
		rec.Status, rec.Failure, outcome = deliverylog.StatusFailed, deliverylog.FailureTemporary, "failed"
		if j.tries < e.opt.Retries {
			j.tries++
			wait := e.backoff(j.tries)
			j.notBefore = time.Now().Add(wait)
			retry, outcome = j, "retry"
			detail += fmt.Sprintf("; trying again in %s", wait.Round(time.Millisecond))
		}
	case mail.PermFailure:
		rec.Status, rec.Failure, outcome = deliverylog.StatusFailed, deliverylog.FailurePermanent, "failed"
	case mail.Unknown:
		rec.Status, outcome = deliverylog.StatusUnknown, "unknown"
	case mail.Stop:
		// The server refuses the sender, not this recipient, and every following message
		// would get the same. This one was not delivered: it is a temporary failure, to be
		// sent again with --only-failed once the cause is fixed.
		rec.Status, rec.Failure, outcome = deliverylog.StatusFailed, deliverylog.FailureTemporary, "failed"
		stopWhy = "the server refuses mail from this sender or session: " + detail
	}
	logErr := e.log.Outcome(rec)

	e.mu.Lock()
	switch {
	case out.Status == mail.PermFailure && strings.HasPrefix(out.Enhanced, "5.7."):
		e.policy57++
		if e.policy57 >= policyStreak && stopWhy == "" {
			stopWhy = fmt.Sprintf("%d messages in a row were refused for policy reasons, the last with %s: the server refuses this sender", e.policy57, detail)
		}
	case out.Status == mail.Delivered || out.Status == mail.PermFailure:
		e.policy57 = 0
	}
	if logErr != nil {
		e.failLocked(fmt.Sprintf("record the outcome for row %d", it.Row), logErr)
	}
	switch outcome {
	case "delivered":
		e.res.Delivered++
	case "failed":
		e.res.Failed++
	case "unknown":
		e.res.Unknown = append(e.res.Unknown, Unknown{Row: it.Row, To: strings.Join(addrs(msg.To), ", "), MessageID: msg.MessageID, Detail: detail})
	}
	if outcome != "retry" {
		e.done++
	}
	e.finishLocked(retry, stopWhy)
	e.mu.Unlock()
	e.progress(it, outcome, detail)
	if outcome == "delivered" && logErr == nil && e.opt.CopyTo != nil {
		e.copy(j)
	}
	return out.Redial
}

// copy files a copy of a delivered message with Options.CopyTo and records it. The bytes
// are those Send wrote: AppendEML gives the same bytes for the same message.
func (e *engine) copy(j *job) {
	e.copyMu.Lock()
	defer e.copyMu.Unlock()
	folder, host, account := e.opt.CopyTo.Where()
	data, err := mail.AppendEML(nil, j.msg)
	if err == nil {
		err = e.opt.CopyTo.Copy(data)
	}
	rec := e.record(j)
	rec.Type, rec.To, rec.Cc, rec.Bcc, rec.Withheld, rec.Row = deliverylog.TypeSentCopy, nil, nil, nil, nil, 0
	rec.Folder, rec.Host, rec.Account = folder, host, account
	if err != nil {
		rec.Error = err.Error()
	}
	logErr := e.log.Note(rec)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.res.CopyFailed = append(e.res.CopyFailed, CopyFailure{Row: j.item.Row, To: strings.Join(addrs(j.msg.To), ", "), MessageID: j.msg.MessageID, Err: err})
	} else {
		e.res.Copied++
	}
	if logErr != nil {
		e.failLocked(fmt.Sprintf("record the copy of row %d", j.item.Row), logErr)
	}
}

func (e *engine) progress(it *plan.Item, outcome, detail string) {
	if e.opt.Progress == nil {
		return
	}
	// Held across the count as well, so that Done never goes backwards.
	e.progressMu.Lock()
	defer e.progressMu.Unlock()
	e.mu.Lock()
	p := Progress{Item: it, Outcome: outcome, Detail: detail, Done: e.done, Total: len(e.res.Selection.Selected)}
	e.mu.Unlock()
	e.opt.Progress(p)
}

// backoff doubles the wait with each try and adds up to 25% jitter, so that several
// messages greylisted together do not come back together.
func (e *engine) backoff(try int) time.Duration {
	d := e.opt.RetryWait << (try - 1)
	if d <= 0 || d > maxRetryWait {
		d = maxRetryWait
	}
	return d + rand.N(d/4+1)
}

// maxRetryWait bounds one wait between tries, whatever --retries asks for.
const maxRetryWait = time.Hour

// maxDetail is the most bytes of a server's reply or an error shown for one message.
const maxDetail = 1000

// clip shortens a reply or error to maxDetail bytes of whole characters, saying so.
func clip(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	n := maxDetail
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:n], len(s))
}

// describe says what the server replied ("550 5.1.1 text"), or what went wrong when
// there was no reply.
func describe(out mail.Outcome) string {
	switch {
	case out.Reply != "" && out.Status != mail.Unknown:
		return out.Reply
	case out.Err == nil:
		return out.Reply
	}
	// go-mail ends its errors with the Message-ID, which the summary shows anyway.
	text, _, _ := strings.Cut(out.Err.Error(), ", affected message ID:")
	if out.Status == mail.Unknown {
		return "no reply after the whole message was sent (" + text + ")"
	}
	return text
}

func addrs(list []message.Address) []string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.Addr
	}
	return s
}

// deliveredSince counts the messages the server accepted after t, in any campaign of the
// log and including tests: a daily cap is the server's limit on the sender, whatever was sent.
func deliveredSince(records []deliverylog.Record, t time.Time) int {
	n := 0
	for _, r := range records {
		if r.Type == deliverylog.TypeOutcome && r.Status == deliverylog.StatusDelivered && r.Time.After(t) {
			n++
		}
	}
	return n
}
