//go:build unix

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInputsMustBeFiles covers the class: every file herald reads (the config, the
// workbook, a message file, facts.toml, the delivery log) is refused when it is a device or
// a named pipe, which would be read without end or make herald wait for ever — quickly,
// naming it, and without creating anything beside it (regression: out of memory on
// /dev/zero, a hang on a pipe, a /dev/zero.lock file).
func TestInputsMustBeFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	contacts := write("contacts.csv", "Email,Name\nana@justice.test,Ana\n")
	write("letter/message.md", "Subject: Hello {{.Name}}\nFrom: S <s@conference.test>\n\nDear {{.Name}}\n")
	if err := os.MkdirAll(filepath.Join(dir, "zero"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("zero/message.md", "Subject: Hello\nFrom: S <s@conference.test>\n\nDear\n")
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero", "message.fr.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "facts"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("facts/message.md", "Subject: Hello\nFrom: S <s@conference.test>\n\n{{fact \"venue\"}}\n")
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "facts", "facts.toml")); err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "pipe.csv")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"config", []string{"check", "--config", "/dev/zero", "--contacts", contacts, "--template", filepath.Join(dir, "letter")}, "not a regular file"},
		{"workbook", []string{"check", "--contacts", pipe, "--template", filepath.Join(dir, "letter")}, "pipe.csv: is not a regular file"},
		{"message file", []string{"check", "--contacts", contacts, "--template", filepath.Join(dir, "zero")}, "message.fr.md is not a regular file"},
		{"facts.toml", []string{"check", "--contacts", contacts, "--template", filepath.Join(dir, "facts")}, "facts.toml is not a regular file"},
		{"log", []string{"status", "--contacts", contacts, "--template", filepath.Join(dir, "letter"), "--log", "/dev/zero"}, "/dev/zero: not a regular file"},
		{"log as a pipe", []string{"status", "--contacts", contacts, "--template", filepath.Join(dir, "letter"), "--log", pipe}, "pipe.csv: not a regular file"},
		{"config as a pipe", []string{"check", "--config", pipe}, "not a regular file"},
		{"log of send", []string{"send", "--yes", "--contacts", contacts, "--template", filepath.Join(dir, "letter"), "--log", "/dev/zero", "--smtp-host", "127.0.0.1", "--smtp-tls", "none"}, "/dev/zero: not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			done := make(chan int, 1)
			go func() {
				done <- Main(context.Background(), append([]string{"herald"}, tt.args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
			}()
			select {
			case code := <-done:
				if code == ExitOK || !strings.Contains(errOut.String(), tt.stderr) {
					t.Errorf("exit %d, stderr:\n%s\nwant a refusal saying %q", code, errOut.String(), tt.stderr)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("herald %s still running after 20 s", strings.Join(tt.args, " "))
			}
		})
	}
	if _, err := os.Stat("/dev/zero.lock"); err == nil {
		t.Errorf("/dev/zero.lock was created")
	}
}
