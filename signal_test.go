//go:build unix

package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// TestSigtermStopsAnyCommand: SIGTERM (or Ctrl-C) stops a command other than send at once,
// even one waiting for a server that never answers (herald inbox on an IMAP port that
// accepts and says nothing; send, whose message on the wire must be finished and recorded,
// is the only one that waits for it).
func TestSigtermStopsAnyCommand(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()
	// A campaign that was sent: inbox looks for its answers.
	logLines := `{"type":"attempt","time":"2024-01-10T09:30:00.000Z","campaign":"save-the-date","key":"a@x.test","to":["a@x.test"],"message_id":"m1@mfa.test"}` + "\n" +
		`{"type":"outcome","time":"2024-01-10T09:30:01.000Z","campaign":"save-the-date","key":"a@x.test","status":"delivered"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "save-the-date.delivery.jsonl"), []byte(logLines), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(heraldBinary(t), "inbox", "--imap-host", "127.0.0.1", "--imap-port", port, "--imap-tls", "tls", "--imap-user", "protocol@mfa.test")
	cmd.Dir = dir
	cmd.Env = append(heraldEnv(), "HERALD_IMAP_PASSWORD=secret")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	time.Sleep(500 * time.Millisecond)
	select {
	case <-exited:
		t.Fatalf("herald inbox ended before SIGTERM:\n%s", stderr.String())
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("herald inbox still running 10 s after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "herald: error: ") {
		t.Errorf("herald inbox after SIGTERM: exit %d, stderr:\n%s", code, stderr.String())
	}
}

// TestClosedOutputDoesNotStopSend: herald send --yes 2>&1 | head -3 — the reader goes away
// after the first lines, and every message is still sent and logged.
func TestClosedOutputDoesNotStopSend(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnData(mailtest.Step{Delay: 20 * time.Millisecond})
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString("Email,Name\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&rows, "r%d@n%d.test,Name %d\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "contacts.csv"), []byte(rows.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "note"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "note", "message.md"), []byte("Subject: Note {{.Name}}\nFrom: S <s@conference.example.org>\n\nDear {{.Name}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(heraldBinary(t), plainSend(srv, "--contacts", "contacts.csv", "--template", "note", "--rate", "0")...)
	cmd.Dir = dir
	cmd.Env = heraldEnv()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// Read the first lines, as head -3 would, then go away.
	buf := make([]byte, 200)
	r.Read(buf)
	r.Close()
	if err := cmd.Wait(); err != nil {
		if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			t.Fatalf("herald died of %v when its output was closed", status.Signal())
		}
	}
	if n := srv.Total(); n != 20 {
		t.Errorf("server got %d messages, want 20", n)
	}
	delivered := 0
	for _, st := range foldLog(readLog(t, filepath.Join(dir, "note.delivery.jsonl"))) {
		if st.status == "delivered" {
			delivered++
		}
	}
	if delivered != 20 {
		t.Errorf("log has %d delivered, want 20", delivered)
	}
}
