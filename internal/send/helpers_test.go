package send_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/send"
)

// plainTemplate is a template folder with nothing but text, so that what a test measures or
// checks is the sending.
const plainTemplate = "Subject: Conference {{.Name}}\nFrom: Secretariat <secretariat@conference.example.org>\n\nDear {{.Name}},\n\nsee you in Geneva.\n"

// campaignDir writes a workbook (CSV: header line, then one line per row) and the plain
// template into a fresh folder and returns the inputs that name them.
func campaignDir(t testing.TB, csv string) run.Inputs {
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
	return run.Inputs{Contacts: contacts, Template: tmpl}
}

// rows makes a workbook of n recipients, r1@n1.test … rn@nn.test.
func recipientRows(n int) string {
	var b strings.Builder
	b.WriteString("Email,Name\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "r%d@n%d.test,Name %d\n", i, i, i)
	}
	return b.String()
}

func mustPrepare(t testing.TB, in run.Inputs) *plan.Plan {
	t.Helper()
	p, err := run.Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if err := p.Ready(false); err != nil {
		t.Fatalf("Ready: %v (problems: %v)", err, p.Problems)
	}
	return p
}

// options sends to srv in plaintext without a rate limit, with short waits, and logs beside
// the workbook.
func options(srv *mailtest.Server, in run.Inputs) send.Options {
	return send.Options{
		LogPath:     run.LogPath(in),
		SMTP:        mail.Config{Host: srv.Host, Port: srv.Port, TLS: mail.NoTLS, HELO: "client.test", Timeout: 10 * time.Second},
		Connections: 1,
		Rate:        rate.Inf,
		Retries:     2,
		RetryWait:   10 * time.Millisecond,
	}
}

func mustSend(t testing.TB, p *plan.Plan, opt send.Options) *send.Result {
	t.Helper()
	res, err := send.Run(context.Background(), p, opt)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return res
}

func readLog(t testing.TB, path string) []deliverylog.Record {
	t.Helper()
	recs, err := deliverylog.Read(path)
	if err != nil {
		t.Fatalf("read delivery log: %v", err)
	}
	return recs
}

// copies counts the messages the server kept per envelope recipient.
func copies(srv *mailtest.Server) map[string]int {
	n := map[string]int{}
	for _, m := range srv.Messages() {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}
