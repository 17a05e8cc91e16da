package contacts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// sharedStrings are the <si> items the display tests refer to by index.
var sharedStrings = []string{
	`<si><t>Jean</t></si>`,
	`<si><r><t xml:space="preserve">Jean </t></r><r><rPr><b/></rPr><t>Dupont</t></r></si>`,
	`<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>`,
}

func TestReadXLSXCellDisplay(t *testing.T) {
	tests := []struct {
		name    string
		cell    string // the A2 cell
		want    string
		warning string // a part of the one warning expected, "" for none
	}{
		{"float noise", `<c r="A2"><v>0.30000000000000004</v></c>`, "0.3", ""},
		{"phone number", `<c r="A2"><v>31701234567</v></c>`, "31701234567", ""},
		{"exponent stored", `<c r="A2"><v>1E6</v></c>`, "1000000", ""},
		{"negative decimal", `<c r="A2"><v>-1234.5</v></c>`, "-1234.5", ""},
		{"default date", `<c r="A2" s="1"><v>45336</v></c>`, "2024-02-14", ""},
		{"default date and time", `<c r="A2" s="2"><v>45336.395833333336</v></c>`, "2024-02-14 09:30", ""},
		{"system long date", `<c r="A2" s="6"><v>45336</v></c>`, "2024-02-14", ""},
		{"long date format", `<c r="A2" s="3"><v>45336</v></c>`, "14 February 2024", ""},
		{"day first format", `<c r="A2" s="9"><v>45336</v></c>`, "14/02/2024", ""},
		{"thousands and decimals", `<c r="A2" s="4"><v>1234.5</v></c>`, "1,234.50", ""},
		{"percentage", `<c r="A2" s="5"><v>0.25</v></c>`, "25%", ""},
		{"integer format", `<c r="A2" s="7"><v>31701234567</v></c>`, "31701234567", ""},
		{"number formatted as text", `<c r="A2" s="8"><v>12</v></c>`, "12", ""},
		{"true", `<c r="A2" t="b"><v>1</v></c>`, "TRUE", ""},
		{"false", `<c r="A2" t="b"><v>0</v></c>`, "FALSE", ""},
		{"shared string", `<c r="A2" t="s"><v>0</v></c>`, "Jean", ""},
		{"rich text", `<c r="A2" t="s"><v>1</v></c>`, "Jean Dupont", ""},
		{"phonetic guide left out", `<c r="A2" t="s"><v>2</v></c>`, "東京", ""},
		{"entity", inline("A2", "Smith &amp; Co"), "Smith & Co", ""},
		{"spaces and no-break space", inline("A2", "  Jean\u00a0"), "Jean", ""},
		{"line break saved as _x000D_", inline("A2", "Ministry_x000D_\nof Justice"), "Ministry\nof Justice", ""},
		{"ISO date cell", `<c r="A2" t="d"><v>2024-02-14T09:30:00</v></c>`, "2024-02-14 09:30", ""},
		{"ISO date cell formatted", `<c r="A2" t="d" s="3"><v>2024-02-14T00:00:00Z</v></c>`, "14 February 2024", ""},
		{"formula with text result", `<c r="A2" t="str"><f>"Dear "&amp;B2</f><v>Dear x</v></c>`, "Dear x", ""},
		{"formula with date result", `<c r="A2" s="1"><f>DATE(2024,2,14)</f><v>45336</v></c>`, "2024-02-14", ""},
		{"formula without result", `<c r="A2"><f>B2&amp;"@example.org"</f></c>`, "", "A2 holds a formula whose result was not saved in the file"},
		{"shared formula without result", `<c r="A2"><f t="shared" si="0"/></c>`, "", "A2 holds a formula whose result was not saved"},
		{"formula error", `<c r="A2" t="e"><f>VLOOKUP(1,C:C,2,0)</f><v>#N/A</v></c>`, "#N/A", "A2 shows a formula error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildXLSX(t, sharedStrings, testSheet{name: "Authorities", body: sheetRows(
				row(1, inline("A1", "Value"), inline("B1", "Marker")),
				row(2, tt.cell, inline("B2", "x")),
			)})
			tb, err := readBytes(t, data, "contacts.xlsx", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(tb.Rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(tb.Rows))
			}
			if got := tb.Rows[0].Values[0]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			warnings := warningsText(tb)
			switch {
			case tt.warning == "" && warnings != "":
				t.Errorf("got warnings\n%s\nwant none", warnings)
			case tt.warning != "" && (len(tb.Warnings) != 1 || !strings.Contains(warnings, tt.warning)):
				t.Errorf("got warnings\n%s\nwant one with %q", warnings, tt.warning)
			}
		})
	}
}

// tableDump is a Table's content in a form that diffs well in a failure message.
func tableDump(tb *Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q header %d\n", tb.File, tb.Sheet, tb.HeaderRow)
	for _, c := range tb.Columns {
		fmt.Fprintf(&b, "%s %q %s\n", c.Letter(), c.Header, c.Name)
	}
	for _, r := range tb.Rows {
		hidden := ""
		if r.Hidden {
			hidden = " hidden"
		}
		fmt.Fprintf(&b, "%d%s %q\n", r.Number, hidden, r.Values)
	}
	for _, w := range tb.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", withHints(w))
	}
	return b.String()
}

func TestReadXLSXFixtures(t *testing.T) {
	tests := []struct {
		file  string
		sheet string
		want  string
	}{
		{
			// Made by LibreOffice from libreoffice.fods: merged cells (A3:A5, B3:B4), dates in
			// four formats, numbers, a formula, booleans, a hidden row, an empty row, a
			// header with spaces, and a second sheet.
			file: "testdata/libreoffice.xlsx",
			want: `testdata/libreoffice.xlsx "Authorities" header 2
A "Country" Country
B "Authority" Authority
C "First name" FirstName
D "Last name" LastName
E "E-mail" Email
F "Language" Language
G "Reply by" ReplyBy
H "Signed on" SignedOn
I "Meeting" Meeting
J "Phone" Phone
K "Share" Share
L "Check" Check
M "Confirmed" Confirmed
N "Postcode" Postcode
O "Arrival" Arrival
3 ["Argentina" "Ministerio de Justicia" "Lucía" "Fernández" "lucia.fernandez@justicia.ar.example" "es" "15/01/2024" "14 February 2024" "2024-02-14 09:30" "541143101234" "25%" "0.3" "TRUE" "0012" "2/13/24"]
4 ["Argentina" "Ministerio de Justicia" "Martín" "Gómez" "martin.gomez@justicia.ar.example" "es" "15/01/2024" "15 February 2024" "" "" "1,234.50" "0.9" "FALSE" "" ""]
5 ["Argentina" "Cancillería" "Sofía" "Ruiz" "sofia.ruiz@cancilleria.ar.example" "es" "" "" "" "" "" "" "" "" ""]
7 hidden ["Belgium" "SPF Justice" "Élise" "van der Berg" "elise.vanderberg@just.be.example" "fr" "" "" "" "" "" "" "" "" ""]
8 ["Mongolia" "Хууль зүй, дотоод хэргийн яам" "Батбаяр" "Дорж" "b.dorj@mojha.mn.example" "en" "" "" "" "" "" "" "" "" ""]
warning: testdata/libreoffice.xlsx: Authorities!A2: header " Country " has spaces before or after it, which are ignored
warning: testdata/libreoffice.xlsx: Authorities: row 7 is hidden in the workbook (perhaps by a filter) but is read like the others; delete the rows that must not be read, or copy the rows that must to a sheet of their own
warning: testdata/libreoffice.xlsx: the sheet read is "Authorities", the first of 2 (Authorities, Notes); to read another sheet, use --sheet with its name
`,
		},
		{
			file:  "testdata/libreoffice.xlsx",
			sheet: "notes", // names compare without regard to case
			want: `testdata/libreoffice.xlsx "Notes" header 1
A "Note" Note
B "Owner" Owner
2 ["Reply cards go out on 15 January" "Protocol"]
`,
		},
		{
			// Made by Excel 2007 (excelize's test/MergeCell.xlsx): ranges A1:B1, A2:A3, A4:B5
			// and A7:C10.
			file: "testdata/excel-merged.xlsx",
			want: `testdata/excel-merged.xlsx "Sheet1" header 1
A "A1" A1
B "A1" A1
C "C1" C1
D "D1" D1
2 ["A2" "B2" "C2" "D2"]
3 ["A2" "B3" "C3" "D3"]
4 ["A4" "A4" "C4" "D4"]
5 ["A4" "A4" "C5" "D5"]
6 ["A6" "B6" "C6" "D6"]
7 ["A7" "A7" "A7" "D7"]
8 ["A7" "A7" "A7" "D8"]
9 ["A7" "A7" "A7" "D9"]
10 ["A7" "A7" "A7" "D10"]
11 ["A11" "B11" "C11" "D11"]
12 ["A12" "B12" "C12" "D12"]
warning: testdata/excel-merged.xlsx: Sheet1: the headers A1 "A1" and B1 "A1" all give the name A1; templates cannot use {{.A1}} until all but one of these columns is renamed
`,
		},
		{
			// Made by Excel for Mac (excelize's test/Book1.xlsx), with charts, a table, a
			// comment and an image besides: columns without header, a row of height 0,
			// formulas saved without result, and a string in a str-typed cell.
			file:  "testdata/excel-book1.xlsx",
			sheet: "Sheet2",
			want: `testdata/excel-book1.xlsx "Sheet2" header 1
A "Monitor" Monitor
B "" 
C "Brand" Brand
D "" 
E "inlineStr" InlineStr
2 ["> 23 Inch" "19" "HP" "200" ""]
3 ["20-23 Inch" "24" "DELL" "450" ""]
4 ["17-20 Inch" "56" "Lenove" "200" ""]
5 ["< 17 Inch" "21" "SONY" "510" ""]
6 ["" "" "Acer" "315" ""]
7 ["" "" "IBM" "127" ""]
8 ["" "" "ASUS" "89" ""]
9 hidden ["" "" "Apple" "348" ""]
10 ["" "" "SAMSUNG" "53" ""]
11 ["" "" "Other" "37" ""]
warning: testdata/excel-book1.xlsx: Sheet2!B1: column B has no header but holds values (the first in B2), which templates cannot use; give the column a header in B1, or delete its values
warning: testdata/excel-book1.xlsx: Sheet2!D1: column D has no header but holds values (the first in D2), which templates cannot use; give the column a header in D1, or delete its values
warning: testdata/excel-book1.xlsx: Sheet2: row 9 is hidden in the workbook (perhaps by a filter) but is read like the others; delete the rows that must not be read, or copy the rows that must to a sheet of their own
warning: testdata/excel-book1.xlsx: Sheet2: E11 holds a formula whose result was not saved in the file, so it reads as empty; open the workbook in Excel or LibreOffice and save it again, which saves the results
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.sheet, func(t *testing.T) {
			tb, err := Read(tt.file, Options{Sheet: tt.sheet})
			if err != nil {
				t.Fatal(err)
			}
			if got := tableDump(tb); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestReadXLSXMerges(t *testing.T) {
	tests := []struct {
		name     string
		prefixed bool
		body     string
		want     [][]string
	}{
		{
			name: "country over its contacts",
			body: sheetRows(
				row(1, inline("A1", "Country"), inline("B1", "Email")),
				row(2, inline("A2", "Senegal"), inline("B2", "a@justice.sn.example")),
				row(3, inline("B3", "b@justice.sn.example")),
				row(4, inline("B4", "c@justice.sn.example")),
			) + `<mergeCells count="1"><mergeCell ref="A2:A4"/></mergeCells>`,
			want: [][]string{{"Senegal", "a@justice.sn.example"}, {"Senegal", "b@justice.sn.example"}, {"Senegal", "c@justice.sn.example"}},
		},
		{
			name:     "namespace prefix",
			prefixed: true,
			body: `<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Country</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>Email</x:t></x:is></x:c></x:row>` +
				`<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>Senegal</x:t></x:is></x:c><x:c r="B2" t="inlineStr"><x:is><x:t>a@justice.sn.example</x:t></x:is></x:c></x:row>` +
				`<x:row r="3"><x:c r="B3" t="inlineStr"><x:is><x:t>b@justice.sn.example</x:t></x:is></x:c></x:row></x:sheetData>` +
				`<x:mergeCells count="1"><x:mergeCell ref="A2:A3"/></x:mergeCells>`,
			want: [][]string{{"Senegal", "a@justice.sn.example"}, {"Senegal", "b@justice.sn.example"}},
		},
		{
			name: "range reaching an empty row and an empty column adds neither",
			body: sheetRows(
				row(1, inline("A1", "Country"), inline("B1", "Email")),
				row(2, inline("A2", "Senegal"), inline("B2", "a@justice.sn.example")),
				row(4, inline("B4", "c@justice.sn.example")),
			) + `<mergeCells count="1"><mergeCell ref="A2:D5"/></mergeCells>`,
			want: [][]string{{"Senegal", "Senegal"}, {"Senegal", "Senegal"}},
		},
		{
			name: "range with an empty top-left cell",
			body: sheetRows(
				row(1, inline("A1", "Country"), inline("B1", "Email")),
				row(2, inline("B2", "a@justice.sn.example")),
				row(3, inline("A3", "hidden under the merge"), inline("B3", "b@justice.sn.example")),
			) + `<mergeCells count="1"><mergeCell ref="A2:A3"/></mergeCells>`,
			want: [][]string{{"", "a@justice.sn.example"}, {"", "b@justice.sn.example"}},
		},
		{
			name: "range given bottom-right first",
			body: sheetRows(
				row(1, inline("A1", "Country"), inline("B1", "Email")),
				row(2, inline("A2", "Mongolia"), inline("B2", "a@mojha.mn.example")),
				row(3, inline("B3", "b@mojha.mn.example")),
			) + `<mergeCells count="1"><mergeCell ref="A3:A2"/></mergeCells>`,
			want: [][]string{{"Mongolia", "a@mojha.mn.example"}, {"Mongolia", "b@mojha.mn.example"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildXLSX(t, nil, testSheet{name: "Authorities", body: tt.body, prefixed: tt.prefixed})
			tb, err := readBytes(t, data, "contacts.xlsx", Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, r := range tb.Rows {
				got = append(got, r.Values)
			}
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A crafted file with many overlapping merged ranges must not make reading quadratic.
func TestReadXLSXOverlappingMerges(t *testing.T) {
	const rows, ranges = 2000, 2000
	var sheet strings.Builder
	sheet.WriteString(row(1, inline("A1", "Name"), inline("B1", "Email")))
	for r := 2; r <= rows+1; r++ {
		sheet.WriteString(row(r, inline(fmt.Sprintf("A%d", r), "x"), inline(fmt.Sprintf("B%d", r), "y@example.org")))
	}
	var merges strings.Builder
	for range ranges {
		fmt.Fprintf(&merges, `<mergeCell ref="A2:B%d"/>`, rows+1)
	}
	data := buildXLSX(t, nil, testSheet{name: "S", body: "<sheetData>" + sheet.String() + "</sheetData><mergeCells>" + merges.String() + "</mergeCells>"})
	start := time.Now()
	tb, err := readBytes(t, data, "contacts.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("reading took %v, want well under 5s", elapsed)
	}
	if got := tb.Rows[rows-1].Values; !slices.Equal(got, []string{"x", "x"}) {
		t.Errorf("last row: got %q, want the first range's value in both cells", got)
	}
}

func TestReadXLSXHiddenRows(t *testing.T) {
	data := buildXLSX(t, nil, testSheet{name: "S", body: sheetRows(
		row(1, inline("A1", "Name")),
		`<row r="2" hidden="1">`+inline("A2", "filtered out")+`</row>`,
		`<row r="3" ht="0" customHeight="1">`+inline("A3", "zero height")+`</row>`,
		`<row r="4" ht="15" hidden="0">`+inline("A4", "visible")+`</row>`,
	)})
	tb, err := readBytes(t, data, "contacts.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, r := range tb.Rows {
		got = append(got, r.Hidden)
	}
	if want := []bool{true, true, false}; !slices.Equal(got, want) {
		t.Errorf("Hidden: got %v, want %v", got, want)
	}
	const want = "contacts.xlsx: S: rows 2 and 3 are hidden in the workbook (perhaps by a filter) but are read like the others"
	if w := warningsText(tb); !strings.Contains(w, want) {
		t.Errorf("got warnings\n%s\nwant one starting %q", w, want)
	}
}

func TestReadXLSXSheets(t *testing.T) {
	sheet := func(name, state string, chart bool) testSheet {
		return testSheet{name: name, state: state, chart: chart, body: sheetRows(row(1, inline("A1", "Name")), row(2, inline("A2", "in "+name)))}
	}
	tests := []struct {
		name      string
		sheets    []testSheet
		opt       string
		wantSheet string
		wantErr   string
		warning   string
	}{
		{
			name:      "first sheet by default",
			sheets:    []testSheet{sheet("Authorities", "", false), sheet("Notes", "", false)},
			wantSheet: "Authorities",
			warning:   `contacts.xlsx: the sheet read is "Authorities", the first of 2 (Authorities, Notes); to read another sheet, use --sheet with its name`,
		},
		{
			name:      "hidden and chart sheets are passed over",
			sheets:    []testSheet{sheet("Old", "hidden", false), sheet("Chart", "", true), sheet("Authorities", "", false)},
			wantSheet: "Authorities",
		},
		{
			name:      "named sheet",
			sheets:    []testSheet{sheet("Authorities", "", false), sheet("Notes", "", false)},
			opt:       "Notes",
			wantSheet: "Notes",
		},
		{
			name:      "named hidden sheet",
			sheets:    []testSheet{sheet("Authorities", "", false), sheet("Old", "hidden", false)},
			opt:       "old",
			wantSheet: "Old",
		},
		{
			name:    "no such sheet",
			sheets:  []testSheet{sheet("Authorities", "", false), sheet("Notes", "", false)},
			opt:     "Authoritys",
			wantErr: `contacts.xlsx: no sheet named "Authoritys" (sheets: Authorities, Notes); use --sheet with one of them`,
		},
		{
			name:    "chart sheet",
			sheets:  []testSheet{sheet("Authorities", "", false), sheet("Chart", "", true)},
			opt:     "Chart",
			wantErr: `contacts.xlsx: sheet "Chart" is a chart, not a table of contacts; use --sheet with the name of a worksheet`,
		},
		{
			name:    "only hidden sheets",
			sheets:  []testSheet{sheet("Old", "hidden", false)},
			wantErr: `contacts.xlsx: has no visible worksheet; use --sheet with the name of the sheet to read`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildXLSX(t, nil, tt.sheets...)
			tb, err := readBytes(t, data, "contacts.xlsx", Options{Sheet: tt.opt})
			if tt.wantErr != "" {
				if err == nil || withHints(err) != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tb.Sheet != tt.wantSheet || tb.Rows[0].Values[0] != "in "+tt.wantSheet {
				t.Errorf("got sheet %q holding %q, want %q", tb.Sheet, tb.Rows[0].Values[0], tt.wantSheet)
			}
			if got := warningsText(tb); got != tt.warning+strings.Repeat("\n", min(len(tt.warning), 1)) {
				t.Errorf("got warnings\n%s\nwant\n%s", got, tt.warning)
			}
		})
	}
}

func TestReadXLSXEmpty(t *testing.T) {
	data := buildXLSX(t, nil, testSheet{name: "Authorities", body: sheetRows(row(1, inline("A1", "  ")), row(3, `<c r="B3" s="4"/>`))})
	_, err := readBytes(t, data, "contacts.xlsx", Options{})
	const want = "contacts.xlsx: Authorities: is empty: no cell holds anything; check that this is the right file and sheet"
	if err == nil || withHints(err) != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

// A workbook whose copy for excelize is large goes through a temporary file: it reads the
// same.
func TestReadThroughTemporaryFile(t *testing.T) {
	for _, tt := range []struct{ file, sheet string }{{"testdata/libreoffice.xlsx", ""}, {"testdata/excel-book1.xlsx", "Sheet2"}} {
		want, err := Read(tt.file, Options{Sheet: tt.sheet})
		if err != nil {
			t.Fatal(err)
		}
		saved := inMemoryCopy
		inMemoryCopy = 0
		got, err := Read(tt.file, Options{Sheet: tt.sheet})
		inMemoryCopy = saved
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) == 0 || tableDump(got) != tableDump(want) {
			t.Errorf("%s: read through a temporary file\n%s\nwant\n%s", tt.file, tableDump(got), tableDump(want))
		}
	}
}
