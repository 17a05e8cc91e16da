package run

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
)

// previewMarker marks a folder as herald's own, so that a later preview may replace it
// without ever deleting a folder of the user's by mistake.
const previewMarker = ".herald-preview"

// PreviewResult says what a preview wrote.
type PreviewResult struct {
	Dir      string
	Messages int
	Index    string
}

// Preview plans the mailing and renders every message (at most limit when limit > 0) into
// dir: one .eml per message, byte for byte what send would transmit, one .html per message
// body, and index.html listing them. Each message is rendered once, while it is checked.
// Everything is written into a new folder that replaces dir only when the whole plan is
// ready, so that an error leaves the previous preview as it was and no file of an earlier
// preview is left behind to be mistaken for part of this one. It never opens a network
// connection. The plan is returned even when it is not ready, for its problems.
func Preview(in Inputs, dir string, limit int) (*Plan, *PreviewResult, error) {
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
	buf := bufio.NewWriterSize(nil, 64<<10)
	write := func(it *Item, msg *message.Message) error {
		if limit > 0 && len(entries) >= limit {
			return nil
		}
		base := previewName(len(entries)+1, it)
		if err := writeWith(filepath.Join(tmp, base+".eml"), buf, func(w io.Writer) error {
			_, err := mail.WriteEML(w, msg)
			return err
		}); err != nil {
			return err
		}
		if err := writeWith(filepath.Join(tmp, "html", base+".html"), buf, func(w io.Writer) error {
			_, err := io.WriteString(w, inlineForBrowser(msg))
			return err
		}); err != nil {
			return err
		}
		entries = append(entries, newIndexEntry(base, it, msg))
		return nil
	}
	plan, err := Prepare(in, write)
	if err != nil {
		return nil, nil, err
	}
	if err := plan.Ready(in.SkipInvalid); err != nil {
		return plan, nil, err
	}
	if err := writeWith(filepath.Join(tmp, "index.html"), buf, func(w io.Writer) error {
		return indexPage.Execute(w, indexData{Campaign: plan.Campaign, Source: plan.Source, Template: plan.Template.Name(), Entries: entries, Total: len(plan.Items)})
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
	return plan, &PreviewResult{Dir: dir, Messages: len(entries), Index: filepath.Join(dir, "index.html")}, nil
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

// Render renders the message of one planned item.
func (p *Plan) Render(it *Item) (*message.Message, error) {
	m, _, err := p.Template.Render(it.Fields, it.Language)
	return m, err
}

func writeWith(path string, buf *bufio.Writer, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	buf.Reset(f)
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

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._@+-]+`)

// previewName sorts in sheet order and shows the recipient: 0001-row002-jean@justice.example.
func previewName(seq int, it *Item) string {
	who := "no-address"
	if len(it.To) > 0 {
		who = unsafeName.ReplaceAllString(it.To[0].Addr, "_")
		if len(who) > 60 {
			who = who[:60]
		}
	}
	return fmt.Sprintf("%04d-row%04d-%s", seq, it.Row, who)
}

// inlineForBrowser makes a message's HTML viewable as a file: inline images referenced as
// cid: become data: URLs.
func inlineForBrowser(msg *message.Message) string {
	html := msg.HTML
	for _, f := range msg.Inline {
		html = strings.ReplaceAll(html, "cid:"+f.ContentID, dataURL(f))
	}
	return html
}
