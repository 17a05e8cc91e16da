// Package send delivers a checked plan over SMTP and keeps the delivery log, so that every
// recipient gets its message once.
//
// # The protocol
//
// For each message, in this order:
//
//  1. the attempt is appended to the log and fsync'd (recipient, row, addresses,
//     Message-ID, time);
//  2. only then is the message handed to the SMTP server;
//  3. the outcome (delivered, failed, unknown) is appended at once and made durable by the
//     next attempt's fsync or at the end of the run.
//
// What a crash (SIGKILL, power cut) leaves: a recipient with no attempt was never sent; an
// attempt without an outcome reads as unknown — the message may have reached the server —
// and is never sent again without --resend-unknown; a lost outcome turns delivered into
// unknown, never the reverse. A message whose attempt is recorded but which the run then
// decides not to send (it stopped, or was interrupted) gets the outcome not_sent, which
// leaves the recipient where it stood.
//
// See Run for how messages are spread over connections and paced.
package send

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

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
	// TestTo, when set, receives every message instead of its recipients; such sends are
	// logged as tests and never count as delivered.
	TestTo *message.Address

	SMTP        mail.Config
	Connections int
	Rate        rate.Limit // messages a second across all connections; rate.Inf or 0 for none
	DailyCap    int        // messages delivered in any 24 hours, counted from the log; 0 for none
	Retries     int        // further tries of a temporary failure
	RetryWait   time.Duration

	// Confirm is shown the plan of the run and says whether to go on.
	Confirm func(*Selection) (bool, error)
	// Progress hears of each message as it is done, from one goroutine at a time.
	Progress func(Progress)
}

// Selection says what a run is about to do, for the user to confirm: the plan's items it
// picked and why it left the others.
type Selection struct {
	Campaign   string
	LogPath    string
	Selected   []*plan.Item
	Delivered  int // already delivered in this campaign: skipped
	Failed     int // failed before and not selected (see --only-failed)
	Unknown    int // outcome unknown and not selected (see --resend-unknown)
	NeverSent  int // no outcome yet and not selected (--only-failed): a plain run sends them
	Server     string
	Sender     string
	Rate       rate.Limit
	Estimate   time.Duration
	Test       bool
	TestTo     string
	OverDaily  int // selected messages beyond the daily cap, left for later
	Limited    int // selected messages beyond --limit, left for later
	OnlyFailed bool
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
	defer log.Close()

	sp := selectForSend(p, log, opt)
	res := &Result{Selection: sp}
	if opt.Confirm != nil && len(sp.Selected) > 0 {
		ok, err := opt.Confirm(sp)
		if err != nil {
			return nil, err
		}
		if !ok {
			res.Declined = true
			res.Pending = len(sp.Selected)
			return res, nil
		}
	}
	if len(sp.Selected) == 0 {
		return res, nil
	}
	e := &engine{plan: p, log: log, opt: opt, res: res, runID: newRunID()}
	e.run(ctx)
	if err := log.Sync(); err != nil {
		return res, fmt.Errorf("save delivery log %s: %w", opt.LogPath, err)
	}
	return res, nil
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
			sp.Delivered++
		case deliverylog.StatusFailed:
			if opt.OnlyFailed {
				sp.Selected = append(sp.Selected, it)
			} else {
				sp.Failed++
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
		if from, err := senderOf(p, sp.Selected[0]); err == nil {
			sp.Sender = from
		}
	}
	sp.Estimate = estimate(len(sp.Selected), opt.Rate)
	return sp
}

func senderOf(p *plan.Plan, it *plan.Item) (string, error) {
	msg, err := p.Render(it)
	if err != nil {
		return "", err
	}
	return msg.From.Display(), nil
}

// estimate assumes a fast server: the rate is what takes time.
func estimate(n int, r rate.Limit) time.Duration {
	if r == rate.Inf || r <= 0 {
		return time.Duration(n) * 20 * time.Millisecond
	}
	return time.Duration(float64(n) / float64(r) * float64(time.Second))
}

func newRunID() string {
	return fmt.Sprintf("%s-%04x", time.Now().UTC().Format("20060102T150405"), rand.IntN(1<<16))
}

// job is one message on its way, with its retries.
type job struct {
	item      *plan.Item
	msg       *message.Message
	tries     int // attempts that ended in a temporary failure
	notBefore time.Time
	seq       int // the order in which jobs are handed to the workers
}

// The engine works in two stages joined by the channel ready:
//
//   - preparers take the next message (a retry that is due, else the next fresh one), wait
//     for its turn from the rate limiter, render it and record the attempt;
//   - workers, one per connection, send what the preparers hand them and record the outcome.
//
// The attempt records of several preparers share one fsync (the log's group commit), and
// are written while other messages are on the wire: with an fsync per message and one
// connection, working in turn would leave the connection idle most of the time on a fast
// relay. The price is a window: a message whose attempt is recorded may wait while the
// messages before it are sent, and a crash then reports it as unknown although it was
// never sent. So the number of messages in flight is kept to what hides the fsync (see
// window): as many as the connection sends during one fsync. Against a server slower than
// the disk, each message is recorded only once the one before it is done, and none waits.
// With a rate limit there is no look-ahead at all: a message takes its token and is
// recorded only once a connection is free for it. Tokens taken ahead would let messages
// queue behind a server that holds one reply, and then go out back to back, over the
// limit; and at 30/min every message waiting is one a crash would leave unknown. When the
// run stops or is interrupted, recorded messages that did not go out are recorded as not
// sent (see notSent), which leaves them pending, and waits for the limiter end at once.
type engine struct {
	plan    *plan.Plan
	log     *deliverylog.Log
	opt     Options
	res     *Result
	runID   string
	limiter *rate.Limiter
	ready   chan *job     // attempts recorded, waiting for a connection
	stopCh  chan struct{} // closed when the run stops
	// endWaits cancels the preparers' waits for the rate limiter when the run stops: the
	// tokens they would wait for belong to messages that will not be sent.
	endWaits context.CancelFunc
	// progressMu makes the calls of Progress one at a time; the workers report from their
	// own goroutines.
	progressMu sync.Mutex

	mu       sync.Mutex
	fresh    []*plan.Item // never tried in this run, in sheet order
	retries  []*job       // failed temporarily, each due at its notBefore
	inFlight int          // jobs taken from the queues and not yet finished
	conns    int          // open connections
	workers  int          // workers still running
	drained  bool         // the preparers are done: workers end once ready is empty
	lost     string       // why a broken connection could not be made again
	notSent  int          // attempts recorded, then not sent after all
	// Jobs reach the workers in the order next gave them out, whichever preparer is done
	// first: turn is the next seq to hand over, seqs counts those given out, and passed
	// holds the later ones that will not be handed over (put back, or not sent).
	turn, seqs int
	passed     map[int]bool
	done       int
	stopped    string
	changed    chan struct{} // closed and replaced whenever the queues change
	policy57   int           // consecutive 5.7.x refusals: the server's policy is against the sender
	// Moving averages of how long recording an attempt and sending a message take.
	commitAvg, sendAvg time.Duration
}

// policyStreak is how many 5.7.x refusals in a row stop a run. One can be about the
// recipient; several in a row are about the sender (SPF, DMARC, send-as rights).
const policyStreak = 3

// lookahead is the most messages per connection that may be in flight beyond the one
// being sent; see engine.
const lookahead = 8

// windowLocked is how many jobs may be in flight at once: one per connection, and more
// while the connection is fast compared with the disk, so that the attempt records of
// those waiting share an fsync made while the connection is busy. A server ten times
// slower than the disk gets no more than one each: pipelining would gain little there,
// and every message waiting is one a crash leaves unknown.
func (e *engine) windowLocked() int {
	conns := max(e.conns, 1)
	depth := 0
	if e.opt.Rate == rate.Inf && e.sendAvg > 0 && e.commitAvg > 0 && e.sendAvg < 10*e.commitAvg {
		// Enough to keep the connection busy for two fsyncs: one under way, the next
		// gathering the records of those that came too late for it.
		depth = min(2*int(e.commitAvg/e.sendAvg)+2, lookahead)
	}
	return conns * (1 + depth)
}

// average moves a moving average towards d.
func average(avg *time.Duration, d time.Duration) {
	if *avg == 0 {
		*avg = d
		return
	}
	*avg += (d - *avg) / 5
}

func (e *engine) run(ctx context.Context) {
	e.fresh = append([]*plan.Item(nil), e.res.Selection.Selected...)
	e.changed = make(chan struct{})
	e.stopCh = make(chan struct{})
	e.ready = make(chan *job)
	e.passed = map[int]bool{}
	// A burst of 1 spaces messages evenly, which is what servers that count per minute
	// expect; a larger burst would send a minute's worth at once.
	e.limiter = rate.NewLimiter(e.opt.Rate, 1)
	conns := min(max(e.opt.Connections, 1), len(e.fresh))
	waits, endWaits := context.WithCancel(ctx)
	defer endWaits()
	e.endWaits = endWaits

	defer func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.res.Pending = len(e.fresh) + e.notSent
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

	var prep, work sync.WaitGroup
	preparers := conns
	if e.opt.Rate == rate.Inf {
		preparers += lookahead
	}
	for range preparers {
		prep.Go(func() { e.prepare(ctx, waits) })
	}
	e.workers = conns
	work.Go(func() { e.worker(ctx, first) })
	for range conns - 1 {
		work.Go(func() {
			// A further connection that fails is no reason to stop: the server may allow
			// fewer than asked for, and the first connection carries on.
			s, _ := e.dial(ctx, true)
			e.worker(ctx, s)
		})
	}
	prep.Wait()
	e.mu.Lock()
	e.drained = true
	e.mu.Unlock()
	close(e.ready)
	work.Wait()
}

// next returns the next job: a retry that is due, else a fresh message, else waits for a
// retry to become due or for room in the window. It returns nil when there is nothing left
// or the run must stop.
func (e *engine) next(ctx context.Context) *job {
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.stopped != "" || ctx.Err() != nil {
			return nil
		}
		var earliest time.Time
		if e.inFlight < e.windowLocked() {
			var j *job
			if j, earliest = e.pickLocked(time.Now()); j != nil {
				e.inFlight++
				j.seq = e.seqs
				e.seqs++
				return j
			}
			if earliest.IsZero() && e.inFlight == 0 {
				return nil
			}
		}
		// Wait for a retry to fall due, or for a job in flight to end: it makes room, and
		// may add a retry or stop the run.
		changed := e.changed
		e.mu.Unlock()
		var due <-chan time.Time
		var timer *time.Timer
		if !earliest.IsZero() {
			timer = time.NewTimer(time.Until(earliest))
			due = timer.C
		}
		select {
		case <-changed:
		case <-due:
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
	var earliest time.Time
	for i, j := range e.retries {
		if !j.notBefore.After(now) {
			e.retries = slices.Delete(e.retries, i, i+1)
			return j, time.Time{}
		}
		if earliest.IsZero() || j.notBefore.Before(earliest) {
			earliest = j.notBefore
		}
	}
	if len(e.fresh) > 0 {
		it := e.fresh[0]
		e.fresh = e.fresh[1:]
		return &job{item: it}, time.Time{}
	}
	return nil, earliest
}

// finishLocked records that a job left the queues, and wakes the preparers waiting for that.
func (e *engine) finishLocked(retry *job, stop string) {
	e.inFlight--
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
	e.wakeLocked()
}

// stopLocked stops the run for the first reason given; "" is no reason.
func (e *engine) stopLocked(why string) {
	if why != "" && e.stopped == "" {
		e.stopped = why
		close(e.stopCh)
		e.endWaits()
	}
}

func (e *engine) stoppedWhy() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopped
}

// passLocked gives up j's turn to hand over.
func (e *engine) passLocked(j *job) {
	e.passed[j.seq] = true
	for e.passed[e.turn] {
		delete(e.passed, e.turn)
		e.turn++
	}
}

// putBack returns a job that was not sent and has no attempt recorded: a fresh one stays
// pending, at the front so that sheet order holds; a retry keeps its place in the retry
// queue.
func (e *engine) putBack(j *job, stop string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.passLocked(j)
	if j.tries == 0 {
		e.fresh = append([]*plan.Item{j.item}, e.fresh...)
		e.finishLocked(nil, stop)
		return
	}
	e.finishLocked(j, stop)
}

// prepare records attempts and hands the jobs to the workers until there is nothing left,
// the run stops or is interrupted. waits is ctx, also done when the run stops.
func (e *engine) prepare(ctx, waits context.Context) {
	for {
		j := e.next(ctx)
		if j == nil {
			return
		}
		if err := e.limiter.Wait(waits); err != nil {
			e.putBack(j, "")
			return
		}
		if e.stoppedWhy() != "" {
			e.putBack(j, "")
			return
		}
		if !e.commit(j) {
			return
		}
		if !e.handOver(ctx, j) {
			return
		}
	}
}

// handOver waits for j's turn and gives it to a worker. It reports false when the job was
// recorded as not sent instead, because the run stopped or was interrupted.
func (e *engine) handOver(ctx context.Context, j *job) bool {
	e.mu.Lock()
	for e.turn != j.seq {
		changed := e.changed
		e.mu.Unlock()
		select {
		case <-changed:
		case <-e.stopCh:
			e.abandon(j, "the run stopped: "+e.stoppedWhy())
			return false
		case <-ctx.Done():
			e.abandon(j, "interrupted")
			return false
		}
		e.mu.Lock()
	}
	e.mu.Unlock()
	sent := false
	select {
	case e.ready <- j:
		sent = true
	case <-e.stopCh:
		e.abandon(j, "the run stopped: "+e.stoppedWhy())
	case <-ctx.Done():
		e.abandon(j, "interrupted")
	}
	e.mu.Lock()
	if sent {
		e.passLocked(j)
		e.wakeLocked()
	}
	e.mu.Unlock()
	return sent
}

// commit renders the job's message (once: a retry sends the same Message-ID) and records
// the attempt. The attempt is on disk before the first byte goes out, so that a crash at any
// point leaves either no attempt (never sent) or an attempt without outcome (unknown), never
// a message sent twice. On failure the job goes back and the run stops.
func (e *engine) commit(j *job) bool {
	it := j.item
	if j.msg == nil {
		msg, err := e.plan.Render(it)
		if err != nil {
			e.putBack(j, fmt.Sprintf("render the message of row %d: %v", it.Row, err))
			return false
		}
		if e.opt.TestTo != nil {
			msg.To, msg.Cc, msg.Bcc = []message.Address{*e.opt.TestTo}, nil, nil
			msg.Subject = "[TEST] " + msg.Subject
		}
		j.msg = msg
	}
	attempt := e.record(j)
	attempt.Time = time.Now()
	err := e.log.Attempt(attempt)
	e.mu.Lock()
	average(&e.commitAvg, time.Since(attempt.Time))
	e.mu.Unlock()
	if err != nil {
		e.putBack(j, fmt.Sprintf("record the attempt for row %d in the delivery log %s: %v", it.Row, e.opt.LogPath, err))
		return false
	}
	return true
}

// record starts a log record for j. It names the envelope as sent: for a test, the tester;
// the key still names the recipient whose message it was.
func (e *engine) record(j *job) deliverylog.Record {
	return deliverylog.Record{
		Campaign: e.plan.Campaign, Key: j.item.Key, Row: j.item.Row, Run: e.runID,
		To: addrs(j.msg.To), Cc: addrs(j.msg.Cc), Bcc: addrs(j.msg.Bcc),
		MessageID: j.msg.MessageID, Test: e.opt.TestTo != nil,
	}
}

// abandon records that a job whose attempt is logged was not sent after all.
func (e *engine) abandon(j *job, why string) {
	rec := e.record(j)
	rec.Time = time.Now()
	rec.Status, rec.Error = deliverylog.StatusNotSent, why
	err := e.log.Outcome(rec)
	e.mu.Lock()
	e.notSent++
	e.passLocked(j)
	stop := ""
	if err != nil {
		stop = fmt.Sprintf("record the outcome for row %d in the delivery log %s: %v", j.item.Row, e.opt.LogPath, err)
	}
	e.finishLocked(nil, stop)
	e.mu.Unlock()
}

// worker sends over one connection what the preparers hand it. sender may be nil: the
// worker then connects when it has something to send.
func (e *engine) worker(ctx context.Context, sender *mail.Sender) {
	defer func() {
		if sender != nil {
			e.hangUp(sender)
		}
		e.mu.Lock()
		e.workers--
		if e.workers == 0 && !e.drained && ctx.Err() == nil {
			// Jobs may still come: nobody is left to send them.
			why := "no connection to the SMTP server is left"
			if e.lost != "" {
				why = "the connection broke and could not be made again: " + e.lost
			}
			e.stopLocked(why)
			e.wakeLocked()
		}
		e.mu.Unlock()
	}()
	if sender == nil {
		return
	}
	for j := range e.ready {
		if why := e.stoppedWhy(); why != "" {
			e.abandon(j, "the run stopped: "+why)
			continue
		}
		if ctx.Err() != nil {
			e.abandon(j, "interrupted")
			continue
		}
		if sender == nil {
			var why string
			if sender, why = e.dial(ctx, false); sender == nil {
				if why == "" {
					why = "interrupted"
				} else {
					e.mu.Lock()
					e.lost = why
					e.mu.Unlock()
				}
				e.abandon(j, why)
				return
			}
		}
		if e.deliver(j, sender) {
			e.hangUp(sender)
			sender = nil
		}
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
	start := time.Now()
	out := sender.Send(context.Background(), msg)
	took := time.Since(start)

	rec := e.record(j)
	rec.Time = time.Now()
	rec.Code, rec.Enhanced, rec.Reply = out.Code, out.Enhanced, out.Reply
	if out.Err != nil {
		rec.Error = out.Err.Error()
	}
	detail := describe(out)
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
	average(&e.sendAvg, took)
	switch {
	case out.Status == mail.PermFailure && strings.HasPrefix(out.Enhanced, "5.7."):
		e.policy57++
		if e.policy57 >= policyStreak && stopWhy == "" {
			stopWhy = fmt.Sprintf("%d messages in a row were refused for policy reasons, the last with %s: the server refuses this sender", e.policy57, detail)
		}
	case out.Status == mail.Delivered || out.Status == mail.PermFailure:
		e.policy57 = 0
	}
	if logErr != nil && stopWhy == "" {
		stopWhy = fmt.Sprintf("record the outcome for row %d in the delivery log %s: %v", it.Row, e.opt.LogPath, logErr)
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
	return out.Redial
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
