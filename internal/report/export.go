package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/mla-initiative/herald/internal/contacts"
)

// ExportColumns are appended to the workbook's own columns in an export.
var ExportColumns = []string{"Status", "Sent at", "Message-ID", "Server reply / error", "Attempts",
	"Bounce", "Replied", "Reply from", "Replied at"}

// fills are the status colours of an exported workbook: Excel's own Good, Bad and Neutral.
var fills = map[string]string{
	Delivered: "C6EFCE",
	Bounced:   "FFC7CE",
	Failed:    "FFC7CE",
	Unknown:   "FFEB9C",
}

// answerColumns are the values of Replied, Reply from and Replied at: "yes" with the
// recipient's reply; "automatic reply only" with that one; "from someone else only" with
// that sender, marked; nothing otherwise.
func (r *Report) answerColumns(rc Recipient) []string {
	switch {
	case rc.Replied != nil:
		return []string{"yes", sender(rc.Replied), r.local(when(rc.Replied))}
	case rc.AutoReply != nil:
		return []string{"automatic reply only", sender(rc.AutoReply), r.local(when(rc.AutoReply))}
	case len(rc.Untrusted) > 0:
		in := &rc.Untrusted[len(rc.Untrusted)-1]
		return []string{"from someone else only", sender(in) + " (not a recipient of the message)", r.local(when(in))}
	}
	return []string{"", "", ""}
}

// bounceColumn is the Bounce column: what the bounce said, and bounces of Cc addresses.
func (rc Recipient) bounceColumn() string {
	parts := []string{rc.BounceText()}
	for _, b := range rc.CopyBounces {
		parts = append(parts, "cc "+b.Recipient+": "+joinNonEmpty(" ", b.Status, b.Diagnostic))
	}
	return joinNonEmpty("; ", parts...)
}

// exportTable returns the workbook's sheet as the user made it, every row in sheet order,
// with ExportColumns appended, and the index of the Status column.
func (r *Report) exportTable() (header []string, rows [][]string, status int) {
	t := r.plan.Table
	header = make([]string, 0, len(t.Columns)+len(ExportColumns))
	for _, c := range t.Columns {
		header = append(header, c.Header)
	}
	status = len(header)
	header = append(header, ExportColumns...)
	rows = make([][]string, len(t.Rows))
	for i, row := range t.Rows {
		out := make([]string, len(header))
		copy(out, row.Values)
		if j, ok := r.byRow[row.Number]; ok {
			rc := r.Recipients[j]
			detail := rc.Detail()
			if first, dup := r.dupOf[row.Number]; dup {
				detail = joinNonEmpty("; ", fmt.Sprintf("same recipient as row %d, mailed once", first), detail)
			}
			attempts := ""
			if rc.Status != Skipped {
				attempts = strconv.Itoa(rc.Attempts)
			}
			copy(out[status:], append([]string{rc.Status, r.local(rc.LastAttempt), rc.MessageID, detail, attempts, rc.bounceColumn()}, r.answerColumns(rc)...))
		}
		rows[i] = out
	}
	return header, rows, status
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// WriteXLSX writes the export as a workbook: every value as text, never a formula, a frozen
// header with filter buttons, status cells filled green, red or amber, columns that fit.
// Attempts are numbers, the server's replies wrap in their column, and the sheet prints as
// it is read: landscape, as wide as one page, the header row on every page.
func (r *Report) WriteXLSX(w io.Writer) error {
	header, rows, status := r.exportTable()
	sheet := r.plan.Table.Sheet
	if sheet == "" {
		sheet = "Report"
	}
	var buf bytes.Buffer
	if err := contacts.WriteXLSXHighlighted(&buf, sheet, header, rows, contacts.Highlight{Column: status, Colors: fills}); err != nil {
		return err
	}
	// The workbook writer is the contacts package's, shared with init's sample; what only a
	// report needs is added to what it wrote.
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	defer f.Close()
	if err := finishReport(f, sheet, status, len(rows)); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return f.Write(w)
}

// finishReport makes the exported sheet print well and read well: columns status..status+4
// are ExportColumns.
func finishReport(f *excelize.File, sheet string, status, nRows int) error {
	reply, attempts := status+3, status+4
	// The paper size is left to the printer (A4 in most ministries, Letter in the
	// Americas): landscape and fit to one page wide fit either.
	landscape, wide, tall, fit := "landscape", 1, 0, true
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: quoteSheet(sheet) + "!$1:$1", Scope: sheet}); err != nil {
		return err
	}
	if nRows == 0 {
		return nil
	}
	// A long reply from a server wraps inside its cell instead of being cut at the edge of
	// the column, on screen and on paper.
	wrap, err := f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	col := func(i int) string { name, _ := excelize.ColumnNumberToName(i + 1); return name }
	last := strconv.Itoa(nRows + 1)
	if err := f.SetCellStyle(sheet, col(reply)+"2", col(reply)+last, wrap); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, col(status+5)+"2", col(status+5)+last, wrap); err != nil { // Bounce
		return err
	}
	// Attempts are counted: a number, which sorts and sums, not text.
	number, err := f.NewStyle(&excelize.Style{NumFmt: 1})
	if err != nil {
		return err
	}
	for row := 2; row <= nRows+1; row++ {
		cell := col(attempts) + strconv.Itoa(row)
		v, err := f.GetCellValue(sheet, cell)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			continue // a skipped row has no attempts
		}
		if err := f.SetCellInt(sheet, cell, int64(n)); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, cell, number); err != nil {
			return err
		}
	}
	return nil
}

// quoteSheet writes a sheet's name as a formula refers to it: 'Ministries (2024)'.
func quoteSheet(name string) string {
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}

// WriteExportCSV writes the export as CSV for Excel: UTF-8 with a byte order mark, so that
// Excel does not read it as the local code page, and with values that would be taken for
// formulas prefixed with '.
func (r *Report) WriteExportCSV(w io.Writer) error {
	header, rows, _ := r.exportTable()
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	// Excel on Windows expects CRLF line ends.
	cw.UseCRLF = true
	for _, rec := range append([][]string{header}, rows...) {
		for i := range rec {
			rec[i] = inert(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// Export writes the export to path, as a workbook for .xlsx and as CSV for .csv. The file
// holds names and addresses, so it is created with mode 0600; it is written beside its
// final name and renamed, so that a failed export leaves any earlier one whole.
func (r *Report) Export(path string) error {
	var write func(io.Writer) error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		write = r.WriteXLSX
	case ".csv":
		write = r.WriteExportCSV
	default:
		return fmt.Errorf("export to %s: unknown kind of file %q; name it .xlsx or .csv", path, filepath.Ext(path))
	}
	// Writing the report over the workbook (or the log) would destroy what it reports on.
	if st, err := os.Stat(path); err == nil {
		for _, own := range []string{r.plan.Table.File, r.LogPath} {
			if ost, err := os.Stat(own); err == nil && os.SameFile(st, ost) {
				return fmt.Errorf("export to %s: that is the file the report is made from; choose another name, such as %s", path, strings.TrimSuffix(path, filepath.Ext(path))+"-status"+filepath.Ext(path))
			}
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".herald-export-*")
	if err != nil {
		return fmt.Errorf("export to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("export to %s: %w", path, err)
	}
	return nil
}
