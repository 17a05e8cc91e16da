package run

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
)

// SendOptions are the settings of one send run.
type SendOptions struct {
	LogPath string
	Limit   int // at most this many messages in this run; 0 = all

	OnlyFailed    bool // send only to recipients whose last outcome was a failure
	ResendUnknown bool // also send to recipients whose outcome is unknown
	// TestTo, when set, receives every message instead of its recipients; such sends are
	// logged as tests and never count as delivered.
	TestTo *message.Address

	SMTP        mail.Config
	Connections int
	Rate        rate.Limit // messages a second across all connections; rate.Inf for none
	DailyCap    int        // messages delivered in any 24 hours, counted from the log; 0 for none
	Retries     int        // further tries of a temporary failure
	RetryWait   time.Duration

	// Confirm is shown the plan of the run and says whether to go on.
	Confirm func(*SendPlan) (bool, error)
	// Progress hears of each message as it is done.
	Progress func(Progress)
}

// SendPlan says what a run is about to do, for the user to confirm.
type SendPlan struct {
	Campaign   string
	LogPath    string
	Selected   []*Item
	Delivered  int // already delivered in this campaign: skipped
	Failed     int // failed before and not selected (see --only-failed)
	Unknown    int // outcome unknown and not selected (see --resend-unknown)
	Server     string
	Sender     string
	Rate       rate.Limit
	Estimate   time.Duration
	Test       bool
	TestTo     string
	OverDaily  int // selected messages beyond the daily cap, left for later
	OnlyFailed bool
}

// Progress is the news of one message.
type Progress struct {
	Item    *Item
	Outcome string // delivered, failed, unknown, retry
	Detail  string
	Done    int // messages finished so far
	Total   int
}

// SendResult is what a run did.
type SendResult struct {
	Plan      *SendPlan
	Delivered int
	Failed    int
	Unknown   []UnknownMessage
	Pending   int    // selected but not sent: stopped, interrupted or over the cap
	Stopped   string // why the run stopped early, "" if it did not
	Cancelled bool   // the user asked it to stop
	Declined  bool   // the user answered no
}

// UnknownMessage is a message that may or may not have reached the server.
type UnknownMessage struct {
	Row       int
	To        string
	MessageID string
	Detail    string
}

// LogPath is where a campaign's delivery log lives unless --log says otherwise: beside the
// workbook (in the current folder for the built-in sample).
func LogPath(in Inputs) string {
	dir := "."
	if in.Contacts != "" {
		dir = filepath.Dir(in.Contacts)
	}
	return filepath.Join(dir, LogFileName(CampaignName(in)))
}

var unsafeFileChars = regexp.MustCompile(`[^\p{L}\p{N}._-]+`)

// LogFileName is the file name of a campaign's log.
func LogFileName(campaign string) string {
	return unsafeFileChars.ReplaceAllString(campaign, "_") + ".delivery.jsonl"
}

// Send delivers the plan's messages to the recipients that have no outcome yet (or as
// selected by the options), logging each attempt before it is made and each outcome after.
func Send(ctx context.Context, p *Plan, opt SendOptions) (*SendResult, error) {
	log, err := deliverylog.Open(opt.LogPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()

	sp := p.selectForSend(log, opt)
	res := &SendResult{Plan: sp}
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

func (p *Plan) selectForSend(log *deliverylog.Log, opt SendOptions) *SendPlan {
	states := log.States(p.Campaign)
	sp := &SendPlan{
		Campaign: p.Campaign, LogPath: opt.LogPath, Rate: opt.Rate,
		Server: fmt.Sprintf("%s:%d (%s)", opt.SMTP.Host, opt.SMTP.Port, opt.SMTP.TLS), OnlyFailed: opt.OnlyFailed,
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
			if !opt.OnlyFailed {
				sp.Selected = append(sp.Selected, it)
			}
		}
	}
	if opt.Limit > 0 && len(sp.Selected) > opt.Limit {
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
		if from, err := p.senderOf(sp.Selected[0]); err == nil {
			sp.Sender = from
		}
	}
	sp.Estimate = estimate(len(sp.Selected), opt.Rate)
	return sp
}

func (p *Plan) senderOf(it *Item) (string, error) {
	msg, err := p.Render(it)
	if err != nil {
		return "", err
	}
	return msg.From.String(), nil
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
	item      *Item
	msg       *message.Message
	tries     int
	notBefore time.Time
}

// engine sends the selected messages over opt.Connections connections, sharing one rate
// limiter, one log and one queue with delayed retries.
type engine struct {
	plan  *Plan
	log   *deliverylog.Log
	opt   SendOptions
	res   *SendResult
	runID string

	mu        sync.Mutex
	fresh     []*Item
	retries   []*job
	inFlight  int
	done      int
	stopped   string
	changed   chan struct{}
	policy57  int // consecutive 5.7.x rejections: a policy problem of the sender, not the recipients
	limiter   *rate.Limiter
	cancelled bool
}

func (e *engine) run(ctx context.Context) {
	e.fresh = append([]*Item(nil), e.res.Plan.Selected...)
	e.changed = make(chan struct{})
	// A burst of 1 spaces messages evenly, which is what servers that count per minute
	// expect; a larger burst would send a minute's worth at once.
	e.limiter = rate.NewLimiter(e.opt.Rate, 1)
	conns := max(e.opt.Connections, 1)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.worker(ctx)
		}()
	}
	wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.res.Pending = len(e.fresh)
	// A retry still waiting has its temporary failure logged already.
	e.res.Failed += len(e.retries)
	e.res.Stopped = e.stopped
	e.res.Cancelled = ctx.Err() != nil
}

// next returns the next job: a retry that is due, else a fresh message, else waits for a
// retry to become due. It returns nil when there is nothing left or the run must stop.
func (e *engine) next(ctx context.Context) *job {
	e.mu.Lock()
	for {
		if e.stopped != "" || ctx.Err() != nil {
			e.mu.Unlock()
			return nil
		}
		now := time.Now()
		earliest := time.Time{}
		for i, j := range e.retries {
			if !j.notBefore.After(now) {
				e.retries = append(e.retries[:i], e.retries[i+1:]...)
				e.inFlight++
				e.mu.Unlock()
				return j
			}
			if earliest.IsZero() || j.notBefore.Before(earliest) {
				earliest = j.notBefore
			}
		}
		if len(e.fresh) > 0 {
			it := e.fresh[0]
			e.fresh = e.fresh[1:]
			e.inFlight++
			e.mu.Unlock()
			return &job{item: it}
		}
		if earliest.IsZero() && e.inFlight == 0 {
			e.mu.Unlock()
			return nil
		}
		changed := e.changed
		e.mu.Unlock()
		var wait <-chan time.Time
		if !earliest.IsZero() {
			t := time.NewTimer(time.Until(earliest))
			defer t.Stop()
			wait = t.C
		}
		select {
		case <-changed:
		case <-wait:
		case <-ctx.Done():
		}
		e.mu.Lock()
	}
}

// finish records that a job left the queue, and wakes the workers waiting on it.
func (e *engine) finish(retry *job, stop string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inFlight--
	if retry != nil {
		e.retries = append(e.retries, retry)
	}
	if stop != "" && e.stopped == "" {
		e.stopped = stop
	}
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *engine) worker(ctx context.Context) {
	var sender *mail.Sender
	defer func() {
		if sender != nil {
			sender.Close()
		}
	}()
	for {
		j := e.next(ctx)
		if j == nil {
			return
		}
		if err := e.limiter.Wait(ctx); err != nil {
			e.requeueFresh(j)
			return
		}
		if sender == nil {
			s, err := mail.Dial(ctx, e.opt.SMTP)
			if err != nil {
				if ctx.Err() != nil {
					e.requeueFresh(j)
					return
				}
				var de *mail.DialError
				if errors.As(err, &de) && de.Status != mail.Stop && j.tries < e.opt.Retries {
					j.tries++
					j.notBefore = time.Now().Add(e.backoff(j.tries))
					e.progress(j.item, "retry", err.Error())
					e.finish(j, "")
					continue
				}
				e.requeueFresh(j)
				e.finish(nil, err.Error())
				return
			}
			sender = s
		}
		stop, redial := e.deliver(j, sender)
		if redial {
			sender.Close()
			sender = nil
		}
		if stop != "" {
			return
		}
	}
}

// requeueFresh puts back a job that was never tried, so it stays pending.
func (e *engine) requeueFresh(j *job) {
	e.mu.Lock()
	if j.tries == 0 {
		e.fresh = append([]*Item{j.item}, e.fresh...)
	} else {
		e.retries = append(e.retries, j)
	}
	e.mu.Unlock()
	e.finish(nil, "")
}

// deliver sends one message and logs it: the attempt is on disk before the first byte goes
// out, so that a crash at any point leaves either no attempt (never sent) or an attempt
// without outcome (unknown), never a message sent twice.
func (e *engine) deliver(j *job, sender *mail.Sender) (stop string, redial bool) {
	it := j.item
	if j.msg == nil {
		msg, err := e.plan.Render(it)
		if err != nil {
			e.finish(nil, fmt.Sprintf("render row %d: %v", it.Row, err))
			return "render", false
		}
		if e.opt.TestTo != nil {
			msg.To, msg.Cc, msg.Bcc = []message.Address{*e.opt.TestTo}, nil, nil
			msg.Subject = "[TEST] " + msg.Subject
		}
		j.msg = msg
	}
	msg := j.msg
	base := deliverylog.Record{
		Campaign: e.plan.Campaign, Key: it.Key, Row: it.Row, Run: e.runID,
		To: addrs(it.To), Cc: addrs(it.Cc), Bcc: addrs(it.Bcc),
		MessageID: msg.MessageID, Test: e.opt.TestTo != nil,
	}
	attempt := base
	attempt.Type = deliverylog.TypeAttempt
	attempt.Time = time.Now()
	if err := e.log.Attempt(attempt); err != nil {
		e.finish(nil, fmt.Sprintf("write delivery log %s: %v", e.opt.LogPath, err))
		return "log", false
	}

	// The message in flight is finished even after Ctrl-C: abandoning it half-way would
	// only turn a clean outcome into an unknown one.
	out := sender.Send(context.Background(), msg)

	rec := base
	rec.Type = deliverylog.TypeOutcome
	rec.Time = time.Now()
	rec.Code, rec.Enhanced, rec.Reply = out.Code, out.Enhanced, out.Reply
	if out.Err != nil {
		rec.Error = out.Err.Error()
	}
	var retry *job
	var outcome string
	switch out.Status {
	case mail.Delivered:
		rec.Status, outcome = deliverylog.StatusDelivered, "delivered"
		e.policy57 = 0
	case mail.TempFailure:
		rec.Status, rec.Failure, outcome = deliverylog.StatusFailed, deliverylog.FailureTemporary, "failed"
		if j.tries < e.opt.Retries {
			j.tries++
			j.notBefore = time.Now().Add(e.backoff(j.tries))
			retry, outcome = j, "retry"
		}
	case mail.PermFailure:
		rec.Status, rec.Failure, outcome = deliverylog.StatusFailed, deliverylog.FailurePermanent, "failed"
		if strings.HasPrefix(out.Enhanced, "5.7.") {
			e.policy57++
		} else {
			e.policy57 = 0
		}
	case mail.Unknown:
		rec.Status, outcome = deliverylog.StatusUnknown, "unknown"
	case mail.Stop:
		// The server refuses the sender, not this recipient: the message counts as never
		// sent, so a later plain send picks it up.
		rec.Status, outcome = deliverylog.StatusSkipped, "stopped"
		stop = "the server refused to accept mail from this sender: " + describe(out)
	}
	if err := e.log.Outcome(rec); err != nil {
		e.finish(nil, fmt.Sprintf("write delivery log %s: %v", e.opt.LogPath, err))
		return "log", out.Redial
	}
	if e.policy57 >= 3 && stop == "" {
		stop = fmt.Sprintf("%d messages in a row were refused for policy reasons (%s): the server refuses this sender", e.policy57, describe(out))
	}

	e.mu.Lock()
	switch outcome {
	case "delivered":
		e.res.Delivered++
	case "failed":
		e.res.Failed++
	case "unknown":
		e.res.Unknown = append(e.res.Unknown, UnknownMessage{Row: it.Row, To: strings.Join(addrs(msg.To), ", "), MessageID: msg.MessageID, Detail: describe(out)})
	case "stopped":
		e.fresh = append([]*Item{it}, e.fresh...)
	}
	if outcome != "retry" && outcome != "stopped" {
		e.done++
	}
	e.mu.Unlock()
	e.progress(it, outcome, describe(out))
	e.finish(retry, stop)
	return stop, out.Redial
}

func (e *engine) progress(it *Item, outcome, detail string) {
	if e.opt.Progress == nil {
		return
	}
	e.mu.Lock()
	p := Progress{Item: it, Outcome: outcome, Detail: detail, Done: e.done, Total: len(e.res.Plan.Selected)}
	e.mu.Unlock()
	e.opt.Progress(p)
}

// backoff doubles the wait with each try and adds up to 25% jitter, so that several
// messages greylisted together do not come back together.
func (e *engine) backoff(try int) time.Duration {
	d := e.opt.RetryWait << (try - 1)
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

func describe(out mail.Outcome) string {
	var parts []string
	if out.Code != 0 {
		parts = append(parts, fmt.Sprint(out.Code))
	}
	if out.Enhanced != "" {
		parts = append(parts, out.Enhanced)
	}
	if out.Reply != "" {
		parts = append(parts, out.Reply)
	} else if out.Err != nil {
		parts = append(parts, out.Err.Error())
	}
	return strings.Join(parts, " ")
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
