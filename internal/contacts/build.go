package contacts

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/mla-initiative/herald/internal/problem"
)

// builder collects rows as they are read and turns them into a Table. It keeps only the
// cells that hold something, so that a row reaching far to the right costs no more than
// its cells.
type builder struct {
	t *Table
	// header is the header row's cells as read, untrimmed, so that stray spaces can be
	// reported.
	header []rawCell
	// rows holds the header row (first) and the non-empty rows under it.
	rows  []rawRow
	cells int
	text  int // bytes of text in the cells
}

type rawRow struct {
	number int
	cells  []rawCell // the non-empty cells, trimmed, in column order
}

type rawCell struct {
	col   int
	value string
}

func newBuilder(file, sheet string) *builder {
	return &builder{t: &Table{File: file, Sheet: sheet}}
}

// add takes one row as read: values[i] is the cell of column i. values may be reused by
// the caller after add returns.
func (b *builder) add(number int, values []string) error {
	n := 0
	for _, v := range values {
		if v != "" && strings.TrimSpace(v) != "" {
			n++
			b.text += len(v)
		}
	}
	if n == 0 {
		return nil
	}
	if len(b.rows) > maxContacts {
		// The header row and maxContacts rows are in.
		return problem.Problem{
			Where:   b.t.RowRef(number),
			Message: fmt.Sprintf("is one row too many: the list holds more than %s contacts, the most herald sends in one run", thousands(maxContacts)),
			Hints:   []string{fmt.Sprintf("split the list into files of at most %s rows under the header row, and run herald with each in turn", thousands(maxContacts))},
		}
	}
	b.cells += n
	if b.cells > maxCells || b.text > maxText {
		return problem.Problem{
			Where:   b.t.RowRef(number),
			Message: fmt.Sprintf("is one row too many: the table holds more than %s cells or %s MiB of text, more than herald reads", thousands(maxCells), thousands(maxText>>20)),
			Hints:   []string{hintTooMuch},
		}
	}
	cells := make([]rawCell, 0, n)
	for i, v := range values {
		if v == "" {
			continue
		}
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if strings.IndexByte(v, '\r') >= 0 {
			// Some programs save a line break in a cell as _x000D_ and a newline.
			v = newlines.Replace(v)
		}
		cells = append(cells, rawCell{col: i, value: v})
	}
	if b.rows == nil {
		b.t.HeaderRow = number
		for _, c := range cells {
			b.header = append(b.header, rawCell{col: c.col, value: values[c.col]})
		}
	}
	b.rows = append(b.rows, rawRow{number: number, cells: cells})
	return nil
}

var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// finish builds the Table: columns, rows and the warnings about headers and hidden rows,
// applying what the scan of a worksheet found (nothing, for CSV).
func (b *builder) finish(scan sheetScan) (*Table, error) {
	t := b.t
	if len(b.rows) == 0 {
		return nil, problem.Problem{Where: t.where(), Message: "is empty: no cell holds anything", Hints: []string{"check that this is the right file and sheet"}}
	}
	// The columns that hold something, and each one's place in the table.
	var used []int
	for _, r := range b.rows {
		for _, c := range r.cells {
			used = append(used, c.col)
		}
	}
	slices.Sort(used)
	used = slices.Compact(used)
	if len(used)*len(b.rows) > maxCells {
		last := used[len(used)-1]
		return nil, problem.Problem{
			Where: t.where(),
			Message: fmt.Sprintf("is too large a table: %s rows by %s columns (up to column %s) make more than %s cells, more than herald reads",
				thousands(len(b.rows)), thousands(len(used)), columnLetter(last), thousands(maxCells)),
			Hints: []string{"delete the cells outside the table (often stray cells far to the right or below), or copy the table to a new workbook"},
		}
	}
	place := make(map[int]int, len(used))
	for i, col := range used {
		place[col] = i
	}
	grid := make([][]string, len(b.rows))
	for i, r := range b.rows {
		grid[i] = make([]string, len(used))
		for _, c := range r.cells {
			grid[i][place[c.col]] = c.value
		}
	}
	b.merge(scan.merges, used, grid)

	for i, col := range used {
		h := grid[0][i]
		t.Columns = append(t.Columns, Column{Header: h, Name: columnName(h), Index: col})
	}
	t.Rows = make([]Row, 0, len(b.rows)-1)
	for i, r := range b.rows[1:] {
		_, hidden := slices.BinarySearch(scan.hidden, r.number)
		t.Rows = append(t.Rows, Row{Number: r.number, Values: grid[i+1], Hidden: hidden})
	}
	if err := t.checkOwnColumns(); err != nil {
		return nil, err
	}
	b.headerWarnings()
	b.hiddenWarning()
	return t, nil
}

// merge gives every cell of a merged range the value of its top-left cell, as the user
// sees it (a value left in another cell of the range is hidden by the merge), in the rows
// and columns that hold something of their own: merging never turns an empty row into a
// contact, nor an empty column into one the templates could see.
//
// Ranges cannot overlap in a sound workbook: a range stops where it meets a cell another
// one filled, so that a crafted file with thousands of overlapping ranges costs no more
// than a sound one, each cell of the table being filled at most once.
func (b *builder) merge(ranges []cellRange, used []int, grid [][]string) {
	if len(ranges) == 0 {
		return
	}
	filled := make([]bool, len(grid)*len(used))
	rowOf := func(number int) (int, bool) {
		return slices.BinarySearchFunc(b.rows, number, func(r rawRow, n int) int { return r.number - n })
	}
ranges:
	for _, r := range ranges {
		first, _ := slices.BinarySearch(used, r.col1)
		last, _ := slices.BinarySearch(used, r.col2+1)
		if first == last {
			continue
		}
		var value string
		if i, ok := rowOf(r.row1); ok && used[first] == r.col1 {
			value = grid[i][first]
		}
		start, _ := rowOf(r.row1)
		for i := start; i < len(b.rows) && b.rows[i].number <= r.row2; i++ {
			for j := first; j < last; j++ {
				if filled[i*len(used)+j] {
					continue ranges
				}
				filled[i*len(used)+j] = true
				grid[i][j] = value
			}
		}
	}
}

// checkOwnColumns refuses two columns that both mean one of the columns herald itself
// uses (Email, Cc, Bcc, Language): which one to mail, or which language to write in,
// would be a guess, and the other column's addresses would never be mailed.
func (t *Table) checkOwnColumns() error {
	var msgs []string
	for _, a := range aliases {
		if cols := t.named(a.name); len(cols) > 1 {
			both := "both"
			if len(cols) > 2 {
				both = "all"
			}
			msgs = append(msgs, fmt.Sprintf("%s are %s the %s column", t.headerCells(cols), both, a.name))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return problem.Problem{
		Where:   t.where(),
		Message: strings.Join(msgs, "; "),
		Hints:   []string{"keep one of them, renaming or deleting the others; several addresses for one message go in one cell, separated by ;"},
		Err:     ErrDuplicateColumn,
	}
}

func (b *builder) headerWarnings() {
	t := b.t
	raw := map[int]string{}
	for _, c := range b.header {
		raw[c.col] = c.value
	}
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
		if h, ok := raw[c.Index]; ok && h != strings.TrimSpace(h) {
			t.Warnings = append(t.Warnings, problem.Problem{
				Where:   ref,
				Message: fmt.Sprintf("header %q has spaces before or after it, which are ignored", h),
			})
		}
	}

	// Two columns with one name: Lookup refuses the name, so say so now, once per name.
	byName := map[string][]int{}
	var names []string
	for i, c := range t.Columns {
		key := strings.ToLower(c.Name)
		if c.Name == "" {
			continue
		}
		if byName[key] == nil {
			names = append(names, key)
		}
		byName[key] = append(byName[key], i)
	}
	for _, key := range names {
		cols := byName[key]
		if len(cols) < 2 || isOwnColumn(t.Columns[cols[0]].Name) {
			continue
		}
		name := t.Columns[cols[0]].Name
		t.Warnings = append(t.Warnings, problem.Problem{
			Where:   t.where(),
			Message: fmt.Sprintf("the headers %s all give the name %s", t.headerCells(cols), name),
			Hints:   []string{fmt.Sprintf("templates cannot use {{.%s}} until all but one of these columns is renamed", name)},
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
