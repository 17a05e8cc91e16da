// Package run carries out herald's jobs: it plans a mailing (reads the workbook and the
// template, checks every row, renders nothing it cannot render), then previews or sends the
// plan and keeps the delivery log. It knows nothing of flags or terminals: the cli package
// turns those into Inputs, and everything run prints goes to the writers it is given.
package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mla-initiative/herald/internal/template"
	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/templates"
)

// Inputs names everything a run reads. Empty Contacts means the built-in sample workbook;
// Template is a built-in name or a folder.
type Inputs struct {
	Contacts    string
	Sheet       string
	Template    string
	Campaign    string
	From        string
	ReplyTo     string
	SkipInvalid bool

	// Now and NewID fix the Date and Message-ID of every message; tests and golden files
	// set them, everyone else leaves them nil.
	Now   func() time.Time
	NewID func() string
}

// DefaultTemplate is used when no template is named.
const DefaultTemplate = "save-the-date"

// Plan is a checked mailing: one Item per recipient, in sheet order. A plan with errors
// must not be previewed or sent; Items then holds only the rows that are fine.
type Plan struct {
	Campaign string
	Source   string // the workbook as the user named it ("built-in sample" for the sample)
	Table    *contacts.Table
	Template *template.Template
	// BuiltinTemplate is true when Template is one of the templates embedded in herald.
	BuiltinTemplate bool
	Items           []Item
	// Skipped holds the rows left out because of errors (with --skip-invalid they are
	// listed; without it the plan refuses to run while there are any).
	Skipped  []Item
	Problems []Problem
	// DuplicateOf maps the row of a repeated recipient to the row it is mailed from.
	DuplicateOf map[int]int

	addressColumns, headerColumns []namedColumn
	labelColumns                  []int
}

// Item is one message to one recipient row.
type Item struct {
	Row      int // sheet row number, as the user sees it
	Key      string
	To       []message.Address
	Cc       []message.Address
	Bcc      []message.Address
	Language string // the variant used: "" is the default message.md
	// Label names the row for people, from its first cells that are not addresses
	// ("Chile · Ministerio de Justicia"): an address alone is hard to recognise.
	Label   string
	Fields  map[string]string
	Subject string
}

// Problem is one thing wrong (or worth knowing) about the input, located as precisely as
// the input allows: file, sheet and cell, or template file and line.
type Problem struct {
	Where   string
	Message string
	Hint    string
	Warning bool
	// Row is the sheet row the problem belongs to, 0 when it concerns the whole input;
	// --skip-invalid can only leave out rows.
	Row int
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Where != "" {
		b.WriteString(p.Where)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Errors counts the problems that stop a run.
func (p *Plan) Errors() int {
	n := 0
	for _, pr := range p.Problems {
		if !pr.Warning {
			n++
		}
	}
	return n
}

// Ready reports whether the plan may be previewed or sent: no errors, or with skipInvalid
// only errors that concern rows, which are then left out.
func (p *Plan) Ready(skipInvalid bool) error {
	n := p.Errors()
	if n == 0 {
		return nil
	}
	onlyRows := true
	for _, pr := range p.Problems {
		if !pr.Warning && pr.Row == 0 {
			onlyRows = false
		}
	}
	if skipInvalid && onlyRows {
		return nil
	}
	hint := "run herald check to see them all, fix them and run again"
	if onlyRows {
		hint += ", or add --skip-invalid to leave those rows out"
	}
	return &ProblemError{Count: n, hint: hint}
}

// ProblemError says that a plan has errors; the problems themselves have been reported.
type ProblemError struct {
	Count int
	hint  string
}

// Hint says how to go on.
func (e *ProblemError) Hint() string { return e.hint }

func (e *ProblemError) Error() string {
	if e.Count == 1 {
		return "the input has 1 error"
	}
	return fmt.Sprintf("the input has %d errors", e.Count)
}

// builtinFS returns the embedded folder of a built-in template, or nil.
func builtinFS(name string) fs.FS {
	for _, n := range templates.Names() {
		if n == name {
			sub, err := fs.Sub(templates.FS, name)
			if err != nil {
				return nil
			}
			return sub
		}
	}
	return nil
}

// openTemplate resolves --template: a folder on disk, else a built-in name.
func openTemplate(in Inputs) (tmpl *template.Template, builtin bool, err error) {
	name := in.Template
	if name == "" {
		name = DefaultTemplate
	}
	opt := template.Options{From: in.From, ReplyTo: in.ReplyTo, Now: in.Now, NewID: in.NewID}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		tmpl, err := template.Load(os.DirFS(name), name, opt)
		return tmpl, false, err
	}
	if fsys := builtinFS(name); fsys != nil {
		tmpl, err := template.Load(fsys, name, opt)
		return tmpl, true, err
	}
	return nil, false, fmt.Errorf("template %q: no such folder and no built-in template of that name (built-in: %s); give a folder holding message.md, or one of the built-in names",
		name, strings.Join(templates.Names(), ", "))
}

// openContacts reads --contacts, or the built-in sample when it is empty.
func openContacts(in Inputs) (*contacts.Table, string, error) {
	opt := contacts.Options{Sheet: in.Sheet}
	if in.Contacts == "" {
		f, err := templates.FS.Open(templates.SampleName)
		if err != nil {
			return nil, "", fmt.Errorf("open built-in sample: %w", err)
		}
		defer f.Close()
		t, err := contacts.ReadFrom(f, templates.SampleName, opt)
		return t, "built-in sample (" + templates.SampleName + ")", err
	}
	t, err := contacts.Read(in.Contacts, opt)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("contacts file %s not found; check the path, or run herald init to create a campaign folder with a sample workbook", in.Contacts)
	}
	return t, in.Contacts, err
}

// CampaignName is the name a mailing is logged under: --campaign, else the template's name.
func CampaignName(in Inputs) string {
	if in.Campaign != "" {
		return in.Campaign
	}
	if in.Template == "" {
		return DefaultTemplate
	}
	return filepath.Base(filepath.Clean(in.Template))
}
