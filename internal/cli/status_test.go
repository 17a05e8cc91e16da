package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// runHerald runs the command line in-process and returns the exit code, stdout and stderr.
func runHerald(t *testing.T, color bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"herald"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut, ColorOut: color})
	return code, out.String(), errOut.String()
}

// TestStatus sends through a real SMTP server that refuses one recipient, then asks
// herald status about it in every form, and about campaigns that were and were not sent.
func TestStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tmpl := filepath.Dir(write("plain/message.md", "Subject: Hello {{.Name}}\nFrom: S <s@conference.example.org>\n\nDear {{.Name}}\n"))
	book := write("contacts.csv", "Email,Name\nana@justice.test,Ana\nbad@justice.test,Bob\n")
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnRcpt("bad@justice.test", mailtest.Step{Reply: &mailtest.Reply{Code: 550, Enhanced: "5.1.1", Text: "no such user"}})
	inputs := []string{"--contacts", book, "--template", tmpl}
	send := append([]string{"send", "--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port), "--smtp-tls", "none", "--rate", "0", "--retries", "0", "--yes"}, inputs...)

	// Before any send: no log, everyone pending.
	code, out, errOut := runHerald(t, false, append([]string{"status"}, inputs...)...)
	if code != ExitNotDelivered || !strings.Contains(out, "No delivery log at "+filepath.Join(dir, "plain.delivery.jsonl")+" yet") ||
		!strings.Contains(out, "  pending        2") {
		t.Errorf("status before sending: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitNotDelivered, out, errOut)
	}

	if code, out, errOut := runHerald(t, false, send...); code != ExitNotDelivered {
		t.Fatalf("send: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitNotDelivered, out, errOut)
	}

	t.Run("table", func(t *testing.T) {
		code, out, errOut := runHerald(t, false, append([]string{"status"}, inputs...)...)
		if code != ExitNotDelivered || !strings.Contains(out, "  delivered      1") || !strings.Contains(out, "  failed         1") ||
			!strings.Contains(out, "bad@justice.test") || !strings.Contains(out, "550 5.1.1 no such user") || strings.Contains(out, "\x1b") {
			t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitNotDelivered, out, errOut)
		}
		if _, out, _ := runHerald(t, true, append([]string{"status"}, inputs...)...); !strings.Contains(out, "\x1b[31m") {
			t.Errorf("on a colour terminal: no colour in\n%s", out)
		}
	})

	t.Run("json", func(t *testing.T) {
		code, out, errOut := runHerald(t, false, append([]string{"status", "--format", "json"}, inputs...)...)
		var list []struct {
			Row    int      `json:"row"`
			To     []string `json:"to"`
			Status string   `json:"status"`
			Code   int      `json:"code"`
		}
		if err := json.Unmarshal([]byte(out), &list); err != nil || code != ExitNotDelivered {
			t.Fatalf("exit %d, %v\nstdout:\n%s\nstderr:\n%s", code, err, out, errOut)
		}
		if len(list) != 2 || list[0].Status != "delivered" || list[1].Row != 3 || list[1].Status != "failed" || list[1].Code != 550 {
			t.Errorf("got %+v", list)
		}
	})

	t.Run("export", func(t *testing.T) {
		for _, name := range []string{"report.xlsx", "report.csv"} {
			path := filepath.Join(dir, name)
			code, _, errOut := runHerald(t, false, append([]string{"status", "--format", "csv", "--export", path}, inputs...)...)
			st, err := os.Stat(path)
			if code != ExitNotDelivered || err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
				t.Errorf("export %s: exit %d, %v; want exit %d and a file of mode 0600\nstderr:\n%s", name, code, err, ExitNotDelivered, errOut)
			}
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"--format", "yaml"}, {"--export", filepath.Join(dir, "report.ods")}, {"stray"}} {
			code, _, errOut := runHerald(t, false, append(append([]string{"status"}, args...), inputs...)...)
			if code != ExitUsage || !strings.Contains(errOut, "herald: error:") {
				t.Errorf("status %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), code, ExitUsage, errOut)
			}
		}
	})

	// A second campaign from the same workbook and folder, all delivered: exit 0 for it,
	// while the first still has a failure.
	t.Run("campaigns", func(t *testing.T) {
		good := write("good.csv", "Email,Name\nana@justice.test,Ana\n")
		args := []string{"--contacts", good, "--template", tmpl, "--campaign", "gala"}
		send := append([]string{"send", "--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port), "--smtp-tls", "none", "--rate", "0", "--yes"}, args...)
		if code, out, errOut := runHerald(t, false, send...); code != ExitOK {
			t.Fatalf("send gala: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		code, out, errOut := runHerald(t, false, append([]string{"status"}, args...)...)
		if code != ExitOK || !strings.Contains(out, "Every recipient has the message.") || !strings.Contains(out, "gala.delivery.jsonl") {
			t.Errorf("status gala: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitOK, out, errOut)
		}
		code, out, _ = runHerald(t, false, "status", "--contacts", good, "--template", tmpl, "--campaign", "gal")
		if code != ExitNotDelivered || !strings.Contains(out, "No delivery log") || !strings.Contains(out, "gala") {
			t.Errorf("status of a mistyped campaign: exit %d, want %d and the other campaigns named\nstdout:\n%s", code, ExitNotDelivered, out)
		}
	})
}

// TestStatusCSVOnTerminal: CSV is written as it is for a script, but on a terminal a server's
// reply or a cell cannot move the cursor or retitle the window (regression: escape
// sequences reached the terminal through --format csv).
func TestStatusCSVOnTerminal(t *testing.T) {
	e := newSendEnv(t, "Email,Name\nr1@n1.test,One\n", mailtest.Options{})
	e.srv.OnRcpt("r1@n1.test", step(550, "5.1.1", "no such user \x1b[2J\x1b]0;pwned\a"))
	e.send(t)
	status := func(terminal bool) string {
		var out, errOut bytes.Buffer
		Main(context.Background(), []string{"herald", "status", "--format", "csv", "--contacts", e.contacts, "--template", e.template, "--log", e.log},
			Streams{In: strings.NewReader(""), Out: &out, Err: &errOut, TerminalOut: terminal})
		return out.String()
	}
	if got := status(true); strings.ContainsAny(got, "\x1b\a") || !strings.Contains(got, "no such user") {
		t.Errorf("on a terminal, the CSV holds control characters or lost the reply:\n%q", got)
	}
	if got := status(false); !strings.Contains(got, "\x1b[2J") {
		t.Errorf("to a script, the CSV does not keep the reply as the server gave it:\n%q", got)
	}
}
