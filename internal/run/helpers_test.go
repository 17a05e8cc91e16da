package run

import (
	"os"
	"path/filepath"
	"testing"
)

// plainTemplate is a template folder with nothing but text, so that what a test measures or
// checks is the sending.
const plainTemplate = "Subject: Conference {{.Name}}\nFrom: Secretariat <secretariat@conference.example.org>\n\nDear {{.Name}},\n\nsee you in Geneva.\n"

// campaignDir writes a workbook (CSV: header line, then one line per row) and the plain
// template into a fresh folder and returns the inputs that name them.
func campaignDir(t testing.TB, csv string) Inputs {
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
	return Inputs{Contacts: contacts, Template: tmpl}
}
