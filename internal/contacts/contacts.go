package contacts

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mla-initiative/herald/internal/problem"

	"github.com/xuri/excelize/v2"
)

// DefaultSizeLimit is the size limit used when Options.SizeLimit is 0. A list of 5,000
// contacts unpacks to a few MiB; the largest table herald reads (limits.go) to some
// 40 MiB. Above that, the text a workbook or CSV file holds could no longer be read
// within a few hundred megabytes.
const DefaultSizeLimit = 64 << 20

// Options says which part of a file to read and how much of it to accept.
type Options struct {
	// Sheet names the worksheet to read; "" reads the first visible one. Ignored for CSV.
	Sheet string
	// SizeLimit is the most bytes a workbook may unpack to, or a CSV file may hold;
	// 0 means DefaultSizeLimit. It stops a zip bomb before it is unpacked.
	SizeLimit int64
}

func (o Options) sizeLimit() int64 {
	if o.SizeLimit <= 0 {
		return DefaultSizeLimit
	}
	return o.SizeLimit
}

// Table is one sheet of contacts: a header row and the non-empty rows under it.
type Table struct {
	File  string // the path as the user gave it; every message names it
	Sheet string // the worksheet's name; "" for CSV
	// HeaderRow is the row (line for CSV) the headers are in: the first non-empty one.
	HeaderRow int
	// Columns are the columns that have a header or a value, in sheet order. Wholly empty
	// columns are left out.
	Columns []Column
	// Rows are the non-empty rows under the header, in sheet order.
	Rows []Row
	// Warnings are things the user should check that do not stop the reading.
	Warnings []problem.Problem
}

// Column is one column of a Table.
type Column struct {
	Header string // as in the sheet, trimmed
	// Name is how templates name the column: its header as an identifier (see
	// Identifier), "" if none; for a column herald itself uses, headed with any of its
	// spellings, that column's name: Email, Cc, Bcc or Language.
	Name  string
	Index int // 0-based position in the sheet: 0 is column A
}

// Letter returns the column's name in the sheet: "A", "B", …, "AA".
func (c Column) Letter() string { return columnLetter(c.Index) }

// Row is one row of a Table.
type Row struct {
	Number int      // 1-based row number in the sheet, or the line a CSV record starts on
	Values []string // one per Table column, as displayed, trimmed
	// Hidden is true for a row hidden in the workbook, for example by a filter. Such rows
	// are read like the others; Table.Warnings lists them.
	Hidden bool
}

// ErrNoColumn is matched (with errors.Is) by the error Lookup returns when no column has the
// name, as opposed to several columns having it.
var ErrNoColumn = errors.New("no such column")

// ErrDuplicateColumn is matched (with errors.Is) by the error Read returns when two
// columns are both one of the columns herald itself uses: Email, Cc, Bcc or Language.
var ErrDuplicateColumn = errors.New("two columns with one meaning")

// Read reads the contacts in the file at path: an Excel workbook (.xlsx, .xlsm) or a CSV
// file (.csv, .tsv, .txt). The extension and the content must agree; a file with another
// extension is read according to its content.
func Read(path string, opt Options) (*Table, error) {
	// A named pipe or a device would be read without end, or make herald wait for ever (to
	// open a pipe is to wait for its writer): look before opening.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, problem.Problem{Where: path, Message: fmt.Sprintf("is not a regular file (%s)", st.Mode().Type()),
			Hints: []string{"save the contacts as a file (.xlsx or .csv) and name that file"}}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	defer f.Close()
	return readFrom(f, path, opt, f)
}

// ReadFrom reads contacts from r as Read does, name's extension choosing the format and
// name standing for the file in messages. It is used for the built-in sample.
func ReadFrom(r io.Reader, name string, opt Options) (*Table, error) {
	return readFrom(r, name, opt, nil)
}

// readFrom reads contacts from r; a workbook is read from file, when given, rather than
// into memory.
func readFrom(r io.Reader, name string, opt Options, file *os.File) (*Table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(8)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read contacts: %s: %w", name, err)
	}
	content := sniff(head)
	ext := strings.ToLower(filepath.Ext(name))
	want, known := extensions[ext]
	if !known {
		want = content
	}
	limit := opt.sizeLimit()
	switch {
	case content == formatOLE:
		return nil, oleProblem(name, ext)
	case want == formatXLSX && content == formatXLSX:
		if file != nil {
			st, err := file.Stat()
			if err != nil {
				return nil, fmt.Errorf("read contacts: %s: %w", name, err)
			}
			if st.Size() > limit {
				return nil, sizeProblem(name, errTooBig, limit)
			}
			return readXLSX(file, st.Size(), name, opt.Sheet, limit)
		}
		data, err := readAllLimited(br, limit)
		if err != nil {
			return nil, sizeProblem(name, err, limit)
		}
		return readXLSX(bytes.NewReader(data), int64(len(data)), name, opt.Sheet, limit)
	case want == formatCSV && content == formatCSV:
		t, err := readCSV(br, name, limit)
		if err == nil && opt.Sheet != "" {
			t.Warnings = append(t.Warnings, problem.Problem{
				Where:   name,
				Message: fmt.Sprintf("a CSV file has no sheets, so the sheet %q was not looked for", opt.Sheet),
			})
		}
		return t, err
	case want == formatXLSX:
		return nil, problem.Problem{
			Where:   name,
			Message: "is not an Excel workbook: its content is text, not the zip package an .xlsx file is",
			Hints:   []string{"if it is a CSV file, rename it to .csv; otherwise open it in Excel and save it as Excel Workbook (.xlsx)"},
		}
	case want == formatCSV:
		return nil, problem.Problem{
			Where:   name,
			Message: "is not a CSV file: it is a zip package, such as an Excel workbook",
			Hints:   []string{"if it is an Excel workbook, rename it to .xlsx"},
		}
	default:
		return nil, problem.Problem{
			Where:   name,
			Message: fmt.Sprintf("cannot read %s files", ext),
			Hints:   []string{"open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx) or CSV UTF-8"},
		}
	}
}

type format int

const (
	formatUnknown format = iota
	formatXLSX
	formatCSV
	formatOLE
)

// extensions maps the extensions Read recognises to the format they promise. The old and
// OpenDocument formats are there so that they get a hint rather than a garbled read.
var extensions = map[string]format{
	".xlsx": formatXLSX,
	".xlsm": formatXLSX,
	".xltx": formatXLSX,
	".xltm": formatXLSX,
	".csv":  formatCSV,
	".tsv":  formatCSV,
	".txt":  formatCSV,
	".xls":  formatUnknown,
	".ods":  formatUnknown,
	".fods": formatUnknown,
}

var (
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts a Compound File: an .xls workbook, or an .xlsx encrypted with a
	// password.
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

func sniff(head []byte) format {
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return formatXLSX
	case bytes.HasPrefix(head, oleMagic):
		return formatOLE
	default:
		return formatCSV
	}
}

func oleProblem(name, ext string) problem.Problem {
	if ext == ".xls" {
		return problem.Problem{
			Where:   name,
			Message: "is an Excel 97-2003 workbook (.xls), which cannot be read",
			Hints:   []string{"open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx) or CSV UTF-8"},
		}
	}
	return problem.Problem{
		Where:   name,
		Message: "is protected with a password (or is an Excel 97-2003 .xls file), so it cannot be read",
		Hints:   []string{"in Excel, remove the password (File › Info › Protect Workbook › Encrypt with Password) or save a copy as Excel Workbook (.xlsx) without one"},
	}
}

var errTooBig = errors.New("too big")

// readAllLimited reads r to the end, failing with errTooBig when it holds more than limit
// bytes, so that a huge file is refused without being held in memory.
func readAllLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooBig
	}
	return data, nil
}

func sizeProblem(name string, err error, limit int64) error {
	if errors.Is(err, errTooBig) {
		return problem.Problem{
			Where:   name,
			Message: fmt.Sprintf("is larger than %s, the limit for a contacts file", formatSize(limit)),
			Hints:   []string{"check that it is the right file; a list of contacts is far smaller"},
		}
	}
	return fmt.Errorf("read contacts: %s: %w", name, err)
}

func formatSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Ref names a cell for a message: "contacts.xlsx: Authorities!F14 (E-mail)" or, for CSV,
// "contacts.csv: line 14, column F (E-mail)". row is a Row.Number (or HeaderRow), col an
// index into Columns.
func (t *Table) Ref(row, col int) string {
	var c Column
	if col >= 0 && col < len(t.Columns) {
		c = t.Columns[col]
	} else {
		c = Column{Index: col}
	}
	return t.cellRef(row, c.Index, c.Header)
}

// cellRef is Ref for a sheet column index, with the header to show after it.
func (t *Table) cellRef(row, index int, header string) string {
	var s string
	if t.Sheet == "" {
		s = fmt.Sprintf("%s: line %d, column %s", t.File, row, columnLetter(index))
	} else {
		s = fmt.Sprintf("%s: %s!%s%d", t.File, quoteSheet(shorten(t.Sheet)), columnLetter(index), row)
	}
	if header != "" {
		s += " (" + shorten(header) + ")"
	}
	return s
}

// shorten cuts a header or sheet name for a message, which a cell of 32,767 characters
// would otherwise fill, on every row.
func shorten(s string) string {
	const most = 60
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// RowRef names a whole row for a message: "contacts.xlsx: Authorities, row 14" or
// "contacts.csv: line 14".
func (t *Table) RowRef(row int) string {
	if t.Sheet == "" {
		return fmt.Sprintf("%s: line %d", t.File, row)
	}
	return fmt.Sprintf("%s: %s, row %d", t.File, shorten(t.Sheet), row)
}

// where names the table as a whole: "contacts.xlsx: Authorities" or "contacts.csv".
func (t *Table) where() string {
	if t.Sheet == "" {
		return t.File
	}
	return t.File + ": " + shorten(t.Sheet)
}

// Lookup returns the index in Columns of the column called name. Names compare without
// regard to case, so {{.email}} finds the column named Email, whether headed "E-mail",
// "EMAIL" or "Courriel" (see Column.Name); any spelling of one of the columns herald
// itself uses finds that column.
//
// The error explains itself and names the header row. It matches ErrNoColumn when no
// column has the name; when several have it, it names their cells.
func (t *Table) Lookup(name string) (int, error) {
	if name == "" {
		return -1, problem.Problem{Where: t.where(), Message: "no column name given", Err: ErrNoColumn}
	}
	if cols := t.named(name); len(cols) > 0 {
		return t.single(name, cols)
	}
	hint := fmt.Sprintf("the header row (%s) has %s", t.headerRowName(), t.columnList())
	if a, ok := ownColumn(name); ok {
		hint += "; this column may be headed " + a.headers
	}
	return -1, problem.Problem{
		Where:   t.where(),
		Message: fmt.Sprintf("no column %q", name),
		Hints:   []string{hint},
		Err:     ErrNoColumn,
	}
}

// named returns the columns called name, ignoring case, and when name is one of the
// columns herald itself uses, those named with any of its spellings (which Read names
// after the column, but a Table made otherwise may not).
func (t *Table) named(name string) []int {
	own, isOwn := ownColumn(name)
	var cols []int
	for i, c := range t.Columns {
		switch {
		case c.Name == "":
		case strings.EqualFold(c.Name, name):
			cols = append(cols, i)
		case isOwn:
			if a, ok := ownColumn(c.Name); ok && a.name == own.name {
				cols = append(cols, i)
			}
		}
	}
	return cols
}

func (t *Table) single(name string, cols []int) (int, error) {
	if len(cols) == 1 {
		return cols[0], nil
	}
	return -1, problem.Problem{
		Where:   t.where(),
		Message: fmt.Sprintf("%d columns are called %s: %s", len(cols), name, t.headerCells(cols)),
		Hints:   []string{"rename or delete all but one of them"},
	}
}

// headerCells lists the header cells of cols: `B2 "Email" and D2 "E-mail"`.
func (t *Table) headerCells(cols []int) string {
	parts := make([]string, len(cols))
	for i, col := range cols {
		c := t.Columns[col]
		parts[i] = fmt.Sprintf("%s%d %q", c.Letter(), t.HeaderRow, shorten(c.Header))
	}
	return listStrings(parts)
}

func (t *Table) headerRowName() string {
	if t.Sheet == "" {
		return "line " + strconv.Itoa(t.HeaderRow)
	}
	return "row " + strconv.Itoa(t.HeaderRow)
}

// columnList lists the usable column names for a hint, or says there are none.
func (t *Table) columnList() string {
	var names []string
	for _, c := range t.Columns {
		if c.Name != "" {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return "no usable headers"
	}
	return "the columns " + strings.Join(names, ", ")
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func columnLetter(index int) string {
	name, err := excelize.ColumnNumberToName(index + 1)
	if err != nil {
		// Only a bug gets here: indexes come from parsed cell references.
		return "column " + strconv.Itoa(index+1)
	}
	return name
}

// quoteSheet quotes a sheet name for a cell reference as Excel does: 'Contacts 2024'!A1.
func quoteSheet(name string) string {
	plain := name != ""
	for i, r := range name {
		if !(r == '_' || r == '.' || isLetterOrDigit(r)) || (i == 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}
