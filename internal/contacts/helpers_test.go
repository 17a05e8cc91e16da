package contacts

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/problem"
)

// testSheet is one sheet of a workbook built by buildXLSX.
type testSheet struct {
	name  string
	state string // "", "hidden"
	chart bool
	// body is the content of <worksheet>: <sheetData>…</sheetData> and perhaps
	// <mergeCells>. "x:" stands for the namespace prefix when prefixed is set.
	body     string
	prefixed bool
}

// testStyles holds the cell formats the hand-written sheets use, by s attribute:
// 0 General, 1 numFmt 14 (Excel's default date), 2 numFmt 22 (default date and time),
// 3 "d mmmm yyyy", 4 "#,##0.00", 5 "0%", 6 the system long date, 7 "0", 8 text,
// 9 "dd/mm/yyyy".
const testStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="3"><numFmt numFmtId="164" formatCode="d mmmm yyyy"/><numFmt numFmtId="165" formatCode="[$-F800]dddd, mmmm dd, yyyy"/><numFmt numFmtId="166" formatCode="dd/mm/yyyy"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="10">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
</styleSheet>`

// buildXLSX writes a minimal workbook package around hand-written worksheet XML, for the
// cases no spreadsheet program can be made to write on purpose. sst is the shared string
// table's <si> items.
func buildXLSX(t testing.TB, sst []string, sheets ...testSheet) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	var types, wbSheets, wbRels strings.Builder
	for i, s := range sheets {
		n := i + 1
		kind, folder, root := "worksheet", "worksheets", "worksheet"
		if s.chart {
			kind, folder, root = "chartsheet", "chartsheets", "chartsheet"
		}
		fmt.Fprintf(&types, `<Override PartName="/xl/%s/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.%s+xml"/>`, folder, n, kind)
		state := ""
		if s.state != "" {
			state = fmt.Sprintf(` state="%s"`, s.state)
		}
		fmt.Fprintf(&wbSheets, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, s.name, n, state, n)
		fmt.Fprintf(&wbRels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/%s" Target="%s/sheet%d.xml"/>`, n, kind, folder, n)
		body := s.body
		open := fmt.Sprintf(`<%s %s>`, root, ns)
		closing := fmt.Sprintf(`</%s>`, root)
		if s.prefixed {
			open = fmt.Sprintf(`<x:%s xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`, root)
			closing = fmt.Sprintf(`</x:%s>`, root)
		} else {
			body = strings.ReplaceAll(body, "x:", "")
		}
		add(fmt.Sprintf("xl/%s/sheet%d.xml", folder, n), `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+open+body+closing)
	}
	n := len(sheets)
	fmt.Fprintf(&wbRels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`, n+1)
	if sst != nil {
		fmt.Fprintf(&wbRels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, n+2)
		types.WriteString(`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`)
		add("xl/sharedStrings.xml", fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst %s count="%d" uniqueCount="%d">%s</sst>`, ns, len(sst), len(sst), strings.Join(sst, "")))
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`+types.String()+`</Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<workbook `+ns+`><sheets>`+wbSheets.String()+`</sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+wbRels.String()+`</Relationships>`)
	add("xl/styles.xml", testStyles)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// inline is a cell holding an inline string.
func inline(ref, s string) string {
	return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, ref, s)
}

// sheetRows wraps rows of cells in sheetData.
func sheetRows(rows ...string) string {
	return "<sheetData>" + strings.Join(rows, "") + "</sheetData>"
}

// row wraps cells in a row element numbered n.
func row(n int, cells ...string) string {
	return fmt.Sprintf(`<row r="%d">%s</row>`, n, strings.Join(cells, ""))
}

// readBytes reads data as the named file.
func readBytes(t testing.TB, data []byte, name string, opt Options) (*Table, error) {
	t.Helper()
	return ReadFrom(bytes.NewReader(data), name, opt)
}

// warningsText joins the warnings' texts, one a line, for tests that look for one.
func warningsText(tb *Table) string {
	var b strings.Builder
	for _, w := range tb.Warnings {
		b.WriteString(withHints(w))
		b.WriteByte('\n')
	}
	return b.String()
}

// withHints gives an error as the user reads it: its text, then each of its hints.
func withHints(err error) string {
	s := err.Error()
	for _, h := range problem.Hints(err) {
		s += "; " + h
	}
	return s
}
