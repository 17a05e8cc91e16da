//go:build unix

package template

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestAttachOnlyRegularFiles: a named pipe (or a device) in the folder would make check wait
// for ever (or read without end); it is refused when the folder is loaded, and when a cell
// names it.
func TestAttachOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.pdf"), 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "message.md"), []byte("Subject: S\nFrom: a@example.org\nAttach: pipe.pdf\nAttach: {{.File}}\n\nText\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tp, err := Load(root.FS(), "letter", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	errs := errorsOf(tp.Check([]string{"File", "Email"}))
	if len(errs) != 1 || !strings.Contains(errs[0], `message.md:3: Attach: "pipe.pdf" is not a regular file`) {
		t.Errorf("Check errors = %q, want the named pipe refused", errs)
	}
	// A cell naming it.
	if err := os.WriteFile(filepath.Join(dir, "message.md"), []byte("Subject: S\nFrom: a@example.org\nAttach: {{.File}}\n\nText\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tp, err = Load(os.DirFS(dir), "letter", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = tp.Render(map[string]string{"File": "pipe.pdf", "Email": "e@example.org"}, "")
	if err == nil || !strings.Contains(err.Error(), `"pipe.pdf" is not a regular file`) {
		t.Errorf("Render with Attach pipe.pdf: %v, want a refusal", err)
	}
}
