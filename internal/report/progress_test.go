package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/screen"
	"github.com/mla-initiative/herald/internal/send"
)

// TestReportWhileSending makes the report while a real send holds one message and waits to
// retry another. It must say that a run is going, and by which process, show the message
// on the wire as being sent and the greylisted one as in the run's hands, and advise
// nothing that sends (regression: they read as failed and unknown, with advice to use
// --only-failed and --resend-unknown, which could mail them twice).
func TestReportWhileSending(t *testing.T) {
	in := campaign(t, "Email,Name\ngrey@a.test,Ana\nheld@b.test,Bea\nlater@c.test,Carl\n")
	p := prepare(t, in)
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnRcpt("grey@a.test", mailtest.Step{Reply: &mailtest.Reply{Code: 451, Enhanced: "4.7.1", Text: "greylisted"}})
	held := make(chan struct{})
	srv.OnData(mailtest.Step{Arrived: held, Delay: 500 * time.Millisecond})
	opt := send.Options{
		LogPath:     run.LogPath(in),
		SMTP:        mail.Config{Host: srv.Host, Port: srv.Port, TLS: mail.NoTLS, HELO: "client.test", Timeout: 20 * time.Second},
		Connections: 1, Rate: rate.Inf, Retries: 1, RetryWait: time.Minute,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := send.Run(ctx, p, opt)
		done <- err
	}()
	<-held

	r := load(t, p, opt.LogPath)
	if r.InProgress == nil || r.InProgress.PID != os.Getpid() || r.InProgress.Run == "" {
		t.Fatalf("InProgress = %+v, want this process (%d) and its run", r.InProgress, os.Getpid())
	}
	byTo := map[string]report.Recipient{}
	for _, rc := range r.Recipients {
		byTo[rc.To[0]] = rc
	}
	if rc := byTo["held@b.test"]; rc.Status != report.Unknown || !rc.InProgress || strings.Contains(rc.Action, "herald send --") {
		t.Errorf("message on the wire: %+v, want unknown, in progress, no advice to send", rc)
	}
	if rc := byTo["grey@a.test"]; rc.Status != report.Failed || !rc.InProgress || strings.Contains(rc.Action, "herald send --") {
		t.Errorf("message waiting for its retry: %+v, want failed, in progress, no advice to send", rc)
	}
	if rc := byTo["later@c.test"]; rc.Status != report.Pending || rc.InProgress || rc.Action != "wait for the herald send in progress to finish" {
		t.Errorf("message not sent yet: %+v, want pending, waiting for the run", rc)
	}
	var table, js bytes.Buffer
	if err := r.WriteTable(&table, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := table.String()
	for _, want := range []string{"A herald send is running on this log (process ", "  unknown        1   1 being sent now\n",
		"  failed         1   1 temporary, 0 permanent; 1 may be tried again by the run\n", "held@b.test", "sending", "being sent by the herald send in progress"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, never := range []string{"--only-failed", "--resend-unknown", "stopped while sending"} {
		if strings.Contains(out, never) {
			t.Errorf("table says %q while a run is going:\n%s", never, out)
		}
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(js.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	for _, obj := range list {
		want := obj["key"] != "later@c.test"
		if obj["in_progress"] != want {
			t.Errorf("JSON %v: in_progress %v, want %v", obj["key"], obj["in_progress"], want)
		}
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r = load(t, p, opt.LogPath)
	table.Reset()
	if err := r.WriteTable(&table, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if r.InProgress != nil || !strings.Contains(table.String(), "herald send --only-failed") || strings.Contains(table.String(), "is running") {
		t.Errorf("after the run: InProgress %+v, table:\n%s\nwant no run and the usual advice", r.InProgress, table.String())
	}
}

// TestTableWidth: rows fit the terminal's width, the table's by cutting the reply, and
// when even that is too wide, as a few lines per recipient; never is an address cut
// (regression: rows of 190 to 330 columns wrapped over three lines).
func TestTableWidth(t *testing.T) {
	in := campaign(t, "Email,Name,Cc\nministre.de.la.justice@justice.gouv.example,Ana,cabinet.du.ministre@justice.gouv.example\nbea@b.test,Bea,\n")
	p := prepare(t, in)
	long := "550 5.7.1 <ministre.de.la.justice@justice.gouv.example>: Recipient address rejected: " + strings.Repeat("the message was refused by the policy of this domain; ", 4)
	id := "4c1e9d20c4b7e3f1a2d5@conference.example.org"
	writeLog(t, run.LogPath(in),
		deliverylog.Record{Type: deliverylog.TypeAttempt, Campaign: "conference", Key: "ministre.de.la.justice@justice.gouv.example", Row: 2,
			To: []string{"ministre.de.la.justice@justice.gouv.example"}, Cc: []string{"cabinet.du.ministre@justice.gouv.example"}, MessageID: "1@conference.example.org"},
		deliverylog.Record{Type: deliverylog.TypeOutcome, Campaign: "conference", Key: "ministre.de.la.justice@justice.gouv.example",
			Status: deliverylog.StatusFailed, Failure: deliverylog.FailurePermanent, Code: 550, Enhanced: "5.7.1", Reply: long},
		deliverylog.Record{Type: deliverylog.TypeAttempt, Campaign: "conference", Key: "bea@b.test", Row: 3, To: []string{"bea@b.test"}, MessageID: id},
	)
	r := load(t, p, run.LogPath(in))
	rows := func(width int) []string {
		var buf bytes.Buffer
		if err := r.WriteTable(&buf, report.TextOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		_, table, ok := strings.Cut(buf.String(), "Not delivered (2):\n")
		if !ok {
			t.Fatalf("no list of recipients in\n%s", buf.String())
		}
		return strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	}
	widest := func(lines []string) int {
		n := 0
		for _, l := range lines {
			n = max(n, screen.Width(l))
		}
		return n
	}
	whole := rows(0)
	if len(whole) != 3 || widest(whole) < 300 || !strings.Contains(whole[1], long) {
		t.Fatalf("without a width: want a header and 2 whole rows, got:\n%s", strings.Join(whole, "\n"))
	}
	addresses := []string{"ministre.de.la.justice@justice.gouv.example", "cabinet.du.ministre@justice.gouv.example", "bea@b.test"}

	// The narrowest table: the reply cut, the columns aligned.
	width := 0
	for w := 100; w < widest(whole); w += 5 {
		if l := rows(w); strings.HasPrefix(l[0], "ROW  TO") {
			width = w
			break
		}
	}
	table := rows(width)
	if width == 0 || len(table) != 3 || widest(table) > width {
		t.Fatalf("no width under %d gives a table that fits; at %d:\n%s", widest(whole), width, strings.Join(table, "\n"))
	}
	if !strings.Contains(table[1], "550 5.7.1") || !strings.Contains(table[1], "…") || !strings.Contains(table[2], id) {
		t.Errorf("width %d: want the reply cut and the action whole:\n%s", width, strings.Join(table, "\n"))
	}
	at := strings.Index(table[0], "STATUS")
	for _, line := range table[1:] {
		if runes := []rune(line); len(runes) <= at || runes[at] == ' ' || runes[at-1] != ' ' {
			t.Errorf("width %d: the STATUS column moved:\n%s", width, strings.Join(table, "\n"))
		}
	}

	// A terminal of 100 columns: a few lines for each recipient.
	blocks := rows(100)
	text := strings.Join(blocks, "\n")
	if widest(blocks) > 100 {
		t.Errorf("width 100: a line of %d columns:\n%s", widest(blocks), text)
	}
	for _, want := range append(addresses, "failed (permanent), 1 attempt, the last ", "550 5.7.1 <ministre", id, "herald send --resend-unknown") {
		if !strings.Contains(text, want) {
			t.Errorf("width 100: %q is missing or cut:\n%s", want, text)
		}
	}
	if !strings.HasPrefix(blocks[0], "2  ministre.de.la.justice@justice.gouv.example") || strings.Count(text, "…") != 1 {
		t.Errorf("width 100: want each recipient's block to start with its row, and the long reply cut:\n%s", text)
	}
}
