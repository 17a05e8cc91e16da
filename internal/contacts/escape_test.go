package contacts

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A value that looks like Excel's _xHHHH_ escape ("_x0041_") is written as it is,
// so Excel, excelize and the fast path all read it back as "A". excelize v2.11.1's
// setSharedString escapes the value with bstrMarshal but keeps the result only as the map
// key, not in the <t> it writes (cell.go:535-536). The export and herald init's sample
// then differ from the workbook.
func TestEscapeLookalike(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "S", []string{"Email", "Note"}, [][]string{{"a@a.test", "_x0041_"}}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "b.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	xf, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer xf.Close()
	fromExcelize, err := xf.GetCellValue("S", "B2")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Read(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Rows[0].Values[1]; got != "_x0041_" || fromExcelize != "_x0041_" {
		t.Errorf("got %q from Read, %q from excelize; want %q", got, fromExcelize, "_x0041_")
	}
}

func TestEscapeLookalikeTable(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{"_x0041_", "_x005F_x0041_"},
		{"a_x00e9_b_x12_", "a_x005F_x00e9_b_x12_"},
		{"_xZZZZ_", "_xZZZZ_"},
		{"_x0041", "_x0041"},
	} {
		if got := escapeLookalike(tt.in); got != tt.want {
			t.Errorf("escapeLookalike(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
