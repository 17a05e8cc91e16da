package report_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/send"
)

// plainTemplate is a template with nothing but text: the report is about sending.
const plainTemplate = "Subject: Conference {{.Name}}\nFrom: Secretariat <secretariat@conference.example.org>\n\nDear {{.Name}},\n\nsee you in Geneva.\n"

// outcomesCSV has a row for every state a recipient can be in after the run of
// sendEveryOutcome, and a row repeating another's recipient. The Note column holds values a
// spreadsheet would run as formulas.
const outcomesCSV = `Email,Name,Cc,Note
ok1@a.test,Ana,desk@a.test,"=HYPERLINK(""http://evil.invalid"")"
perm@b.test,Bea,,+221 33 000
temp@c.test,Carl,,-1
bad@@d.test,Dora,,@SUM(A1)
hang@e.test,Emil,,plain
ok2@f.test,Fay,,
OK1@A.test,Ana again,,
later@g.test,Gus,,
`

// campaign writes the workbook and the plain template into a fresh folder and returns
// the inputs that name them; the campaign is called "conference".
func campaign(t testing.TB, csv string) run.Inputs {
	t.Helper()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "conference")
	if err := os.Mkdir(tmpl, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmpl, "message.md"), []byte(plainTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	contacts := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(contacts, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	return run.Inputs{Contacts: contacts, Template: tmpl, SkipInvalid: true}
}

func prepare(t testing.TB, in run.Inputs) *plan.Plan {
	t.Helper()
	p, err := run.Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if err := p.Ready(true); err != nil {
		t.Fatalf("Ready: %v (problems: %v)", err, p.Problems)
	}
	return p
}

// sendEveryOutcome sends outcomesCSV through a real SMTP server that refuses perm@b.test
// for good, greylists temp@c.test until the retries run out and hangs up after the message
// for hang@e.test; a limit leaves the last row pending and the invalid row is skipped.
// It takes three runs, so that the message the server hangs up on is known: which message
// reaches DATA first within a run is the engine's business.
func sendEveryOutcome(t testing.TB) (run.Inputs, *plan.Plan) {
	t.Helper()
	in := campaign(t, outcomesCSV)
	p := prepare(t, in)
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnRcpt("perm@b.test", mailtest.Step{Reply: &mailtest.Reply{Code: 550, Enhanced: "5.1.1", Text: "<perm@b.test>: user unknown"}})
	grey := mailtest.Step{Reply: &mailtest.Reply{Code: 451, Enhanced: "4.7.1", Text: "greylisted, try later"}}
	srv.OnRcpt("temp@c.test", grey, grey, grey)
	opt := send.Options{
		LogPath:     run.LogPath(in),
		SMTP:        mail.Config{Host: srv.Host, Port: srv.Port, TLS: mail.NoTLS, HELO: "client.test", Timeout: 20 * time.Second},
		Connections: 1,
		Rate:        rate.Inf,
		Retries:     2,
		RetryWait:   5 * time.Millisecond,
	}
	runs := []struct {
		limit                      int
		hangUp                     bool
		delivered, failed, unknown int
	}{
		{3, false, 1, 2, 0}, // rows 2, 3 and 4
		{1, true, 0, 0, 1},  // row 6
		{1, false, 1, 0, 0}, // row 7, leaving row 9
	}
	for i, r := range runs {
		if r.hangUp {
			srv.OnData(mailtest.Step{NoReply: true, HangUp: true})
		}
		opt.Limit = r.limit
		res, err := send.Run(context.Background(), p, opt)
		if err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
		if res.Delivered != r.delivered || res.Failed != r.failed || len(res.Unknown) != r.unknown {
			t.Fatalf("send %d: %d delivered, %d failed, %d unknown; want %d, %d, %d (stopped: %q)",
				i+1, res.Delivered, res.Failed, len(res.Unknown), r.delivered, r.failed, r.unknown, res.Stopped)
		}
	}
	return in, p
}

func load(t testing.TB, p *plan.Plan, logPath string) *report.Report {
	t.Helper()
	r, err := report.Load(p, logPath)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	r.Location = time.UTC
	return r
}
