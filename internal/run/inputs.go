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

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/template"
	"github.com/mla-initiative/herald/templates"
)

// Inputs names everything a run reads. Empty Contacts means the built-in sample workbook;
// Template is a built-in name or a folder.
type Inputs struct {
	Contacts string
	Sheet    string
	Template string
	Campaign string
	From     string
	ReplyTo  string
	// Facts are the campaign facts set for this run (see template.Options.Facts).
	Facts       map[string]string
	SkipInvalid bool
	// NotRecipients names columns (by header or template name) that hold addresses which
	// must not receive the message; any other column of addresses that no address header
	// reads is an error, since its addresses would be left out.
	NotRecipients []string

	// Now and NewID fix the Date and Message-ID of every message; tests and golden files
	// set them, everyone else leaves them nil.
	Now   func() time.Time
	NewID func() string
}

// DefaultTemplate is used when no template is named.
const DefaultTemplate = "save-the-date"

// openTemplate resolves --template: a folder on disk, else a built-in name.
func openTemplate(in Inputs) (tmpl *template.Template, builtin bool, err error) {
	name := in.Template
	if name == "" {
		name = DefaultTemplate
	}
	opt := template.Options{From: in.From, ReplyTo: in.ReplyTo, Facts: in.Facts, Now: in.Now, NewID: in.NewID}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		tmpl, err := template.Load(os.DirFS(name), name, opt)
		return tmpl, false, err
	}
	fsys, err := templates.Folder(name)
	if err != nil {
		return nil, false, problem.WithHint(fmt.Errorf("template %q: no such folder and no built-in template of that name", name),
			fmt.Sprintf("give a folder holding message.md, or one of the built-in names: %s", strings.Join(templates.Names(), ", ")))
	}
	tmpl, err = template.Load(fsys, name, opt)
	return tmpl, true, err
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

// CampaignName is the name a mailing is logged under: --campaign, else the template's name:
// the real name of its folder, so that "-t ." inside the folder and "-t invitation" beside
// it are the same campaign, with the same log.
func CampaignName(in Inputs) string {
	if in.Campaign != "" {
		return in.Campaign
	}
	if in.Template == "" {
		return DefaultTemplate
	}
	if real, err := filepath.EvalSymlinks(in.Template); err == nil {
		if abs, err := filepath.Abs(real); err == nil {
			return filepath.Base(abs)
		}
	}
	return filepath.Base(filepath.Clean(in.Template))
}

// LogPath is where a campaign's delivery log lives unless --log says otherwise: beside the
// workbook (in the current folder for the built-in sample).
func LogPath(in Inputs) string {
	dir := "."
	if in.Contacts != "" {
		dir = filepath.Dir(in.Contacts)
	}
	return filepath.Join(dir, deliverylog.FileName(CampaignName(in)))
}
