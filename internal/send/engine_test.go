package send_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/send"
)

// TestSendDeliversOnce sends a small campaign, checks what the server got and what the log
// says, and that a second run sends nothing.
func TestSendDeliversOnce(t *testing.T) {
	in := campaignDir(t, "Email,Name,Cc,Bcc\n"+
		"Ana@A.test,Ana,,\n"+
		"bea@b.test,Bea,cc@b.test,hidden@b.test\n"+
		"cid@c.test,Cid,,\n")
	p := mustPrepare(t, in)
	srv := mailtest.Start(t, mailtest.Options{})
	opt := options(srv, in)

	res := mustSend(t, p, opt)
	if res.Delivered != 3 || res.Failed != 0 || len(res.Unknown) != 0 || res.Pending != 0 || res.Stopped != "" || res.Cancelled {
		t.Fatalf("result = %+v, want 3 delivered and nothing else", res)
	}
	if n := srv.Sessions(); n != 1 {
		t.Errorf("server saw %d sessions, want 1 connection for the run", n)
	}

	recs := readLog(t, opt.LogPath)
	if len(recs) != 6 {
		t.Fatalf("log has %d records, want 6 (attempt and outcome for each of 3)", len(recs))
	}
	byKey := map[string][]deliverylog.Record{}
	for _, r := range recs {
		byKey[r.Key] = append(byKey[r.Key], r)
	}
	wantRows := map[string]int{"ana@a.test": 2, "bea@b.test": 3, "cid@c.test": 4}
	for key, row := range wantRows {
		rs := byKey[key]
		if len(rs) != 2 || rs[0].Type != deliverylog.TypeAttempt || rs[1].Type != deliverylog.TypeOutcome {
			t.Errorf("%s: records %+v, want an attempt then an outcome", key, rs)
			continue
		}
		a, o := rs[0], rs[1]
		if a.Row != row || a.Campaign != "conference" || a.Run == "" || a.Run != o.Run || a.Test {
			t.Errorf("attempt %+v: want row %d of campaign conference with a run id", a, row)
		}
		if o.Status != deliverylog.StatusDelivered || o.Code != 250 || !strings.HasPrefix(o.Reply, "250 ") {
			t.Errorf("outcome for %s: status %q code %d reply %q, want delivered 250", key, o.Status, o.Code, o.Reply)
		}
		if a.MessageID == "" || o.MessageID != a.MessageID {
			t.Errorf("%s: Message-ID %q in the attempt, %q in the outcome", key, a.MessageID, o.MessageID)
		}
		if n := srv.Count(a.MessageID); n != 1 {
			t.Errorf("%s: server kept %d copies of <%s>, want 1", key, n, a.MessageID)
		}
	}
	bea := byKey["bea@b.test"][0]
	if !slices.Equal(bea.To, []string{"bea@b.test"}) || !slices.Equal(bea.Cc, []string{"cc@b.test"}) || !slices.Equal(bea.Bcc, []string{"hidden@b.test"}) {
		t.Errorf("attempt for bea: to %q cc %q bcc %q", bea.To, bea.Cc, bea.Bcc)
	}

	// Bcc: in the envelope, nowhere in the message.
	for _, m := range srv.Messages() {
		if m.MessageID != bea.MessageID {
			continue
		}
		if !slices.Equal(m.To, []string{"bea@b.test", "cc@b.test", "hidden@b.test"}) {
			t.Errorf("RCPT TO for bea = %q, want To, Cc and Bcc", m.To)
		}
		if strings.Contains(strings.ToLower(string(m.Data)), "hidden@b.test") {
			t.Errorf("the Bcc address appears in the message:\n%s", m.Data)
		}
	}

	// Again: everyone has the message.
	res = mustSend(t, mustPrepare(t, in), opt)
	if len(res.Selection.Selected) != 0 || res.Selection.Delivered != 3 || res.Delivered != 0 {
		t.Errorf("second run: selected %d, skipped as delivered %d, delivered %d; want 0, 3, 0", len(res.Selection.Selected), res.Selection.Delivered, res.Delivered)
	}
	if n := srv.Total(); n != 3 {
		t.Errorf("server kept %d messages after two runs, want 3", n)
	}
}

// TestSendRetriesWithBackoff has one recipient greylisted twice: its retries wait at least
// the doubling backoff, and the rest of the run goes on meanwhile.
func TestSendRetriesWithBackoff(t *testing.T) {
	in := campaignDir(t, recipientRows(3))
	p := mustPrepare(t, in)
	srv := mailtest.Start(t, mailtest.Options{})
	greylist := mailtest.Step{Reply: &mailtest.Reply{Code: 451, Enhanced: "4.7.1", Text: "greylisted, try again later"}}
	srv.OnRcpt("r1@n1.test", greylist, greylist)
	opt := options(srv, in)
	opt.Retries = 3
	opt.RetryWait = 50 * time.Millisecond

	res := mustSend(t, p, opt)
	if res.Delivered != 3 || res.Failed != 0 {
		t.Fatalf("result: %d delivered, %d failed; want 3, 0", res.Delivered, res.Failed)
	}
	var tries []time.Time
	var order []string
	for _, r := range readLog(t, opt.LogPath) {
		if r.Type == deliverylog.TypeAttempt {
			order = append(order, r.Key)
			if r.Key == "r1@n1.test" {
				tries = append(tries, r.Time)
			}
		}
	}
	if len(tries) != 3 {
		t.Fatalf("r1 was attempted %d times, want 3", len(tries))
	}
	// Waits can only be longer than asked on a busy machine, never shorter.
	for i, min := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond} {
		if d := tries[i+1].Sub(tries[i]); d < min {
			t.Errorf("retry %d came %v after the try before, want at least %v", i+1, d, min)
		}
	}
	var r1 []int
	for i, k := range order {
		if k == "r1@n1.test" {
			r1 = append(r1, i)
		}
	}
	if len(r1) != 3 || r1[1] < slices.Index(order, "r2@n2.test") || r1[1] < slices.Index(order, "r3@n3.test") {
		t.Errorf("attempts in order %q, want r2 and r3 sent while r1 waits for its retry", order)
	}
	if n := copies(srv)["r1@n1.test"]; n != 1 {
		t.Errorf("r1 received %d copies, want 1", n)
	}
}

// TestSendCancelInFlight cancels the run while the server holds the reply to the third
// message: that message is finished and recorded, the rest stays pending, and the next run
// sends exactly the rest.
func TestSendCancelInFlight(t *testing.T) {
	in := campaignDir(t, recipientRows(6))
	srv := mailtest.Start(t, mailtest.Options{})
	arrived := make(chan struct{})
	srv.OnData(mailtest.Step{}, mailtest.Step{}, mailtest.Step{Arrived: arrived, Delay: 200 * time.Millisecond})
	opt := options(srv, in)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	res, err := send.Run(ctx, mustPrepare(t, in), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.Delivered != 3 || res.Pending != 3 || res.Failed != 0 || len(res.Unknown) != 0 {
		t.Fatalf("result = %+v, want cancelled with 3 delivered (the third was on the wire) and 3 pending", res)
	}
	// Nothing after the message on the wire has an attempt.
	delivered := 0
	for k, s := range deliverylog.Fold(readLog(t, opt.LogPath), "conference") {
		switch {
		case s.Status == deliverylog.StatusDelivered:
			delivered++
		case s.Status == deliverylog.StatusPending && s.Attempts == 0:
		default:
			t.Errorf("%s is %s (%s) in the log, want delivered or not sent", k, s.Status, s.Error)
		}
	}
	if delivered != 3 {
		t.Errorf("log has %d delivered, want 3", delivered)
	}

	left := res.Pending
	res = mustSend(t, mustPrepare(t, in), opt)
	if res.Delivered != left || len(res.Selection.Selected) != left {
		t.Errorf("second run selected %d and delivered %d, want the %d left", len(res.Selection.Selected), res.Delivered, left)
	}
	for i := 1; i <= 6; i++ {
		if n := copies(srv)[fmt.Sprintf("r%d@n%d.test", i, i)]; n != 1 {
			t.Errorf("r%d received %d copies, want 1", i, n)
		}
	}
}

// TestSendCannotConnect: a temporary connection failure is retried with backoff, then the
// run stops with everything pending and nothing in the log.
func TestSendCannotConnect(t *testing.T) {
	in := campaignDir(t, recipientRows(2))
	srv := mailtest.Start(t, mailtest.Options{})
	opt := options(srv, in)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opt.SMTP.Port = l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now: connection refused
	var retries int
	opt.Progress = func(p send.Progress) {
		if p.Outcome == "retry" {
			retries++
		}
	}
	res := mustSend(t, mustPrepare(t, in), opt)
	if !strings.Contains(res.Stopped, "gave up after 3 tries") || res.Pending != 2 || res.Delivered+res.Failed != 0 {
		t.Errorf("result = %+v, want stopped after 3 tries with 2 pending", res)
	}
	if retries != 2 {
		t.Errorf("%d retries reported, want 2", retries)
	}
	if _, err := os.Stat(opt.LogPath); err == nil {
		t.Errorf("a log was made although nothing was attempted: %d records", len(readLog(t, opt.LogPath)))
	}
}

// TestSendRateNeverExceeded checks the side of the limiter that a loaded machine cannot
// disturb: messages never go out faster than the rate, over one connection or several.
// (How closely the rate is reached is measured by BenchmarkRate.)
func TestSendRateNeverExceeded(t *testing.T) {
	for _, conns := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d connections", conns), func(t *testing.T) {
			const n, perSecond = 26, 100
			in := campaignDir(t, recipientRows(n))
			srv := mailtest.Start(t, mailtest.Options{Discard: true})
			opt := options(srv, in)
			opt.Rate, opt.Connections = rate.Limit(perSecond), conns
			start := time.Now()
			res := mustSend(t, mustPrepare(t, in), opt)
			elapsed := time.Since(start)
			if res.Delivered != n {
				t.Fatalf("delivered %d, want %d", res.Delivered, n)
			}
			// The first message goes at once, then one every 1/rate.
			min := time.Duration(float64(n-1) / perSecond * float64(time.Second))
			if elapsed < min*98/100 {
				t.Errorf("%d messages at %d/s took %v, want at least %v", n, perSecond, elapsed, min)
			}
		})
	}
}

// TestSendSelection covers the options that choose what a run sends, on a log prepared by
// hand.
func TestSendSelection(t *testing.T) {
	in := campaignDir(t, recipientRows(7))
	p := mustPrepare(t, in)
	srv := mailtest.Start(t, mailtest.Options{})
	opt := options(srv, in)
	log, err := deliverylog.Open(opt.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key, status, failure string, errText ...string) {
		r := deliverylog.Record{Campaign: "conference", Key: key, To: []string{key}, MessageID: "old." + key}
		if err := log.Attempt(r); err != nil {
			t.Fatal(err)
		}
		if status == "" {
			return // a crash after the attempt
		}
		r.Status, r.Failure = status, failure
		if len(errText) > 0 {
			r.Error = errText[0]
		}
		if err := log.Outcome(r); err != nil {
			t.Fatal(err)
		}
	}
	put("r1@n1.test", deliverylog.StatusDelivered, "")
	put("r2@n2.test", deliverylog.StatusFailed, deliverylog.FailurePermanent)
	put("r3@n3.test", deliverylog.StatusFailed, deliverylog.FailureTemporary)
	put("r4@n4.test", "", "")
	// Prepared, then the run stopped before it went out: pending.
	put("r7@n7.test", deliverylog.StatusNotSent, "", "interrupted")
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}

	keys := func(sp *send.Selection) []string {
		var k []string
		for _, it := range sp.Selected {
			k = append(k, it.Key)
		}
		return k
	}
	tests := []struct {
		name      string
		change    func(*send.Options)
		want      []string
		neverSent int // pending recipients left out: the summary must not let them be forgotten
	}{
		{"plain", func(*send.Options) {}, []string{"r5@n5.test", "r6@n6.test", "r7@n7.test"}, 0},
		{"only failed", func(o *send.Options) { o.OnlyFailed = true }, []string{"r2@n2.test", "r3@n3.test"}, 3},
		{"only failed and unknown", func(o *send.Options) { o.OnlyFailed, o.ResendUnknown = true, true }, []string{"r2@n2.test", "r3@n3.test", "r4@n4.test"}, 3},
		{"resend unknown", func(o *send.Options) { o.ResendUnknown = true }, []string{"r4@n4.test", "r5@n5.test", "r6@n6.test", "r7@n7.test"}, 0},
		{"limit", func(o *send.Options) { o.Limit = 1 }, []string{"r5@n5.test"}, 0},
		{"daily cap counts today's deliveries", func(o *send.Options) { o.DailyCap = 2 }, []string{"r5@n5.test"}, 0},
		{"daily cap reached", func(o *send.Options) { o.DailyCap = 1 }, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opt
			tt.change(&o)
			var got *send.Selection
			o.Confirm = func(sp *send.Selection) (bool, error) { got = sp; return false, nil }
			res := mustSend(t, p, o)
			if got == nil {
				got = res.Selection
			}
			if k := keys(got); !slices.Equal(k, tt.want) {
				t.Errorf("selected %q, want %q", k, tt.want)
			}
			if got.NeverSent != tt.neverSent {
				t.Errorf("never sent and not selected: %d, want %d", got.NeverSent, tt.neverSent)
			}
		})
	}
	if n := srv.Total(); n != 0 {
		t.Errorf("server received %d messages although every run was declined", n)
	}
}
