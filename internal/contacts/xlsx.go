package contacts

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/mla-initiative/herald/internal/problem"

	"github.com/xuri/excelize/v2"
)

// excelizeXMLLimit is the size above which excelize unpacks a worksheet to a temporary file
// rather than into memory (its own default).
const excelizeXMLLimit = 16 << 20

// readXLSX reads one worksheet of the workbook in data.
func readXLSX(data []byte, name, sheet string, limit int64) (*Table, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, damaged(name, err)
	}
	pkg, err := openPackage(zr, name, limit)
	if err != nil {
		return nil, err
	}
	target, others, err := pkg.choose(sheet)
	if err != nil {
		return nil, err
	}

	b, scan, err := readSheet(data, pkg, target, name, limit)
	if err != nil {
		return nil, err
	}
	t, err := b.finish(scan)
	if err != nil {
		return nil, err
	}
	t.Warnings = append(t.Warnings, cellWarnings(t, scan)...)
	if len(others) > 0 {
		all := append([]string{target.name}, others...)
		t.Warnings = append(t.Warnings, problem.Problem{
			Where:   name,
			Message: fmt.Sprintf("the sheet read is %q, the first of %d (%s)", target.name, len(all), strings.Join(all, ", ")),
			Hints:   []string{"to read another sheet, use --sheet with its name"},
		})
	}
	return t, nil
}

// readSheet reads the rows of a worksheet, by the fast path when it can, else by excelize.
func readSheet(data []byte, pkg *xlsxPackage, target sheetInfo, name string, limit int64) (*builder, sheetScan, error) {
	b, scan, err := pkg.readFast(target, name)
	if !errors.Is(err, errUnusual) {
		return b, scan, err
	}
	return readSheetExcelize(data, pkg, target, name, limit)
}

// readSheetExcelize reads the rows of a worksheet with excelize's row iterator, and the
// rest with scanSheet.
func readSheetExcelize(data []byte, pkg *xlsxPackage, target sheetInfo, name string, limit int64) (*builder, sheetScan, error) {
	// The scan reads the sheet a second time, for what the row iterator does not give; on
	// its own core it costs no time.
	type scanResult struct {
		scan sheetScan
		err  error
	}
	scanned := make(chan scanResult, 1)
	go func() {
		s, err := pkg.scan(target.path)
		scanned <- scanResult{s, err}
	}()

	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    limit,
		UnzipXMLSizeLimit: min(limit, excelizeXMLLimit),
		// Excel shows its default date formats in the reader's locale: 2/14/24 in the
		// United States, 14/02/2024 in France. Read them as ISO dates, which mean the same
		// everywhere; a date the user formatted explicitly reads as formatted.
		ShortDatePattern: "yyyy-mm-dd",
		LongDatePattern:  "yyyy-mm-dd",
		LongTimePattern:  "hh:mm:ss",
	})
	if err != nil {
		return nil, sheetScan{}, damaged(name, err)
	}
	defer f.Close()

	b := newBuilder(name, target.name)
	rows, err := f.Rows(target.name)
	if err != nil {
		return nil, sheetScan{}, damaged(name, err)
	}
	number := 0
	for rows.Next() {
		// Next advances one row at a time, gaps included, so the count is the row number.
		number++
		values, err := rows.Columns()
		if err != nil {
			rows.Close()
			return nil, sheetScan{}, damaged(b.t.RowRef(number), err)
		}
		b.add(number, values)
	}
	if err := rows.Error(); err != nil {
		rows.Close()
		return nil, sheetScan{}, damaged(name, err)
	}
	if err := rows.Close(); err != nil {
		return nil, sheetScan{}, damaged(name, err)
	}

	r := <-scanned
	if r.err != nil {
		return nil, sheetScan{}, damaged(name, r.err)
	}
	return b, r.scan, nil
}

func damaged(where string, err error) error {
	return problem.Problem{
		Where:   where,
		Message: fmt.Sprintf("cannot be read: the workbook seems damaged (%v)", err),
		Hints:   []string{"open it in Excel or LibreOffice and save it again as Excel Workbook (.xlsx)"},
	}
}

// cellWarnings reports the cells that read differently from what the user sees: formulas
// whose result was never saved, and formula errors such as #N/A.
func cellWarnings(t *Table, scan sheetScan) []problem.Problem {
	var ws []problem.Problem
	if refs := refsInTable(t, scan.uncached); len(refs) > 0 {
		msg := "holds a formula whose result was not saved in the file, so it reads as empty"
		if len(refs) > 1 {
			msg = "hold formulas whose result was not saved in the file, so they read as empty"
		}
		ws = append(ws, problem.Problem{
			Where:   t.where(),
			Message: listStrings(refs) + " " + msg,
			Hints:   []string{"open the workbook in Excel or LibreOffice and save it again, which saves the results"},
		})
	}
	if refs := refsInTable(t, scan.errors); len(refs) > 0 {
		msg := "shows a formula error (such as #N/A or #REF!), which is read as it shows"
		if len(refs) > 1 {
			msg = "show formula errors (such as #N/A or #REF!), which are read as they show"
		}
		ws = append(ws, problem.Problem{
			Where:   t.where(),
			Message: listStrings(refs) + " " + msg,
			Hints:   []string{"correct the formulas, or replace them by their values"},
		})
	}
	return ws
}

// refsInTable keeps the cells that are in the table's header or rows and columns, as
// A1-style references.
func refsInTable(t *Table, cells []cellPos) []string {
	if len(cells) == 0 {
		return nil
	}
	rows := map[int]bool{t.HeaderRow: true}
	for _, r := range t.Rows {
		rows[r.Number] = true
	}
	cols := map[int]bool{}
	for _, c := range t.Columns {
		cols[c.Index] = true
	}
	var refs []string
	for _, c := range cells {
		if rows[c.row] && cols[c.col] {
			refs = append(refs, fmt.Sprintf("%s%d", columnLetter(c.col), c.row))
		}
	}
	return refs
}

// listStrings lists up to 10 strings, then how many more.
func listStrings(ss []string) string {
	const most = 10
	if len(ss) <= most {
		return joinAnd(ss)
	}
	return joinAnd(append(ss[:most:most], fmt.Sprintf("%d more", len(ss)-most)))
}

// sheetInfo is one sheet listed in the workbook.
type sheetInfo struct {
	name   string
	hidden bool
	path   string // its part in the package, "xl/worksheets/sheet1.xml"
	target string // the relationship's target, "worksheets/sheet1.xml"
	chart  bool   // a chart sheet, which has no cells
}

// xlsxPackage is the zip package of a workbook, checked not to unpack to too much.
type xlsxPackage struct {
	name   string
	zr     *zip.Reader
	files  map[string]*zip.File // by cleaned, lower-case name
	wbPath string
	sheets []sheetInfo
}

// openPackage checks the declared sizes of every part against limit before anything is
// unpacked, and lists the sheets. A part that unpacks to more than it declares is cut off
// by archive/zip with an error, so the declared sizes can be trusted.
func openPackage(zr *zip.Reader, name string, limit int64) (*xlsxPackage, error) {
	p := &xlsxPackage{name: name, zr: zr, files: make(map[string]*zip.File, len(zr.File))}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(limit) || total > uint64(limit) {
			return nil, problem.Problem{
				Where:   name,
				Message: fmt.Sprintf("unpacks to more than %s, the limit for a contacts workbook (it may be a \"zip bomb\" made to exhaust memory)", formatSize(limit)),
				Hints:   []string{"check that it is the right file; a genuine contacts workbook this large can be saved as CSV UTF-8 instead"},
			}
		}
		p.files[partKey(f.Name)] = f
	}
	if _, ok := p.files["mimetype"]; ok {
		if _, ok := p.files["content.xml"]; ok {
			return nil, problem.Problem{
				Where:   name,
				Message: "is an OpenDocument spreadsheet (.ods), not an Excel workbook",
				Hints:   []string{"open it in LibreOffice and save it as Excel 2007-365 (.xlsx)"},
			}
		}
	}
	wbPath := "xl/workbook.xml"
	if rels, err := p.rels("_rels/.rels"); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wbPath = resolvePart("", r.Target)
			}
		}
	}
	var wb struct {
		Sheets []struct {
			Name  string `xml:"name,attr"`
			State string `xml:"state,attr"`
			ID    string `xml:"id,attr"` // r:id; the namespace differs in Strict files
		} `xml:"sheets>sheet"`
	}
	if err := p.decode(wbPath, &wb); err != nil {
		return nil, problem.Problem{
			Where:   name,
			Message: "is not an Excel workbook: the zip package has no readable workbook part",
			Hints:   []string{"open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)"},
		}
	}
	p.wbPath = wbPath
	rels, err := p.rels(path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels"))
	if err != nil {
		return nil, damaged(name, err)
	}
	for _, s := range wb.Sheets {
		info := sheetInfo{name: s.Name, hidden: s.State == "hidden" || s.State == "veryHidden"}
		for _, r := range rels {
			if r.ID == s.ID {
				info.path = resolvePart(path.Dir(wbPath), r.Target)
				info.target = r.Target
				info.chart = strings.HasSuffix(r.Type, "/chartsheet")
			}
		}
		p.sheets = append(p.sheets, info)
	}
	return p, nil
}

// choose returns the sheet to read, and the names of the other visible worksheets when the
// first one was chosen for want of a name.
func (p *xlsxPackage) choose(sheet string) (sheetInfo, []string, error) {
	var names, worksheets []string
	for _, s := range p.sheets {
		names = append(names, s.name)
		if !s.chart && !s.hidden {
			worksheets = append(worksheets, s.name)
		}
	}
	if sheet == "" {
		for _, s := range p.sheets {
			if !s.chart && !s.hidden {
				return s, worksheets[1:], nil
			}
		}
		return sheetInfo{}, nil, problem.Problem{Where: p.name, Message: "has no visible worksheet", Hints: []string{"use --sheet with the name of the sheet to read"}}
	}
	var found []sheetInfo
	for _, s := range p.sheets {
		if s.name == sheet {
			found = []sheetInfo{s}
			break
		}
		if strings.EqualFold(s.name, sheet) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		return sheetInfo{}, nil, problem.Problem{
			Where:   p.name,
			Message: fmt.Sprintf("no sheet named %q (sheets: %s)", sheet, strings.Join(names, ", ")),
			Hints:   []string{"use --sheet with one of them"},
		}
	}
	if found[0].chart {
		return sheetInfo{}, nil, problem.Problem{
			Where:   p.name,
			Message: fmt.Sprintf("sheet %q is a chart, not a table of contacts", found[0].name),
			Hints:   []string{"use --sheet with the name of a worksheet"},
		}
	}
	return found[0], nil, nil
}

type relationship struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
}

func (p *xlsxPackage) rels(name string) ([]relationship, error) {
	var rels struct {
		Rels []relationship `xml:"Relationship"`
	}
	err := p.decode(name, &rels)
	return rels.Rels, err
}

func (p *xlsxPackage) decode(name string, v any) error {
	f, ok := p.files[partKey(name)]
	if !ok {
		return fmt.Errorf("no part %s", name)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// partKey is how a part is found whatever case and slashes the package spells it with.
func partKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(name, `\`, "/")), "/"))
}

// resolvePart resolves a relationship target against the folder of its source part.
func resolvePart(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean("/"+path.Join(dir, target)), "/")
}

// scan reads a worksheet part for what excelize's row iterator does not give: the merged
// ranges, formulas saved without their result, and formula errors.
func (p *xlsxPackage) scan(part string) (sheetScan, error) {
	f, ok := p.files[partKey(part)]
	if !ok {
		return sheetScan{}, fmt.Errorf("no part %s", part)
	}
	rc, err := f.Open()
	if err != nil {
		return sheetScan{}, err
	}
	defer rc.Close()
	return scanSheet(rc)
}
