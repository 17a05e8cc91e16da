package template

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mla-initiative/herald/internal/message"
)

// cleanPath turns a path written in a template, or made from a cell, into a path inside the
// template folder, or says why it cannot be one. Backslashes count as slashes, since people
// on Windows write them.
func cleanPath(p string) (string, error) {
	p = strings.TrimSpace(p)
	if message.ContainsControl(p) {
		return "", fmt.Errorf("path %q contains a control character", p)
	}
	p = strings.ReplaceAll(p, `\`, "/")
	switch {
	case p == "":
		return "", errors.New("empty path")
	case strings.HasPrefix(p, "/") || len(p) >= 2 && p[1] == ':' && isLetter(p[0]):
		return "", fmt.Errorf("path %q is absolute; give a path inside the template folder", p)
	}
	for part := range strings.SplitSeq(p, "/") {
		if part == ".." {
			return "", fmt.Errorf("path %q leaves the template folder; files must be inside it", p)
		}
	}
	c := path.Clean(p)
	if c == "." || !fs.ValidPath(c) {
		return "", fmt.Errorf("path %q does not name a file in the template folder", p)
	}
	return c, nil
}

// maxLinks bounds how many symbolic links one path may go through, as the kernel does.
const maxLinks = 40

// checkLinks fails if a symbolic link along p points outside the folder. Folders given as
// os.Root.FS refuse such links themselves; os.DirFS follows them, so this check is what keeps
// a link "letters -> /home/user" from attaching a private file. File systems without links
// (embed.FS) pass.
func checkLinks(fsys fs.FS, p string) error {
	rl, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		return nil
	}
	for range maxLinks {
		parts := strings.Split(p, "/")
		resolved := false
		for i := range parts {
			cur := strings.Join(parts[:i+1], "/")
			info, err := rl.Lstat(cur)
			if err != nil {
				return nil // the open that follows reports a missing file better
			}
			if info.Mode()&fs.ModeSymlink == 0 {
				continue
			}
			target, err := rl.ReadLink(cur)
			if err != nil {
				return fmt.Errorf("reading symbolic link %q: %w", cur, err)
			}
			target = filepath.ToSlash(target)
			next := path.Join(path.Dir(cur), target)
			if path.IsAbs(target) || filepath.IsAbs(target) || next == ".." || strings.HasPrefix(next, "../") {
				return fmt.Errorf("%q is a symbolic link to %q, outside the template folder", cur, target)
			}
			p = path.Join(append([]string{next}, parts[i+1:]...)...)
			resolved = true
			break
		}
		if !resolved {
			return nil
		}
	}
	return fmt.Errorf("too many symbolic links in %q", p)
}

// maxFileSize is the largest file a template may attach or show: far above what mail
// servers accept (10 to 35 MB), low enough that a wrong path cannot exhaust memory.
const maxFileSize = 64 << 20

// fileCache keeps the content of every file read, so that ten thousand messages attaching
// the same letter read it once. Its slices are shared by all messages and never modified.
type fileCache struct {
	fsys  fs.FS
	dir   string // the folder's name, to say where a missing file was looked for
	mu    sync.RWMutex
	files map[string]message.File
}

// read returns the content of the file at p, a path already cleaned by cleanPath.
func (c *fileCache) read(p string) ([]byte, error) {
	f, err := c.file(p)
	return f.Data, err
}

// file returns the file at p as an attachment.
func (c *fileCache) file(p string) (message.File, error) {
	c.mu.RLock()
	f, ok := c.files[p]
	c.mu.RUnlock()
	if ok {
		return f, nil
	}
	if _, err := c.stat(p); err != nil {
		return f, err
	}
	data, err := fs.ReadFile(c.fsys, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return f, fmt.Errorf("file %q not found (looked for %s)", p, c.where(p))
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return f, fmt.Errorf("reading file %q (%s): %w", p, c.where(p), err)
	}
	f = message.File{Name: path.Base(p), ContentType: contentType(p), Data: data}
	c.mu.Lock()
	if c.files == nil {
		c.files = make(map[string]message.File)
	}
	c.files[p] = f
	c.mu.Unlock()
	return f, nil
}

// stat reports on the file at p without reading it.
func (c *fileCache) stat(p string) (fs.FileInfo, error) {
	if err := checkLinks(c.fsys, p); err != nil {
		return nil, err
	}
	info, err := fs.Stat(c.fsys, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("file %q not found (looked for %s)", p, c.where(p))
	case err != nil:
		return nil, fmt.Errorf("reading file %q (%s): %w", p, c.where(p), err)
	case info.IsDir():
		return nil, fmt.Errorf("%q is a folder, not a file", p)
	case !info.Mode().IsRegular():
		// A named pipe or a device would make herald wait for ever, or read without end.
		return nil, fmt.Errorf("%q is not a regular file (%s); only files can be attached", p, info.Mode().Type())
	case info.Size() > maxFileSize:
		return nil, fmt.Errorf("%q is %d MB, more than any mail server accepts (%d MB at most)", p, info.Size()>>20, maxFileSize>>20)
	}
	return info, nil
}

func (c *fileCache) where(p string) string {
	return filepath.Join(c.dir, filepath.FromSlash(p))
}

// contentTypes are the types of the files people attach, fixed here rather than taken from
// the system's MIME table, which differs between machines and would make the same campaign
// produce different messages.
var contentTypes = map[string]string{
	".pdf":  "application/pdf",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".ppt":  "application/vnd.ms-powerpoint",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".odp":  "application/vnd.oasis.opendocument.presentation",
	".rtf":  "application/rtf",
	".txt":  "text/plain; charset=utf-8",
	".csv":  "text/csv; charset=utf-8",
	".htm":  "text/html; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".ics":  "text/calendar; charset=utf-8",
	".zip":  "application/zip",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".svg":  "image/svg+xml",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// maxSource bounds a message file or facts.toml: a letter is a few KiB, and one with HTML of
// its own some hundreds.
const maxSource = 4 << 20

// readSource reads a file of the template folder that herald parses (a message file,
// facts.toml), refusing a device or a named pipe, which would be read without end, and a
// file over maxSource.
func readSource(fsys fs.FS, name string) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	switch {
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, info.Mode().Type())
	case info.Size() > maxSource:
		return nil, fmt.Errorf("%s is %d bytes, more than a message file holds (at most %d)", name, info.Size(), maxSource)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSource+1))
	if err == nil && len(data) > maxSource {
		err = fmt.Errorf("%s grew past %d bytes while it was read", name, maxSource)
	}
	return data, err
}
