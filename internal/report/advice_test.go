package report_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/send"
)

// A permanent 5.1.1 failure advises correcting the address. Correcting the To address
// makes a new recipient (the key is the To addresses), which --only-failed never sends:
// the advice must lead to a delivery when followed to the letter.
func TestFollowingTheAdviceForABadAddress(t *testing.T) {
	in := campaign(t, "Email,Name\nana@a.test,Ana\nbob@typo.test,Bob\n")
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnRcpt("bob@typo.test", mailtest.Step{Reply: &mailtest.Reply{Code: 550, Enhanced: "5.1.1", Text: "<bob@typo.test>: user unknown"}})
	opt := send.Options{
		LogPath:     run.LogPath(in),
		SMTP:        mail.Config{Host: srv.Host, Port: srv.Port, TLS: mail.NoTLS, HELO: "client.test", Timeout: 20 * time.Second},
		Connections: 1, Rate: rate.Inf, Retries: 0, RetryWait: time.Millisecond,
	}
	if _, err := send.Run(context.Background(), prepare(t, in), opt); err != nil {
		t.Fatal(err)
	}
	r := load(t, prepare(t, in), run.LogPath(in))
	advice := r.Recipients[1].Action
	if !strings.Contains(advice, "correct the address") {
		t.Fatalf("row 3: got action %q, want advice to correct the address", advice)
	}
	// The user does as told: corrects the address, then runs herald send --only-failed.
	if err := os.WriteFile(in.Contacts, []byte("Email,Name\nana@a.test,Ana\nbob@right.test,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opt.OnlyFailed = strings.Contains(advice, "--only-failed")
	if _, err := send.Run(context.Background(), prepare(t, in), opt); err != nil {
		t.Fatal(err)
	}
	r = load(t, prepare(t, in), run.LogPath(in))
	if got := r.Recipients[1]; got.Status != report.Delivered {
		t.Errorf("after following %q: row 3 is %s (action %q); want delivered", advice, got.Status, got.Action)
	}
}
