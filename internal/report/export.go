package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mla-initiative/herald/internal/contacts"
)

// ExportColumns are appended to the workbook's own columns in an export.
var ExportColumns = []string{"Status", "Sent at", "Message-ID", "Server reply / error", "Attempts"}

// fills are the status colours of an exported workbook: Excel's own Good, Bad and Neutral.
var fills = map[string]string{
	Delivered: "C6EFCE",
	Failed:    "FFC7CE",
	Unknown:   "FFEB9C",
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
			copy(out[status:], []string{rc.Status, r.local(rc.LastAttempt), rc.MessageID, detail, attempts})
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
func (r *Report) WriteXLSX(w io.Writer) error {
	header, rows, status := r.exportTable()
	sheet := r.plan.Table.Sheet
	if sheet == "" {
		sheet = "Report"
	}
	return contacts.WriteXLSXHighlighted(w, sheet, header, rows, contacts.Highlight{Column: status, Colors: fills})
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
