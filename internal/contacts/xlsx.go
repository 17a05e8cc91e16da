package contacts

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/mla-initiative/herald/internal/problem"

	"github.com/xuri/excelize/v2"
)

// readXLSX reads one worksheet of the workbook in ra, a zip package of size bytes.
//
// Before excelize decodes anything, a preflight reads every part it will decode with a
// cheap tag scanner (see scan.go and limits.go) and refuses what Excel could not have
// written or what would cost unbounded time or memory. excelize then reads the cells
// raw from a copy of the package made of the parts the relationships name, at the
// places it expects them, and herald shows the values as Excel does (numfmt.go).
func readXLSX(ra io.ReaderAt, size int64, name, sheet string, limit int64) (*Table, error) {
	if n, ok := zipEntries(ra, size); ok && n > maxParts {
		return nil, problem.Problem{
			Where:   name,
			Message: fmt.Sprintf("holds %s files in its zip package, more than the %s herald reads", thousands(int(min(n, 1<<40))), thousands(maxParts)),
			Hints:   []string{hintTooMuch},
		}
	}
	zr, err := zip.NewReader(ra, size)
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
	b := newBuilder(name, target.name)
	styles, err := pkg.readStyles()
	if err != nil {
		return nil, pkg.partProblem(pkg.stylesPath, err)
	}
	sst := &sstInfo{}
	if pkg.sstPath != "" {
		rc, err := pkg.open(pkg.sstPath)
		if err != nil {
			return nil, damaged(name, err)
		}
		sst, err = scanSharedStrings(rc, nil)
		rc.Close()
		if err != nil {
			return nil, pkg.partProblem(pkg.sstPath, err)
		}
	}
	rc, err := pkg.open(target.path)
	if err != nil {
		return nil, damaged(name, err)
	}
	scan, err := scanSheet(rc, styles, sst, nil)
	rc.Close()
	if err != nil {
		return nil, cellProblem(b.t, err)
	}
	f := &formatter{styles: styles, date1904: pkg.date1904}
	if err := pkg.readRows(b, target, scan, sst, styles, f, limit); err != nil {
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
			Message: fmt.Sprintf("the sheet read is %q, the first of %d (%s)", shorten(target.name), len(all), listNames(all)),
			Hints:   []string{"to read another sheet, use --sheet with its name"},
		})
	}
	return t, nil
}

// excelize unpacks the sheet and the shared strings to temporary files rather than into
// memory when they are larger than its UnzipXMLSizeLimit. Its shared strings read that
// way take a tenth of the memory they take decoded (some 40 bytes a string rather than
// 300, and a copy of the part or two), but cost a system call a cell: they are decoded in
// memory when they are few.
const (
	excelizeXMLLimit = 1 << 20
	sstInMemory      = 100_000 // strings
	sstInMemorySize  = 8 << 20 // bytes
)

// excelizeSheet is the name of the sheet in the copy of the package excelize reads: the
// real name may be one excelize refuses (longer than 31 characters, say).
const excelizeSheet = "Sheet1"

// readRows reads the rows of the sheet with excelize's row iterator, raw, and shows each
// value as Excel does.
func (p *xlsxPackage) readRows(b *builder, target sheetInfo, scan sheetScan, sst *sstInfo, styles *styleSheet, f *formatter, limit int64) error {
	xmlLimit := int64(excelizeXMLLimit)
	if part, ok := p.files[partKey(p.sstPath)]; ok && sst.count <= sstInMemory && part.UncompressedSize64 <= sstInMemorySize {
		xmlLimit = sstInMemorySize
	}
	opt := excelize.Options{RawCellValue: true, UnzipSizeLimit: limit, UnzipXMLSizeLimit: min(limit, xmlLimit)}
	var (
		x   *excelize.File
		err error
	)
	if p.packed(target) <= inMemoryCopy {
		var buf bytes.Buffer
		if err := p.forExcelize(&buf, target, scan, sst, styles); err != nil {
			return damaged(p.name, err)
		}
		x, err = excelize.OpenReader(&buf, opt)
	} else {
		// A large copy goes to a temporary file, which excelize reads without holding
		// it in memory (it holds what it reads from a reader twice).
		x, err = p.openCopy(target, scan, sst, styles, opt)
	}
	if err != nil {
		return damaged(p.name, err)
	}
	defer x.Close()
	rows, err := x.Rows(excelizeSheet)
	if err != nil {
		return damaged(p.name, err)
	}
	defer rows.Close()
	formats := scan.formats
	reached := scan.last.row == 0
	number, shown := 0, 0
	for rows.Next() {
		// Next advances one row at a time, gaps included, so the count is the row number.
		number++
		values, err := rows.Columns()
		if err != nil {
			return damaged(b.t.RowRef(number), err)
		}
		if number == scan.last.row {
			reached = scan.last.col < len(values) && values[scan.last.col] != ""
		}
		for len(formats) > 0 && int(formats[0].row) <= number {
			c := formats[0]
			formats = formats[1:]
			if int(c.row) == number && int(c.col) < len(values) && values[c.col] != "" {
				values[c.col] = f.show(values[c.col], c)
				if f.err != nil {
					return problem.Problem{Where: b.t.cellRef(number, int(c.col), ""), Message: "is one value too many: the sheet " + f.err.Error(), Hints: []string{hintTooMuch}}
				}
				// A format can make a value longer than it is saved: "@@@@" shows
				// the text four times.
				if shown += len(values[c.col]); shown > maxText {
					return problem.Problem{
						Where:   b.t.cellRef(number, int(c.col), ""),
						Message: fmt.Sprintf("is past the most text herald reads: the cells up to this one show more than %s MiB of text", thousands(maxText>>20)),
						Hints:   []string{hintTooMuch},
					}
				}
			}
		}
		if err := b.add(number, values); err != nil {
			return err
		}
		if number >= scan.last.row && reached && number >= maxRows {
			break
		}
	}
	if err := rows.Error(); err != nil {
		return damaged(p.name, err)
	}
	if !reached {
		// excelize stops silently at malformed XML: the scan saw cells it never reached.
		return problem.Problem{
			Where:   b.t.cellRef(scan.last.row, scan.last.col, ""),
			Message: "cannot be read: the worksheet is damaged before this cell, which could not be read",
			Hints:   []string{hintDamaged},
		}
	}
	return nil
}

// inMemoryCopy is the largest copy of the package made for excelize in memory; larger
// ones go to a temporary file (a variable for the tests).
var inMemoryCopy uint64 = 4 << 20

// packed returns about how large the copy of the package excelize reads is.
func (p *xlsxPackage) packed(target sheetInfo) uint64 {
	var n uint64
	for _, part := range []string{target.path, p.sstPath} {
		if f, ok := p.files[partKey(part)]; ok {
			n += f.CompressedSize64
		}
	}
	return n
}

// openCopy writes the copy of the package excelize reads to a temporary file, and opens it.
func (p *xlsxPackage) openCopy(target sheetInfo, scan sheetScan, sst *sstInfo, styles *styleSheet, opt excelize.Options) (*excelize.File, error) {
	tmp, err := os.CreateTemp("", "herald-*.xlsx")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	err = p.forExcelize(tmp, target, scan, sst, styles)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return excelize.OpenFile(tmp.Name(), opt)
}

// show returns a raw cell value as Excel shows it.
func (f *formatter) show(raw string, c cellFormat) string {
	xf := int(c.xf)
	switch c.kind {
	case kindNumber:
		return f.number(raw, xf)
	case kindBool:
		switch strings.TrimSpace(raw) {
		case "1", "true":
			return "TRUE"
		case "0", "false":
			return "FALSE"
		}
		return raw
	case kindDate:
		return f.date(raw, xf)
	case kindFormulaText:
		// excelize leaves a formula's text result escaped.
		return f.text(string(unescapeBSTR(nil, []byte(raw), true)), xf)
	case kindShared, kindInline:
		return f.text(raw, xf)
	}
	return raw
}

// forExcelize makes the package excelize reads: the sheet, the shared strings and
// nothing else, at the places excelize expects them (it looks for the shared strings at
// xl/sharedStrings.xml, whatever the relationships say), copied as they are compressed,
// or repaired where excelize would misread them.
func (p *xlsxPackage) forExcelize(out io.Writer, target sheetInfo, scan sheetScan, sst *sstInfo, styles *styleSheet) error {
	zw := zip.NewWriter(out)
	add := func(name, content string) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, content)
		return err
	}
	const (
		relNS   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
		typeSST = `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`
		relSST  = `<Relationship Id="rId2" Type="` + relNS + `/sharedStrings" Target="sharedStrings.xml"/>`
	)
	var types, rels string
	if p.sstPath != "" {
		types, rels = typeSST, relSST
	}
	parts := []struct{ name, content string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` + types + `</Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + relNS + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="` + relNS + `"><sheets><sheet name="` + excelizeSheet + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + relNS + `/worksheet" Target="worksheets/sheet1.xml"/>` + rels + `</Relationships>`},
	}
	for _, part := range parts {
		if err := add(part.name, part.content); err != nil {
			return err
		}
	}
	if err := p.copyPart(zw, target.path, "xl/worksheets/sheet1.xml", scan.repair, func(r io.Reader, w io.Writer) error {
		_, err := scanSheet(r, styles, sst, w)
		return err
	}); err != nil {
		return err
	}
	if p.sstPath != "" {
		if err := p.copyPart(zw, p.sstPath, "xl/sharedStrings.xml", sst.repair, func(r io.Reader, w io.Writer) error {
			_, err := scanSharedStrings(r, w)
			return err
		}); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyPart copies a part into zw under another name: as it is compressed, or through
// repair.
func (p *xlsxPackage) copyPart(zw *zip.Writer, from, to string, needsRepair bool, repair func(io.Reader, io.Writer) error) error {
	f := p.files[partKey(from)]
	if !needsRepair {
		h := f.FileHeader
		h.Name = to
		w, err := zw.CreateRaw(&h)
		if err != nil {
			return err
		}
		r, err := f.OpenRaw()
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: to, Method: zip.Deflate})
	if err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return repair(rc, w)
}

func damaged(where string, err error) error {
	return problem.Problem{
		Where:   where,
		Message: fmt.Sprintf("cannot be read: the workbook seems damaged (%v)", err),
		Hints:   []string{hintDamaged},
	}
}

// cellProblem turns an error of the preflight of a sheet into a problem naming the cell,
// row or sheet.
func cellProblem(t *Table, err error) error {
	var ce *cellError
	if !errors.As(err, &ce) {
		return damaged(t.File, err)
	}
	where := t.where()
	switch {
	case ce.pos.row > 0 && ce.pos.col >= 0:
		where = t.cellRef(ce.pos.row, ce.pos.col, "")
	case ce.pos.row > 0:
		where = t.RowRef(ce.pos.row)
	}
	return problem.Problem{Where: where, Message: ce.msg, Hints: []string{ce.hint}}
}

// partProblem names a part of the package that goes over a limit or cannot be read.
func (p *xlsxPackage) partProblem(part string, err error) error {
	var named problem.Problem
	if errors.As(err, &named) {
		// The part's reader has said what is wrong.
		return named
	}
	var le *limitError
	if errors.As(err, &le) {
		return problem.Problem{Where: p.name, Message: fmt.Sprintf("its part %s %s", part, le.msg), Hints: []string{hintTooMuch}}
	}
	if errors.Is(err, errCutOff) {
		return problem.Problem{Where: p.name, Message: fmt.Sprintf("cannot be read: its part %s is cut off before its end", part), Hints: []string{hintDamaged}}
	}
	return damaged(p.name, fmt.Errorf("%s: %w", part, err))
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
	chart  bool   // a chart sheet (or another kind without cells)
}

// xlsxPackage is the zip package of a workbook, checked not to unpack to too much, and
// what its relationships say of its parts.
type xlsxPackage struct {
	name       string
	files      map[string]*zip.File // by cleaned, lower-case name
	sheets     []sheetInfo
	date1904   bool
	sstPath    string // the shared strings part, "" if none
	stylesPath string // the styles part, "" if none
}

// zipEntries returns the number of files a zip package's directory says it holds,
// which archive/zip would allocate for before anything else could refuse it. It finds
// the end of the central directory as archive/zip does.
func zipEntries(ra io.ReaderAt, size int64) (uint64, bool) {
	const eocdLen = 22
	n := min(size, eocdLen+65535)
	buf := make([]byte, n)
	if _, err := ra.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return 0, false
	}
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if string(buf[i:i+4]) != "PK\x05\x06" || i+eocdLen+int(binary.LittleEndian.Uint16(buf[i+20:])) > len(buf) {
			continue
		}
		count := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
		if count == 0xFFFF && i >= 20 && string(buf[i-20:i-16]) == "PK\x06\x07" {
			rec := make([]byte, 40)
			off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
			if _, err := ra.ReadAt(rec, off); err == nil && string(rec[:4]) == "PK\x06\x06" {
				count = binary.LittleEndian.Uint64(rec[32:])
			}
		}
		return count, true
	}
	return 0, false
}

// openPackage checks the declared sizes of every part against limit before anything is
// unpacked, and follows the package's relationships to the workbook, its sheets, shared
// strings and styles, wherever they are. A part that unpacks to more than it declares is
// cut off by archive/zip with an error, so the declared sizes can be trusted.
func openPackage(zr *zip.Reader, name string, limit int64) (*xlsxPackage, error) {
	p := &xlsxPackage{name: name, files: make(map[string]*zip.File, len(zr.File))}
	if len(zr.File) > maxParts {
		return nil, problem.Problem{Where: name, Message: fmt.Sprintf("holds %s files in its zip package, more than the %s herald reads", thousands(len(zr.File)), thousands(maxParts)), Hints: []string{hintTooMuch}}
	}
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
		if err := p.addEntry(f); err != nil {
			return nil, err
		}
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
	if _, ok := p.files["_rels/.rels"]; ok {
		rels, err := p.rels("_rels/.rels", "")
		if err != nil {
			return nil, p.partProblem("_rels/.rels", err)
		}
		if r, ok := rels.first("officeDocument"); ok {
			wbPath = r.path
		}
	}
	if _, ok := p.files[partKey(wbPath)]; !ok {
		return nil, problem.Problem{
			Where:   name,
			Message: "is not an Excel workbook: the zip package has no readable workbook part",
			Hints:   []string{"open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)"},
		}
	}
	type sheetEntry struct{ name, state, id string }
	var entries []sheetEntry
	// What herald reads of the workbook comes before the end of its list of sheets (the
	// elements of a workbook come in the order of its schema): the rest, such as defined
	// names, is only scanned for the limits.
	err := p.walkXML(wbPath, func(e xml.StartElement, depth int, end bool) error {
		if end {
			if e.Name.Local == "sheets" {
				return errEnough
			}
			return nil
		}
		switch e.Name.Local {
		case "sheet":
			if len(entries) == maxSheets {
				return &limitError{fmt.Sprintf("lists more than %s sheets, more than herald reads", thousands(maxSheets))}
			}
			name := attrValue(e, "name")
			if n := utf8.RuneCountInString(name); n > maxSheetName {
				return problem.Problem{
					Where:   p.name,
					Message: fmt.Sprintf("its part %s names sheet %d %q, of %s characters, more than the %d herald reads (Excel allows 31)", wbPath, len(entries)+1, shorten(name), thousands(n), maxSheetName),
					Hints:   []string{"rename the sheet in Excel or LibreOffice, or copy the contacts to a new workbook"},
				}
			}
			entries = append(entries, sheetEntry{name, attrValue(e, "state"), attrValue(e, "id")})
		case "workbookPr":
			v := attrValue(e, "date1904")
			p.date1904 = v == "1" || v == "true"
		}
		return nil
	})
	if err != nil {
		return nil, p.partProblem(wbPath, err)
	}
	relsPath := path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels")
	var rels relationships
	if _, ok := p.files[partKey(relsPath)]; ok {
		if rels, err = p.rels(relsPath, path.Dir(wbPath)); err != nil {
			return nil, p.partProblem(relsPath, err)
		}
	}
	if r, ok := rels.first("sharedStrings"); ok {
		p.sstPath = r.path
	}
	if r, ok := rels.first("styles"); ok {
		p.stylesPath = r.path
	}
	// Programs that write no relationships for them still put them there, and excelize
	// read them there.
	for _, fallback := range []struct {
		path *string
		part string
	}{{&p.sstPath, path.Join(path.Dir(wbPath), "sharedStrings.xml")}, {&p.stylesPath, path.Join(path.Dir(wbPath), "styles.xml")}} {
		if *fallback.path == "" {
			if _, ok := p.files[partKey(fallback.part)]; ok {
				*fallback.path = fallback.part
			}
		}
	}
	for _, ref := range []*string{&p.sstPath, &p.stylesPath} {
		if _, ok := p.files[partKey(*ref)]; !ok {
			*ref = ""
		}
	}
	for _, s := range entries {
		info := sheetInfo{name: s.name, hidden: s.state == "hidden" || s.state == "veryHidden", chart: true}
		if r, ok := rels.byID[s.id]; ok {
			info.path = r.path
			info.chart = !r.is("worksheet")
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
	var found []sheetInfo
	if sheet == "" {
		if len(worksheets) == 0 {
			return sheetInfo{}, nil, problem.Problem{Where: p.name, Message: "has no visible worksheet", Hints: []string{"use --sheet with the name of the sheet to read"}}
		}
		for _, s := range p.sheets {
			if !s.chart && !s.hidden {
				found = []sheetInfo{s}
				break
			}
		}
	} else {
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
				Message: fmt.Sprintf("no sheet named %q (sheets: %s)", shorten(sheet), listNames(names)),
				Hints:   []string{"use --sheet with one of them"},
			}
		}
		if found[0].chart {
			return sheetInfo{}, nil, problem.Problem{
				Where:   p.name,
				Message: fmt.Sprintf("sheet %q is a chart, not a table of contacts", shorten(found[0].name)),
				Hints:   []string{"use --sheet with the name of a worksheet"},
			}
		}
	}
	s := found[0]
	if _, ok := p.files[partKey(s.path)]; !ok {
		return sheetInfo{}, nil, damaged(p.name, fmt.Errorf("the part of sheet %q is missing", shorten(s.name)))
	}
	if sheet == "" {
		return s, worksheets[1:], nil
	}
	return s, nil, nil
}

type relationship struct {
	id, typ string
	path    string // the target part, resolved against the source's folder
}

// is reports whether the relationship has the type that ends in kind, in the
// Transitional or the Strict namespace.
func (r relationship) is(kind string) bool { return strings.HasSuffix(r.typ, "/"+kind) }

// relationships are the internal relationships of a part, in the order of the part.
type relationships struct {
	list []relationship
	byID map[string]relationship // the first of each Id
}

// first returns the first relationship of a type (see relationship.is).
func (rs relationships) first(kind string) (relationship, bool) {
	for _, r := range rs.list {
		if r.is(kind) {
			return r, true
		}
	}
	return relationship{}, false
}

// rels reads a relationships part, resolving internal targets against dir. The part
// holds at most maxRelElements elements, so that it is read in linear time and little
// memory whatever it holds.
func (p *xlsxPackage) rels(name, dir string) (relationships, error) {
	rs := relationships{byID: map[string]relationship{}}
	err := p.walkXMLLimit(name, maxRelElements, func(e xml.StartElement, depth int, end bool) error {
		if end || e.Name.Local != "Relationship" || attrValue(e, "TargetMode") == "External" {
			return nil
		}
		r := relationship{id: attrValue(e, "Id"), typ: attrValue(e, "Type"), path: resolvePart(dir, attrValue(e, "Target"))}
		rs.list = append(rs.list, r)
		if _, ok := rs.byID[r.id]; !ok {
			rs.byID[r.id] = r
		}
		return nil
	})
	return rs, err
}

// walkXML reads a part herald decodes itself, first through the preflight scanner so
// that encoding/xml never meets a part over the limits, calling visit with each start
// element and (end set) each end element.
func (p *xlsxPackage) walkXML(name string, visit func(e xml.StartElement, depth int, end bool) error) error {
	return p.walkXMLLimit(name, maxElements, visit)
}

// errEnough, returned by a visitor of walkXML, stops the decoding of the part without
// an error.
var errEnough = errors.New("enough")

// walkXMLLimit is walkXML for a part of at most limit elements.
func (p *xlsxPackage) walkXMLLimit(name string, limit int, visit func(e xml.StartElement, depth int, end bool) error) error {
	rc, err := p.open(name)
	if err != nil {
		return err
	}
	x := newXMLScan(rc, limit)
	for err == nil {
		err = x.next()
	}
	rc.Close()
	if err != io.EOF {
		return err
	}
	if rc, err = p.open(name); err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			err = visit(t, depth, false)
		case xml.EndElement:
			err = visit(xml.StartElement{Name: t.Name}, depth, true)
			depth--
		}
		if err == errEnough {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (p *xlsxPackage) open(name string) (io.ReadCloser, error) {
	f, ok := p.files[partKey(name)]
	if !ok {
		return nil, fmt.Errorf("no part %s", name)
	}
	return f.Open()
}

// addEntry adds a file of the zip package to p.files, refusing a name that another
// entry already has once cleaned as partKey cleans it, or that points outside the
// package: herald would read one copy and another program perhaps the other.
func (p *xlsxPackage) addEntry(f *zip.File) error {
	name := strings.ReplaceAll(f.Name, `\`, "/")
	outside := strings.HasPrefix(name, "/") || len(name) >= 2 && name[1] == ':'
	for seg := range strings.SplitSeq(name, "/") {
		outside = outside || seg == ".."
	}
	if outside {
		return problem.Problem{
			Where:   p.name,
			Message: fmt.Sprintf("cannot be read: its zip package holds a file named %q, a name outside the package (absolute, or with \"..\"), which no sound workbook has", shorten(f.Name)),
			Hints:   []string{hintDamaged},
		}
	}
	key := partKey(name)
	if strings.HasSuffix(name, "/") {
		// A folder: nothing is read from it.
		if _, ok := p.files[key]; !ok {
			p.files[key] = f
		}
		return nil
	}
	if other, ok := p.files[key]; ok && !strings.HasSuffix(other.Name, "/") {
		msg := fmt.Sprintf("cannot be read: its zip package holds two files named %q, and programs differ on which one they read", shorten(f.Name))
		if other.Name != f.Name {
			msg = fmt.Sprintf("cannot be read: its zip package holds files named %q and %q, one name to a workbook, and programs differ on which one they read", shorten(other.Name), shorten(f.Name))
		}
		return problem.Problem{Where: p.name, Message: msg, Hints: []string{hintDamaged}}
	}
	p.files[key] = f
	return nil
}

// listNames lists names from the file, each shortened, up to 5 of them, then how many
// more.
func listNames(names []string) string {
	const most = 5
	var parts []string
	for _, n := range names[:min(len(names), most)] {
		parts = append(parts, shorten(n))
	}
	s := strings.Join(parts, ", ")
	if len(names) > most {
		s += fmt.Sprintf(" and %s more", thousands(len(names)-most))
	}
	return s
}

// partKey is how a part is found whatever case and slashes the package spells it with.
func partKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(name, `\`, "/")), "/"))
}

// resolvePart resolves a relationship target against the folder of its source part.
func resolvePart(dir, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean("/"+path.Join(dir, target)), "/")
}
