package contacts

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// readBoth reads a sheet by the fast path and by excelize. fast is nil when the fast
// path declined the workbook.
func readBoth(t testing.TB, data []byte, sheet string) (fast, slow *builder, fastScan, slowScan sheetScan, err error) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, sheetScan{}, sheetScan{}, err
	}
	pkg, err := openPackage(zr, "test.xlsx", 1<<30)
	if err != nil {
		return nil, nil, sheetScan{}, sheetScan{}, err
	}
	target, _, err := pkg.choose(sheet)
	if err != nil {
		return nil, nil, sheetScan{}, sheetScan{}, err
	}
	slow, slowScan, err = readSheetExcelize(data, pkg, target, "test.xlsx", 1<<30)
	if err != nil {
		return nil, nil, sheetScan{}, sheetScan{}, err
	}
	fast, fastScan, err = pkg.readFast(target, "test.xlsx")
	if err != nil {
		if !errors.Is(err, errUnusual) {
			t.Fatalf("fast path: got error %v, want one wrapping errUnusual", err)
		}
		t.Logf("the fast path declined: %v", err)
		return nil, slow, sheetScan{}, slowScan, nil
	}
	return fast, slow, fastScan, slowScan, nil
}

// compareReads fails the test when the fast path read the sheet differently from
// excelize, and says whether it read it at all.
func compareReads(t testing.TB, data []byte, sheet string) bool {
	t.Helper()
	fast, slow, fastScan, slowScan, err := readBoth(t, data, sheet)
	if err != nil || fast == nil {
		return false
	}
	if fast.t.HeaderRow != slow.t.HeaderRow {
		t.Errorf("header row: got %d by the fast path, want %d as excelize reads", fast.t.HeaderRow, slow.t.HeaderRow)
	}
	if !reflect.DeepEqual(fast.header, slow.header) {
		t.Errorf("header: got %q by the fast path, want %q as excelize reads", fast.header, slow.header)
	}
	if got, want := dumpRows(fast.rows), dumpRows(slow.rows); got != want {
		t.Errorf("rows: got by the fast path\n%s\nwant as excelize reads\n%s", got, want)
	}
	// Dates are left to excelize, so the fast path never finds any.
	slowScan.dates = nil
	if got, want := fmt.Sprintf("%+v", fastScan), fmt.Sprintf("%+v", slowScan); got != want {
		t.Errorf("scan: got %s by the fast path, want %s", got, want)
	}
	return true
}

func dumpRows(rows []rawRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d %q\n", r.number, r.values)
	}
	return b.String()
}

// withPart returns the package data with one part replaced or added.
func withPart(t testing.TB, data []byte, name, content string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	write := func(n string, r io.Reader) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		if f.Name == name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		write(f.Name, rc)
		rc.Close()
	}
	write(name, strings.NewReader(content))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fastStyles has styles 1 and 2 with the General format (as a bold font gives in Excel),
// 3 with "@", 4 with a date format.
const fastStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="d mmmm yyyy"/></numFmts>
<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="0" fontId="1"/><xf fontId="1"/><xf numFmtId="49"/><xf numFmtId="164"/></cellXfs>
</styleSheet>`

// fastCells are cells the fast path must read exactly as excelize does, each tried in
// every style of fastStyles.
var fastCells = []string{
	`<v>0.30000000000000004</v>`, `<v>31701234567</v>`, `<v>1E6</v>`, `<v>-1234.5</v>`,
	`<v>123456789012</v>`, `<v>-123456789012345678</v>`, `<v>12345678901234567890</v>`,
	`<v>1.5E-7</v>`, `<v>0</v>`, `<v>-0</v>`, `<v> 12</v>`, `<v>NaN</v>`, `<v>Inf</v>`, `<v>0x1p4</v>`,
	`<v>1_000</v>`, `<v></v>`, `<v/>`, `<v>4.35</v>`, `<v>100000000000000000000000</v>`,
	`t="b"><v>1</v>`, `t="b"><v>0</v>`,
	`t="s"><v>0</v>`, `t="s"><v>1</v>`, `t="s"><v>2</v>`, `t="s"><v>3</v>`, `t="s"><v> 4 </v>`, `t="s"><v>5</v>`,
	`t="s"/>`,
	`t="str"><f>"Dear "&amp;B2</f><v>Dear x</v>`, `t="str"><v>12.50</v>`,
	`><f>B2&amp;"@example.org"</f>`, `><f t="shared" si="0"/>`,
	`t="e"><f>VLOOKUP(1,C:C,2,0)</f><v>#N/A</v>`,
	`t="inlineStr"><is><t xml:space="preserve">  Smith &amp; Co&#10;x&#xE9;</t></is>`,
	`t="inlineStr"><is><t>Ministry_x000D_` + "\r\n" + `of Justice_x005F_x0041_</t></is>`,
	`t="inlineStr"><is><r><t>a</t></r><t>b</t></is>`,
	`t="inlineStr"><v>as v</v>`,
	`t="inlineStr"/>`,
	`t="n"><v>7</v>`,
}

var fastSST = []string{
	`<si><t>Jean</t></si>`,
	`<si><r><t xml:space="preserve">Jean </t></r><r><rPr><b/></rPr><t>Dupont</t></r></si>`,
	`<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>`,
	`<si><t>12</t></si>`,
	`<si><t>_x0041__xD800_&lt;&amp;` + "\r" + `end</t></si>`,
	`<si/>`,
}

func TestFastReaderMatchesExcelize(t *testing.T) {
	t.Run("fixtures", func(t *testing.T) {
		for _, tt := range []struct {
			file, sheet string
			fast        bool // whether the fast path is expected to read it
		}{
			{"testdata/libreoffice.xlsx", "", false}, // dates and number formats
			{"testdata/libreoffice.xlsx", "Notes", true},
			{"testdata/excel-merged.xlsx", "", true},
			{"testdata/excel-book1.xlsx", "Sheet1", true},
			{"testdata/excel-book1.xlsx", "Sheet2", true},
		} {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := compareReads(t, data, tt.sheet); got != tt.fast {
				t.Errorf("%s %s: fast path read it: got %v, want %v", tt.file, tt.sheet, got, tt.fast)
			}
		}
	})

	t.Run("cells", func(t *testing.T) {
		var rows []string
		n := 1
		for _, c := range fastCells {
			var cells []string
			for s := range 4 {
				open := fmt.Sprintf(`<c r="%s%d" s="%d"`, columnLetter(s), n, s)
				if !strings.HasPrefix(c, "t=") && !strings.HasPrefix(c, ">") {
					open += ">"
				} else {
					open += " "
				}
				closing := "</c>"
				if !strings.Contains(c, "<") && strings.HasSuffix(c, "/>") {
					closing = "" // the cell closes itself
				}
				cells = append(cells, open+c+closing)
			}
			rows = append(rows, row(n, cells...))
			n++
		}
		body := sheetRows(rows...) + `<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>`
		data := buildXLSX(t, fastSST, testSheet{name: "S", body: body})
		data = withPart(t, data, "xl/styles.xml", fastStyles)
		if !compareReads(t, data, "") {
			t.Fatal("the fast path declined the workbook")
		}
		// A date format declines it.
		data = buildXLSX(t, fastSST, testSheet{name: "S", body: sheetRows(row(1, `<c r="A1" s="4"><v>45336</v></c>`))})
		data = withPart(t, data, "xl/styles.xml", fastStyles)
		if compareReads(t, data, "") {
			t.Error("the fast path read a date, which it must leave to excelize")
		}
	})

	t.Run("excelize-made", func(t *testing.T) {
		f := excelize.NewFile()
		defer f.Close()
		bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		if err != nil {
			t.Fatal(err)
		}
		text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
		if err != nil {
			t.Fatal(err)
		}
		values := []any{"Name", " spaced ", "a & b <c>", "line\r\nbreak", "tab\there", "_x0041_", "ümlaut 東京 🙂",
			12, 31701234567, 0.1 + 0.2, -4.5, 1e21, 123456789012345, true, false, ""}
		for r := 1; r <= 40; r++ {
			for c, v := range values {
				ref, _ := excelize.CoordinatesToCellName(c+1, r)
				if err := f.SetCellValue("Sheet1", ref, v); err != nil {
					t.Fatal(err)
				}
				switch r % 3 {
				case 1:
					f.SetCellStyle("Sheet1", ref, ref, bold)
				case 2:
					f.SetCellStyle("Sheet1", ref, ref, text)
				}
			}
		}
		if err := f.SetCellRichText("Sheet1", "A5", []excelize.RichTextRun{{Text: "rich "}, {Text: "text", Font: &excelize.Font{Bold: true}}}); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellFormula("Sheet1", "B7", `A7&"x"`); err != nil {
			t.Fatal(err)
		}
		if err := f.MergeCell("Sheet1", "C9", "D11"); err != nil {
			t.Fatal(err)
		}
		if err := f.SetRowVisible("Sheet1", 13, false); err != nil {
			t.Fatal(err)
		}
		if err := f.SetRowHeight("Sheet1", 14, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.RemoveRow("Sheet1", 20); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if !compareReads(t, buf.Bytes(), "") {
			t.Fatal("the fast path declined an excelize-made workbook")
		}
	})

	t.Run("herald-made", func(t *testing.T) {
		var buf bytes.Buffer
		rows := benchTable()[:200]
		rows[3][1] = "  A & B\r\nC  "
		if err := WriteXLSX(&buf, "Authorities", benchHeader, rows); err != nil {
			t.Fatal(err)
		}
		if !compareReads(t, buf.Bytes(), "") {
			t.Fatal("the fast path declined a workbook herald wrote")
		}
	})
}

// The fast path must decline, not misread, XML outside the subset it reads.
func TestFastReaderDeclines(t *testing.T) {
	tests := []struct{ name, body string }{
		{"comment", `<sheetData><!-- x --><row r="1"><c r="A1"><v>1</v></c></row></sheetData>`},
		{"CDATA", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[x]]></t></is></c></row></sheetData>`},
		{"unknown entity", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row></sheetData>`},
		{"control character", "<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\x01</t></is></c></row></sheetData>"},
		{"bad nesting", `<sheetData><row r="1"><c r="A1"><v>1</c></v></row></sheetData>`},
		{"row numbers going back", `<sheetData><row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row></sheetData>`},
		{"lower-case reference", `<sheetData><row r="1"><c r="a1"><v>1</v></c></row></sheetData>`},
		{"row outside sheetData", `<sheetData/><extLst><row r="1"/></extLst>`},
		{"date cell", `<sheetData><row r="1"><c r="A1" t="d"><v>2024-02-14</v></c></row></sheetData>`},
		{"extLst in a cell", `<sheetData><row r="1"><c r="A1"><v>1</v><extLst/></c></row></sheetData>`},
		{"two values", `<sheetData><row r="1"><c r="A1"><v>1</v><v>2</v></c></row></sheetData>`},
		{"shared string out of range", `<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildXLSX(t, []string{`<si><t>x</t></si>`}, testSheet{name: "S", body: tt.body})
			fast, _, _, _, err := readBoth(t, data, "")
			if err != nil {
				t.Skipf("excelize cannot read it either: %v", err)
			}
			if fast != nil {
				t.Errorf("the fast path read it: got rows\n%s\nwant it declined", dumpRows(fast.rows))
			}
		})
	}
}

// FuzzFastReader checks that whatever worksheet the fast path reads, it reads as excelize
// does.
func FuzzFastReader(f *testing.F) {
	for _, c := range fastCells {
		if !strings.Contains(c, "<") {
			f.Add(`<row r="1"><c r="A1" s="1" ` + c + `</row>`)
		} else if strings.HasPrefix(c, "t=") || strings.HasPrefix(c, ">") {
			f.Add(`<row r="1"><c r="A1" s="1" ` + c + `</c></row>`)
		} else {
			f.Add(`<row r="1"><c r="B1">` + c + `</c></row>`)
		}
	}
	f.Add(`<row><c><v>1</v></c><c r="C1" t="s"><v>1</v></c></row><row r="5" hidden="1"><c r="B5"><f>1</f></c></row>`)
	f.Fuzz(func(t *testing.T, rows string) {
		data := buildXLSX(t, fastSST, testSheet{name: "S", body: "<sheetData>" + rows + "</sheetData>"})
		data = withPart(t, data, "xl/styles.xml", fastStyles)
		compareReads(t, data, "")
	})
}
