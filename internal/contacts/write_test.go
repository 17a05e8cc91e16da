package contacts

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var writeHeader = []string{"Country", "First name", "Email", "Postcode", "Note"}

var writeRows = [][]string{
	{"Argentina", "Lucía", "lucia@justicia.ar.example", "0012", "=1+1"},
	{"Mongolia", "Батбаяр", "b@mojha.mn.example", "1e6", "TRUE"},
	{"Greece", "Δήμητρα", "d@ministryofjustice.gr.example", "2024-02-14", "1/2"},
	{"China", "王芳", "w@moj.cn.example", "-5", "Ministry\nof Justice"},
	{"Senegal", "Awa", "a@justice.sn.example", "+221", "@SUM(A1)"},
	{"Slovenia"}, // shorter than the header
}

func TestWriteXLSXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "Authorities", writeHeader, writeRows); err != nil {
		t.Fatal(err)
	}
	tb, err := ReadFrom(bytes.NewReader(buf.Bytes()), "sample.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Sheet != "Authorities" || len(tb.Warnings) != 0 {
		t.Errorf("got sheet %q, warnings %v; want Authorities, none", tb.Sheet, tb.Warnings)
	}
	var headers []string
	for _, c := range tb.Columns {
		headers = append(headers, c.Header)
	}
	if !slices.Equal(headers, writeHeader) {
		t.Errorf("got header %q, want %q", headers, writeHeader)
	}
	if len(tb.Rows) != len(writeRows) {
		t.Fatalf("got %d rows, want %d", len(tb.Rows), len(writeRows))
	}
	for i, r := range tb.Rows {
		want := append(slices.Clone(writeRows[i]), make([]string, len(writeHeader)-len(writeRows[i]))...)
		if !slices.Equal(r.Values, want) || r.Number != i+2 {
			t.Errorf("row %d: got %d %q, want %q", i, r.Number, r.Values, want)
		}
	}
}

// The workbook must look right in Excel: text cells, bold frozen header, filter buttons,
// columns that fit.
func TestWriteXLSXLayout(t *testing.T) {
	long := strings.Repeat("x", 200)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "", []string{"Name", "Note", "姓名姓名姓名姓名"}, [][]string{{"0012", long, "王"}}); err != nil {
		t.Fatal(err)
	}
	f := readBack(t, &buf)
	const sheet = "Sheet1"
	if got := f.GetSheetList(); !slices.Equal(got, []string{sheet}) {
		t.Fatalf("got sheets %q, want [Sheet1]", got)
	}
	for _, cell := range []string{"A1", "A2", "B2", "C2"} {
		typ, err := f.GetCellType(sheet, cell)
		if err != nil || typ != excelize.CellTypeSharedString {
			t.Errorf("%s: got type %v, %v; want a string", cell, typ, err)
		}
		if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
			t.Errorf("%s: got formula %q, want none", cell, formula)
		}
	}
	style := func(cell string) *excelize.Style { return styleOf(t, f, sheet, cell) }
	if s := style("B1"); s.Font == nil || !s.Font.Bold || s.NumFmt != 49 {
		t.Errorf("header: got font %+v, number format %d; want bold text", s.Font, s.NumFmt)
	}
	if s := style("A2"); (s.Font != nil && s.Font.Bold) || s.NumFmt != 49 {
		t.Errorf("data: got font %+v, number format %d; want plain text", s.Font, s.NumFmt)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("got panes %+v, %v; want the first row frozen", panes, err)
	}
	filter := false
	for _, d := range f.GetDefinedName() {
		filter = filter || (d.Name == "_xlnm._FilterDatabase" && strings.Contains(d.RefersTo, "$A$1:$C$2"))
	}
	if !filter {
		t.Errorf("got defined names %+v; want a filter over A1:C2", f.GetDefinedName())
	}
	for col, want := range map[string]float64{"A": minColumnWidth, "B": maxColumnWidth, "C": 16 + 2} {
		if got, err := f.GetColWidth(sheet, col); err != nil || got != want {
			t.Errorf("column %s: got width %v, %v; want %v", col, got, err, want)
		}
	}
}

// readBack opens with excelize the workbook a test wrote into buf.
func readBack(t *testing.T, buf *bytes.Buffer) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// styleOf is the style of a cell of a workbook read back.
func styleOf(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWriteXLSXDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteXLSX(&a, "Authorities", writeHeader, writeRows); err != nil {
		t.Fatal(err)
	}
	if err := WriteXLSX(&b, "Authorities", writeHeader, writeRows); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of one table differ")
	}
}

func TestWriteXLSXErrors(t *testing.T) {
	tests := []struct {
		name   string
		sheet  string
		header []string
		rows   [][]string
		want   string
	}{
		{"no header", "S", nil, nil, "write workbook: no columns"},
		{"row too long", "S", []string{"A"}, [][]string{{"a"}, {"b", "c"}}, "write workbook: row 3 has 2 values for 1 columns"},
		{"cell too long", "S", []string{"A", "B"}, [][]string{{"a", strings.Repeat("é", 32768)}}, "write workbook: cell B2 holds 32768 characters, more than the 32767 a cell can hold"},
		{"sheet name", "a/b", []string{"A"}, nil, `write workbook: sheet name "a/b": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteXLSX(&bytes.Buffer{}, tt.sheet, tt.header, tt.rows)
			if err == nil || !strings.HasPrefix(withHints(err), tt.want) {
				t.Errorf("got error %v, want one starting %q", err, tt.want)
			}
		})
	}
}
