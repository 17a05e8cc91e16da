package contacts

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Highlight colours the cells of one column by their value, as a delivery report marks
// each recipient's status, so that a reader sees at a glance what needs attention.
type Highlight struct {
	Column int // index into the header
	// Colors maps a cell value to its fill colour as "RRGGBB"; other values get no fill.
	Colors map[string]string
}

// WriteXLSXHighlighted writes a workbook as [WriteXLSX] does, every value as text, and fills
// the cells of the highlighted column by their value. The header cell keeps no fill.
func WriteXLSXHighlighted(w io.Writer, sheet string, header []string, rows [][]string, hl Highlight) error {
	if hl.Column < 0 || hl.Column >= len(header) {
		return fmt.Errorf("write workbook: highlighted column %d is not among the %d columns", hl.Column, len(header))
	}
	return writeXLSX(w, sheet, header, rows, &hl)
}

// apply fills the highlighted cells. Runs of neighbouring cells of one colour are styled
// at once: a report is mostly one colour, and per-cell calls would dominate its cost.
func (hl *Highlight) apply(f *excelize.File, sheet string, rows [][]string) error {
	if hl == nil || len(hl.Colors) == 0 {
		return nil
	}
	// In sorted order, so that the same report gives the same bytes.
	styles := make(map[string]int, len(hl.Colors))
	for _, value := range slices.Sorted(maps.Keys(hl.Colors)) {
		color := hl.Colors[value]
		id, err := f.NewStyle(&excelize.Style{
			NumFmt: textFormat,
			Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}},
		})
		if err != nil {
			return fmt.Errorf("fill colour %q for %q: %w", color, value, err)
		}
		styles[value] = id
	}
	col := columnLetter(hl.Column)
	valueAt := func(i int) string {
		if hl.Column < len(rows[i]) {
			return rows[i][hl.Column]
		}
		return ""
	}
	for start := 0; start < len(rows); {
		v := valueAt(start)
		end := start + 1
		for end < len(rows) && valueAt(end) == v {
			end++
		}
		if id, ok := styles[v]; ok {
			// Sheet rows are counted from 1, after the header.
			from, to := col+strconv.Itoa(start+2), col+strconv.Itoa(end+1)
			if err := f.SetCellStyle(sheet, from, to, id); err != nil {
				return err
			}
		}
		start = end
	}
	return nil
}
