package main

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/templates"
)

// TestSendSummaryAndExit checks what herald send tells the person running it, before and
// after, against a server that loses one reply: the confirmation names the sender as people
// write it, and a run that leaves a recipient unknown (from this run or an earlier one) ends
// with exit 3, "some recipients not delivered", whatever else it sent.
func TestSendSummaryAndExit(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	args := plainSend(srv, "--rate", "0")

	// The server keeps the first message and hangs up instead of answering: unknown.
	srv.OnData(mailtest.Step{NoReply: true, HangUp: true})
	res := runHerald(t, dir, nil, append(args, "--limit", "2")...)
	if res.code != 3 || !strings.Contains(res.stdout, "Delivered: 1. Failed: 0. Unknown: 1.") {
		t.Errorf("send --limit 2, the first reply lost: %v\nwant 1 delivered, 1 unknown, exit 3", res)
	}
	// The sender is written as people read it, not as an encoded header (=?utf-8?q?…?=).
	if want := "Sender:     Secretaría de Protocolo <protocol@mfa.example>\n"; !strings.Contains(res.stderr, want) {
		t.Errorf("confirmation:\n%s\nwant the line %q", res.stderr, want)
	}

	// The rest is delivered, the unknown recipient still is not: exit 3, as when nothing
	// is left to send.
	res = runHerald(t, dir, nil, args...)
	if !strings.Contains(res.stderr, "Not now:    1 with unknown outcome") || !strings.Contains(res.stdout, "Delivered: 28. Failed: 0. Unknown: 0. Not sent: 0.") {
		t.Fatalf("plain send after an unknown: %v\nwant 28 delivered, 1 unknown left alone", res)
	}
	if res.code != 3 {
		t.Errorf("plain send that leaves an earlier unknown recipient: exit %d, want 3 (not all delivered)", res.code)
	}
	res = runHerald(t, dir, nil, args...)
	if res.code != 3 || !strings.Contains(res.stdout, "Nothing to send: 29 delivered, 0 failed, 1 unknown") {
		t.Errorf("plain send with nothing left: %v\nwant exit 3", res)
	}
	if n := srv.Total(); n != 30 {
		t.Errorf("the server kept %d messages, want 30", n)
	}
}

// TestSendExitWhenServerGoes checks the exit codes the README gives for a server that
// cannot be reached: 1 when nothing could be sent, 3 when it goes away in the middle of a
// run (some delivered, the rest pending).
func TestSendExitWhenServerGoes(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()

	// Nothing listens: exit 1, nothing sent.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	res := runHerald(t, dir, nil, plainSendTo(srv.Host, closed, "--rate", "0", "--retries", "0")...)
	if res.code != 1 || !strings.Contains(res.stderr, "nothing was sent") {
		t.Errorf("server down from the start: %v\nwant exit 1 and nothing sent", res)
	}

	// The connection breaks after the first message and the server then refuses all
	// connections: exit 3, with the rest pending.
	srv.FailReset(1)
	port := mailtest.FirstConnectionOnly(t, srv.Addr)
	res = runHerald(t, dir, nil, plainSendTo(srv.Host, port, "--rate", "0", "--retries", "0")...)
	rest := sampleRows(t) - 1
	if res.code != 3 || !strings.Contains(res.stdout, fmt.Sprintf("Delivered: 1. Failed: 0. Unknown: 0. Not sent: %d.", rest)) || !strings.Contains(res.stdout, "Stopped: the connection broke and could not be made again") {
		t.Errorf("server gone in the middle of a run: %v\nwant exit 3, 1 delivered and %d not sent", res, rest)
	}
}

// TestSendLogDeleted deletes the log while herald sends: herald stops with exit 1 and an
// error naming the log and where it saved the records, and a second herald send started
// meanwhile is refused (regression: both went on, exit 0, and everyone was mailed twice).
func TestSendLogDeleted(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	held := make(chan struct{})
	srv.OnData(mailtest.Step{}, mailtest.Step{Arrived: held, Delay: 3 * time.Second})
	args := plainSend(srv, "--rate", "0")
	first := make(chan result, 1)
	go func() { first <- runHerald(t, dir, nil, args...) }()
	select {
	case <-held:
	case <-time.After(time.Minute):
		t.Fatal("the server saw no second message within a minute")
	}
	logPath := filepath.Join(dir, "save-the-date.delivery.jsonl")
	if err := os.Remove(logPath); err != nil {
		t.Fatal(err)
	}
	second := runHerald(t, dir, nil, args...)
	if second.code != 1 || !strings.Contains(second.stderr, "is in use by another herald run") {
		t.Errorf("second send after the log was deleted: %v\nwant exit 1, the log in use", second)
	}
	res := <-first
	if res.code != 1 || !strings.Contains(res.stderr, "save-the-date.delivery.jsonl was deleted or moved away while herald was sending") ||
		!strings.Contains(res.stderr, "herald: hint: herald saved the 4 records it holds") || !strings.Contains(res.stderr, "move that file to save-the-date.delivery.jsonl") {
		t.Errorf("send whose log was deleted: %v\nwant exit 1 naming the log and the saved records", res)
	}
	if strings.Contains(res.stdout, "The rest is pending") {
		t.Errorf("the summary advises sending again before the saved records are put back:\n%s", res.stdout)
	}
	if n := srv.Total(); n != 2 {
		t.Errorf("the server has %d messages, want the 2 sent before the log was deleted", n)
	}
	if _, err := os.Stat(logPath); err == nil {
		t.Errorf("a log was made again at %s", logPath)
	}
}

// sampleRows counts the recipients of the built-in sample workbook.
func sampleRows(t *testing.T) int {
	t.Helper()
	data, err := fs.ReadFile(templates.FS, templates.SampleName)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(strings.TrimSpace(string(data)), "\n")
}
