package send_test

import (
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/send"
)

// TestSendRateAfterStall: the server holds one reply for a while. Messages must not take
// their tokens meanwhile and then go out back to back: in no one-second window may more
// than rate+1 messages finish (regression: with look-ahead, 25 to 29 did at 20/s).
func TestSendRateAfterStall(t *testing.T) {
	const perSecond, n = 20, 60
	in := campaignDir(t, recipientRows(n))
	srv := mailtest.Start(t, mailtest.Options{Discard: true})
	steps := make([]mailtest.Step, 15)
	steps = append(steps, mailtest.Step{Delay: 1500 * time.Millisecond})
	srv.OnData(steps...)
	opt := options(srv, in)
	opt.Rate = rate.Limit(perSecond)
	res := mustSend(t, mustPrepare(t, in), opt)
	if res.Delivered != n {
		t.Fatalf("delivered %d, want %d", res.Delivered, n)
	}
	var times []time.Time
	for _, r := range readLog(t, opt.LogPath) {
		if r.Type == deliverylog.TypeOutcome && r.Status == deliverylog.StatusDelivered {
			times = append(times, r.Time)
		}
	}
	worst, at := 0, time.Time{}
	for i := range times {
		k := i
		for k < len(times) && times[k].Sub(times[i]) < time.Second {
			k++
		}
		if k-i > worst {
			worst, at = k-i, times[i]
		}
	}
	if worst > perSecond+1 {
		t.Errorf("%d messages done within one second from %s, want at most %d at %d/s", worst, at.Format("15:04:05.000"), perSecond+1, perSecond)
	}
}

// TestSendRateZero: the zero value of send.Options.Rate means no limit (regression: the
// limiter gave one token, then none, and the rest stayed pending without a word); a
// negative rate is refused before anything is sent.
func TestSendRateZero(t *testing.T) {
	in := campaignDir(t, recipientRows(4))
	srv := mailtest.Start(t, mailtest.Options{})
	opt := options(srv, in)
	opt.Rate = 0
	res := mustSend(t, mustPrepare(t, in), opt)
	if res.Delivered != 4 || res.Pending != 0 || res.Stopped != "" {
		t.Errorf("rate 0: %+v, want 4 delivered", res)
	}
	if res.Selection.Rate != rate.Inf {
		t.Errorf("rate 0 is shown as %v, want no limit (rate.Inf)", res.Selection.Rate)
	}

	opt.Rate = -1
	if _, err := send.Run(t.Context(), mustPrepare(t, in), opt); err == nil {
		t.Errorf("a negative rate was accepted")
	}
	if n := srv.Total(); n != 4 {
		t.Errorf("server has %d messages, want 4", n)
	}
}
