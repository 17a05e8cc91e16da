package send_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/send"
)

// A server name that does not exist stops the run at once instead of being retried like a
// server that is down for a moment. The .invalid domain never resolves (RFC 2606).
func TestSendUnknownHostStopsAtOnce(t *testing.T) {
	in := campaignDir(t, recipientRows(2))
	opt := send.Options{
		LogPath:     t.TempDir() + "/dns.jsonl",
		SMTP:        mail.Config{Host: "no-such-server.herald.invalid", Port: 587, TLS: mail.NoTLS, Timeout: 5 * time.Second},
		Connections: 1, Rate: rate.Inf, Retries: 3, RetryWait: 50 * time.Millisecond,
	}
	res, err := send.Run(context.Background(), mustPrepare(t, in), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Stopped, "no such host") {
		t.Skipf("this machine's resolver does not answer no such host for .invalid: %q", res.Stopped)
	}
	if strings.Contains(res.Stopped, "gave up after") || !strings.Contains(res.Stopped, "check --smtp-host") {
		t.Errorf("stopped: %q; want a stop at the first try with a hint about --smtp-host", res.Stopped)
	}
	if res.Pending != 2 || res.Delivered != 0 {
		t.Errorf("result %+v, want both pending", res)
	}
}
