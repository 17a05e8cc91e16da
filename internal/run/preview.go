package run

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
)

// previewMarker marks a folder as herald's own, so that a later preview may replace it
// without ever deleting a folder of the user's by mistake.
const previewMarker = ".herald-preview"

// PreviewResult says what a preview wrote.
type PreviewResult struct {
	Dir      string
	Messages int
	Index    string
	// Unset counts the values still to be set (see StillToSet), shown as markers.
	Unset int
}

// Preview plans the mailing and renders every message (at most limit when limit > 0) into
// dir: one .eml per message, byte for byte what send would transmit, one .html per message
// body, and index.html listing them. Each message is rendered once, while it is checked.
// Everything is written into a new folder that replaces dir only when the whole plan is
// ready, so that an error leaves the previous preview as it was and no file of an earlier
// preview is left behind to be mistaken for part of this one. It never opens a network
// connection. The plan is returned even when it is not ready, for its problems.
func Preview(ctx context.Context, in Inputs, dir string, limit int) (*plan.Plan, *PreviewResult, error) {
	if err := checkPreviewDir(dir); err != nil {
		return nil, nil, err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create folder %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, nil, fmt.Errorf("create preview folder beside %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Mkdir(filepath.Join(tmp, "html"), 0o700); err != nil {
		return nil, nil, err
	}
	if err := writePrivate(filepath.Join(tmp, previewMarker), []byte("written by herald preview; the whole folder is replaced by the next preview\n")); err != nil {
		return nil, nil, err
	}

	var entries []indexEntry
	w := newPreviewWriter(tmp)
	write := func(it *plan.Item, msg *message.Message) error {
		if limit > 0 && len(entries) >= limit {
			return nil
		}
		base := previewName(len(entries)+1, it)
		if err := w.eml(base+".eml", msg); err != nil {
			return err
		}
		if err := w.html(filepath.Join("html", base+".html"), msg); err != nil {
			return err
		}
		entries = append(entries, newIndexEntry(base, it, msg))
		return nil
	}
	plan, err := Prepare(ctx, in, write)
	if err != nil {
		return nil, nil, err
	}
	// A value still to be set shows as a marker in the preview: seeing where it goes is
	// what the preview is for.
	unset := AllowUnset(plan)
	if err := plan.Ready(in.SkipInvalid); err != nil {
		return plan, nil, err
	}
	if err := writeWith(filepath.Join(tmp, "index.html"), func(w io.Writer) error {
		for i := range entries {
			if entries[i].Language == "" {
				entries[i].Language = plan.Template.DefaultLanguage()
			}
		}
		return writeIndex(w, indexData{Campaign: plan.Campaign, Source: plan.Source, Template: plan.Template.Name(), Entries: entries, Total: len(plan.Items)})
	}); err != nil {
		return nil, nil, err
	}

	// Swap the new folder in: the old preview is moved aside first so that a failure
	// leaves one complete preview, never a mixture.
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return nil, nil, fmt.Errorf("replace preview folder %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return nil, nil, fmt.Errorf("replace preview folder %s: %w", dir, err)
	}
	done = true
	if old != "" {
		os.RemoveAll(old)
	}
	return plan, &PreviewResult{Dir: dir, Messages: len(entries), Index: filepath.Join(dir, "index.html"), Unset: unset}, nil
}

// checkPreviewDir refuses to replace a folder herald did not write.
func checkPreviewDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("preview folder %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, previewMarker)); err != nil {
		return fmt.Errorf("preview folder %s already exists and was not written by herald preview; choose another folder with --out, or empty it", dir)
	}
	return nil
}

// previewWriter writes the files of a preview. A preview is mostly the creation of tens
// of thousands of small files, so each is written with a single call from a buffer that
// is reused for the next.
type previewWriter struct {
	dir  string
	buf  []byte
	urls map[string]inlineURL // by Content-ID
}

func newPreviewWriter(dir string) *previewWriter {
	return &previewWriter{dir: dir, buf: make([]byte, 0, 64<<10)}
}

func (w *previewWriter) eml(name string, msg *message.Message) error {
	var err error
	if w.buf, err = mail.AppendEML(w.buf[:0], msg); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(w.dir, name), err)
	}
	return w.file(name, w.buf)
}

// html writes the message's HTML body, viewable as a file.
func (w *previewWriter) html(name string, msg *message.Message) error {
	w.buf = w.appendBrowserHTML(w.buf[:0], msg)
	return w.file(name, w.buf)
}

// file creates name in the preview folder, private to the user, and writes data to it.
func (w *previewWriter) file(name string, data []byte) error {
	path := filepath.Join(w.dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeWith(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	err = write(buf)
	if err == nil {
		err = buf.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writePrivate(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// previewName sorts in sheet order and shows the recipient: 0001-row002-jean@justice.example.
func previewName(seq int, it *plan.Item) string {
	who := "no-address"
	if len(it.To) > 0 {
		who = safeName(it.To[0].Addr)
		if len(who) > 60 {
			who = who[:60]
		}
	}
	return fmt.Sprintf("%04d-row%04d-%s", seq, it.Row, who)
}

// safeName replaces each run of characters other than ASCII letters, digits and ._@+- with
// one '_', so that an address makes a file name on any system.
func safeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	run := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._@+-", c) >= 0 {
			b.WriteByte(c)
			run = false
		} else if !run {
			b.WriteByte('_')
			run = true
		}
	}
	return b.String()
}

// appendBrowserHTML appends a message's HTML made viewable as a file: inline images
// referenced as cid: become data: URLs, and the headers a reader checks first (From, To, Cc,
// Subject) are shown above the body, as a mail program shows them.
func (w *previewWriter) appendBrowserHTML(dst []byte, msg *message.Message) []byte {
	html := msg.HTML
	for _, f := range msg.Inline {
		html = strings.ReplaceAll(html, "cid:"+f.ContentID, w.dataURL(f))
	}
	at := 0
	if i := indexFold(html, "<body"); i >= 0 {
		if j := strings.IndexByte(html[i:], '>'); j >= 0 {
			at = i + j + 1
		}
	}
	dst = append(dst, html[:at]...)
	dst = appendPreviewHeaders(dst, msg)
	return append(dst, html[at:]...)
}

// indexFold is the first index of the ASCII text sub in s, in any case (<BODY> in a
// message.html), without lowering a copy of the whole message.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); {
		j := strings.IndexByte(s[i:], sub[0])
		if j < 0 {
			return -1
		}
		i += j
		if i+len(sub) <= len(s) && strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
		i++
	}
	return -1
}

// previewHeaderStyle keeps the block of headers apart from the message's own look.
const previewHeaderStyle = `font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;line-height:1.5;color:#1b1b1b;background-color:#ffffff;border-bottom:1px solid #cccccc;padding:8px 12px;text-align:left;`

// appendPreviewHeaders writes the headers of a message as a small table, marked so that it
// is never taken for part of the message.
func appendPreviewHeaders(b []byte, msg *message.Message) []byte {
	b = append(b, `<div data-herald-preview="headers" style="`+previewHeaderStyle+`"><table role="presentation" style="border-collapse:collapse;">`...)
	row := func(name string, list []message.Address, text string) {
		if len(list) == 0 && text == "" {
			return
		}
		b = append(b, `<tr><th style="text-align:left;vertical-align:top;padding:1px 12px 1px 0;font-weight:600;color:#555555;">`...)
		b = append(b, name...)
		b = append(b, `</th><td style="padding:1px 0;overflow-wrap:break-word;">`...)
		if list != nil {
			b = appendBreakable(b, joinAddrs(list))
		} else {
			b = appendEscaped(b, text)
		}
		b = append(b, "</td></tr>"...)
	}
	row("From", []message.Address{msg.From}, "")
	row("Reply-To", msg.ReplyTo, "")
	row("To", msg.To, "")
	row("Cc", msg.Cc, "")
	row("Bcc", msg.Bcc, "")
	row("Subject", nil, msg.Subject)
	return append(b, "</table></div>\n"...)
}

// dataURL encodes an inline file once for the whole preview: every message shares it.
func (w *previewWriter) dataURL(f message.File) string {
	if w.urls == nil {
		w.urls = map[string]inlineURL{}
	}
	if u, ok := w.urls[f.ContentID]; ok && len(u.data) == len(f.Data) && (len(u.data) == 0 || &u.data[0] == &f.Data[0]) {
		return u.url
	}
	u := inlineURL{data: f.Data, url: dataURL(f)}
	w.urls[f.ContentID] = u
	return u.url
}

// inlineURL is an inline file's data: URL, and the data it encodes.
type inlineURL struct {
	data []byte
	url  string
}
