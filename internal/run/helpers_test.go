package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/plan"
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

func mustPrepare(t testing.TB, in Inputs) *plan.Plan {
	t.Helper()
	p, err := Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if err := p.Ready(false); err != nil {
		t.Fatalf("Ready: %v (problems: %v)", err, p.Problems)
	}
	return p
}

// recipientRows makes a workbook of n recipients, r1@n1.test … rn@nn.test.
func recipientRows(n int) string {
	var b strings.Builder
	b.WriteString("Email,Name\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "r%d@n%d.test,Name %d\n", i, i, i)
	}
	return b.String()
}
