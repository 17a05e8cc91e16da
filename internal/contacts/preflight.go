package contacts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// cellPos is a cell: row 1-based as in the sheet, col 0-based.
type cellPos struct{ row, col int }

// cellRange is a merged range, corners included.
type cellRange struct{ row1, col1, row2, col2 int }

// cellKind is what a cell's t attribute says it holds.
type cellKind uint8

const (
	kindNumber      cellKind = iota // no t, "n", or one no program writes
	kindShared                      // "s": an index into the shared strings
	kindInline                      // "inlineStr"
	kindFormulaText                 // "str": a formula's text result
	kindBool                        // "b"
	kindError                       // "e": a formula error such as #N/A
	kindDate                        // "d": an ISO 8601 date
)

func kindOf(t []byte) cellKind {
	switch string(t) {
	case "s":
		return kindShared
	case "inlineStr":
		return kindInline
	case "str":
		return kindFormulaText
	case "b":
		return kindBool
	case "e":
		return kindError
	case "d":
		return kindDate
	}
	return kindNumber
}

// cellFormat is a cell whose display is not the raw value excelize reads: every number,
// date, boolean and formula text, and text whose format changes it.
type cellFormat struct {
	row  int32
	col  uint16
	kind cellKind
	xf   int32 // the cell's style, 0 when it has none or one the workbook lacks
}

// sheetScan is what the preflight of a worksheet found.
type sheetScan struct {
	merges   []cellRange
	uncached []cellPos // formula cells saved without a result
	errors   []cellPos // cells showing a formula error such as #N/A
	hidden   []int     // rows hidden, or of height 0, in increasing order
	formats  []cellFormat
	// last is the last cell holding something excelize reads as non-empty; the read
	// must reach it, or excelize stopped early on malformed XML.
	last cellPos
	// repair says excelize must be given a repaired copy: some cell has a style
	// attribute it cannot parse (s=""), or some text an escaped surrogate.
	repair bool
}

// cellError is a problem with one cell, row (col -1) or, with row 0, the part.
type cellError struct {
	pos  cellPos
	msg  string
	hint string
}

func (e *cellError) Error() string { return e.msg }

const (
	hintExcelLimit = "the workbook holds what Excel could not have written; open it in Excel or LibreOffice and save it again, or check that it is the right file"
	hintTooMuch    = "a list of contacts is far smaller; check that it is the right file, or copy the contacts to a new workbook"
	hintDamaged    = "open it in Excel or LibreOffice and save it again as Excel Workbook (.xlsx)"
)

// scanSheet is the preflight of a worksheet part: it refuses what Excel could not have
// written and what would make excelize do unbounded work, and finds the merged ranges,
// hidden rows, formulas without a result, formula errors and the cells to format.
//
// With out set, it writes out the repaired copy of the part that scan.repair asked for.
func scanSheet(r io.Reader, styles *styleSheet, sst *sstInfo, out io.Writer) (sheetScan, error) {
	var (
		s            sheetScan
		x            = newXMLScan(r, maxSheetElements)
		attrs        = make([][]byte, 3) // the values of the attributes read of the current tag
		inSheetData  bool
		sawSheetData bool
		row          int // the current row, 0 before the first
		inRow        bool
		col          = -1 // the current cell's column, 0-based
		width        int  // one more than the last column of the current row
		area, cells  int

		inCell                  bool
		kind                    cellKind
		xf                      int
		hasFormula, hasV, sawIs bool
		vText, isText           int
		vBytes, isBytes, total  int
		sharedIndex             = -1
		inV, inIs, inR, inRPh   bool
		isLevel, tLevel, level  int
	)
	x.out = out
	// here is where the scan is: in a cell, a row or neither.
	here := func() cellPos {
		switch {
		case inCell:
			return cellPos{row: row, col: col}
		case inRow:
			return cellPos{row: row, col: -1}
		}
		return cellPos{col: -1}
	}
	fail := func(pos cellPos, format string, args ...any) (sheetScan, error) {
		return s, &cellError{pos: pos, msg: fmt.Sprintf(format, args...), hint: hintDamaged}
	}
	for {
		err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var le *limitError
			var se syntaxError
			switch {
			case errors.As(err, &le):
				return s, &cellError{pos: here(), msg: le.msg, hint: hintTooMuch}
			case errors.As(err, &se):
				return fail(here(), "cannot be read: the worksheet is damaged (%v)", err)
			}
			return s, err
		}
		if x.text > maxCellChars {
			return s, &cellError{pos: here(), msg: fmt.Sprintf("holds more than %s characters, the most a cell can hold in Excel", thousands(maxCellChars)), hint: hintExcelLimit}
		}
		if x.kind == tagOther {
			continue
		}
		end := x.kind == tagEnd
		start := x.kind != tagEnd
		level = x.level
		switch string(x.name()) {
		case "sheetData":
			// excelize stops at the first sheetData's end and reads rows anywhere in
			// it: a second one, or rows and cells out of their places, would make the
			// scan and excelize see different rows, so they are refused.
			if start && sawSheetData {
				return fail(here(), "cannot be read: the worksheet holds a second sheetData element")
			}
			sawSheetData = sawSheetData || start
			inSheetData = start && x.kind == tagStart
		case "row":
			if !inSheetData {
				if start {
					return fail(here(), "cannot be read: a row lies outside the sheet's data (sheetData)")
				}
				break
			}
			if start {
				if inRow {
					return fail(here(), "cannot be read: a row inside row %d", row)
				}
				if msg := x.attrs(attrs, "r", "hidden", "ht"); msg != "" {
					return fail(cellPos{row: row + 1, col: -1}, "cannot be read: a row after row %d %s", row, msg)
				}
				n := row + 1
				if v := attrs[0]; v != nil {
					var valid bool
					if n, valid = parseUint(v); !valid || n == 0 {
						return fail(cellPos{row: row + 1, col: -1}, "cannot be read: a row after row %d is numbered %q", row, v)
					}
				}
				switch {
				case n > maxRows:
					return s, &cellError{pos: cellPos{row: maxRows, col: -1}, msg: fmt.Sprintf("holds a row numbered %d, beyond row %s, the last Excel has", n, thousands(maxRows)), hint: hintExcelLimit}
				case n <= row:
					return fail(cellPos{row: n, col: -1}, "cannot be read: row %d comes after row %d in the file, not before it as in any sound workbook", n, row)
				}
				row, col, width = n, -1, 0
				if h := string(bytes.TrimSpace(attrs[1])); h == "1" || h == "true" {
					s.hidden = append(s.hidden, row)
				} else if ht := attrs[2]; ht != nil && isZero(ht) {
					s.hidden = append(s.hidden, row)
				}
				inRow = x.kind == tagStart
			}
			if end && inRow || x.kind == tagEmpty {
				inRow = false
				area += width
				if area > maxSheetArea {
					return s, &cellError{pos: cellPos{row: row, col: width - 1}, msg: fmt.Sprintf("lies too far out: counting each row up to its last cell, the sheet spans more than %s cells, more than herald reads", thousands(maxSheetArea)), hint: "delete the cells outside the table (often stray cells far to the right or below), or copy the table to a new workbook"}
				}
			}
		case "c":
			if !inRow {
				if start && inSheetData {
					return fail(cellPos{row: row, col: -1}, "cannot be read: a cell after this row lies outside any row")
				}
				break
			}
			if start {
				if inCell {
					return fail(cellPos{row: row, col: col}, "cannot be read: a cell inside a cell")
				}
				if msg := x.attrs(attrs, "r", "s", "t"); msg != "" {
					return fail(cellPos{row: row, col: col + 1}, "cannot be read: a cell %s", msg)
				}
				next := col + 1
				if ref := attrs[0]; ref != nil {
					c, _, valid := parseCellRef(ref)
					if !valid {
						return s, &cellError{pos: cellPos{row: row, col: -1}, msg: fmt.Sprintf("holds a cell %q outside the sheet (Excel's last column is XFD, its last row %s)", ref, thousands(maxRows)), hint: hintExcelLimit}
					}
					next = c
				}
				if next >= maxColumns {
					return s, &cellError{pos: cellPos{row: row, col: -1}, msg: "holds a cell beyond column XFD, the last Excel has", hint: hintExcelLimit}
				}
				if next <= col {
					return fail(cellPos{row: row, col: next}, "cannot be read: this cell comes after %s%d in the file, not before it as in any sound workbook", columnLetter(col), row)
				}
				col, width = next, next+1
				cells++
				if cells > maxCells {
					return s, &cellError{pos: cellPos{row: row, col: col}, msg: fmt.Sprintf("is one cell too many: the sheet holds more than %s cells, more than herald reads", thousands(maxCells)), hint: hintTooMuch}
				}
				kind, xf = kindOf(attrs[2]), 0
				if v := attrs[1]; v != nil {
					n, valid := parseUint(v)
					if !valid {
						// excelize cannot parse it and loses the cell's value; Excel and
						// LibreOffice read it as no style.
						s.repair = true
						if out != nil {
							x.tag = removeAttr(x.tag, "s")
						}
					} else if n < len(styles.xfs) {
						xf = n
					}
				}
				hasFormula, hasV, sawIs, vText, isText, vBytes, isBytes, sharedIndex = false, false, false, 0, 0, 0, 0, -1
				inV, inIs, inR, inRPh = false, false, false, false
				inCell = x.kind == tagStart
			}
			if end && inCell || x.kind == tagEmpty {
				inCell = false
				content, size := vText > 0, vBytes
				switch kind {
				case kindShared:
					if hasV && vText > 0 {
						if sharedIndex < 0 || sharedIndex >= sst.count {
							return s, &cellError{pos: cellPos{row: row, col: col}, msg: fmt.Sprintf("refers to shared string %d, which the workbook does not have (it has %d)", sharedIndex, sst.count), hint: hintDamaged}
						}
						if _, found := slices.BinarySearch(sst.oversized, sharedIndex); found {
							return s, &cellError{pos: cellPos{row: row, col: col}, msg: fmt.Sprintf("holds more than %s characters, the most a cell can hold in Excel", thousands(maxCellChars)), hint: hintExcelLimit}
						}
						content, size = !sst.isEmpty(sharedIndex), int(sst.sizes[sharedIndex])
					}
				case kindInline:
					if sawIs {
						content, size = isText > 0, isBytes
					}
				}
				if total += size; total > maxText {
					return s, &cellError{pos: cellPos{row: row, col: col}, msg: fmt.Sprintf("is past the most text herald reads: the cells up to this one hold more than %s MiB of text", thousands(maxText>>20)), hint: hintTooMuch}
				}
				if content {
					s.last = cellPos{row: row, col: col}
				}
				if hasFormula && !hasV {
					s.uncached = append(s.uncached, cellPos{row: row, col: col})
				}
				if kind == kindError && content {
					s.errors = append(s.errors, cellPos{row: row, col: col})
				}
				if kind != kindShared && kind != kindInline || styles.changesText(xf) {
					s.formats = append(s.formats, cellFormat{row: int32(row), col: uint16(col), kind: kind, xf: int32(xf)})
				}
			}
		case "v":
			if !inCell {
				break
			}
			if start {
				if inV {
					return fail(cellPos{row: row, col: col}, "cannot be read: a value inside a value")
				}
				hasV = true
				inV = x.kind == tagStart
				vText = 0
			} else if inV {
				inV = false
				vText, vBytes = x.text, x.bytes
				if kind == kindShared {
					if n, ok := parseUint(x.captured); ok && x.text <= len(x.captured) {
						sharedIndex = n
					} else if x.text > 0 {
						return s, &cellError{pos: cellPos{row: row, col: col}, msg: fmt.Sprintf("refers to a shared string by %q, which is not a number", x.captured), hint: hintDamaged}
					}
				}
			}
		case "f":
			if inCell && start {
				hasFormula = true
			}
		case "is":
			if inCell {
				inIs, isLevel = x.kind == tagStart, level
				sawIs = true
			}
		case "r":
			if inIs && level == isLevel+1 {
				inR = x.kind == tagStart
			}
		case "rPh":
			if inIs && level == isLevel+1 {
				inRPh = x.kind == tagStart
			}
		case "t":
			if !inIs || inRPh {
				break
			}
			if x.kind == tagStart {
				tLevel = level
			} else if end && level == tLevel && (level == isLevel+1 || inR && level == isLevel+2) {
				isText += x.text
				isBytes += x.bytes
				if isText > maxCellChars {
					return s, &cellError{pos: cellPos{row: row, col: col}, msg: fmt.Sprintf("holds more than %s characters, the most a cell can hold in Excel", thousands(maxCellChars)), hint: hintExcelLimit}
				}
			}
		case "mergeCell":
			if start {
				if msg := x.attrs(attrs[:1], "ref"); msg != "" {
					return fail(here(), "cannot be read: a merged range %s", msg)
				}
				if r, ok := parseRange(attrs[0]); attrs[0] != nil && ok {
					if len(s.merges) == maxMerges {
						return s, &cellError{pos: cellPos{row: r.row1, col: r.col1}, msg: fmt.Sprintf("is one merged range too many: the sheet has more than %s, more than herald reads", thousands(maxMerges)), hint: hintTooMuch}
					}
					s.merges = append(s.merges, r)
				}
			}
		}
	}
	s.repair = s.repair || x.surrogate
	slices.Sort(s.hidden)
	return s, nil
}

// isZero reports whether a row height is 0, which hides the row just as hidden="1".
func isZero(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}

// removeAttr returns the tag without the attribute called name.
func removeAttr(tag []byte, name string) []byte {
	start, end, ok := attrSpan(tag, name)
	if !ok {
		return tag
	}
	// Back up over the quote, the '=', the name and the space before it.
	i := start - 1
	for i > 0 && !isXMLSpace(tag[i-1]) {
		i--
	}
	return slices.Concat(tag[:i], tag[end+1:])
}

// sstInfo is what the preflight of the shared strings found.
type sstInfo struct {
	count int
	// sizes are the strings' lengths as saved, in bytes (0 for an empty one).
	sizes []uint32
	// oversized are the strings longer than Excel allows, in order.
	oversized []int
	repair    bool
}

func (s *sstInfo) isEmpty(i int) bool { return s.sizes[i] == 0 }

// scanSharedStrings is the preflight of the shared string table: how many strings, which
// are empty, none too long or in too many pieces. It reads the strings as excelize does:
// the si children of the root, their text the t child's and the t of each r child. With
// out set, it writes out the repaired copy sstInfo.repair asked for.
func scanSharedStrings(r io.Reader, out io.Writer) (*sstInfo, error) {
	info := &sstInfo{}
	x := newXMLScan(r, maxSheetElements)
	x.out = out
	var (
		runs, text, size  int
		inSI, inR, inRPh  bool
		tStart, tInRun    bool
		tLevel, itemLevel int
	)
	endItem := func() error {
		i := info.count
		if i == maxSharedStrings {
			return &limitError{fmt.Sprintf("holds more than %s different texts, more than herald reads", thousands(maxSharedStrings))}
		}
		info.sizes = append(info.sizes, uint32(min(size, maxText+1)))
		if text > maxCellChars {
			info.oversized = append(info.oversized, i)
		}
		info.count++
		return nil
	}
	for {
		err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if x.kind == tagOther {
			continue
		}
		level := x.level
		switch string(x.name()) {
		case "si":
			if level != 2 {
				break
			}
			switch x.kind {
			case tagStart:
				inSI, text, size, itemLevel = true, 0, 0, level
			case tagEmpty:
				text, size = 0, 0
				if err := endItem(); err != nil {
					return nil, err
				}
			case tagEnd:
				inSI = false
				if err := endItem(); err != nil {
					return nil, err
				}
			}
		case "r", "rPh":
			if !inSI || level != itemLevel+1 {
				break
			}
			if x.kind != tagEnd {
				runs++
				if runs > maxRuns {
					return nil, &limitError{fmt.Sprintf("holds more than %s pieces of formatted text, more than herald reads", thousands(maxRuns))}
				}
			}
			if string(x.name()) == "r" {
				inR = x.kind == tagStart
			} else {
				inRPh = x.kind == tagStart
			}
		case "t":
			if !inSI || inRPh {
				break
			}
			if x.kind == tagStart {
				tStart, tLevel, tInRun = true, level, inR
			} else if x.kind == tagEnd && tStart && level == tLevel {
				tStart = false
				if level == itemLevel+1 || tInRun && level == itemLevel+2 {
					text += x.text
					size += x.bytes
				}
			}
		}
		if x.text > maxCellChars && inSI {
			text = maxCellChars + 1
		}
	}
	info.repair = x.surrogate
	return info, nil
}

// unescapeBSTR decodes the _xHHHH_ escapes with which Excel writes characters XML
// cannot hold, as excelize's bstrUnmarshal does: left to right, _x005F_ standing for
// "_". Unlike it, it joins a surrogate pair into the character it encodes (excelize
// drops it) and shows a lone surrogate as U+FFFD. With all false, it decodes only
// surrogates, for a copy of the XML that excelize then reads right.
func unescapeBSTR(dst, s []byte, all bool) []byte {
	for {
		i := bytes.Index(s, []byte("_x"))
		if i < 0 || len(s)-i < 7 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		if s[6] != '_' || !isHex(s[2:6]) {
			dst = append(dst, s[0])
			s = s[1:]
			continue
		}
		r := rune(hexValue(s[2:6]))
		switch {
		case utf16.IsSurrogate(r):
			if r < 0xDC00 && len(s) >= 14 && s[7] == '_' && s[8] == 'x' && s[13] == '_' && isHex(s[9:13]) {
				if low := rune(hexValue(s[9:13])); low >= 0xDC00 && low <= 0xDFFF {
					dst = utf8.AppendRune(dst, utf16.DecodeRune(r, low))
					s = s[14:]
					continue
				}
			}
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case !all:
			dst = append(dst, s[:7]...)
		case r == '_' && s[2] == '0':
			dst = append(dst, '_')
		default:
			dst = utf8.AppendRune(dst, r)
		}
		s = s[7:]
	}
}

func hexValue(h []byte) int {
	n := 0
	for _, c := range h {
		switch {
		case c <= '9':
			n = n*16 + int(c-'0')
		default:
			n = n*16 + int(c|0x20-'a') + 10
		}
	}
	return n
}
