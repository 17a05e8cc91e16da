package report_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/run"
)

// TestXLSXPrintsAndReads: the exported workbook prints landscape, one page wide, with the
// header row on every page; Attempts are numbers; the server's replies wrap.
func TestXLSXPrintsAndReads(t *testing.T) {
	in := campaign(t, "Email,Name\na@a.test,Ana\nb@b.test,Bea\n")
	p := prepare(t, in)
	path := run.LogPath(in)
	long := "550 5.1.1 <a@a.test>: Recipient address rejected: User unknown in virtual mailbox table; the mailbox of the Ministry may have moved"
	writeLog(t, path,
		attempt("conference", "a@a.test", 2),
		outcome("conference", "a@a.test", deliverylog.StatusFailed, deliverylog.FailurePermanent, 550, long),
		attempt("conference", "a@a.test", 2),
		outcome("conference", "a@a.test", deliverylog.StatusFailed, deliverylog.FailurePermanent, 550, long),
	)
	r := load(t, p, path)
	var buf bytes.Buffer
	if err := r.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)

	layout, err := f.GetPageLayout(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 || layout.FitToHeight == nil || *layout.FitToHeight != 0 {
		t.Errorf("page layout %+v, want landscape, one page wide", layout)
	}
	props, err := f.GetSheetProps(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if props.FitToPage == nil || !*props.FitToPage {
		t.Errorf("fit to page is off: the fit to width is ignored")
	}
	titles := false
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm.Print_Titles" && d.Scope == sheet && d.RefersTo == "'"+sheet+"'!$1:$1" {
			titles = true
		}
	}
	if !titles {
		t.Errorf("no print titles for the header row: %+v", f.GetDefinedName())
	}

	// Email, Name, Status, Sent at, Message-ID, Server reply / error (F), Attempts (G).
	if v, _ := f.GetCellValue(sheet, "G1"); v != "Attempts" {
		t.Fatalf("G1 = %q, want Attempts", v)
	}
	for cell, want := range map[string]string{"G2": "2", "G3": "0"} {
		typ, err := f.GetCellType(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := f.GetCellValue(sheet, cell)
		if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber || v != want {
			t.Errorf("%s = %q of type %v, want the number %s", cell, v, typ, want)
		}
	}
	styleID, err := f.GetCellStyle(sheet, "F2")
	if err != nil {
		t.Fatal(err)
	}
	style, err := f.GetStyle(styleID)
	if err != nil {
		t.Fatal(err)
	}
	if style.Alignment == nil || !style.Alignment.WrapText || style.NumFmt != 49 {
		t.Errorf("the reply cell's style %+v does not wrap text, or is not text", style)
	}
	if v, _ := f.GetCellValue(sheet, "F2"); v == "" {
		t.Errorf("F2 is empty, want the server's reply")
	}
}
