package run

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mla-initiative/herald/internal/contacts"
)

// Review: a wholly empty column (a spacer, common in formatted workbooks) is left out of
// Table.Columns, so Row.Values is indexed by position in Columns, while fieldsOf indexes it
// with Column.Index, the position in the sheet. Every column after the gap then reads the
// value of the column to its right, or "".
func TestFieldsAfterEmptyColumn(t *testing.T) {
	// Column B is empty in every row, header included.
	in := campaignDir(t, "Email,,Name,Country\nana@a.test,,Ana,Chile\n")
	p, err := Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if len(p.Items) != 1 {
		t.Fatalf("got %d items, %d skipped (problems %v); want 1 item", len(p.Items), len(p.Skipped), p.Problems)
	}
	f := p.Items[0].Fields
	if f["Name"] != "Ana" || f["Country"] != "Chile" {
		t.Errorf("got Name %q, Country %q; want Ana, Chile", f["Name"], f["Country"])
	}
	if p.Items[0].Subject != "Conference Ana" {
		t.Errorf("got subject %q, want %q", p.Items[0].Subject, "Conference Ana")
	}
}

// Review: a table that starts in column B (column A empty, as in many formatted sheets)
// shifts every field by one: the message goes to the Cc person alone, and the checks, which
// read the right cells, pass.
func TestTableStartingInColumnB(t *testing.T) {
	in := campaignDir(t, ",Name,Email,Cc\n,Ana,ana@a.test,desk@b.test\n")
	p, err := Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if len(p.Items) != 1 {
		t.Fatalf("got %d items, %d skipped (problems %v); want 1 item", len(p.Items), len(p.Skipped), p.Problems)
	}
	it := p.Items[0]
	var to []string
	for _, a := range it.To {
		to = append(to, a.Addr)
	}
	if len(to) != 1 || to[0] != "ana@a.test" || it.Subject != "Conference Ana" {
		t.Errorf("got To %q, subject %q; want [ana@a.test], %q", to, it.Subject, "Conference Ana")
	}
}

// Review: the same with an .xlsx workbook whose table starts in column B.
func TestXLSXTableStartingInColumnB(t *testing.T) {
	in := campaignDir(t, "unused\n")
	var buf bytes.Buffer
	if err := contacts.WriteXLSX(&buf, "Authorities", []string{"", "Name", "Email", "Cc"}, [][]string{{"", "Ana", "ana@a.test", "desk@b.test"}}); err != nil {
		t.Fatal(err)
	}
	in.Contacts = filepath.Join(filepath.Dir(in.Contacts), "contacts.xlsx")
	if err := os.WriteFile(in.Contacts, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if len(p.Items) != 1 {
		t.Fatalf("got %d items, %d skipped (problems %v); want 1 item", len(p.Items), len(p.Skipped), p.Problems)
	}
	it := p.Items[0]
	if len(it.To) != 1 || it.To[0].Addr != "ana@a.test" || it.Subject != "Conference Ana" {
		t.Errorf("got To %v, subject %q; want ana@a.test, %q", it.To, it.Subject, "Conference Ana")
	}
}
