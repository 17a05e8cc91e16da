package contacts

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// Column widths, in Excel's unit (about one digit of the default font).
const (
	minColumnWidth = 8
	maxColumnWidth = 60
)

// textFormat is Excel's built-in number format "@": a cell edited later stays text.
const textFormat = 49

// WriteXLSX writes a workbook of one sheet named sheet ("" gives "Sheet1"): a bold header
// row, frozen and with filter buttons, then rows, in columns as wide as their content up to
// a limit. Every value is written as text, never as a number, date or formula, so that
// "0012", "1/2" and "=HYPERLINK(…)" stay as written, and the cells are formatted as text so
// that they stay text when edited. A row may be shorter than the header, not longer.
//
// The output depends on the arguments only: writing the same table twice gives the same
// bytes.
func WriteXLSX(w io.Writer, sheet string, header []string, rows [][]string) error {
	return writeXLSX(w, sheet, header, rows, nil)
}

// writeXLSX is WriteXLSX, with the cells of one column coloured by value when hl is not nil.
func writeXLSX(w io.Writer, sheet string, header []string, rows [][]string, hl *Highlight) error {
	if len(header) == 0 {
		return errors.New("write workbook: no columns")
	}
	if sheet == "" {
		sheet = "Sheet1"
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("write workbook: sheet name %q: %w", sheet, err)
	}
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "herald"}); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: textFormat})
	if err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: textFormat, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	last := columnLetter(len(header) - 1)
	if err := f.SetColStyle(sheet, "A:"+last, text); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}

	widths := make([]int, len(header))
	cells := make([]any, len(header))
	put := func(row int, values []string) error {
		if len(values) > len(header) {
			return fmt.Errorf("write workbook: row %d has %d values for %d columns", row, len(values), len(header))
		}
		cells = cells[:len(values)]
		for i, v := range values {
			if n := utf16Len(v); n > excelize.TotalCellChars {
				return fmt.Errorf("write workbook: cell %s%d holds %d characters, more than the %d a cell can hold", columnLetter(i), row, n, excelize.TotalCellChars)
			}
			widths[i] = max(widths[i], displayWidth(v))
			cells[i] = escapeLookalike(v)
		}
		if len(values) == 0 {
			return nil
		}
		if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(row), &cells); err != nil {
			return fmt.Errorf("write workbook: row %d: %w", row, err)
		}
		return nil
	}
	if err := put(1, header); err != nil {
		return err
	}
	for i, r := range rows {
		if err := put(i+2, r); err != nil {
			return err
		}
	}

	if err := f.SetCellStyle(sheet, "A1", last+"1", bold); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	if err := hl.apply(f, sheet, rows); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	for i, w := range widths {
		col := columnLetter(i)
		if err := f.SetColWidth(sheet, col, col, float64(min(max(w+2, minColumnWidth), maxColumnWidth))); err != nil {
			return fmt.Errorf("write workbook: %w", err)
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{
		Freeze:      true,
		YSplit:      1,
		TopLeftCell: "A2",
		ActivePane:  "bottomLeft",
		Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	if err := f.AutoFilter(sheet, fmt.Sprintf("A1:%s%d", last, len(rows)+1), nil); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// displayWidth estimates how many digit widths the longest line of s takes: East Asian
// wide characters count two.
func displayWidth(s string) int {
	widest := 0
	for line := range strings.SplitSeq(s, "\n") {
		n := 0
		for _, r := range line {
			switch width.LookupRune(r).Kind() {
			case width.EastAsianWide, width.EastAsianFullwidth:
				n += 2
			default:
				n++
			}
		}
		widest = max(widest, n)
	}
	return widest
}

// utf16Len counts s in UTF-16 code units, the unit of Excel's cell length limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// escapeLookalike protects text that looks like the workbook format's own escape for a
// character, _xHHHH_ ("_x0041_" reads as "A"), by escaping its underscore as _x005F_.
// excelize v2.11.1 computes that escape but writes the text unescaped, so without this a
// cell holding "_x0041_" would read back as "A".
func escapeLookalike(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+6 < len(s) && s[i+1] == 'x' && s[i+6] == '_' && isHex([]byte(s[i+2:i+6])) {
			b.WriteString("_x005F_")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
