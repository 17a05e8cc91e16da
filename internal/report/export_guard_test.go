package report_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
)

// --export naming the workbook itself replaces the user's workbook with the report
// (other sheets, formatting, formulas and rows above the header are lost, and every value
// becomes text or gets a ' in CSV). Export should refuse the path of the workbook (and of
// the log), compared with os.SameFile.
func TestExportRefusesTheWorkbook(t *testing.T) {
	in := campaign(t, "Email,Name\nana@a.test,Ana\n")
	p := prepare(t, in)
	r := load(t, p, run.LogPath(in))
	before, err := os.ReadFile(in.Contacts)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Export(in.Contacts)
	after, _ := os.ReadFile(in.Contacts)
	if err == nil || !bytes.Equal(after, before) {
		t.Errorf("export to the workbook %s: got error %v, workbook now %q; want an error and the workbook unchanged (%q)",
			in.Contacts, err, after, before)
	}
}

// every cell of an exported workbook is a shared string (t="s"),
// none a formula or a number, whatever it starts with, and control characters in a server's
// reply do not make the XML invalid. It passes: kept as a guard.
func TestXLSXCellTypes(t *testing.T) {
	in := campaign(t, "Email,Name,Note\n"+
		"a@a.test,Ana,=1+1\n"+
		"b@b.test,Bea,+221 33 000\n"+
		"c@c.test,Carl,-1\n"+
		"d@d.test,Dora,@SUM(A1)\n"+
		"e@e.test,Emil,0012\n"+
		"f@f.test,Fay,1/2\n")
	p := prepare(t, in)
	path := run.LogPath(in)
	writeLog(t, path,
		attempt("conference", "a@a.test", 2),
		outcome("conference", "a@a.test", deliverylog.StatusFailed, deliverylog.FailurePermanent, 550, "550 =cmd|' /C calc'!A0 \x01\x1b[31m"),
	)
	r := load(t, p, path)
	var buf bytes.Buffer
	if err := r.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", f.Name, err)
			}
			if se, ok := tok.(xml.StartElement); ok && strings.HasPrefix(f.Name, "xl/worksheets/") {
				if se.Name.Local == "f" {
					t.Errorf("%s has a formula element", f.Name)
				}
				if se.Name.Local == "c" {
					typ, ref := "", ""
					for _, a := range se.Attr {
						switch a.Name.Local {
						case "t":
							typ = a.Value
						case "r":
							ref = a.Value
						}
					}
					// Column H is Attempts, herald's own count: a number on purpose.
					if attempts := strings.HasPrefix(ref, "H") && ref != "H1"; attempts && typ != "" || !attempts && typ != "s" {
						t.Errorf("%s: cell %v has type %q, want s (a number in Attempts)", f.Name, se.Attr, typ)
					}
				}
			}
		}
	}
	tb, err := contacts.ReadFrom(bytes.NewReader(buf.Bytes()), "r.xlsx", contacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"=1+1", "+221 33 000", "-1", "@SUM(A1)", "0012", "1/2"}
	for i, w := range want {
		if got := tb.Rows[i].Values[2]; got != w {
			t.Errorf("row %d Note: got %q, want %q", i+2, got, w)
		}
	}
	if got := tb.Rows[0].Values[6]; !strings.HasPrefix(got, "550 =cmd|") {
		t.Errorf("row 2 reply: got %q", got)
	}
}

// the summary prints campaign names found in the log (and paths) as they are, so an
// escape sequence in a log record reaches the terminal; the table rows go through printable,
// the summary lines do not.
func TestSummaryControlCharacters(t *testing.T) {
	in := campaign(t, "Email,Name\nana@a.test,Ana\n")
	p := prepare(t, in)
	path := run.LogPath(in)
	writeLog(t, path,
		attempt("gala\x1b]0;owned\x07\x1b[2J", "ana@a.test", 2),
		outcome("gala\x1b]0;owned\x07\x1b[2J", "ana@a.test", deliverylog.StatusDelivered, "", 250, "250 OK"),
	)
	r := load(t, p, path)
	var buf bytes.Buffer
	if err := r.WriteTable(&buf, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`[\x00-\x08\x0b-\x1f\x7f]`).MatchString(buf.String()) {
		t.Errorf("table passes control characters through:\n%q", buf.String())
	}
}

// A workbook with no recipient at all (a header row only, or the wrong --sheet) is not a
// finished mailing: "are we done?" must not be answered yes.
func TestNoRecipientsIsNotAllDelivered(t *testing.T) {
	in := campaign(t, "Email,Name\n")
	r := load(t, prepare(t, in), run.LogPath(in))
	if r.Counts.Total() != 0 || r.AllDelivered() {
		t.Errorf("header-only workbook: %d recipients, AllDelivered %v; want 0 and false", r.Counts.Total(), r.AllDelivered())
	}
}
