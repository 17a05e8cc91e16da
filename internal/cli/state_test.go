package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// panicWriter stands for a bug anywhere below cli: writing to it panics.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("writer exploded") }

// TestInternalErrorExitsOne: a panic is an internal error with a request to report it and
// exit code 1, never 2, which would blame the user's command line.
func TestInternalErrorExitsOne(t *testing.T) {
	var errOut bytes.Buffer
	code := Main(context.Background(), []string{"herald", "check"}, Streams{In: strings.NewReader(""), Out: panicWriter{}, Err: &errOut})
	if code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	for _, want := range []string{"herald: error: internal error: writer exploded\n", "herald: hint: this is a bug in herald", "goroutine "} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not contain %q:\n%s", want, errOut.String())
		}
	}
}

// TestNothingCarriedBetweenRuns: two calls of Main in one process share no setting; a
// variable set for the first is not remembered by the second.
func TestNothingCarriedBetweenRuns(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("Email,Name\nana@justice.test,Ana\njean@@justice.example,Jean\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(dir, "plain")
	if err := os.Mkdir(tmpl, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmpl, "message.md"), []byte("Subject: Hello {{.Name}}\nFrom: S <s@conference.example.org>\n\nDear {{.Name}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	preview := func() int {
		var out, errOut bytes.Buffer
		return Main(context.Background(), []string{"herald", "preview", "--contacts", bad, "--template", tmpl, "--out", filepath.Join(dir, "p")},
			Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	}
	t.Setenv("HERALD_SKIP_INVALID", "true")
	if code := preview(); code != ExitOK {
		t.Fatalf("with HERALD_SKIP_INVALID=true: exit %d, want 0", code)
	}
	os.Unsetenv("HERALD_SKIP_INVALID")
	if code := preview(); code != ExitFailure {
		t.Errorf("after unsetting HERALD_SKIP_INVALID: exit %d, want %d (the row with an error must stop the preview)", code, ExitFailure)
	}
}

// TestSendIgnoresSourceDateEpoch: SOURCE_DATE_EPOCH (set by Nix shells) fixes the dates and
// Message-IDs of previews only; real mail gets the real date and unique Message-IDs, so that
// the save-the-date and the invitation to one person never share a Message-ID.
func TestSendIgnoresSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	r := e.send(t)
	if r.code != ExitOK {
		t.Fatalf("send: exit %d\n%s", r.code, r.errOut)
	}
	if !strings.Contains(r.errOut, "SOURCE_DATE_EPOCH is set; send ignores it") {
		t.Errorf("stderr does not say that SOURCE_DATE_EPOCH is ignored:\n%s", r.errOut)
	}
	date := regexp.MustCompile(`(?m)^Date: (.*)\r$`)
	ids := map[string]bool{}
	for _, m := range e.srv.Messages() {
		if strings.HasPrefix(m.MessageID, "herald.1700000000.") {
			t.Errorf("Message-ID <%s> is numbered from SOURCE_DATE_EPOCH", m.MessageID)
		}
		ids[m.MessageID] = true
		d := date.FindStringSubmatch(string(m.Data))
		if d == nil {
			t.Fatalf("no Date header in\n%s", m.Data)
		}
		sent, err := time.Parse(time.RFC1123Z, d[1])
		if err != nil || time.Since(sent) > time.Hour || time.Until(sent) > time.Hour {
			t.Errorf("Date %q is not the time of sending (%v)", d[1], err)
		}
	}
	if len(ids) != 5 {
		t.Errorf("%d distinct Message-IDs for 5 messages", len(ids))
	}
}

// TestCampaignNamedAfterTheFolder: "-t ." from inside the template folder and the folder's
// path from outside it are one campaign with one log, so nobody is mailed twice.
func TestCampaignNamedAfterTheFolder(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	if r := e.send(t, "--limit", "2"); r.code != ExitOK {
		t.Fatalf("first send: exit %d\n%s", r.code, r.errOut)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(e.template); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"herald", "send", "--yes", "--contacts", e.contacts, "--template", ".",
		"--smtp-host", e.srv.Host, "--smtp-port", itoa(e.srv.Port), "--smtp-tls", "none", "--rate", "0"},
		Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code != ExitOK {
		t.Fatalf("send -t .: exit %d\n%s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "Campaign:   conference (log "+e.log+")") {
		t.Errorf("send -t . did not use campaign conference and its log:\n%s", errOut.String())
	}
	for addr, n := range e.copies() {
		if n != 1 {
			t.Errorf("%s received %d copies, want 1", addr, n)
		}
	}
	if n := len(e.srv.Messages()); n != 5 {
		t.Errorf("server got %d messages, want 5", n)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "..delivery.jsonl")); err == nil {
		t.Errorf("a log named ..delivery.jsonl was created")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestUnknownVariableWarns: a HERALD_* variable herald does not read (a typo such as
// HERALD_FORM) is a setting the user believes given: herald says so.
func TestUnknownVariableWarns(t *testing.T) {
	t.Setenv("HERALD_FORM", "Protocol <protocol@mfa.test>")
	t.Setenv("HERALD_FACT_VENUE", "Forum")
	var out, errOut bytes.Buffer
	Main(context.Background(), []string{"herald", "check"}, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if !strings.Contains(errOut.String(), "herald: warning: the variable HERALD_FORM is not one herald reads; it changes nothing\nherald: hint: did you mean HERALD_FROM?\n") {
		t.Errorf("stderr does not point out HERALD_FORM:\n%s", errOut.String())
	}
	if strings.Contains(errOut.String(), "HERALD_FACT_VENUE is not") {
		t.Errorf("a fact's variable is taken for an unknown one:\n%s", errOut.String())
	}
}
