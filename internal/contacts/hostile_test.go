package contacts

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Hostile files: small files made to cost a reader unbounded time or memory. Each must
// be read or refused within 10 s and 300 MB on one core; BenchmarkHostile measures them
// (go test -run '^$' -bench Hostile -benchtime 1x -cpu 1), TestHostile checks what is
// said about each.

type hostileShape struct {
	name string
	file string // contacts.xlsx or contacts.csv
	gen  func(w io.Writer) error
	// want is a part of the error, "" when the file is to be read.
	want string
	// check, when set, says what is wrong with the table read, "" if nothing.
	check func(t *Table) string
}

var hostileShapes = []hostileShape{
	{
		name: "CSV header of 1,000,000 columns",
		file: "contacts.csv",
		gen: func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			for i := range 1_000_000 {
				if i > 0 {
					bw.WriteByte(',')
				}
				fmt.Fprintf(bw, "c%d", i)
			}
			bw.WriteString("\na@example.org\n")
			return bw.Flush()
		},
		want: "contacts.csv: line 1: holds more than 16,384 fields",
	},
	{
		name: "10 million shared strings",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`),
				sst:   repeat(`<si><t>x</t></si>`, 10_000_000),
			})
		},
		// 170 MiB unpacked: over the size limit.
		want: `contacts.xlsx: unpacks to more than 64 MiB, the limit for a contacts workbook (it may be a "zip bomb" made to exhaust memory)`,
	},
	{
		name: "10 million empty shared strings",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`),
				sst:   repeat(`<si/>`, 10_000_000),
			})
		},
		want: "contacts.xlsx: its part xl/sharedStrings.xml holds more than 250,000 different texts",
	},
	{
		name: "a shared string of 5 million runs",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`),
				sst:   around(`<si>`, repeat(`<r><t>a</t></r>`, 5_000_000), `</si>`),
			})
		},
		want: `contacts.xlsx: unpacks to more than 64 MiB`,
	},
	{
		name: "a shared string of 5 million empty runs",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`),
				sst:   around(`<si>`, repeat(`<r/>`, 5_000_000), `</si>`),
			})
		},
		want: "contacts.xlsx: its part xl/sharedStrings.xml holds more than 500,000 pieces of formatted text",
	},
	{
		name: "cells in A and XFD on 12,000 rows",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: func(bw *bufio.Writer) {
				for r := 1; r <= 12_000; r++ {
					fmt.Fprintf(bw, `<row r="%d"><c r="A%d"><v>1</v></c><c r="XFD%d"><v>2</v></c></row>`, r, r, r)
				}
			}})
		},
		want: "contacts.xlsx: Sheet1!XFD3052: lies too far out: counting each row up to its last cell, the sheet spans more than 50,000,000 cells",
	},
	{
		name: "an inline string of 200 MiB",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: around(
				`<row r="1">`+inline("A1", "Email")+`</row><row r="2"><c r="A2" t="inlineStr"><is><t>`,
				repeat(strings.Repeat("a", 1<<10), 200<<10),
				`</t></is></c></row>`)})
		},
		want: `contacts.xlsx: unpacks to more than 64 MiB`,
	},
	{
		name: "an inline string of 60 MiB",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: around(
				`<row r="1">`+inline("A1", "Email")+`</row><row r="2"><c r="A2" t="inlineStr"><is><t>`,
				repeat(strings.Repeat("a", 1<<10), 60<<10),
				`</t></is></c></row>`)})
		},
		want: "contacts.xlsx: Sheet1!A2: holds more than 32,767 characters, the most a cell can hold in Excel",
	},
	{
		name: "a shared string of 60 MiB",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="B2" t="s"><v>1</v></c></row>`),
				sst:   around(`<si><t>Email</t></si><si><t>`, repeat(strings.Repeat("é", 1<<9), 60<<10), `</t></si>`),
			})
		},
		want: "contacts.xlsx: Sheet1!B2: holds more than 32,767 characters",
	},
	{
		name: "a rich string of 2 runs of 20,000 characters",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			run := `<r><t>` + strings.Repeat("b", 20_000) + `</t></r>`
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="7"><c r="C7" t="s"><v>1</v></c></row>`),
				sst:   around(`<si><t>Email</t></si><si>`+run+run, nil, `</si>`),
			})
		},
		want: "contacts.xlsx: Sheet1!C7: holds more than 32,767 characters",
	},
	{
		name: "a long shared string in 100,000 cells",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 100_000; r++ {
						fmt.Fprintf(bw, `<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>`, r, r)
					}
				},
				sst: sheetOf(`<si><t>` + strings.Repeat("x", 32_000) + `</t></si>`),
			})
		},
		want: "contacts.xlsx: Sheet1!A1049: is past the most text herald reads: the cells up to this one hold more than 32 MiB of text",
	},
	{
		name: "a format that shows text 250 times",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 100; r++ {
						fmt.Fprintf(bw, `<row r="%d"><c r="A%d" s="1" t="inlineStr"><is><t>%s</t></is></c></row>`, r, r, strings.Repeat("y", 30_000))
					}
				},
				styles: sheetOf(`<numFmts count="1"><numFmt numFmtId="164" formatCode="` + strings.Repeat("@", 250) + `"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs>`),
			})
		},
		want: "contacts.xlsx: Sheet1!A5: is past the most text herald reads: the cells up to this one show more than 32 MiB of text",
	},
	{
		name: "1,000,000 numbers in 4,000 formats",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 1+maxContacts; r++ {
						fmt.Fprintf(bw, `<row r="%d">`, r)
						for c := range 99 {
							fmt.Fprintf(bw, `<c s="%d"><v>%d.5</v></c>`, (r*99+c)%4000+1, r)
						}
						bw.WriteString(`</row>`)
					}
				},
				styles: func(bw *bufio.Writer) {
					bw.WriteString(`<numFmts>`)
					for i := range 4000 {
						fmt.Fprintf(bw, `<numFmt numFmtId="%d" formatCode="#,##0.00&quot; %d&quot;"/>`, 164+i, i)
					}
					bw.WriteString(`</numFmts><cellXfs><xf/>`)
					for i := range 4000 {
						fmt.Fprintf(bw, `<xf numFmtId="%d"/>`, 164+i)
					}
					bw.WriteString(`</cellXfs>`)
				},
			})
		},
	},
	{
		name: "1,000,000 cells showing 32 characters",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 1+maxContacts; r++ {
						fmt.Fprintf(bw, `<row r="%d">`, r)
						for range 99 {
							fmt.Fprintf(bw, `<c s="1"><v>%d</v></c>`, r)
						}
						bw.WriteString(`</row>`)
					}
				},
				styles: sheetOf(`<numFmts><numFmt numFmtId="164" formatCode="000000&quot; and some text to show&quot;"/></numFmts><cellXfs><xf/><xf numFmtId="164"/></cellXfs>`),
			})
		},
	},
	{
		name: "65,000 number formats",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				styles: func(bw *bufio.Writer) {
					bw.WriteString(`<numFmts>`)
					for i := range 65_000 {
						fmt.Fprintf(bw, `<numFmt numFmtId="%d" formatCode="0&quot; %d&quot;"/>`, 164+i, i)
					}
					bw.WriteString(`</numFmts>`)
				},
			})
		},
		want: "contacts.xlsx: its part xl/styles.xml defines more than 4,000 number formats (Excel allows some 250)",
	},
	{
		name: "1,000,000 fractions",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 1+maxContacts; r++ {
						fmt.Fprintf(bw, `<row r="%d">`, r)
						for range 99 {
							fmt.Fprintf(bw, `<c s="1"><v>%d.25</v></c>`, r)
						}
						bw.WriteString(`</row>`)
					}
				},
				styles: sheetOf(`<cellXfs><xf/><xf numFmtId="12"/></cellXfs>`),
			})
		},
		want: "contacts.xlsx: Sheet1!K1011: is one value too many: the sheet holds more than 100,000 values in formats herald leaves to excelize",
	},
	{
		name: "1,000 dates in each of 1,000 languages",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 1+maxContacts; r++ {
						fmt.Fprintf(bw, `<row r="%d">`, r)
						for c := range 99 {
							fmt.Fprintf(bw, `<c s="%d"><v>%d</v></c>`, (r*99+c)%1000+1, 40000+r%365)
						}
						bw.WriteString(`</row>`)
					}
				},
				styles: func(bw *bufio.Writer) {
					bw.WriteString(`<numFmts>`)
					for i := range 1000 {
						fmt.Fprintf(bw, `<numFmt numFmtId="%d" formatCode="[$-%X]dddd d mmmm yyyy"/>`, 164+i, 0x400+i)
					}
					bw.WriteString(`</numFmts><cellXfs><xf/>`)
					for i := range 1000 {
						fmt.Fprintf(bw, `<xf numFmtId="%d"/>`, 164+i)
					}
					bw.WriteString(`</cellXfs>`)
				},
			})
		},
	},
	{
		name: "10 million empty cells",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: func(bw *bufio.Writer) {
				for r := 1; r <= 1000; r++ {
					fmt.Fprintf(bw, `<row r="%d">`, r)
					for range 10_000 {
						bw.WriteString(`<c/>`)
					}
					bw.WriteString(`</row>`)
				}
			}})
		},
		want: "contacts.xlsx: Sheet1!A101: is one cell too many: the sheet holds more than 1,000,000 cells",
	},
	{
		name: "1,048,576 rows of nothing",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: func(bw *bufio.Writer) {
				bw.WriteString(`<row r="1">` + inline("A1", "Email") + `</row>`)
				for r := 2; r < maxRows; r++ {
					bw.WriteString(`<row/>`)
				}
				fmt.Fprintf(bw, `<row r="%d">%s</row>`, maxRows, inline(fmt.Sprintf("A%d", maxRows), "a@example.org"))
			}})
		},
	},
	{
		name: "a row beyond Excel's last",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row><row r="1048577"><c r="A1048577"><v>1</v></c></row>`)})
		},
		want: "contacts.xlsx: Sheet1, row 1048576: holds a row numbered 1048577, beyond row 1,048,576, the last Excel has",
	},
	{
		name: "a cell beyond Excel's last column",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `<c r="XFE1"><v>1</v></c></row>`)})
		},
		want: `contacts.xlsx: Sheet1, row 1: holds a cell "XFE1" outside the sheet`,
	},
	{
		name: "an attribute of 60 MiB",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: around(`<row r="1"><c r="A1" x="`, repeat(strings.Repeat("a", 1<<10), 60<<10), `"><v>1</v></c></row>`)})
		},
		want: "contacts.xlsx: Sheet1, row 1: holds a tag longer than 1,048,576 bytes",
	},
	{
		// A '>' inside quotes ends no tag; the scan once looked at the whole tag again
		// at each one, hours for this file of a few kilobytes.
		name: "60 attributes of 1 MiB of '>'",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: func(bw *bufio.Writer) {
				bw.WriteString(`<row r="1">` + inline("A1", "Email") + `</row>`)
				for i := 2; i <= 61; i++ {
					fmt.Fprintf(bw, `<row r="%d"><c r="A%d" t="inlineStr" x="`, i, i)
					repeat(">", 1<<20-100)(bw)
					fmt.Fprintf(bw, `"><is><t>a%d@example.org</t></is></c></row>`, i)
				}
			}})
		},
		check: func(t *Table) string {
			if len(t.Rows) != 60 || t.Rows[59].Values[0] != "a61@example.org" {
				return fmt.Sprintf("read %d rows, want 60 ending with a61@example.org", len(t.Rows))
			}
			return ""
		},
	},
	{
		name: "elements nested 10 million deep",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: around(`<row r="1"><c r="A1"><v>1</v>`, repeat(`<x>`, 10_000_000), `</c></row>`)})
		},
		want: "contacts.xlsx: Sheet1!A1: nests XML elements more than 100 deep",
	},
	{
		name: "a million merged ranges",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				after: func(bw *bufio.Writer) {
					bw.WriteString(`<mergeCells>`)
					for i := range 1_000_000 {
						fmt.Fprintf(bw, `<mergeCell ref="A%d:B%d"/>`, i+1, i+1)
					}
					bw.WriteString(`</mergeCells>`)
				},
			})
		},
		want: "contacts.xlsx: Sheet1!A100001: is one merged range too many: the sheet has more than 100,000",
	},
	{
		name: "100,000 merged ranges over the whole table",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 1000; r++ {
						fmt.Fprintf(bw, `<row r="%d">`, r)
						for c := 1; c <= 100; c++ {
							fmt.Fprintf(bw, `<c t="inlineStr"><is><t>r%dc%d</t></is></c>`, r, c)
						}
						bw.WriteString(`</row>`)
					}
				},
				after: func(bw *bufio.Writer) {
					bw.WriteString(`<mergeCells>`)
					for range 100_000 {
						bw.WriteString(`<mergeCell ref="A2:CV1000"/>`)
					}
					bw.WriteString(`</mergeCells>`)
				},
			})
		},
	},
	{
		name: "a style sheet of 10 million elements",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet:  sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				styles: around(`<cellXfs>`, repeat(`<xf/>`, 10_000_000), `</cellXfs>`),
			})
		},
		want: "contacts.xlsx: its part xl/styles.xml holds more than 2,000,000 XML elements",
	},
	{
		name: "100,000 cell formats",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet:  sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				styles: around(`<cellXfs>`, repeat(`<xf numFmtId="14"/>`, 100_000), `</cellXfs>`),
			})
		},
		want: "contacts.xlsx: its part xl/styles.xml holds more than 65,490 cell formats, the most Excel allows",
	},
	{
		name: "a relationships part of 2,000,000 elements, 1,000 sheets pointing nowhere",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				sheets: func(bw *bufio.Writer) {
					for i := range 999 {
						fmt.Fprintf(bw, `<sheet name="S%d" sheetId="%d" r:id="aaaaaaaaaaab"/>`, i, i+2)
					}
				},
				rels: repeat(`<Relationship Id="aaaaaaaaaaaa"/>`, 2_000_000),
			})
		},
		want: "contacts.xlsx: its part xl/_rels/workbook.xml.rels holds more than 10,000 XML elements",
	},
	{
		name: "1,000 sheets, 9,990 relationships, 2,000,000 elements in the workbook",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row><row r="2">` + inline("A2", "a@example.org") + `</row>`),
				sheets: func(bw *bufio.Writer) {
					for i := range 999 {
						fmt.Fprintf(bw, `<sheet name="S%d" sheetId="%d" r:id="r%d"/>`, i, i+2, 9000+i)
					}
				},
				rels: func(bw *bufio.Writer) {
					for i := range 9990 {
						fmt.Fprintf(bw, `<Relationship Id="r%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`, i)
					}
				},
				afterSheets: around(`<definedNames>`, repeat(`<definedName name="n"/>`, maxElements-1003), `</definedNames>`),
			})
		},
		check: func(t *Table) string {
			if len(t.Warnings) != 1 || len(t.Warnings[0].Message) > 200 {
				return fmt.Sprintf("want one short warning naming the sheet read, got %q", t.Warnings)
			}
			return ""
		},
	},
	{
		name: "2,000,000 elements in the workbook before its sheets",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet:        sheetOf(`<row r="1">` + inline("A1", "Email") + `</row><row r="2">` + inline("A2", "a@example.org") + `</row>`),
				beforeSheets: around(`<bookViews>`, repeat(`<workbookView/>`, maxElements-4), `</bookViews>`),
			})
		},
	},
	{
		name: "60 sheet names of 1 MiB",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				sheets: func(bw *bufio.Writer) {
					for i := range 60 {
						fmt.Fprintf(bw, `<sheet name="N%d%s" sheetId="%d" r:id="rId1"/>`, i, strings.Repeat("x", 1<<20-100), i+2)
					}
				},
			})
		},
		want: `contacts.xlsx: its part xl/workbook.xml names sheet 2 "N0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…", of 1,048,478 characters, more than the 100 herald reads (Excel allows 31)`,
	},
	{
		name: "1,000 sheets of 100-character names",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row><row r="2">` + inline("A2", "a@example.org") + `</row>`),
				sheets: func(bw *bufio.Writer) {
					for i := range 999 {
						fmt.Fprintf(bw, `<sheet name="%03d%s" sheetId="%d" r:id="rId1"/>`, i, strings.Repeat("é", maxSheetName-3), i+2)
					}
				},
			})
		},
		check: func(t *Table) string {
			if len(t.Warnings) != 1 || !strings.Contains(t.Warnings[0].Message, "the first of 1000 (Sheet1, 000éééé") || !strings.HasSuffix(t.Warnings[0].Message, "é… and 995 more)") || len(t.Warnings[0].Message) > 600 {
				return fmt.Sprintf("want one warning listing 5 sheets, each cut, got %q", t.Warnings)
			}
			return ""
		},
	},
	{
		name: "a number format of 1 MiB in 20,000 cells",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					bw.WriteString(`<row r="1">` + inline("A1", "Email") + inline("B1", "N") + `</row>`)
					for r := 2; r <= 20_001; r++ {
						fmt.Fprintf(bw, `<row r="%d">%s<c r="B%d" s="1"><v>1</v></c></row>`, r, inline(fmt.Sprintf("A%d", r), "a@example.org"), r)
					}
				},
				styles: sheetOf(`<numFmts count="1"><numFmt numFmtId="164" formatCode="0;0;0;@&quot;` + strings.Repeat("a", 1<<20-100) + `&quot;"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs>`),
			})
		},
		want: `contacts.xlsx: its part xl/styles.xml defines number format 164, "0;0;0;@\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…", of 1,048,485 characters, more than the 255 Excel allows in a format`,
	},
	{
		name: "formats of 255 characters in 1,000,000 cells",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 1+maxContacts; r++ {
						fmt.Fprintf(bw, `<row r="%d">`, r)
						for c := range 99 {
							fmt.Fprintf(bw, `<c r="%s%d" s="%d"><v>%d.5</v></c>`, columnLetter(c), r, 1+c%2, r)
						}
						bw.WriteString(`</row>`)
					}
				},
				styles: sheetOf(`<numFmts count="2">` +
					`<numFmt numFmtId="164" formatCode="0.00;0;0;@&quot;` + strings.Repeat("a", maxNumFmtChars-13) + `&quot;"/>` +
					`<numFmt numFmtId="165" formatCode="[$-F800]` + strings.Repeat(`&quot;a&quot;`, (maxNumFmtChars-8)/3) + `"/>` +
					`</numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs>`),
			})
		},
		check: func(t *Table) string {
			if got := t.Rows[0].Values[0] + " " + t.Rows[0].Values[1]; got != "2.50 1900-01-02" {
				return fmt.Sprintf("got %q in the first row, want 2.50 and an ISO date", got)
			}
			return ""
		},
	},
	{
		name: "two zip entries of one name",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				extra: []zipEntry{{"xl/worksheets/sheet1.xml", "<worksheet/>"}},
			})
		},
		want: `contacts.xlsx: cannot be read: its zip package holds two files named "xl/worksheets/sheet1.xml", and programs differ on which one they read; open it in Excel`,
	},
	{
		name: "zip entries of one name but for case and slashes",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				extra: []zipEntry{{`XL\Worksheets//Sheet1.xml`, "<worksheet/>"}},
			})
		},
		want: `contacts.xlsx: cannot be read: its zip package holds files named "xl/worksheets/sheet1.xml" and "XL\\Worksheets//Sheet1.xml", one name to a workbook`,
	},
	{
		name: "a zip entry named ../../etc/sheet1.xml",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				extra: []zipEntry{{"../../xl/worksheets/sheet2.xml", "<worksheet/>"}},
			})
		},
		want: `contacts.xlsx: cannot be read: its zip package holds a file named "../../xl/worksheets/sheet2.xml", a name outside the package (absolute, or with ".."), which no sound workbook has`,
	},
	{
		name: "a zip entry named /xl/worksheets/sheet2.xml",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				extra: []zipEntry{{"/xl/worksheets/sheet2.xml", "<worksheet/>"}},
			})
		},
		want: `contacts.xlsx: cannot be read: its zip package holds a file named "/xl/worksheets/sheet2.xml", a name outside`,
	},
	{
		name: "a million sheets",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				sheets: func(bw *bufio.Writer) {
					for i := range 1_000_000 {
						fmt.Fprintf(bw, `<sheet name="S%d" sheetId="%d" r:id="rId1"/>`, i, i+1)
					}
				},
			})
		},
		want: "contacts.xlsx: its part xl/workbook.xml lists more than 1,000 sheets",
	},
	{
		name: "100,000 files in the package",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: sheetOf(`<row r="1">` + inline("A1", "Email") + `</row>`),
				files: 100_000,
			})
		},
		want: "contacts.xlsx: holds 100,005 files in its zip package, more than the 10,000 herald reads",
	},
	{
		name: "a table of 1,100 rows by 1,100 columns",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: func(bw *bufio.Writer) {
				for r := 1; r <= 1100; r++ {
					fmt.Fprintf(bw, `<row r="%d"><c r="%s%d"><v>1</v></c></row>`, r, columnLetter(r-1), r)
				}
			}})
		},
		want: "contacts.xlsx: Sheet1: is too large a table: 1,100 rows by 1,100 columns (up to column APH) make more than 1,000,000 cells",
	},
	{
		name: "the most herald reads: 10,000 rows, 1,000,000 cells, 250,000 shared strings",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{
				sheet: func(bw *bufio.Writer) {
					for r := 1; r <= 1+maxContacts; r++ {
						fmt.Fprintf(bw, `<row r="%d">`, r)
						for c := range 99 {
							fmt.Fprintf(bw, `<c r="%s%d" t="s"><v>%d</v></c>`, columnLetter(c), r, (r*99+c)%maxSharedStrings)
						}
						bw.WriteString(`</row>`)
					}
				},
				sst: func(bw *bufio.Writer) {
					for i := range maxSharedStrings {
						fmt.Fprintf(bw, `<si><t>%d</t></si>`, i)
					}
				},
			})
		},
	},
	{
		name: "a CSV field of 60 MiB",
		file: "contacts.csv",
		gen: func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			bw.WriteString("Email,Note\na@example.org,\"")
			for range 60 << 10 {
				bw.WriteString(strings.Repeat("a,\n", 341) + "a")
			}
			bw.WriteString("\"\n")
			return bw.Flush()
		},
		want: "contacts.csv: line 2, column B: holds more than 32,767 characters",
	},
	{
		name: "2 million CSV rows",
		file: "contacts.csv",
		gen: func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			bw.WriteString("Email\n")
			for range 2_000_000 {
				bw.WriteString("a\n")
			}
			return bw.Flush()
		},
		want: "contacts.csv: line 10002: is one row too many: the list holds more than 10,000 contacts, the most herald sends in one run",
	},
	{
		name: "10,000 CSV rows of 100 columns, 1,000,000 cells",
		file: "contacts.csv",
		gen: func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			for r := range 1 + maxContacts {
				for c := range 99 {
					if c > 0 {
						bw.WriteByte(',')
					}
					fmt.Fprintf(bw, "r%dc%d", r, c)
				}
				bw.WriteByte('\n')
			}
			return bw.Flush()
		},
	},
	{
		name: "10,001 CSV rows",
		file: "contacts.csv",
		gen: func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			bw.WriteString("Email\n")
			for i := range maxContacts + 1 {
				fmt.Fprintf(bw, "a%d@example.org\n", i)
			}
			return bw.Flush()
		},
		want: "contacts.csv: line 10002: is one row too many: the list holds more than 10,000 contacts, the most herald sends in one run; split the list into files of at most 10,000 rows",
	},
	{
		name: "10,001 rows in a workbook",
		file: "contacts.xlsx",
		gen: func(w io.Writer) error {
			return writeWorkbook(w, workbookParts{sheet: func(bw *bufio.Writer) {
				for r := 1; r <= maxContacts+2; r++ {
					fmt.Fprintf(bw, `<row r="%d">%s</row>`, r, inline(fmt.Sprintf("A%d", r), "a@example.org"))
				}
			}})
		},
		want: "contacts.xlsx: Sheet1, row 10002: is one row too many: the list holds more than 10,000 contacts",
	},
	{
		name: "2 million CSV rows of empty fields",
		file: "contacts.csv",
		gen: func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			bw.WriteString("Email,Name\na@example.org,A\n")
			for range 2_000_000 {
				bw.WriteString(",\n")
			}
			return bw.Flush()
		},
		want: "contacts.csv: line 1048577: is one line too many: the file holds more than 1,048,576 rows",
	},
	{
		name: "10 million empty CSV lines",
		file: "contacts.csv",
		gen: func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			bw.WriteString("Email\na@example.org\n")
			for range 10_000_000 {
				bw.WriteString("\n")
			}
			return bw.Flush()
		},
	},
}

// workbookParts are the parts of a workbook written by writeWorkbook; each writes the
// content of an element whose tags it writes itself.
type workbookParts struct {
	sheet        func(*bufio.Writer) // inside sheetData
	after        func(*bufio.Writer) // after sheetData
	sst          func(*bufio.Writer) // inside sst; nil for none
	styles       func(*bufio.Writer) // inside styleSheet; nil for none
	sheets       func(*bufio.Writer) // inside sheets, after the first
	beforeSheets func(*bufio.Writer) // inside workbook, before sheets
	afterSheets  func(*bufio.Writer) // inside workbook, after sheets
	rels         func(*bufio.Writer) // inside the workbook's relationships, after the others
	files        int                 // empty files to add
	extra        []zipEntry          // files to add after the others
}

type zipEntry struct{ name, content string }

func sheetOf(rows string) func(*bufio.Writer) {
	return func(w *bufio.Writer) { w.WriteString(rows) }
}

func repeat(s string, n int) func(*bufio.Writer) {
	return func(w *bufio.Writer) {
		for range n {
			w.WriteString(s)
		}
	}
}

func around(before string, inner func(*bufio.Writer), after string) func(*bufio.Writer) {
	return func(w *bufio.Writer) {
		w.WriteString(before)
		if inner != nil {
			inner(w)
		}
		w.WriteString(after)
	}
}

// writeWorkbook streams a workbook of one sheet to w, compressed as tightly as a zip
// bomb is.
func writeWorkbook(w io.Writer, p workbookParts) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	write := func(name string, content func(*bufio.Writer)) error {
		fw, err := zw.Create(name)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(fw, 1<<20)
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
		content(bw)
		return bw.Flush()
	}
	var rels string
	if p.sst != nil {
		rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
	}
	if p.styles != nil {
		rels += `<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`
	}
	parts := []struct {
		name    string
		content func(*bufio.Writer)
	}{
		{"[Content_Types].xml", sheetOf(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`)},
		{"_rels/.rels", sheetOf(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", func(bw *bufio.Writer) {
			around(`<workbook `+ns+`>`, p.beforeSheets, "")(bw)
			around(`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>`, p.sheets, `</sheets>`)(bw)
			around("", p.afterSheets, `</workbook>`)(bw)
		}},
		{"xl/_rels/workbook.xml.rels", around(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`+rels, p.rels, `</Relationships>`)},
		{"xl/worksheets/sheet1.xml", func(bw *bufio.Writer) {
			around(`<worksheet `+ns+`><sheetData>`, p.sheet, `</sheetData>`)(bw)
			if p.after != nil {
				p.after(bw)
			}
			bw.WriteString(`</worksheet>`)
		}},
	}
	if p.sst != nil {
		parts = append(parts, struct {
			name    string
			content func(*bufio.Writer)
		}{"xl/sharedStrings.xml", around(`<sst `+ns+`>`, p.sst, `</sst>`)})
	}
	if p.styles != nil {
		parts = append(parts, struct {
			name    string
			content func(*bufio.Writer)
		}{"xl/styles.xml", around(`<styleSheet `+ns+`>`, p.styles, `</styleSheet>`)})
	}
	for _, part := range parts {
		if err := write(part.name, part.content); err != nil {
			return err
		}
	}
	for _, e := range p.extra {
		if err := write(e.name, sheetOf(e.content)); err != nil {
			return err
		}
	}
	for i := range p.files {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("x/%d", i), Method: zip.Store}); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeShape writes the shape's file in a temporary folder.
func writeShape(tb testing.TB, s hostileShape) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), s.file)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.gen(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes large hostile files")
	}
	for _, s := range hostileShapes {
		t.Run(s.name, func(t *testing.T) {
			path := writeShape(t, s)
			if fi, err := os.Stat(path); err == nil && s.file == "contacts.xlsx" && fi.Size() > 12<<20 {
				t.Errorf("the file is %d MiB; a hostile file is small", fi.Size()>>20)
			}
			tb, err := Read(path, Options{})
			switch {
			case s.want == "" && err != nil:
				t.Fatalf("got error %v, want the file read", withHints(err))
			case s.want == "" && len(tb.Rows) == 0:
				t.Fatalf("read no rows")
			case s.want != "" && (err == nil || !strings.Contains(withHints(err), s.want)):
				t.Fatalf("got error %v\nwant one with %q", err, s.want)
			case s.want != "" && len(withHints(err)) == len(err.Error()):
				t.Errorf("got error %v without a hint", err)
			case s.check != nil:
				if msg := s.check(tb); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

// BenchmarkHostile reads each hostile shape, reporting the peak of the heap besides the
// time.
func BenchmarkHostile(b *testing.B) {
	for _, s := range hostileShapes {
		b.Run(s.name, func(b *testing.B) {
			path := writeShape(b, s)
			peak := peakHeap(func() {
				for b.Loop() {
					_, _ = Read(path, Options{})
				}
			})
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// peakHeap runs f, returning the most heap its objects took above what they took before.
func peakHeap(f func()) int64 {
	runtime.GC()
	base := heapObjects()
	peak := base
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, heapObjects())
			}
		}
	}()
	f()
	close(done)
	<-stopped
	return peak - base
}
