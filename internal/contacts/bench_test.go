package contacts

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
)

const benchRows = 10_000

var benchHeader = []string{"Country", "Authority", "Salutation", "Title", "First name", "Last name", "Position", "Email", "Cc", "Language"}

func benchTable() [][]string {
	rows := make([][]string, benchRows)
	for i := range rows {
		rows[i] = []string{
			fmt.Sprintf("Country %d", i%200),
			"Ministry of Justice and Human Rights",
			"Excellency",
			"H.E.",
			fmt.Sprintf("Given%d", i),
			fmt.Sprintf("Family%d", i),
			"Minister of Justice",
			fmt.Sprintf("minister.%d@justice.example", i),
			fmt.Sprintf("cabinet.%d@justice.example", i),
			[]string{"en", "fr", "es"}[i%3],
		}
	}
	return rows
}

func writeBenchXLSX(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "contacts.xlsx")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := WriteXLSX(f, "Authorities", benchHeader, benchTable()); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func writeBenchCSV(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "contacts.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(benchHeader); err != nil {
		tb.Fatal(err)
	}
	if err := w.WriteAll(benchTable()); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func benchmarkRead(b *testing.B, path string) {
	b.ReportAllocs()
	for b.Loop() {
		tb, err := Read(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(tb.Rows) != benchRows {
			b.Fatalf("got %d rows, want %d", len(tb.Rows), benchRows)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadXLSX10k(b *testing.B) { benchmarkRead(b, writeBenchXLSX(b)) }

func BenchmarkReadCSV10k(b *testing.B) { benchmarkRead(b, writeBenchCSV(b)) }

// BenchmarkReadXLSX10kFormatted reads 10,000 rows of 10 columns as a spreadsheet program
// saves them: text as shared strings, a bold header, and numbers with formats (two
// columns of different dates, a phone number, an amount, a share).
func BenchmarkReadXLSX10kFormatted(b *testing.B) {
	path := filepath.Join(b.TempDir(), "contacts.xlsx")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	table := benchTable()
	err = writeWorkbook(f, workbookParts{
		sheet: func(w *bufio.Writer) {
			w.WriteString(`<row r="1">`)
			for c, h := range []string{"Country", "Authority", "First name", "Last name", "Email", "Language", "Born", "Reply by", "Phone", "Share"} {
				fmt.Fprintf(w, `<c r="%s1" s="1" t="inlineStr"><is><t>%s</t></is></c>`, columnLetter(c), h)
			}
			w.WriteString(`</row>`)
			for i := range table {
				n := i + 2
				fmt.Fprintf(w, `<row r="%d">`, n)
				for c, col := range []int{0, 1, 4, 5, 7, 9} {
					fmt.Fprintf(w, `<c r="%s%d" t="s"><v>%d</v></c>`, columnLetter(c), n, i*6+col%6)
				}
				fmt.Fprintf(w, `<c r="G%d" s="2"><v>%d</v></c><c r="H%d" s="3"><v>%d</v></c><c r="I%d"><v>%d</v></c><c r="J%d" s="4"><v>0.%02d</v></c></row>`,
					n, 20000+i, n, 45336+i%30, n, 31701234567+i, n, i%100)
			}
		},
		sst: func(w *bufio.Writer) {
			for _, r := range table {
				for _, col := range []int{0, 1, 4, 5, 7, 9} {
					fmt.Fprintf(w, `<si><t>%s</t></si>`, r[col])
				}
			}
		},
		styles: sheetOf(`<numFmts count="1"><numFmt numFmtId="164" formatCode="d mmmm yyyy"/></numFmts><fonts count="2"><font/><font><b/></font></fonts><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="0" fontId="1"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="9"/></cellXfs>`),
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	benchmarkRead(b, path)
}

// Reading 10,000 rows must take little memory beyond the rows themselves, at its peak and
// after.
func TestReadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 10,000-row workbook")
	}
	path := writeBenchXLSX(t)
	runtime.GC()
	base := heapObjects()
	var (
		tb  *Table
		err error
	)
	growth := peakHeap(func() { tb, err = Read(path, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	kept := heapObjects() - base
	if growth > 100<<20 {
		t.Errorf("heap grew by %d MiB while reading; want well under 100 MiB", growth>>20)
	}
	// The rows hold about 10,000 × 10 strings of 20 bytes: 2 MiB of text, and as much again
	// in string and slice headers.
	if kept > 12<<20 {
		t.Errorf("the table keeps %d MiB; want little more than its text", kept>>20)
	}
	t.Logf("heap: %.1f MiB at the peak, %.1f MiB kept", float64(growth)/(1<<20), float64(kept)/(1<<20))
	runtime.KeepAlive(tb)
}

// heapObjects returns the bytes of heap objects, live or not yet swept.
func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
