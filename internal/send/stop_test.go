package send_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/send"
)

func step550(enhanced, text string) mailtest.Step {
	return mailtest.Step{Reply: &mailtest.Reply{Code: 550, Enhanced: enhanced, Text: text}}
}

// TestSendStopIsPrompt: when the server stops the run (a quota reply), the run ends
// promptly, not once every preparer queued in the rate limiter has had its turn
// (regression: the limiter's waits heard only Ctrl-C, not the run stopping).
func TestSendStopIsPrompt(t *testing.T) {
	const perSecond = 2 // one message every 500 ms
	in := campaignDir(t, recipientRows(30))
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnMail(mailtest.Step{}, mailtest.Step{}, mailtest.Step{}, step550("5.4.5", "Daily user sending quota exceeded"))
	opt := options(srv, in)
	opt.Rate = perSecond
	opt.Connections = 5 // a preparer per connection: four wait for their tokens at the stop
	var stopped time.Time
	var mu sync.Mutex
	opt.Progress = func(p send.Progress) {
		if p.Outcome == "failed" {
			mu.Lock()
			stopped = time.Now()
			mu.Unlock()
		}
	}
	res := mustSend(t, mustPrepare(t, in), opt)
	end := time.Now()
	if res.Stopped == "" || res.Delivered != 3 || res.Failed != 1 {
		t.Fatalf("result %+v, want stopped after 3 delivered and 1 failed", res)
	}
	if !strings.Contains(res.Stopped, "5.4.5") {
		t.Errorf("stopped because %q, want the quota reply", res.Stopped)
	}
	mu.Lock()
	took := end.Sub(stopped)
	mu.Unlock()
	// One rate interval leaves room for a loaded machine; the bug waited one interval per
	// preparer queued in the limiter (two seconds here).
	if limit := time.Second / perSecond; took > limit {
		t.Errorf("the run ended %v after the stopping reply, want under %v", took.Round(time.Millisecond), limit)
	}
}

// TestSendRedialFailureReason: the only connection breaks after a delivery and cannot be
// made again. The run stops, and the summary says why (what dialling said), not only that
// no connection is left.
func TestSendRedialFailureReason(t *testing.T) {
	in := campaignDir(t, recipientRows(3))
	srv := mailtest.Start(t, mailtest.Options{})
	srv.FailReset(1)
	opt := options(srv, in)
	opt.Retries = 0
	opt.SMTP.Port = mailtest.FirstConnectionOnly(t, srv.Addr)
	res := mustSend(t, mustPrepare(t, in), opt)
	if res.Delivered != 1 || res.Pending != 2 {
		t.Fatalf("result %+v, want 1 delivered and 2 pending", res)
	}
	if !strings.Contains(res.Stopped, "could not be made again: connect to SMTP server") {
		t.Errorf("stopped because %q, want the reason the redial failed", res.Stopped)
	}
}
