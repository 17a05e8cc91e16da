package contacts

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/mla-initiative/herald/internal/problem"
)

// builder collects rows as they are read and turns them into a Table.
type builder struct {
	t *Table
	// header is the header row as read, untrimmed, so that stray spaces can be reported.
	header []string
	// rows holds the header row (first) and the non-empty rows under it, each as long as
	// its last non-empty cell.
	rows []rawRow
}

type rawRow struct {
	number int
	values []string
}

func newBuilder(file, sheet string) *builder {
	return &builder{t: &Table{File: file, Sheet: sheet}}
}

// add takes one row as read. values may be reused by the caller after add returns.
func (b *builder) add(number int, values []string) {
	last := -1
	for i, v := range values {
		if strings.TrimSpace(v) != "" {
			last = i
		}
	}
	if last < 0 {
		return
	}
	trimmed := make([]string, last+1)
	for i, v := range values[:last+1] {
		trimmed[i] = strings.TrimSpace(v)
		if strings.IndexByte(trimmed[i], '\r') >= 0 {
			// Some programs save a line break in a cell as _x000D_ and a newline.
			trimmed[i] = newlines.Replace(trimmed[i])
		}
	}
	if b.rows == nil {
		b.header = slices.Clone(values[:last+1])
		b.t.HeaderRow = number
	}
	b.rows = append(b.rows, rawRow{number: number, values: trimmed})
}

var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// isoDate rewrites a date cell that excelize left as ISO 8601 with a T, which it does when
// the cell has no format it applies, to the form dates with Excel's default formats read
// as: 2024-02-14, or 2024-02-14 09:30 with a time.
func isoDate(v string) string {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		d, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		switch {
		case d.Hour() == 0 && d.Minute() == 0 && d.Second() == 0:
			return d.Format(time.DateOnly)
		case d.Second() == 0:
			return d.Format("2006-01-02 15:04")
		default:
			return d.Format(time.DateTime)
		}
	}
	return v
}

// rowIndex returns the position in b.rows of the row with the given number.
func (b *builder) rowIndex(number int) (int, bool) {
	return slices.BinarySearchFunc(b.rows, number, func(r rawRow, n int) int { return r.number - n })
}

// merge gives every cell of a merged range the value of its top-left cell, as the user
// sees it (a value left in another cell of the range is hidden by the merge), in the rows
// and columns that hold something of their own: merging never turns an empty row into a
// contact, nor an empty column into one the templates could see.
//
// Ranges cannot overlap in a sound workbook; filled records the cells already filled so
// that a crafted file with thousands of overlapping ranges costs no more than a sound one.
func (b *builder) merge(r cellRange, width int, filled map[cellPos]bool) {
	first, found := b.rowIndex(r.row1)
	var value string
	if found && r.col1 < len(b.rows[first].values) {
		value = b.rows[first].values[r.col1]
	}
	for i := first; i < len(b.rows) && b.rows[i].number <= r.row2; i++ {
		row := &b.rows[i]
		for col := r.col1; col <= r.col2 && col < width; col++ {
			pos := cellPos{row: row.number, col: col}
			if filled[pos] {
				return
			}
			filled[pos] = true
			if col >= len(row.values) {
				if value == "" {
					continue
				}
				row.values = append(row.values, make([]string, col+1-len(row.values))...)
			}
			row.values[col] = value
		}
	}
}

// width returns one more than the last column index used by any row.
func (b *builder) width() int {
	w := 0
	for _, r := range b.rows {
		w = max(w, len(r.values))
	}
	return w
}

// finish builds the Table: columns, rows and the warnings about headers and hidden rows,
// applying what the scan of a worksheet found (nothing, for CSV).
func (b *builder) finish(scan sheetScan) (*Table, error) {
	t := b.t
	if len(b.rows) == 0 {
		return nil, problem.Problem{Where: t.where(), Message: "is empty: no cell holds anything", Hints: []string{"check that this is the right file and sheet"}}
	}
	for _, c := range scan.dates {
		if i, ok := b.rowIndex(c.row); ok && c.col < len(b.rows[i].values) {
			b.rows[i].values[c.col] = isoDate(b.rows[i].values[c.col])
		}
	}
	used := make([]bool, b.width())
	for _, r := range b.rows {
		for i, v := range r.values {
			if v != "" {
				used[i] = true
			}
		}
	}
	filled := map[cellPos]bool{}
	for _, m := range scan.merges {
		b.merge(m, len(used), filled)
	}

	header := b.rows[0].values
	for i, isUsed := range used {
		if !isUsed {
			continue
		}
		var h string
		if i < len(header) {
			h = header[i]
		}
		t.Columns = append(t.Columns, Column{Header: h, Name: Identifier(h), Index: i})
	}
	t.Rows = make([]Row, 0, len(b.rows)-1)
	for _, r := range b.rows[1:] {
		values := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			if c.Index < len(r.values) {
				values[i] = r.values[c.Index]
			}
		}
		_, hidden := slices.BinarySearch(scan.hidden, r.number)
		t.Rows = append(t.Rows, Row{Number: r.number, Values: values, Hidden: hidden})
	}
	b.headerWarnings()
	b.hiddenWarning()
	return t, nil
}

func (b *builder) headerWarnings() {
	t := b.t
	for col, c := range t.Columns {
		ref := t.cellRef(t.HeaderRow, c.Index, "")
		switch {
		case c.Header == "":
			first := -1
			for _, r := range t.Rows {
				if r.Values[col] != "" {
					first = r.Number
					break
				}
			}
			t.Warnings = append(t.Warnings, problem.Problem{
				Where:   ref,
				Message: fmt.Sprintf("column %s has no header but holds values (the first in %s%d), which templates cannot use", c.Letter(), c.Letter(), first),
				Hints:   []string{fmt.Sprintf("give the column a header in %s%d, or delete its values", c.Letter(), t.HeaderRow)},
			})
		case c.Name == "":
			t.Warnings = append(t.Warnings, problem.Problem{
				Where:   ref,
				Message: fmt.Sprintf("header %q has no letter or digit, so templates cannot use this column", c.Header),
				Hints:   []string{"give the column a header made of words"},
			})
		}
		if c.Index < len(b.header) && b.header[c.Index] != strings.TrimSpace(b.header[c.Index]) {
			t.Warnings = append(t.Warnings, problem.Problem{
				Where:   ref,
				Message: fmt.Sprintf("header %q has spaces before or after it, which are ignored", b.header[c.Index]),
			})
		}
	}

	// Two columns with one name: Lookup refuses the name, so say so now, once per name.
	seen := map[string]bool{}
	for _, c := range t.Columns {
		key := strings.ToLower(c.Name)
		if c.Name == "" || seen[key] {
			continue
		}
		seen[key] = true
		if cols := t.named(c.Name); len(cols) > 1 {
			t.Warnings = append(t.Warnings, problem.Problem{
				Where:   t.where(),
				Message: fmt.Sprintf("the headers %s all give the name %s", t.headerCells(cols), c.Name),
				Hints:   []string{fmt.Sprintf("templates cannot use {{.%s}} until all but one of these columns is renamed", c.Name)},
			})
		}
	}

	// A column called Email next to one called "Email address": the first wins, as
	// Lookup says, but the user may have meant the other.
	for _, a := range aliases {
		exact := t.named(a.name)
		if len(exact) != 1 {
			continue
		}
		var others []int
		for _, o := range a.others {
			others = append(others, t.named(o)...)
		}
		if len(others) == 0 {
			continue
		}
		slices.Sort(others)
		t.Warnings = append(t.Warnings, problem.Problem{
			Where:   t.where(),
			Message: fmt.Sprintf("%s is used as the %s column; %s could also be meant", t.headerCells(exact), a.name, t.headerCells(others)),
			Hints:   []string{"rename the columns that are not meant, if one of them is"},
		})
	}
}

func (b *builder) hiddenWarning() {
	t := b.t
	var hidden []int
	for _, r := range t.Rows {
		if r.Hidden {
			hidden = append(hidden, r.Number)
		}
	}
	if len(hidden) == 0 {
		return
	}
	noun := "row"
	if len(hidden) > 1 {
		noun = "rows"
	}
	t.Warnings = append(t.Warnings, problem.Problem{
		Where:   t.where(),
		Message: fmt.Sprintf("%s %s %s hidden in the workbook (perhaps by a filter) but %s read like the others", noun, listNumbers(hidden), isAre(len(hidden)), isAre(len(hidden))),
		Hints:   []string{"delete the rows that must not be read, or copy the rows that must to a sheet of their own"},
	})
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// listNumbers lists up to 10 numbers, then how many more: "3, 5 and 9", "1, 2, … 10 and 4
// more".
func listNumbers(ns []int) string {
	const most = 10
	parts := make([]string, 0, most+1)
	for i, n := range ns {
		if i == most {
			parts = append(parts, fmt.Sprintf("%d more", len(ns)-most))
			break
		}
		parts = append(parts, fmt.Sprint(n))
	}
	return joinAnd(parts)
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
