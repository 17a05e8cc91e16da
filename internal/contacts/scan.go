package contacts

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// cellPos is a cell: row 1-based as in the sheet, col 0-based.
type cellPos struct{ row, col int }

// cellRange is a merged range, corners included.
type cellRange struct{ row1, col1, row2, col2 int }

type sheetScan struct {
	merges   []cellRange
	uncached []cellPos // formula cells saved without a result
	errors   []cellPos // cells holding a formula error such as #N/A
	hidden   []int     // rows hidden, or of height 0, in increasing order
	dates    []cellPos // cells of type d, holding an ISO 8601 date
}

// scanSheet reads worksheet XML for merged ranges, formulas without a saved result, and
// error cells. It looks at tags only, skipping text with IndexByte speed: decoding the
// sheet a second time with encoding/xml would double the cost of reading a workbook.
func scanSheet(r io.Reader) (sheetScan, error) {
	var (
		s          sheetScan
		br         = bufio.NewReaderSize(r, 64<<10)
		tag        []byte
		row, col   int // the current row, and the current cell's 1-based column
		inCell     bool
		cell       cellPos
		hasFormula bool
		hasValue   bool
		isError    bool
		isDate     bool
	)
	for {
		if err := skipPast(br, '<'); err != nil {
			if err == io.EOF {
				slices.Sort(s.hidden)
				return s, nil
			}
			return s, err
		}
		var err error
		if tag, err = readTag(br, tag[:0]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return s, err
		}
		closing := len(tag) > 0 && tag[0] == '/'
		selfClosing := len(tag) > 0 && tag[len(tag)-1] == '/'
		switch localName(tag) {
		case "row":
			if closing {
				continue
			}
			if n, err := strconv.Atoi(attr(tag, "r")); err == nil {
				row = n
			} else {
				row++
			}
			col = 0
			// excelize reports hidden="1" but not a custom height of 0, which hides a row
			// just as well.
			if h := attr(tag, "hidden"); h == "1" || h == "true" {
				s.hidden = append(s.hidden, row)
			} else if ht, err := strconv.ParseFloat(attr(tag, "ht"), 64); err == nil && ht == 0 {
				s.hidden = append(s.hidden, row)
			}
		case "c":
			if closing {
				if inCell {
					if hasFormula && !hasValue {
						s.uncached = append(s.uncached, cell)
					}
					if isError {
						s.errors = append(s.errors, cell)
					}
					if isDate {
						s.dates = append(s.dates, cell)
					}
				}
				inCell = false
				continue
			}
			if ref := attr(tag, "r"); ref != "" {
				if c, _, err := excelize.CellNameToCoordinates(ref); err == nil {
					col = c
				} else {
					col++
				}
			} else {
				col++
			}
			cell = cellPos{row: row, col: col - 1}
			inCell = !selfClosing
			hasFormula, hasValue = false, false
			typ := attr(tag, "t")
			isError, isDate = typ == "e", typ == "d"
		case "f":
			if inCell && !closing {
				hasFormula = true
			}
		case "v":
			if inCell && !closing {
				hasValue = true
			}
		case "mergeCell":
			if r, ok := parseRange(attr(tag, "ref")); ok && !closing {
				s.merges = append(s.merges, r)
			}
		}
	}
}

// skipPast reads up to and including the next delim.
func skipPast(br *bufio.Reader, delim byte) error {
	for {
		_, err := br.ReadSlice(delim)
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

var (
	commentStart = []byte("!--")
	commentEnd   = []byte("--")
	cdataStart   = []byte("![CDATA[")
	cdataEnd     = []byte("]]")
)

// readTag appends to buf the rest of a tag whose '<' has been read, without the closing
// '>'. A '>' inside a quoted attribute value, a comment or a CDATA section does not end it.
func readTag(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('>')
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return buf, err
		}
		body := buf[:len(buf)-1]
		switch {
		case bytes.HasPrefix(buf, commentStart):
			if len(body) >= len(commentStart)+len(commentEnd) && bytes.HasSuffix(body, commentEnd) {
				return body, nil
			}
		case bytes.HasPrefix(buf, cdataStart):
			if bytes.HasSuffix(body, cdataEnd) {
				return body, nil
			}
		default:
			if quotesBalanced(body) {
				return body, nil
			}
		}
	}
}

func quotesBalanced(b []byte) bool {
	var quote byte
	for _, c := range b {
		switch {
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case c == quote:
			quote = 0
		}
	}
	return quote == 0
}

// localName returns a tag's element name without its namespace prefix: "c" for
// "x:c r=\"A1\"" or "/x:c".
func localName(tag []byte) string {
	tag = bytes.TrimPrefix(tag, []byte("/"))
	end := bytes.IndexAny(tag, " \t\r\n/")
	if end >= 0 {
		tag = tag[:end]
	}
	if i := bytes.LastIndexByte(tag, ':'); i >= 0 {
		tag = tag[i+1:]
	}
	return string(tag)
}

// attr returns the value of the attribute called name in a start tag, or "". Values are
// not unescaped: the attributes read here are cell references and types.
func attr(tag []byte, name string) string {
	// Skip the element name.
	i := bytes.IndexAny(tag, " \t\r\n")
	if i < 0 {
		return ""
	}
	for i < len(tag) {
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		start := i
		for i < len(tag) && tag[i] != '=' && !isXMLSpace(tag[i]) {
			i++
		}
		key := tag[start:i]
		for i < len(tag) && (tag[i] == '=' || isXMLSpace(tag[i])) {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return ""
		}
		quote := tag[i]
		end := bytes.IndexByte(tag[i+1:], quote)
		if end < 0 {
			return ""
		}
		value := tag[i+1 : i+1+end]
		i += end + 2
		if string(key) == name {
			return string(value)
		}
	}
	return ""
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// parseRange parses "A3:B5", putting the corners in order. A single cell is no range.
func parseRange(ref string) (cellRange, bool) {
	from, to, ok := strings.Cut(ref, ":")
	if !ok {
		return cellRange{}, false
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(from)
	c2, r2, err2 := excelize.CellNameToCoordinates(to)
	if err1 != nil || err2 != nil {
		return cellRange{}, false
	}
	return cellRange{
		row1: min(r1, r2), col1: min(c1, c2) - 1,
		row2: max(r1, r2), col2: max(c1, c2) - 1,
	}, true
}
