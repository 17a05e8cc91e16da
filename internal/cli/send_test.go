package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/send"
)

const sendTemplate = "Subject: Conference {{.Name}}\nFrom: Secretariat <secretariat@conference.example.org>\n\nDear {{.Name}},\n\nsee you in Geneva.\n"

// sendEnv is a campaign folder and an SMTP server for in-process runs of herald send.
type sendEnv struct {
	dir, contacts, template, log string
	srv                          *mailtest.Server
}

func newSendEnv(t *testing.T, csv string, opts mailtest.Options) *sendEnv {
	t.Helper()
	dir := t.TempDir()
	e := &sendEnv{
		dir: dir, contacts: filepath.Join(dir, "contacts.csv"), template: filepath.Join(dir, "conference"),
		log: filepath.Join(dir, "conference.delivery.jsonl"), srv: mailtest.Start(t, opts),
	}
	if err := os.Mkdir(e.template, 0o700); err != nil {
		t.Fatal(err)
	}
	e.write(t, "conference/message.md", sendTemplate)
	e.write(t, "contacts.csv", csv)
	return e
}

func (e *sendEnv) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fiveRows is a workbook of r1@n1.test (sheet row 2) to r5@n5.test (row 6).
func fiveRows() string { return numberedRows(5) }

func numberedRows(n int) string {
	var b strings.Builder
	b.WriteString("Email,Name\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "r%d@n%d.test,Name %d\n", i, i, i)
	}
	return b.String()
}

type result struct {
	code        int
	out, errOut string
}

// send runs herald send against the env's server, without a rate limit and with short
// waits, non-interactively with --yes unless args ask otherwise.
func (e *sendEnv) send(t *testing.T, args ...string) result {
	t.Helper()
	return e.sendWith(t, context.Background(), Streams{In: strings.NewReader("")}, append([]string{"--yes"}, args...)...)
}

func (e *sendEnv) sendWith(t *testing.T, ctx context.Context, s Streams, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	s.Out = &out
	if s.Err == nil {
		s.Err = &errOut
	} else {
		s.Err = io.MultiWriter(&errOut, s.Err)
	}
	all := append([]string{"herald", "send",
		"--contacts", e.contacts, "--template", e.template, "--log", e.log,
		"--smtp-host", e.srv.Host, "--smtp-port", fmt.Sprint(e.srv.Port), "--smtp-tls", "none",
		"--rate", "0", "--retry-wait", "10ms", "--retries", "2", "--timeout", "10s"}, args...)
	code := Main(ctx, all, s)
	return result{code, out.String(), errOut.String()}
}

// states folds the log: key → status, with the failure kind after a slash; a recipient
// whose prepared message was never sent counts as pending, like one with no record.
func (e *sendEnv) states(t *testing.T) map[string]deliverylog.State {
	t.Helper()
	recs, err := deliverylog.Read(e.log)
	if errors.Is(err, fs.ErrNotExist) {
		// A run that sent nothing leaves no log: everyone is pending.
		return map[string]deliverylog.State{}
	}
	if err != nil {
		t.Fatalf("read delivery log: %v", err)
	}
	return deliverylog.Fold(recs, "conference")
}

func statusOf(s deliverylog.State) string {
	switch {
	case s.Status == deliverylog.StatusFailed && strings.HasPrefix(s.Error, "not sent: "):
		return "pending"
	case s.Failure != "":
		return s.Status + "/" + s.Failure
	}
	return s.Status
}

// tally counts the recipients of n rows by status; rows without a record are pending.
func (e *sendEnv) tally(t *testing.T, n int) map[string]int {
	t.Helper()
	c := map[string]int{}
	st := e.states(t)
	for _, s := range st {
		c[statusOf(s)]++
	}
	c["pending"] += n - len(st)
	return c
}

// copies counts the messages the server kept per envelope recipient.
func (e *sendEnv) copies() map[string]int {
	n := map[string]int{}
	for _, m := range e.srv.Messages() {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

func step(code int, enhanced, text string) mailtest.Step {
	return mailtest.Step{Reply: &mailtest.Reply{Code: code, Enhanced: enhanced, Text: text}}
}

// TestSendFaults runs herald send over five recipients against a server with one fault per
// case and checks the exit code, the summary, the log and the copies the server kept.
func TestSendFaults(t *testing.T) {
	tests := []struct {
		name   string
		opts   mailtest.Options
		setup  func(*mailtest.Server)
		args   []string
		code   int
		tally  map[string]int    // recipients by status
		keys   map[string]string // the status of particular recipients
		out    []string          // parts of stdout
		errOut []string          // parts of stderr
	}{
		{
			name:  "550 for one recipient",
			setup: func(s *mailtest.Server) { s.OnRcpt("r2@n2.test", step(550, "5.1.1", "no such mailbox")) },
			code:  ExitNotDelivered, tally: map[string]int{"delivered": 4, "failed/permanent": 1},
			keys: map[string]string{"r2@n2.test": "failed/permanent"},
			// send ends with the campaign summary herald status prints.
			out:    []string{"Delivered: 4. Failed: 1. Unknown: 0. Not sent: 0.", "herald send --only-failed", "recipients in", "  delivered      4\n  failed         1   0 temporary, 1 permanent: herald send --only-failed\n"},
			errOut: []string{"row 3 r2@n2.test: failed: 550 5.1.1 no such mailbox"},
		},
		{
			name: "451 every time",
			setup: func(s *mailtest.Server) {
				s.OnRcpt("r2@n2.test", step(451, "4.3.0", "try later"), step(451, "4.3.0", "try later"), step(451, "4.3.0", "try later"))
			},
			code: ExitNotDelivered, tally: map[string]int{"delivered": 4, "failed/temporary": 1},
			keys:   map[string]string{"r2@n2.test": "failed/temporary"},
			out:    []string{"Delivered: 4. Failed: 1. Unknown: 0. Not sent: 0."},
			errOut: []string{"row 3 r2@n2.test: retry: 451 4.3.0 try later; trying again in", "row 3 r2@n2.test: failed: 451 4.3.0 try later"},
		},
		{
			name:  "452 without retries",
			setup: func(s *mailtest.Server) { s.OnRcpt("r2@n2.test", step(452, "4.2.2", "mailbox full")) },
			args:  []string{"--retries", "0"},
			code:  ExitNotDelivered, tally: map[string]int{"delivered": 4, "failed/temporary": 1},
			keys: map[string]string{"r2@n2.test": "failed/temporary"},
			out:  []string{"Delivered: 4. Failed: 1."},
		},
		{
			name:  "451 once then accepted",
			setup: func(s *mailtest.Server) { s.OnRcpt("r2@n2.test", step(451, "4.7.1", "greylisted")) },
			code:  ExitOK, tally: map[string]int{"delivered": 5},
			out:    []string{"Delivered: 5. Failed: 0. Unknown: 0. Not sent: 0."},
			errOut: []string{"r2@n2.test: retry: 451 4.7.1 greylisted"},
		},
		{
			name: "421 and hang-up",
			setup: func(s *mailtest.Server) {
				s.OnMail(mailtest.Step{Reply: &mailtest.Reply{Code: 421, Enhanced: "4.7.0", Text: "too busy, closing"}, HangUp: true})
			},
			code: ExitOK, tally: map[string]int{"delivered": 5},
			out: []string{"Delivered: 5. Failed: 0. Unknown: 0. Not sent: 0."},
		},
		{
			name:  "hang-up after the final dot",
			setup: func(s *mailtest.Server) { s.OnData(mailtest.Step{}, mailtest.Step{NoReply: true, HangUp: true}) },
			code:  ExitNotDelivered, tally: map[string]int{"delivered": 4, "unknown": 1},
			out: []string{"Delivered: 4. Failed: 0. Unknown: 1. Not sent: 0.", "  unknown: row ", "Sent folder", "--resend-unknown"},
		},
		{
			name:  "reply slower than the timeout",
			setup: func(s *mailtest.Server) { s.OnData(mailtest.Step{}, mailtest.Step{Delay: 3 * time.Second}) },
			args:  []string{"--timeout", "1s"},
			code:  ExitNotDelivered, tally: map[string]int{"delivered": 4, "unknown": 1},
			out: []string{"Delivered: 4. Failed: 0. Unknown: 1. Not sent: 0.", "  unknown: row "},
		},
		{
			name:  "RSET fails after the 250",
			setup: func(s *mailtest.Server) { s.FailReset(1) },
			code:  ExitOK, tally: map[string]int{"delivered": 5},
			out: []string{"Delivered: 5. Failed: 0. Unknown: 0. Not sent: 0."},
		},
		{
			name: "AUTH failure",
			opts: mailtest.Options{Username: "secretariat", Password: "right-password"},
			args: []string{"--smtp-user", "secretariat"},
			code: ExitFailure, tally: map[string]int{"pending": 5},
			errOut: []string{"herald: error: nothing was sent: connect to SMTP server", "535", "check the username and password", "herald: hint: all 5 messages are pending"},
		},
		{
			name: "5.7.1 for three recipients in a row",
			setup: func(s *mailtest.Server) {
				for i := 1; i <= 5; i++ {
					s.OnRcpt(fmt.Sprintf("r%d@n%d.test", i, i), step(550, "5.7.1", "sender not allowed"))
				}
			},
			code: ExitNotDelivered, tally: map[string]int{"failed/permanent": 3, "pending": 2},
			out: []string{"Delivered: 0. Failed: 3. Unknown: 0. Not sent: 2.", "Stopped: 3 messages in a row were refused for policy reasons", "The rest is pending"},
		},
		{
			name:  "5.7.1 to the message",
			setup: func(s *mailtest.Server) { s.OnData(step(554, "5.7.1", "message refused as spam")) },
			code:  ExitNotDelivered, tally: map[string]int{"failed/temporary": 1, "pending": 4},
			out: []string{"Delivered: 0. Failed: 1. Unknown: 0. Not sent: 4.", "Stopped: the server refuses mail from this sender or session: 554 5.7.1 message refused as spam"},
		},
		{
			name: "quota 5.4.5",
			setup: func(s *mailtest.Server) {
				s.OnMail(mailtest.Step{}, step(550, "5.4.5", "Daily user sending quota exceeded"))
			},
			code: ExitNotDelivered, tally: map[string]int{"delivered": 1, "failed/temporary": 1, "pending": 3},
			out: []string{"Delivered: 1. Failed: 1. Unknown: 0. Not sent: 3.", "Stopped: ", "5.4.5 Daily user sending quota exceeded"},
		},
		{
			name: "quota 5.2.0",
			setup: func(s *mailtest.Server) {
				s.OnData(mailtest.Step{}, mailtest.Step{}, step(554, "5.2.0", "STOREDRV.Submission.Exception:SubmissionQuotaExceededException"))
			},
			code: ExitNotDelivered, tally: map[string]int{"delivered": 2, "failed/temporary": 1, "pending": 2},
			out: []string{"Delivered: 2. Failed: 1. Unknown: 0. Not sent: 2.", "SubmissionQuotaExceeded"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSendEnv(t, fiveRows(), tt.opts)
			if tt.setup != nil {
				tt.setup(e.srv)
			}
			if tt.opts.Username != "" {
				t.Setenv("HERALD_SMTP_PASSWORD", "wrong-password")
			}
			r := e.send(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.out, r.errOut)
			}
			for _, want := range tt.out {
				if !strings.Contains(r.out, want) {
					t.Errorf("stdout does not say %q:\n%s", want, r.out)
				}
			}
			for _, want := range tt.errOut {
				if !strings.Contains(r.errOut, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.errOut)
				}
			}
			if got := e.tally(t, 5); !mapsEqual(got, tt.tally) {
				t.Errorf("log: recipients by status %v, want %v", got, tt.tally)
			}
			st := e.states(t)
			for key, want := range tt.keys {
				if got := statusOf(st[key]); got != want {
					t.Errorf("log: %s is %s, want %s", key, got, want)
				}
			}
			// Copies: one for each delivered recipient and each unknown one the server
			// kept; none for the others.
			copies := e.copies()
			for i := 1; i <= 5; i++ {
				key := fmt.Sprintf("r%d@n%d.test", i, i)
				s := statusOf(st[key])
				want := 0
				if s == "delivered" || s == "unknown" {
					want = 1
				}
				if copies[key] != want {
					t.Errorf("%s (%s) received %d copies, want %d", key, s, copies[key], want)
				}
				if s == "unknown" {
					if line := fmt.Sprintf("unknown: row %d %s Message-ID <%s>", st[key].Row, key, st[key].MessageID); !strings.Contains(r.out, line) {
						t.Errorf("stdout does not list %q:\n%s", line, r.out)
					}
					if n := e.srv.Count(st[key].MessageID); n != 1 {
						t.Errorf("server kept %d copies of the unknown <%s>, want 1", n, st[key].MessageID)
					}
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	for k, v := range a {
		if v != 0 && b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestSendUnknownNeverResent: a recipient whose outcome is unknown is listed, left alone by
// the next plain run, and sent again only with --resend-unknown.
func TestSendUnknownNeverResent(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	e.srv.OnData(mailtest.Step{}, mailtest.Step{NoReply: true, HangUp: true})
	if r := e.send(t); r.code != ExitNotDelivered {
		t.Fatalf("first run: exit %d, want %d\n%s%s", r.code, ExitNotDelivered, r.out, r.errOut)
	}
	r := e.send(t)
	if r.code != ExitNotDelivered || !strings.Contains(r.out, "Nothing to send: 4 delivered, 0 failed, 1 unknown") {
		t.Errorf("second run: exit %d, stdout:\n%s\nwant exit 3 and nothing to send with 1 unknown", r.code, r.out)
	}
	if n := e.srv.Total(); n != 5 {
		t.Fatalf("server has %d messages after the second run, want 5: the unknown one must not be sent again", n)
	}
	r = e.send(t, "--resend-unknown")
	if r.code != ExitOK || !strings.Contains(r.out, "Delivered: 1. Failed: 0. Unknown: 0. Not sent: 0.") {
		t.Errorf("--resend-unknown: exit %d, stdout:\n%s\nwant exit 0 and 1 delivered", r.code, r.out)
	}
	if got := e.tally(t, 5); got["delivered"] != 5 {
		t.Errorf("log: %v, want 5 delivered", got)
	}
}

// TestSendOnlyFailed fixes a refused Cc address in the workbook: --only-failed sends the
// row as it is now, and only to the recipient that failed.
func TestSendOnlyFailed(t *testing.T) {
	e := newSendEnv(t, "Email,Name,Cc\nr1@n1.test,One,\nr2@n2.test,Two,typo@n2.test\nr3@n3.test,Three,\n", mailtest.Options{})
	e.srv.OnRcpt("typo@n2.test", step(550, "5.1.1", "no such mailbox"))
	if r := e.send(t); r.code != ExitNotDelivered {
		t.Fatalf("first run: exit %d, want %d\n%s", r.code, ExitNotDelivered, r.out)
	}
	if r := e.send(t); r.code != ExitNotDelivered || !strings.Contains(r.out, "Nothing to send: 2 delivered, 1 failed, 0 unknown") || !strings.Contains(r.out, "--only-failed") {
		t.Errorf("plain run after a failure: exit %d, stdout:\n%s\nwant nothing sent and a pointer to --only-failed", r.code, r.out)
	}
	e.write(t, "contacts.csv", "Email,Name,Cc\nr1@n1.test,One,\nr2@n2.test,Two,cc@n2.test\nr3@n3.test,Three,\n")
	r := e.send(t, "--only-failed")
	if r.code != ExitOK || !strings.Contains(r.out, "Delivered: 1. Failed: 0.") {
		t.Fatalf("--only-failed: exit %d, stdout:\n%s", r.code, r.out)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("server has %d messages, want 3", len(msgs))
	}
	last := msgs[2]
	if !slices.Equal(last.To, []string{"r2@n2.test", "cc@n2.test"}) || !strings.Contains(string(last.Data), "cc@n2.test") || strings.Contains(string(last.Data), "typo@") {
		t.Errorf("re-sent message went to %q, want r2 with the corrected Cc", last.To)
	}
	if st := e.states(t)["r2@n2.test"]; st.Status != deliverylog.StatusDelivered || !slices.Equal(st.Cc, []string{"cc@n2.test"}) {
		t.Errorf("log: r2 is %s with Cc %q, want delivered with the corrected Cc", st.Status, st.Cc)
	}
}

// TestSendLimitAndCap covers --limit (a part now, exit 0) and --daily-cap (the rest
// waits, exit 3), and that the next runs send the rest once each.
func TestSendLimitAndCap(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	r := e.send(t, "--limit", "2")
	if r.code != ExitOK || !strings.Contains(r.out, "Delivered: 2.") || !strings.Contains(r.out, "3 more beyond --limit") {
		t.Errorf("--limit 2: exit %d, stdout:\n%s", r.code, r.out)
	}
	r = e.send(t, "--daily-cap", "3")
	if r.code != ExitNotDelivered || !strings.Contains(r.out, "Delivered: 1.") || !strings.Contains(r.out, "2 more wait for the daily cap") {
		t.Errorf("--daily-cap 3 after 2: exit %d, stdout:\n%s\nwant 1 delivered and 2 waiting", r.code, r.out)
	}
	if !strings.Contains(r.errOut, "Later:      2 over the daily cap") {
		t.Errorf("the confirmation does not mention the cap:\n%s", r.errOut)
	}
	r = e.send(t, "--daily-cap", "3")
	if r.code != ExitNotDelivered || !strings.Contains(r.out, "Nothing to send: 3 delivered") || e.srv.Total() != 3 {
		t.Errorf("cap reached: exit %d, server has %d, stdout:\n%s", r.code, e.srv.Total(), r.out)
	}
	if r = e.send(t); r.code != ExitOK || e.srv.Total() != 5 {
		t.Errorf("without a cap: exit %d, server has %d messages, want 0 and 5", r.code, e.srv.Total())
	}
	for key, n := range e.copies() {
		if n != 1 {
			t.Errorf("%s received %d copies", key, n)
		}
	}
}

// TestSendTestTo: every message goes to the tester, marked, logged as a test; the
// recipients stay pending and get their own message in the real run.
func TestSendTestTo(t *testing.T) {
	e := newSendEnv(t, "Email,Name,Cc,Bcc\nr1@n1.test,One,cc@n1.test,bcc@n1.test\nr2@n2.test,Two,,\n", mailtest.Options{})
	r := e.send(t, "--test-to", "Tester <tester@ministry.test>")
	if r.code != ExitOK || !strings.Contains(r.out, "Test messages delivered to \"Tester\" <tester@ministry.test>: 2.") {
		t.Errorf("test run: exit %d, stdout:\n%s", r.code, r.out)
	}
	// A limited test run says nothing of rows "left to send": a test run picks any row.
	e2 := newSendEnv(t, "Email,Name\nr1@n1.test,One\nr2@n2.test,Two\n", mailtest.Options{})
	if r := e2.send(t, "--test-to", "tester@ministry.test", "--limit", "1"); r.code != ExitOK || strings.Contains(r.out, "beyond --limit") {
		t.Errorf("test run with --limit 1: exit %d, stdout:\n%s", r.code, r.out)
	}
	for _, m := range e.srv.Messages() {
		if !slices.Equal(m.To, []string{"tester@ministry.test"}) {
			t.Errorf("test message went to %q, want only the tester", m.To)
		}
		if !strings.Contains(string(m.Data), "Subject: [TEST] Conference") {
			t.Errorf("test message subject is not marked:\n%s", m.Data)
		}
	}
	// Each test message says who would receive it for real, Cc and Bcc included, in both
	// parts, so that the tester can check them.
	for _, m := range e.srv.Messages() {
		text := strings.ReplaceAll(decodeQP(m.Data), "\r\n", "\n")
		if strings.Contains(text, "Dear One") && (!strings.Contains(text, "TEST: sent to you instead of To: r1@n1.test; Cc: cc@n1.test; Bcc: bcc@n1.test\n") ||
			!strings.Contains(text, `<div style="border:2px solid #b00020;`)) {
			t.Errorf("the test message does not name its real recipients in its text and HTML:\n%s", text)
		}
	}
	recs, err := deliverylog.Read(e.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if !rec.Test {
			t.Errorf("record %+v is not marked as a test", rec)
		}
	}
	if got := e.tally(t, 2); got["pending"] != 2 {
		t.Errorf("after the test: %v, want both recipients pending", got)
	}
	if r = e.send(t); r.code != ExitOK || !strings.Contains(r.out, "Delivered: 2.") {
		t.Errorf("real run: exit %d, stdout:\n%s", r.code, r.out)
	}
	if c := e.copies(); c["r1@n1.test"] != 1 || c["cc@n1.test"] != 1 || c["bcc@n1.test"] != 1 || c["tester@ministry.test"] != 2 {
		t.Errorf("copies %v, want the tester 2 and each real recipient 1", c)
	}
}

// TestSendUnset: send refuses while the sender or a campaign fact is still to be set, and
// says which; a send to --test-to goes, with the markers; once set, the real send goes.
func TestSendUnset(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	e.write(t, "conference/message.md", "Subject: Conference {{.Name}}\nReply-To: {{fact \"contact\"}}\n\nDear {{.Name}},\n\nthe venue is {{fact \"venue\"}}.\n")
	e.write(t, "conference/facts.toml", "contact = \"desk@conference.test\"\n")
	r := e.send(t)
	if r.code != ExitFailure || !strings.Contains(r.errOut, "herald: error: nothing was sent: still to be set: --from, --fact venue\n") {
		t.Errorf("send with values still to be set: exit %d, stderr:\n%s", r.code, r.errOut)
	}
	for _, want := range []string{`{{fact "venue"}} is not set`, `--fact venue="…"`, `--from "Name <address>"`, "--test-to ADDRESS"} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
		}
	}
	if n := e.srv.Total(); n != 0 {
		t.Fatalf("the server got %d messages, want none", n)
	}

	r = e.send(t, "--test-to", "tester@ministry.test", "--limit", "1")
	if r.code != ExitOK || strings.Contains(r.errOut, "herald: error:") {
		t.Errorf("test send with values still to be set: exit %d, stderr:\n%s", r.code, r.errOut)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 1 || !strings.Contains(decodeQP(msgs[0].Data), "«to be set: venue»") {
		t.Fatalf("test messages %d, want 1 showing the venue's marker", len(msgs))
	}

	r = e.send(t, "--from", "Protocol <protocol@mfa.test>", "--fact", "venue=World Forum, The Hague")
	if r.code != ExitOK || !strings.Contains(r.out, "Delivered: 5.") {
		t.Errorf("send with every value set: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	last := e.srv.Messages()[len(e.srv.Messages())-1]
	if !strings.Contains(decodeQP(last.Data), "the venue is World Forum, The Hague.") || !strings.Contains(string(last.Data), "Reply-To: <desk@conference.test>") {
		t.Errorf("message does not carry the facts:\n%s", last.Data)
	}
}

// decodeQP reads a whole message as quoted-printable, which the text parts are: enough to
// find a sentence in it.
func decodeQP(data []byte) string {
	b, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(data)))
	return string(b)
}

// TestSendConfirm: without --yes herald asks on a terminal and refuses without one.
func TestSendConfirm(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	r := e.sendWith(t, context.Background(), Streams{In: strings.NewReader("")})
	if r.code != ExitUsage || !strings.Contains(r.errOut, "standard input is not a terminal") || !strings.Contains(r.errOut, "herald: hint: add --yes") {
		t.Errorf("no terminal, no --yes: exit %d, stderr:\n%s\nwant exit 2 with a hint to add --yes", r.code, r.errOut)
	}
	if !strings.Contains(r.errOut, "To send:    5 messages, no rate limit") {
		t.Errorf("the plan is not shown before refusing:\n%s", r.errOut)
	}
	r = e.sendWith(t, context.Background(), Streams{In: strings.NewReader("no\n"), InteractiveIn: true})
	if r.code != ExitOK || !strings.Contains(r.errOut, "Type yes to send") || !strings.Contains(r.out, "Nothing was sent.") {
		t.Errorf("answer no: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	if n := e.srv.Total(); n != 0 {
		t.Fatalf("server received %d messages without confirmation", n)
	}
	if _, err := os.Stat(e.log); err == nil {
		if recs, _ := deliverylog.Read(e.log); len(recs) != 0 {
			t.Errorf("log has %d records without confirmation", len(recs))
		}
	}
	r = e.sendWith(t, context.Background(), Streams{In: strings.NewReader("yes\n"), InteractiveIn: true})
	if r.code != ExitOK || e.srv.Total() != 5 {
		t.Errorf("answer yes: exit %d, server has %d messages\nstdout:\n%s\nstderr:\n%s", r.code, e.srv.Total(), r.out, r.errOut)
	}
}

// TestSendInterrupt cancels a run while the server holds the reply to its third message,
// as Ctrl-C does: that message is finished and recorded, the summary says how to resume,
// and the next run sends exactly the rest.
func TestSendInterrupt(t *testing.T) {
	e := newSendEnv(t, numberedRows(8), mailtest.Options{})
	arrived := make(chan struct{})
	e.srv.OnData(mailtest.Step{}, mailtest.Step{}, mailtest.Step{Arrived: arrived, Delay: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	r := e.sendWith(t, ctx, Streams{In: strings.NewReader("")}, "--yes")
	if r.code != ExitNotDelivered || !strings.Contains(r.out, "Delivered: 3. Failed: 0. Unknown: 0. Not sent: 5.") || !strings.Contains(r.out, "Interrupted") || !strings.Contains(r.out, "Run the same herald send again") {
		t.Fatalf("interrupted run: exit %d, stdout:\n%s", r.code, r.out)
	}
	if got := e.tally(t, 8); got["delivered"] != 3 || got["pending"] != 5 {
		t.Errorf("log after the interruption: %v, want 3 delivered and 5 pending", got)
	}
	r = e.send(t)
	if r.code != ExitOK || !strings.Contains(r.out, "Delivered: 5. Failed: 0. Unknown: 0. Not sent: 0.") {
		t.Errorf("resumed run: exit %d, stdout:\n%s", r.code, r.out)
	}
	c := e.copies()
	for i := 1; i <= 8; i++ {
		if key := fmt.Sprintf("r%d@n%d.test", i, i); c[key] != 1 {
			t.Errorf("%s received %d copies, want 1", key, c[key])
		}
	}
}

const distinctivePassword = "Zq7-vermilion-Heron-42"

// TestSendPasswordSources: the environment, then password_command; never the command
// line; and a clear refusal when there is neither and no terminal to ask on.
func TestSendPasswordSources(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{Username: "secretariat", Password: distinctivePassword})
	t.Setenv("HERALD_SMTP_PASSWORD", "")

	r := e.send(t, "--smtp-user", "secretariat", "--limit", "1")
	if r.code != ExitFailure || !strings.Contains(r.errOut, "no password for SMTP user secretariat") || !strings.Contains(r.errOut, "HERALD_SMTP_PASSWORD") {
		t.Errorf("no password: exit %d, stderr:\n%s", r.code, r.errOut)
	}

	r = e.send(t, "--smtp-user", "secretariat", "--smtp-password", distinctivePassword)
	if r.code != ExitUsage || e.srv.Total() != 0 {
		t.Errorf("--smtp-password: exit %d, want a usage error (there is no such flag)", r.code)
	}

	cfg := e.write(t, "herald.toml", fmt.Sprintf("password_command = \"printf '%%s\\\\n' %s\"\n", distinctivePassword))
	r = e.send(t, "--config", cfg, "--smtp-user", "secretariat", "--limit", "1")
	if r.code != ExitOK || e.srv.Total() != 1 {
		t.Errorf("password_command: exit %d, server has %d\nstderr:\n%s", r.code, e.srv.Total(), r.errOut)
	}

	// A password manager's output: the password, then notes; only the first line counts.
	cfg = e.write(t, "herald.toml", fmt.Sprintf("password_command = \"printf '%%s\\\\nlogin: secretariat\\\\nurl: smtp.example.org\\\\n' %s\"\n", distinctivePassword))
	r = e.send(t, "--config", cfg, "--smtp-user", "secretariat", "--limit", "1")
	if r.code != ExitOK || e.srv.Total() != 2 {
		t.Errorf("password_command printing several lines: exit %d, server has %d\nstderr:\n%s", r.code, e.srv.Total(), r.errOut)
	}
	cfg = e.write(t, "herald.toml", "password_command = \"printf '\\\\nsecret\\\\n'\"\n")
	r = e.send(t, "--config", cfg, "--smtp-user", "secretariat", "--limit", "1")
	if r.code != ExitFailure || !strings.Contains(r.errOut, "printed nothing on its first line") || e.srv.Total() != 2 {
		t.Errorf("password_command with an empty first line: exit %d, stderr:\n%s", r.code, r.errOut)
	}

	t.Setenv("HERALD_SMTP_PASSWORD", distinctivePassword)
	r = e.send(t, "--smtp-user", "secretariat", "--limit", "1")
	if r.code != ExitOK || e.srv.Total() != 3 {
		t.Errorf("HERALD_SMTP_PASSWORD: exit %d, server has %d\nstderr:\n%s", r.code, e.srv.Total(), r.errOut)
	}
	if got := e.srv.Logins(); len(got) != 3 {
		t.Errorf("logins %q, want 3", got)
	}
}

// TestSendPasswordNeverShown fails logins against a server that quotes the credentials
// in its refusal, and looks for the password, in every form SMTP carries it, in stdout,
// stderr and the log.
func TestSendPasswordNeverShown(t *testing.T) {
	forms := []string{
		distinctivePassword,
		base64.StdEncoding.EncodeToString([]byte(distinctivePassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00secretariat\x00" + distinctivePassword)),
	}
	for _, auth := range []string{"plain", "login", ""} {
		t.Run("auth "+auth, func(t *testing.T) {
			e := newSendEnv(t, fiveRows(), mailtest.Options{Username: "secretariat", Password: "the-right-one", EchoAuth: true})
			t.Setenv("HERALD_SMTP_PASSWORD", distinctivePassword)
			args := []string{"--smtp-user", "secretariat"}
			if auth != "" {
				args = append(args, "--smtp-auth", auth)
			}
			r := e.send(t, args...)
			if r.code != ExitFailure || !strings.Contains(r.errOut, "Authentication failed") {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 quoting the server's refusal", r.code, r.errOut)
			}
			logData, _ := os.ReadFile(e.log)
			for _, f := range forms {
				for name, text := range map[string]string{"stdout": r.out, "stderr": r.errOut, "log": string(logData)} {
					if strings.Contains(text, f) {
						t.Errorf("%s shows the password (as %q):\n%s", name, f, text)
					}
				}
			}
		})
	}
}

// TestSendXOAUTH2 logs in with an OAuth2 access token, as Microsoft 365 and Google
// Workspace want, and checks that a refused token is not shown either.
func TestSendXOAUTH2(t *testing.T) {
	const token = "ya29.Token-Of-The-Heron-77"
	e := newSendEnv(t, fiveRows(), mailtest.Options{Username: "secretariat@ministry.test", Password: token, XOAUTH2: true})
	t.Setenv("HERALD_SMTP_PASSWORD", token)
	r := e.send(t, "--smtp-user", "secretariat@ministry.test", "--smtp-auth", "xoauth2", "--limit", "1")
	if r.code != ExitOK || !slices.Equal(e.srv.Logins(), []string{"XOAUTH2"}) {
		t.Errorf("exit %d, logins %q; want 0 and one XOAUTH2 login\nstderr:\n%s", r.code, e.srv.Logins(), r.errOut)
	}
	t.Setenv("HERALD_SMTP_PASSWORD", "ya29.expired-"+token)
	r = e.send(t, "--smtp-user", "secretariat@ministry.test", "--smtp-auth", "xoauth2")
	if r.code != ExitFailure {
		t.Errorf("expired token: exit %d, want 1\nstderr:\n%s", r.code, r.errOut)
	}
	if strings.Contains(r.out+r.errOut, token) {
		t.Errorf("the token is shown:\n%s%s", r.out, r.errOut)
	}
}

// TestSendPlaintextCredentials: with --smtp-tls none a password only goes to this
// machine; elsewhere herald refuses before asking for it or connecting.
func TestSendPlaintextCredentials(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{Username: "secretariat", Password: distinctivePassword})
	t.Setenv("HERALD_SMTP_PASSWORD", distinctivePassword)
	// 192.0.2.1 is TEST-NET-1: nothing is ever reached there.
	r := e.send(t, "--smtp-user", "secretariat", "--smtp-host", "192.0.2.1")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "refusing to send the password") || !strings.Contains(r.errOut, "without encryption") {
		t.Errorf("plaintext to another host: exit %d, stderr:\n%s", r.code, r.errOut)
	}
	r = e.send(t, "--smtp-user", "secretariat", "--limit", "1")
	if r.code != ExitOK || e.srv.Total() != 1 {
		t.Errorf("plaintext to 127.0.0.1: exit %d\nstderr:\n%s", r.code, r.errOut)
	}
}

// TestSendStartTLS trusts the test server's own certificate through --smtp-ca.
func TestSendStartTLS(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{StartTLS: true, Username: "secretariat", Password: distinctivePassword})
	t.Setenv("HERALD_SMTP_PASSWORD", distinctivePassword)
	r := e.send(t, "--smtp-tls", "starttls", "--smtp-user", "secretariat")
	if r.code != ExitFailure || !strings.Contains(r.errOut, "certificate") {
		t.Errorf("untrusted certificate: exit %d, stderr:\n%s", r.code, r.errOut)
	}
	r = e.send(t, "--smtp-tls", "starttls", "--smtp-ca", e.srv.CAFile, "--smtp-user", "secretariat")
	if r.code != ExitOK || e.srv.Total() != 5 {
		t.Errorf("with --smtp-ca: exit %d, server has %d\nstderr:\n%s", r.code, e.srv.Total(), r.errOut)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want rate.Limit
		bad  bool
	}{
		{in: "30/min", want: 0.5},
		{in: "120/hour", want: rate.Limit(120.0 / 3600)},
		{in: "5/s", want: 5},
		{in: "2/sec", want: 2},
		{in: "2000/day", want: rate.Limit(2000.0 / 86400)},
		{in: " 30 / Min ", want: 0.5},
		{in: "1.5/s", want: 1.5},
		{in: "0", want: rate.Inf},
		{in: "30", bad: true},
		{in: "", bad: true},
		{in: "thirty/min", bad: true},
		{in: "-5/s", bad: true},
		{in: "0/min", bad: true},
		{in: "30/fortnight", bad: true},
		{in: "30/", bad: true},
	}
	for _, tt := range tests {
		got, err := parseRate(tt.in)
		switch {
		case tt.bad && err == nil:
			t.Errorf("parseRate(%q) = %v, want an error", tt.in, got)
		case !tt.bad && err != nil:
			t.Errorf("parseRate(%q): %v", tt.in, err)
		case !tt.bad && got != tt.want:
			t.Errorf("parseRate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestSendUsageErrors: bad values are exit 2 with a hint, before anything is sent.
func TestSendUsageErrors(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	tests := []struct {
		args   []string
		errOut string
	}{
		{[]string{"--rate", "30"}, "herald: hint: write it as a number of messages per unit: 30/min"},
		{[]string{"--rate", "fast"}, `--rate "fast"`},
		{[]string{"--connections", "0"}, "--connections must be between 1 and 16"},
		{[]string{"--retry-wait", "0s"}, "--retry-wait must be a positive duration"},
		{[]string{"--smtp-tls", "ssl3"}, `--smtp-tls "ssl3": want starttls, tls or none`},
		{[]string{"--smtp-auth", "cram-md5", "--smtp-user", "u"}, `unknown authentication "cram-md5"`},
		{[]string{"--test-to", "not an address"}, "--test-to"},
	}
	for _, tt := range tests {
		r := e.send(t, tt.args...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, tt.errOut) {
			t.Errorf("herald send %s: exit %d, stderr:\n%s\nwant exit 2 saying %q", strings.Join(tt.args, " "), r.code, r.errOut, tt.errOut)
		}
	}
	if n := e.srv.Total(); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

// TestSendSaysWhatWasCut: a last line that a crash cut short is removed from the log when
// send opens it, and send says what it removed.
func TestSendSaysWhatWasCut(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	if r := e.send(t, "--limit", "1"); r.code != ExitOK {
		t.Fatalf("first send: exit %d\n%s", r.code, r.errOut)
	}
	f, err := os.OpenFile(e.log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"type":"attempt","time":"2024-01-10T09:3`)
	f.Close()
	r := e.send(t)
	if r.code != ExitOK || !strings.Contains(r.errOut, "herald: note: ") || !strings.Contains(r.errOut, "ended in 41 bytes that were not a whole record") || !strings.Contains(r.errOut, `2024-01-10T09:3"`) {
		t.Errorf("send after a cut line: exit %d, stderr:\n%s\nwant a note quoting what was removed", r.code, r.errOut)
	}
}

// TestSendEachAddressOnce: an address gets one copy of a campaign, whatever rows and runs
// name it — a colleague added to a delivered row's To gets the message, the first person not
// again; rows sharing an address leave it out of all but the first; --repeat-addresses sends
// to everyone listed.
func TestSendEachAddressOnce(t *testing.T) {
	e := newSendEnv(t, "Email,Cc,Name\nana@a.test,,Ana\n", mailtest.Options{})
	if r := e.send(t); r.code != ExitOK {
		t.Fatalf("first send: exit %d\n%s", r.code, r.errOut)
	}
	// A colleague added to the To of the delivered row, and a row copying Ana.
	e.write(t, "contacts.csv", "Email,Cc,Name\nana@a.test; bea@a.test,,Ana\ncid@c.test,ana@a.test,Cid\n")
	r := e.send(t)
	if r.code != ExitOK {
		t.Fatalf("second send: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{
		"Once each:  row 2: ana@a.test has it from a message delivered earlier (row 2); this message goes to its other addresses only",
		"row 3: ana@a.test has it from row 2 of this sheet; this message goes to its other addresses only",
		"--repeat-addresses sends each row's message to every address it lists",
	} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("the confirmation does not say %q:\n%s", want, r.errOut)
		}
	}
	if got := e.copies(); !mapsEqual(got, map[string]int{"ana@a.test": 1, "bea@a.test": 1, "cid@c.test": 1}) {
		t.Errorf("copies = %v, want one each (Ana not mailed again)", got)
	}
	var toBea []byte
	for _, m := range e.srv.Messages() {
		if slices.Equal(m.To, []string{"bea@a.test"}) {
			toBea = m.Data
		}
	}
	if !bytes.Contains(toBea, []byte("\r\nTo: <ana@a.test>, <bea@a.test>\r\n")) {
		t.Errorf("the message to Bea does not name Ana in its To:\n%s", toBea)
	}

	// Splitting the delivered rows leaves nothing to send; status counts them delivered.
	e.write(t, "contacts.csv", "Email,Cc,Name\nbea@a.test,,Bea\ncid@c.test,,Cid\n")
	r = e.send(t)
	if r.code != ExitOK || !strings.Contains(r.out, "Nothing to send") || e.srv.Total() != 3 {
		t.Errorf("send after splitting the rows: exit %d, server has %d\n%s\n%s", r.code, e.srv.Total(), r.out, r.errOut)
	}
	if code, out, _ := runHerald(t, false, "status", "--contacts", e.contacts, "--template", e.template, "--log", e.log); code != ExitOK || !strings.Contains(out, "delivered      2") {
		t.Errorf("status after splitting the rows: exit %d\n%s", code, out)
	}

	// --repeat-addresses: everyone listed gets the row's message.
	e.write(t, "contacts.csv", "Email,Cc,Name\ndan@d.test,ana@a.test,Dan\n")
	if r := e.send(t, "--repeat-addresses"); r.code != ExitOK || strings.Contains(r.errOut, "Once each:") {
		t.Fatalf("send --repeat-addresses: exit %d\n%s", r.code, r.errOut)
	}
	if got := e.copies()["ana@a.test"]; got != 2 {
		t.Errorf("with --repeat-addresses Ana has %d copies, want 2", got)
	}
}

// TestSendToAddressAddedAfterDelivery: a Cc (or a colleague in To) put in a row after its
// message was delivered gets the message, named in the confirmation; the first recipient is
// not mailed again (regression: the new Cc never received it, and nothing said so).
func TestSendToAddressAddedAfterDelivery(t *testing.T) {
	e := newSendEnv(t, "Email,Cc,Name\nminister@a.test,,Ana\n", mailtest.Options{})
	if r := e.send(t); r.code != ExitOK {
		t.Fatalf("first send: exit %d\n%s", r.code, r.errOut)
	}
	e.write(t, "contacts.csv", "Email,Cc,Name\nminister@a.test,legal.office@a.test,Ana\n")
	r := e.send(t)
	if r.code != ExitOK || !strings.Contains(r.errOut, "Added:      row 2 was delivered, but legal.office@a.test had no copy (put in the row since, or left to a row whose message failed): it gets it now, the others not again") {
		t.Fatalf("send after adding a Cc: exit %d\n%s", r.code, r.errOut)
	}
	if got := e.copies(); !mapsEqual(got, map[string]int{"minister@a.test": 1, "legal.office@a.test": 1}) {
		t.Errorf("copies = %v, want one each", got)
	}
	if r := e.send(t); r.code != ExitOK || !strings.Contains(r.out, "Nothing to send") || e.srv.Total() != 2 {
		t.Errorf("third send: exit %d, server has %d\n%s", r.code, e.srv.Total(), r.out)
	}
	if st := e.states(t)["minister@a.test"]; st.Status != deliverylog.StatusDelivered {
		t.Errorf("the recipient is %s, want delivered", st.Status)
	}
}

// TestSendOtherLogs: a workbook moved to another folder would start an empty log of the same
// campaign and mail everyone again: send refuses and names the log that has them; a copied
// template folder is a campaign of its own: the confirmation says who already had the other.
func TestSendOtherLogs(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	if r := e.send(t); r.code != ExitOK {
		t.Fatalf("first send: exit %d\n%s", r.code, r.errOut)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(e.dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	moved := filepath.Join(e.dir, "downloads")
	if err := os.Mkdir(moved, 0o700); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(e.contacts)
	if err := os.WriteFile(filepath.Join(moved, "contacts.csv"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"herald", "send", "--yes", "--contacts", filepath.Join(moved, "contacts.csv"), "--template", e.template,
		"--smtp-host", e.srv.Host, "--smtp-port", fmt.Sprint(e.srv.Port), "--smtp-tls", "none", "--rate", "0"},
		Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	want := "campaign conference already has a delivery log at conference.delivery.jsonl, which records 5 of these recipients as delivered"
	if code != ExitFailure || !strings.Contains(errOut.String(), want) || !strings.Contains(errOut.String(), "herald: hint: to carry on that campaign, give --log conference.delivery.jsonl") {
		t.Errorf("send from a moved workbook: exit %d\n%s\nwant a refusal saying %q", code, errOut.String(), want)
	}
	if n := e.srv.Total(); n != 5 {
		t.Fatalf("the server has %d messages, want the first 5 only", n)
	}

	// A copy of the template folder is another campaign; it goes, and says so.
	copied := filepath.Join(e.dir, "conference-v2")
	if err := os.CopyFS(copied, os.DirFS(e.template)); err != nil {
		t.Fatal(err)
	}
	r := e.send(t, "--template", copied, "--log", filepath.Join(e.dir, "conference-v2.delivery.jsonl"))
	if r.code != ExitOK || !strings.Contains(r.errOut, "Also sent:  campaign conference (log ") || !strings.Contains(r.errOut, "was delivered to 5 of these recipients; this is campaign conference-v2, a mailing of its own that they get too") {
		t.Errorf("send of a copied template: exit %d\n%s", r.code, r.errOut)
	}
}

// TestSendConfirmationShowsDefaults: the confirmation shows the Reply-To and the campaign
// facts, those from the template folder marked as its defaults (a ministry sending the
// built-in save-the-date must see that it carries Slovenia's letterhead and the MLA
// contact address), and the hidden rows that go all the same.
func TestSendConfirmationShowsDefaults(t *testing.T) {
	e := newSendEnv(t, "Country,Authority,Salutation,Title,Full name,Position,Email,Cc,Language\nChile,Ministerio,Señor Ministro,Sr.,Juan Pérez,Ministro,juan@justicia.cl.test,,es\n", mailtest.Options{})
	r := e.send(t, "--template", "save-the-date", "--from", "Protocol <protocol@mfa.test>", "--fact", "information-link=https://mla.example/convention")
	if r.code != ExitOK {
		t.Fatalf("send: exit %d\n%s", r.code, r.errOut)
	}
	for _, want := range []string{
		"Reply-To:   MLA-initiative@minjenv.nl\n",
		"Facts:      contact = MLA-initiative@minjenv.nl (the template's default)\n",
		"information-link = https://mla.example/convention\n",
		"letterhead = ",
	} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("the confirmation does not show %q:\n%s", want, r.errOut)
		}
	}
	if !regexp.MustCompile(`(?m)^ +letterhead = .*SLOVENIA.* \(the template's default\)$`).MatchString(r.errOut) {
		t.Errorf("the letterhead is not shown as the template's default:\n%s", r.errOut)
	}

	var b strings.Builder
	sel := &send.Selection{Selected: []*plan.Item{{Row: 3}, {Row: 4}, {Row: 9}}}
	writeHidden(&b, &contacts.Table{Rows: []contacts.Row{{Number: 3, Hidden: true}, {Number: 4}, {Number: 9, Hidden: true}}}, sel)
	if got, want := b.String(), "Hidden:     rows 3, 9 are hidden in the workbook (a filter?) and sent like the others\n"; got != want {
		t.Errorf("hidden rows: got %q, want %q", got, want)
	}
}

// TestSendAddressLeftToAFailedRow: an address withheld from a row because an earlier row
// mails it is not left out when that earlier row fails: status shows the row that had it
// withheld as not done, and the next send gives the address its copy (regression: status
// said every recipient had the message, and the address never received one).
func TestSendAddressLeftToAFailedRow(t *testing.T) {
	e := newSendEnv(t, "Name,Email,Cc\nA,bad@a.test,c@c.test\nB,b@b.test,c@c.test\nC,c@c.test,\n", mailtest.Options{})
	e.srv.OnRcpt("bad@a.test", step(550, "5.1.1", "no such user"))
	if r := e.send(t); r.code != ExitNotDelivered {
		t.Fatalf("first send: exit %d\n%s", r.code, r.out)
	}
	if got := e.copies()["c@c.test"]; got != 0 {
		t.Fatalf("c has %d copies after the first send, want 0 (its row failed)", got)
	}
	code, out, _ := runHerald(t, false, "status", "--contacts", e.contacts, "--template", e.template, "--log", e.log)
	if code != ExitNotDelivered || !strings.Contains(out, "delivered, but c@c.test has no copy yet") {
		t.Errorf("status after the first send: exit %d\n%s", code, out)
	}
	// The person of row 2 has left: the row is deleted.
	e.write(t, "contacts.csv", "Name,Email,Cc\nB,b@b.test,c@c.test\nC,c@c.test,\n")
	if r := e.send(t); r.code != ExitOK || !strings.Contains(r.errOut, "Added:      row 2 was delivered, but c@c.test had no copy") {
		t.Fatalf("second send: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if got := e.copies(); got["c@c.test"] != 1 || got["b@b.test"] != 1 {
		t.Errorf("copies = %v, want one for b and one for c", got)
	}
	if code, out, _ := runHerald(t, false, "status", "--contacts", e.contacts, "--template", e.template, "--log", e.log); code != ExitOK {
		t.Errorf("status after the second send: exit %d\n%s", code, out)
	}
}
