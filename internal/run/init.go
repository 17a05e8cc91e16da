package run

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/templates"
)

// Init writes a campaign folder to edit and returns the files it wrote, relative to dir.
// It writes nothing at all when any of them already exists, so that it can never destroy
// someone's edited workbook or template.
func Init(dir string) ([]string, error) {
	files := map[string][]byte{"herald.toml": []byte(sampleConfig)}
	workbook, err := sampleWorkbook()
	if err != nil {
		return nil, err
	}
	files["contacts.xlsx"] = workbook
	for _, name := range templates.Names() {
		err := fs.WalkDir(templates.FS, name, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(templates.FS, p)
			files[path.Join("templates", p)] = data
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read built-in templates: %w", err)
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sortPaths(names)
	for _, name := range names {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Lstat(target); err == nil {
			return nil, fmt.Errorf("%s already exists; nothing was written (init never overwrites a file): choose an empty folder, or move the file away", target)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("check %s: %w", target, err)
		}
	}
	for _, name := range names {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, fmt.Errorf("create folder %s: %w", filepath.Dir(target), err)
		}
		// O_EXCL: a file that appeared since the check above is still not overwritten.
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", target, err)
		}
		_, err = f.Write(files[name])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", target, err)
		}
	}
	return names, nil
}

// sampleWorkbook turns the embedded sample CSV into the contacts.xlsx users start from.
func sampleWorkbook() ([]byte, error) {
	f, err := templates.FS.Open(templates.SampleName)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := contacts.ReadFrom(f, templates.SampleName, contacts.Options{})
	if err != nil {
		return nil, fmt.Errorf("read built-in sample: %w", err)
	}
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Header
	}
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = r.Values
	}
	var buf bytes.Buffer
	if err := contacts.WriteXLSX(&buf, "Authorities", header, rows); err != nil {
		return nil, fmt.Errorf("write sample workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// sortPaths puts top-level files first, then folders in order, for a readable listing.
func sortPaths(p []string) {
	depth := func(s string) int { return strings.Count(s, "/") }
	sort.Slice(p, func(i, j int) bool {
		if di, dj := depth(p[i]), depth(p[j]); di != dj {
			return di < dj
		}
		return p[i] < p[j]
	})
}

const sampleConfig = `# herald settings for this campaign folder. Every key can also be given as a flag
# (--contacts, --smtp-host …) or an environment variable (HERALD_CONTACTS, HERALD_SMTP_HOST …);
# a flag beats the environment, which beats this file. Relative paths are relative to
# this file's folder.

# The workbook of contacts (.xlsx or .csv) and, for .xlsx, the sheet (default: the first).
contacts = "contacts.xlsx"
# sheet = "Authorities"

# The template: a folder, or a built-in name (save-the-date, invitation, reminder).
template = "templates/save-the-date"

# The name this mailing is logged under; a new name starts a new delivery log, so the
# same people can receive the invitation after the save-the-date.
# campaign = "save-the-date"

# The sender, required: the templates have none, and send refuses to go without it.
# from = "Name <address>"
# The reply address; when empty, the template's Reply-To is used (the contact fact below).
# reply_to = "Name <address>"

# The ministry's mail server, for herald send. tls is starttls (port 587, the default),
# tls (implicit TLS, port 465) or none (plaintext; credentials only to this computer).
# smtp_host = "smtp.ministry.example"
# smtp_port = 587
# smtp_tls = "starttls"
# smtp_user = "secretariat@ministry.example"
# smtp_ca = "ministry-ca.pem"      # trust a private certificate authority
# The password is never written here: herald asks for it, reads HERALD_SMTP_PASSWORD,
# or runs this command and reads its output (a password manager or keychain).
# password_command = "pass show ministry/smtp"

# The sender's mailbox, for herald inbox (bounces and replies) and send --copy-to-sent.
# The user defaults to smtp_user and the password comes from HERALD_IMAP_PASSWORD, else as
# the SMTP one. Bounces often land in the Junk folder.
# imap_host = "imap.ministry.example"
# imap_tls = "tls"
# folder = ["INBOX", "Junk"]
# copy_to_sent = "Sent"            # for servers that keep no copy of what SMTP submits

# Microsoft 365 or Google without passwords: sign in once with herald login, then log in
# with xoauth2 (IMAP follows). The ministry's own app registration:
# oauth_provider = "microsoft"     # or "google"
# oauth_tenant = "ministry.example"
# oauth_client_id = "00000000-0000-0000-0000-000000000000"
# smtp_auth = "xoauth2"

# Sending limits. rate: messages per minute or hour across all connections (Exchange
# Online allows 30/min); daily_cap: at most this many in any 24 hours (Google Workspace
# allows 2,000 a day).
# rate = "30/min"
# connections = 1
# daily_cap = 2000

# The delivery log (default: <campaign>.delivery.jsonl beside the workbook).
# log = "save-the-date.delivery.jsonl"

# Campaign facts: values the letters, their headers and calendar entries read as
# {{fact "name"}}, set here once. A fact is one text for every language, or one per
# language: venue = { en = "…", fr = "…", es = "…" }. --fact NAME=VALUE and HERALD_FACT_NAME
# variables take precedence. herald check names every fact a template needs that is not set;
# preview shows «to be set: …» in its place; send refuses to go without it.
[facts]
# The address for questions and replies (Reply-To, the text, the calendar entry). The
# save-the-date and the reminder default to the one the original gives,
# MLA-initiative@minjenv.nl; the invitation needs it set.
# contact = "…"

# The letterhead at the top of the letter; several lines are written "LINE 1\nLINE 2".
# The save-the-date defaults to the original's, Republic of Slovenia, Ministry of Foreign
# and European Affairs, in each language; the invitation needs it set.
# letterhead = { en = "…", fr = "…", es = "…" }

# Who signs, below the closing formula: required by the invitation, printed by the
# save-the-date and the reminder when set.
# signatory = { en = "…", fr = "…", es = "…" }

# save-the-date: the address of the page "MLA Initiative | GOV.SI" that the letter links to.
# information-link = "https://…"

# invitation (and the reminder, when set): the date replies are due, as it reads after
# "by", "au plus tard le" and "a más tardar el".
# reply-deadline = { en = "…", fr = "…", es = "…" }

# invitation: the venue's name and address (the city, The Hague, follows it).
# venue = "…"

# invitation: the programme, a short text or the address of a page.
# programme = { en = "…", fr = "…", es = "…" }

# invitation: how delegations register, a short text or the address of a page.
# registration = { en = "…", fr = "…", es = "…" }

# invitation: where and when the full powers of the representatives who are to sign the
# Convention are presented.
# full-powers = { en = "…", fr = "…", es = "…" }
`
