package contacts

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/problem"
)

// Workbooks that other programs write and that Excel and LibreOffice read one way: each
// case is a class of them, made small by hand, and what Excel shows.

const (
	mainNS       = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	relNS        = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	strictMainNS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
	strictRelNS  = "http://purl.oclc.org/ooxml/officeDocument/relationships"
	pkgRelNS     = "http://schemas.openxmlformats.org/package/2006/relationships"
)

// workbookAt is a workbook package whose parts are where paths say: the workbook, its
// sheet, shared strings and styles, each found through the relationships.
type workbookAt struct {
	workbook, sheet, sst, styles   string // part names
	main, rel                      string // namespaces: Transitional or Strict
	workbookPr                     string // the workbookPr element, if any
	sheetBody, sstBody, stylesBody string
	extra                          map[string]string
}

func (w workbookAt) build(t *testing.T) []byte {
	t.Helper()
	if w.main == "" {
		w.main, w.rel = mainNS, relNS
	}
	dir := ""
	if i := strings.LastIndexByte(w.workbook, '/'); i >= 0 {
		dir = w.workbook[:i+1]
	}
	relTo := func(part string) string {
		if rest, ok := strings.CutPrefix(part, dir); ok {
			return rest
		}
		return "/" + part
	}
	rels := `<Relationship Id="rId1" Type="` + w.rel + `/worksheet" Target="` + relTo(w.sheet) + `"/>`
	files := map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>`,
		"_rels/.rels":         `<Relationships xmlns="` + pkgRelNS + `"><Relationship Id="rId1" Type="` + w.rel + `/officeDocument" Target="` + w.workbook + `"/></Relationships>`,
		w.workbook:            `<workbook xmlns="` + w.main + `" xmlns:r="` + w.rel + `">` + w.workbookPr + `<sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		w.sheet:               `<worksheet xmlns="` + w.main + `"><sheetData>` + w.sheetBody + `</sheetData></worksheet>`,
	}
	if w.sst != "" {
		rels += `<Relationship Id="rId2" Type="` + w.rel + `/sharedStrings" Target="` + relTo(w.sst) + `"/>`
		files[w.sst] = `<sst xmlns="` + w.main + `">` + w.sstBody + `</sst>`
	}
	if w.styles != "" {
		rels += `<Relationship Id="rId3" Type="` + w.rel + `/styles" Target="` + relTo(w.styles) + `"/>`
		files[w.styles] = `<styleSheet xmlns="` + w.main + `">` + w.stylesBody + `</styleSheet>`
	}
	files[dir+"_rels/"+strings.TrimPrefix(w.workbook, dir)+".rels"] = `<Relationships xmlns="` + pkgRelNS + `">` + rels + `</Relationships>`
	for name, content := range w.extra {
		files[name] = content
	}
	return zipOf(t, files)
}

// classStyles: 1 a date format, 2 bold General, 3 #,##0;; (zeros hidden), 4 accounting,
// 5 text under a fourth section General, 6 a text section, 7 East Asian date 31.
const classStyles = `<numFmts count="4"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="#,##0;;"/><numFmt numFmtId="166" formatCode="0;-0;0;General"/><numFmt numFmtId="167" formatCode="0;-0;0;&quot;Mr. &quot;@"/></numFmts>
<fonts count="2"><font/><font><b/></font></fonts>
<cellXfs count="8"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="0" fontId="1"/><xf numFmtId="165"/><xf numFmtId="44"/><xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="31"/></cellXfs>`

// classSheet holds a header and one contact, whose cells show the classes.
const classSheet = `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>` +
	`<row r="2"><c r="A2" t="s"><v>6</v></c><c r="B2" s="1"><v>45336</v></c><c r="C2" s="2"><v>447700900100</v></c><c r="D2" s="3"><v>0</v></c><c r="E2" s="4"><v>0</v></c><c r="F2" s="5" t="s"><v>7</v></c></row>`

const classStrings = `<si><t>Email</t></si><si><t>Date</t></si><si><t>Phone</t></si><si><t>Count</t></si><si><t>Fee</t></si><si><t>Note</t></si><si><t>a@example.org</t></si><si><t>text</t></si>`

const classWant = `["a@example.org" "14/02/2024" "447700900100" "" "$-" "text"]`

func TestReadPartsWhereRelationshipsSay(t *testing.T) {
	tests := []struct {
		name string
		w    workbookAt
	}{
		{"the usual places", workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", sst: "xl/sharedStrings.xml", styles: "xl/styles.xml"}},
		{"at the root of the zip", workbookAt{workbook: "workbook.xml", sheet: "sheet1.xml", sst: "sharedStrings.xml", styles: "styles.xml"}},
		{"in another folder", workbookAt{workbook: "book/main.xml", sheet: "book/tables/contacts.xml", sst: "book/strings.xml", styles: "book/look.xml"}},
		{"named from the root", workbookAt{workbook: "book/main.xml", sheet: "data/contacts.xml", sst: "text/strings.xml", styles: "looks/styles.xml"}},
		{"Strict Open XML", workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", sst: "xl/sharedStrings.xml", styles: "xl/styles.xml", main: strictMainNS, rel: strictRelNS}},
		{"Strict, elsewhere", workbookAt{workbook: "wb.xml", sheet: "s/1.xml", sst: "s/sst.xml", styles: "s/st.xml", main: strictMainNS, rel: strictRelNS}},
		{"a stale part where excelize looks", workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", sst: "xl/strings2.xml", styles: "xl/styles2.xml",
			extra: map[string]string{"xl/sharedStrings.xml": `<sst xmlns="` + mainNS + `"><si><t>stale</t></si></sst>`, "xl/styles.xml": `<styleSheet xmlns="` + mainNS + `"/>`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.w.sheetBody, tt.w.sstBody, tt.w.stylesBody = classSheet, classStrings, classStyles
			tb, err := readBytes(t, tt.w.build(t), "contacts.xlsx", Options{})
			if err != nil {
				t.Fatal(withHints(err))
			}
			if len(tb.Rows) != 1 || len(tb.Columns) != 6 {
				t.Fatalf("got\n%s\nwant 6 columns and one row", tableDump(tb))
			}
			if got := strings.Join(quoteAll(tb.Rows[0].Values), " "); "["+got+"]" != classWant {
				t.Errorf("got [%s], want %s", got, classWant)
			}
		})
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = `"` + s + `"`
	}
	return out
}

func TestReadCellClasses(t *testing.T) {
	styles := classStyles
	tests := []struct {
		name       string
		workbookPr string
		cell       string // the A2 cell
		sst        string // a shared string 2, if the cell needs one
		want       string
	}{
		{"s=\"\" on a shared string", "", `<c r="A2" s="" t="s"><v>2</v></c>`, `<si><t>Jean</t></si>`, "Jean"},
		{"s=\"\" before t", "", `<c s="" r="A2" t="s"><v>2</v></c>`, `<si><t>Jean</t></si>`, "Jean"},
		{"s=\"\" on a number", "", `<c r="A2" s=""><v>0.30000000000000004</v></c>`, "", "0.3"},
		{"s not a number", "", `<c r="A2" s="bold"><v>12</v></c>`, "", "12"},
		{"a style the workbook lacks", "", `<c r="A2" s="99"><v>12.5</v></c>`, "", "12.5"},
		{"the 1904 date system", `<workbookPr date1904="1"/>`, `<c r="A2" s="1"><v>43874</v></c>`, "", "14/02/2024"},
		{"the 1904 date system, true", `<workbookPr date1904="true"/>`, `<c r="A2" s="1"><v>43874</v></c>`, "", "14/02/2024"},
		{"the 1900 date system", `<workbookPr date1904="0"/>`, `<c r="A2" s="1"><v>45336</v></c>`, "", "14/02/2024"},
		{"an ISO date in the 1904 system", `<workbookPr date1904="1"/>`, `<c r="A2" s="1" t="d"><v>2024-02-14T00:00:00</v></c>`, "", "14/02/2024"},
		{"an East Asian date format", "", `<c r="A2" s="7"><v>45336</v></c>`, "", "2024-02-14"},
		{"General in bold: 15 digits", "", `<c r="A2" s="2"><v>1.97230827812345</v></c>`, "", "1.97230827812345"},
		{"General in bold: no exponent", "", `<c r="A2" s="2"><v>447700900100</v></c>`, "", "447700900100"},
		{"text under a fourth section General", "", `<c r="A2" s="5" t="s"><v>2</v></c>`, `<si><t>Jean</t></si>`, "Jean"},
		{"text under a fourth section", "", `<c r="A2" s="6" t="s"><v>2</v></c>`, `<si><t>Dupont</t></si>`, "Mr. Dupont"},
		{"inline text under a fourth section", "", `<c r="A2" s="6" t="inlineStr"><is><t>Dupont</t></is></c>`, "", "Mr. Dupont"},
		{"a formula's text, escaped", "", `<c r="A2" t="str"><f>B2</f><v>Ministry_x000D_` + "\n" + `of _x0041_</v></c>`, "", "Ministry\nof A"},
		{"a formula's text, a character outside the BMP", "", `<c r="A2" t="str"><f>B2</f><v>_xD83D__xDE00_</v></c>`, "", "😀"},
		{"a shared string, a character outside the BMP", "", `<c r="A2" t="s"><v>2</v></c>`, `<si><t>_xD83D__xDE00_</t></si>`, "😀"},
		{"an inline string, a character outside the BMP", "", `<c r="A2" t="inlineStr"><is><t>Jos_xD83D__xDE00_</t></is></c>`, "", "Jos😀"},
		{"rich text, a character outside the BMP", "", `<c r="A2" t="s"><v>2</v></c>`, `<si><r><t>a_xD83D_</t></r><r><t>_xDE00_b</t></r></si>`, "a\uFFFD\uFFFDb"},
		{"a zero hidden by its format", "", `<c r="A2" s="3"><v>0</v></c>`, "", ""},
		{"a number not hidden by its format", "", `<c r="A2" s="3"><v>1234</v></c>`, "", "1,234"},
		{"an accounting zero", "", `<c r="A2" s="4"><v>0</v></c>`, "", "$-"}, // the fill (*) fills nothing outside a cell
		{"an accounting amount", "", `<c r="A2" s="4"><v>1234.5</v></c>`, "", "$1,234.50"},
		{"a value in CDATA and around a comment", "", `<c r="A2"><v><![CDATA[12]]><!-- a note -->3</v></c>`, "", "123"},
		{"a shared string index around a comment", "", `<c r="A2" t="s"><v>0<!-- -->2</v></c>`, `<si><t>Jean</t></si>`, "Jean"},
		{"a boolean", "", `<c r="A2" t="b"><v>1</v></c>`, "", "TRUE"},
		{"a boolean in a date style", "", `<c r="A2" s="1" t="b"><v>0</v></c>`, "", "FALSE"},
		{"an error in a date style", "", `<c r="A2" s="1" t="e"><v>#N/A</v></c>`, "", "#N/A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", sst: "xl/sharedStrings.xml", styles: "xl/styles.xml",
				workbookPr: tt.workbookPr, stylesBody: styles,
				sstBody:   `<si><t>Value</t></si><si><t>Marker</t></si>` + tt.sst,
				sheetBody: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2">` + tt.cell + `<c r="B2" t="s"><v>1</v></c></row>`,
			}
			tb, err := readBytes(t, w.build(t), "contacts.xlsx", Options{})
			if err != nil {
				t.Fatal(withHints(err))
			}
			if len(tb.Rows) != 1 {
				t.Fatalf("got\n%s\nwant one row", tableDump(tb))
			}
			if got := tb.Rows[0].Values[0]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A Strict workbook saved by Excel writes dates as ISO 8601 cells with their format.
func TestReadStrictDates(t *testing.T) {
	w := workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", styles: "xl/styles.xml", main: strictMainNS, rel: strictRelNS,
		stylesBody: classStyles,
		sheetBody: `<row r="1"><c r="A1" t="inlineStr"><is><t>Signed</t></is></c><c r="B1" t="inlineStr"><is><t>Due</t></is></c></row>` +
			`<row r="2"><c r="A2" s="1" t="d"><v>2024-02-14T00:00:00</v></c><c r="B2" s="1"><v>45337</v></c></row>`,
	}
	tb, err := readBytes(t, w.build(t), "contacts.xlsx", Options{})
	if err != nil {
		t.Fatal(withHints(err))
	}
	if got, want := strings.Join(tb.Rows[0].Values, " "), "14/02/2024 15/02/2024"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// What a damaged workbook reads as: an error naming the place, never part of it.
func TestReadDamagedSheet(t *testing.T) {
	header := `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`
	tests := []struct {
		name, sheet, sst, want string
	}{
		{
			name:  "cut off at a row boundary",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="s"><v>1</v></c></row>`,
			want:  "contacts.xlsx: Contacts: cannot be read: the worksheet is damaged (the part ends before its last element is closed (the file may have been cut off))",
		},
		{
			name:  "cut off inside a cell",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="s"><v>1`,
			want:  "contacts.xlsx: Contacts!A2: cannot be read: the worksheet is damaged",
		},
		{
			name: "cut off shared strings",
			sst:  `<sst xmlns="` + mainNS + `"><si><t>Email</t></si><si><t>a@example.org</t>`,
			want: "contacts.xlsx: cannot be read: its part xl/sharedStrings.xml is cut off before its end",
		},
		{
			name: "a shared string out of range",
			sst:  `<sst xmlns="` + mainNS + `"><si><t>Email</t></si></sst>`,
			want: "contacts.xlsx: Contacts!A2: refers to shared string 1, which the workbook does not have (it has 1)",
		},
		{
			name:  "a shared string that is no number",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="s"><v>one</v></c></row></sheetData></worksheet>`,
			want:  `contacts.xlsx: Contacts!A2: refers to a shared string by "one", which is not a number`,
		},
		{
			name:  "rows out of order",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData><row r="2"><c r="A2" t="s"><v>1</v></c></row>` + header + `</sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts, row 1: cannot be read: row 1 comes after row 2 in the file",
		},
		{
			name:  "a row twice",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + header + `</sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts, row 1: cannot be read: row 1 comes after row 1 in the file",
		},
		{
			// The scan must see the rows excelize reads: elements out of their places
			// are refused, whichever they are.
			name:  "a second sheetData",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `</sheetData><sheetData><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts: cannot be read: the worksheet holds a second sheetData element",
		},
		{
			name:  "a sheetData inside a row",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><sheetData/><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts, row 2: cannot be read: the worksheet holds a second sheetData element",
		},
		{
			name:  "a row inside a cell",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="s"><v>1</v><row r="3"/></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts!A2: cannot be read: a row inside row 2",
		},
		{
			name:  "a row inside a row",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><row r="3"><c r="A3" t="s"><v>1</v></c></row></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts, row 2: cannot be read: a row inside row 2",
		},
		{
			name:  "a cell outside any row",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<c r="A2" t="s"><v>1</v></c></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts, row 1: cannot be read: a cell after this row lies outside any row",
		},
		{
			// A cell end that closes a cell the scan never opened: what the cell before
			// it held must not count for it (it once made the reader index column -1).
			name:  "a cell wrapping a row",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<c><row r="2"><sheetData/></row></c><c r="B2"><f>1</f></c></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts, row 1: cannot be read: a cell after this row lies outside any row",
		},
		{
			name:  "a row outside sheetData",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetPr>` + header + `</sheetPr><sheetData><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts: cannot be read: a row lies outside the sheet's data (sheetData)",
		},
		{
			// The scan reads UTF-8 only; excelize would decode the part in what it declares.
			name:  "a part declared in UTF-16",
			sheet: `<?xml version="1.0" encoding="UTF-16LE"?><worksheet/>`,
			want:  `contacts.xlsx: Contacts: cannot be read: the worksheet is damaged (the part declares the encoding "UTF-16LE"`,
		},
		{
			name:  "a document type declaration",
			sheet: `<?xml version="1.0"?><!DOCTYPE x [<!-- " -->]><worksheet xmlns="` + mainNS + `"><sheetData>` + header + `</sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts: cannot be read: the worksheet is damaged (the part has a document type declaration",
		},
		{
			name:  "two attributes of one local name on a row",
			sheet: `<worksheet xmlns="` + mainNS + `" xmlns:q="urn:q"><sheetData>` + header + `<row r="2" q:hidden="0" hidden="1"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`,
			want:  `contacts.xlsx: Contacts, row 2: cannot be read: a row after row 1 has two attributes called "hidden"`,
		},
		{
			name:  "two attributes of one local name on a cell",
			sheet: `<worksheet xmlns="` + mainNS + `" xmlns:q="urn:q"><sheetData>` + header + `<row r="2"><c r="A2" q:t="n" t="s"><v>1</v></c></row></sheetData></worksheet>`,
			want:  `contacts.xlsx: Contacts!A2: cannot be read: a cell has two attributes called "t"`,
		},
		{
			name:  "a character reference in an attribute",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="&#115;"><v>1</v></c></row></sheetData></worksheet>`,
			want:  `contacts.xlsx: Contacts!A2: cannot be read: a cell writes its attribute "t" with a character reference (&#115;)`,
		},
		{
			name:  "two attributes of one local name on a merged range",
			sheet: `<worksheet xmlns="` + mainNS + `" xmlns:q="urn:q"><sheetData>` + header + `</sheetData><mergeCells><mergeCell q:ref="A1:A1" ref="A1:B2"/></mergeCells></worksheet>`,
			want:  `contacts.xlsx: Contacts: cannot be read: a merged range has two attributes called "ref"`,
		},
		{
			name:  "a value inside a value",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="s"><v>1<v>0</v></v></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts!A2: cannot be read: a value inside a value",
		},
		{
			// Every string past Excel's limit counts, not only the first.
			name:  "a second shared string past Excel's limit",
			sst:   `<sst xmlns="` + mainNS + `"><si><t>Email</t></si><si><t>` + strings.Repeat("y", 40000) + `</t></si><si><t>` + strings.Repeat("y", 40000) + `</t></si></sst>`,
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="s"><v>2</v></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts!A2: holds more than 32,767 characters, the most a cell can hold in Excel",
		},
		{
			name:  "cells out of order",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData><row r="1"><c r="B1" t="s"><v>0</v></c><c r="A1" t="s"><v>1</v></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts!A1: cannot be read: this cell comes after B1 in the file",
		},
		{
			// encoding/xml refuses the unknown entity and excelize stops there, silently.
			name:  "malformed XML in a cell",
			sheet: `<worksheet xmlns="` + mainNS + `"><sheetData>` + header + `<row r="2"><c r="A2" t="inlineStr"><is><t>&nbsp;x</t></is></c></row><row r="3"><c r="A3" t="s"><v>1</v></c></row></sheetData></worksheet>`,
			want:  "contacts.xlsx: Contacts!A3: cannot be read: the worksheet is damaged before this cell, which could not be read",
		},
		{
			name:  "UTF-16",
			sheet: "\xff\xfe<\x00w\x00",
			want:  "contacts.xlsx: Contacts: cannot be read: the worksheet is damaged (the part is not in UTF-8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", sst: "xl/sharedStrings.xml",
				sheetBody: header + `<row r="2"><c r="A2" t="s"><v>1</v></c></row>`,
				sstBody:   `<si><t>Email</t></si><si><t>a@example.org</t></si>`}
			w.extra = map[string]string{}
			if tt.sheet != "" {
				w.extra[w.sheet] = tt.sheet
			}
			if tt.sst != "" {
				w.extra[w.sst] = tt.sst
			}
			_, err := readBytes(t, w.build(t), "contacts.xlsx", Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got error %v\nwant one starting %q", err, tt.want)
			}
			if len(withHints(err)) == len(err.Error()) {
				t.Errorf("got no hint with %v", err)
			}
		})
	}
}

// FuzzReadXLSX reads workbooks whose sheet and shared strings are hostile: no input may
// make the reader panic or hang, and what it returns keeps the Table's promises.
func FuzzReadXLSX(f *testing.F) {
	f.Add([]byte(classSheet), []byte(classStrings))
	f.Add([]byte(`<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row><row r="2"><c r="A2" s="" t="s"><v>0</v></c></row><mergeCells><mergeCell ref="A1:B9"/></mergeCells>`), []byte(`<si><t>_xD83D__xDE00_</t></si>`))
	f.Add([]byte(`<row r="3" hidden="1"><c r="B3" t="str"><f>A1</f><v>_x0041_</v></c><c t="e"><v>#N/A</v></c></row><row r="4"><c r="D4"><f>1</f></c></row>`), []byte(`<si><r><t>a</t></r><rPh><t>b</t></rPh></si>`))
	f.Add([]byte(`<row><c r="A1"><v>45336</v></c><c s="1" t="d"><v>2024-02-14T09:30:00</v></c></row></sheetData><sheetData>`), []byte(`<si/>`))
	f.Add([]byte(`<?pi "?><row r="2" hidden=" 1"><c r="A2" q:s="0" s="1" x=">"><v>45336</v></c><c><v>1<v>0</v></v></c></row><?pi "?>`), []byte(`<si><t>a</t></si>`))
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		w := workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", sst: "xl/sharedStrings.xml", styles: "xl/styles.xml",
			stylesBody: classStyles, sheetBody: string(sheet), sstBody: string(sst)}
		tb, err := ReadFrom(bytes.NewReader(w.build(t)), "fuzz.xlsx", Options{SizeLimit: 1 << 20})
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Errorf("error %v is not a Problem", err)
			}
			return
		}
		last := tb.HeaderRow
		for _, r := range tb.Rows {
			if r.Number <= last {
				t.Errorf("row %d after row %d", r.Number, last)
			}
			last = r.Number
			if len(r.Values) != len(tb.Columns) {
				t.Fatalf("row %d has %d values for %d columns", r.Number, len(r.Values), len(tb.Columns))
			}
			for _, v := range r.Values {
				if v != strings.TrimSpace(v) {
					t.Errorf("row %d: value %q not trimmed", r.Number, v)
				}
			}
		}
	})
}

// Markup the scan once read otherwise than encoding/xml — a quote in a processing
// instruction, spaces around a boolean — is read as excelize reads the rest of the cell:
// the format applies, the hidden row is hidden.
func TestReadMarkupAsXMLReadsIt(t *testing.T) {
	tests := []struct {
		name, sheet, want string
		hidden            bool
	}{
		{
			name:  "a quote in a processing instruction",
			sheet: `<row r="2"><c r="A2" t="s"><v>6</v></c><?pi "?><c r="B2" s="1"><v>45336</v></c><?pi "?></row>`,
			want:  `["a@example.org" "14/02/2024"]`,
		},
		{
			name:   "a hidden row behind a quote in a processing instruction",
			sheet:  `<?pi "?><row r="2" hidden="1"><c r="A2" t="s"><v>6</v></c><c r="B2" s="1"><v>45336</v></c></row><?pi "?>`,
			want:   `["a@example.org" "14/02/2024"]`,
			hidden: true,
		},
		{
			name:   "spaces around hidden",
			sheet:  `<row r="2" hidden=" 1 "><c r="A2" t="s"><v>6</v></c><c r="B2" s="1"><v>45336</v></c></row>`,
			want:   `["a@example.org" "14/02/2024"]`,
			hidden: true,
		},
		{
			// A '>' in an attribute value ends no tag.
			name:  "a '>' in an attribute",
			sheet: `<row r="2"><c r="A2" t="s" x=">>"><v>6</v></c><c r="B2" s="1" y='a>b'><v>45336</v></c></row>`,
			want:  `["a@example.org" "14/02/2024"]`,
		},
	}
	header := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := workbookAt{workbook: "xl/workbook.xml", sheet: "xl/worksheets/sheet1.xml", sst: "xl/sharedStrings.xml", styles: "xl/styles.xml",
				stylesBody: classStyles, sheetBody: header + tt.sheet, sstBody: classStrings}
			tb, err := readBytes(t, w.build(t), "contacts.xlsx", Options{})
			if err != nil {
				t.Fatal(withHints(err))
			}
			if len(tb.Rows) != 1 {
				t.Fatalf("got rows %v, want one", tb.Rows)
			}
			if got := fmt.Sprintf("%q", tb.Rows[0].Values); got != tt.want || tb.Rows[0].Hidden != tt.hidden {
				t.Errorf("got %s hidden=%v, want %s hidden=%v", got, tb.Rows[0].Hidden, tt.want, tt.hidden)
			}
		})
	}
}
