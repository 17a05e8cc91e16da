package contacts

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var statusColors = map[string]string{"delivered": "C6EFCE", "failed": "FFC7CE", "unknown": "FFEB9C"}

// A delivery report read back in Excel: the user's cells as text (formulas inert), the
// status cells filled by value, the rest of the layout as WriteXLSX makes it.
func TestWriteXLSXHighlighted(t *testing.T) {
	header := []string{"Email", "Note", "Status", "Attempts"}
	rows := [][]string{
		{"a@justice.example", `=HYPERLINK("http://evil.invalid","click")`, "delivered", "1"},
		{"b@justice.example", "+221 33 000", "delivered", "1"},
		{"c@justice.example", "-1", "failed", "3"},
		{"d@justice.example", "@SUM(A1)", "unknown", "1"},
		{"e@justice.example", "0012", "pending", "0"},
		{"f@justice.example", "", "failed", "1"},
		{"g@justice.example"}, // a short row: no status at all
	}
	var buf bytes.Buffer
	if err := WriteXLSXHighlighted(&buf, "Report", header, rows, Highlight{Column: 2, Colors: statusColors}); err != nil {
		t.Fatal(err)
	}
	f := readBack(t, &buf)
	const sheet = "Report"
	for i, row := range rows {
		for j, want := range row {
			cell := fmt.Sprintf("%s%d", columnLetter(j), i+2)
			got, err := f.GetCellValue(sheet, cell)
			if err != nil || got != want {
				t.Errorf("%s: got %q, %v; want %q", cell, got, err, want)
			}
			if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
				t.Errorf("%s: got formula %q, want none", cell, formula)
			}
			if typ, _ := f.GetCellType(sheet, cell); want != "" && typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
				t.Errorf("%s: got cell type %v, want a string", cell, typ)
			}
		}
	}
	fill := func(cell string) string {
		t.Helper()
		s := styleOf(t, f, sheet, cell)
		if s.NumFmt != 49 {
			t.Errorf("%s: got number format %d, want text (49)", cell, s.NumFmt)
		}
		if s.Fill.Pattern != 1 || len(s.Fill.Color) == 0 {
			return ""
		}
		// Colours may come back with an alpha byte in front: "FFC6EFCE".
		c := strings.ToUpper(s.Fill.Color[0])
		return c[max(0, len(c)-6):]
	}
	for cell, want := range map[string]string{
		"C1": "", // the header keeps its own style
		"C2": "C6EFCE", "C3": "C6EFCE", "C4": "FFC7CE", "C5": "FFEB9C",
		"C6": "", "C7": "FFC7CE", "C8": "",
		"B4": "", "D4": "", // only the status column is coloured
	} {
		if got := fill(cell); got != want {
			t.Errorf("%s: got fill %q, want %q", cell, got, want)
		}
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("got panes %+v, %v; want the header row frozen", panes, err)
	}
	filter := false
	for _, d := range f.GetDefinedName() {
		filter = filter || (d.Name == "_xlnm._FilterDatabase" && strings.Contains(d.RefersTo, "$A$1:$D$8"))
	}
	if !filter {
		t.Errorf("got defined names %+v; want a filter over A1:D8", f.GetDefinedName())
	}
	if got, err := f.GetColWidth(sheet, "B"); err != nil || got != float64(len(rows[0][1])+2) {
		t.Errorf("column B: got width %v, %v; want %d, to fit the longest value", got, err, len(rows[0][1])+2)
	}
}

func TestWriteXLSXHighlightedDeterministic(t *testing.T) {
	rows := [][]string{{"a", "delivered"}, {"b", "failed"}, {"c", "unknown"}}
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if err := WriteXLSXHighlighted(buf, "R", []string{"Email", "Status"}, rows, Highlight{Column: 1, Colors: statusColors}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of one report differ")
	}
}

func TestWriteXLSXHighlightedBadColumn(t *testing.T) {
	err := WriteXLSXHighlighted(&bytes.Buffer{}, "R", []string{"Email"}, nil, Highlight{Column: 1})
	if err == nil || !strings.Contains(err.Error(), "highlighted column 1 is not among the 1 columns") {
		t.Errorf("got %v, want an error naming the column", err)
	}
}
