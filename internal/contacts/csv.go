package contacts

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mla-initiative/herald/internal/problem"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// sampleSize is how much of a CSV file is looked at to find its delimiter and encoding.
const sampleSize = 64 << 10

// readCSV reads a CSV file: UTF-8 with or without a byte order mark (or UTF-16 with one,
// as Excel's "Unicode Text" writes), the delimiter , ; or TAB found from the header line.
func readCSV(r *bufio.Reader, name string, limit int64) (*Table, error) {
	var src io.Reader = &limitedReader{r: r, n: limit + 1}
	head, _ := r.Peek(3)
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		_, _ = r.Discard(len(bomUTF8))
	case bytes.HasPrefix(head, bomUTF16LE):
		src = transform.NewReader(src, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(head, bomUTF16BE):
		src = transform.NewReader(src, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	}
	br := bufio.NewReaderSize(src, sampleSize)
	sample, err := br.Peek(sampleSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, csvReadError(name, err, limit, 0)
	}
	if bytes.IndexByte(sample, 0) >= 0 {
		return nil, problem.Problem{
			Where:   name,
			Message: "is not a CSV text file: it holds NUL bytes (it may be a binary file, or text in UTF-16 without a byte order mark)",
			Hints:   []string{utf8Hint},
		}
	}

	// Excel reads, and writes for some locales, a first line "sep=;" that names the
	// delimiter: it is no row of the table.
	var comma rune
	skipped := 0
	if d, n, ok := sepLine(sample); ok {
		comma, skipped = d, 1
		_, _ = br.Discard(n)
		if sample, err = br.Peek(sampleSize); err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, csvReadError(name, err, limit, skipped)
		}
	} else {
		comma = detectDelimiter(sample)
	}

	var lines io.Reader = br
	if bytes.IndexByte(sample, '\n') < 0 && bytes.IndexByte(sample, '\r') >= 0 {
		// Old Mac line ends, as Excel for Mac's "CSV (Macintosh)" writes.
		lines = crToLF{br}
	}

	b := newBuilder(name, "")
	cr := csv.NewReader(&csvGuard{r: lines, comma: byte(comma), t: b.t, line: 1 + skipped, trim: comma != '\t'})
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	// With a TAB delimiter, skipping leading white space would swallow empty fields.
	cr.TrimLeadingSpace = comma != '\t'
	for {
		record, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(name, err, limit, skipped)
		}
		for i, field := range record {
			if !utf8.ValidString(field) {
				line, _ := cr.FieldPos(i)
				line += skipped + strings.Count(field[:firstInvalid(field)], "\n")
				return nil, problem.Problem{
					Where:   b.t.cellRef(line, i, ""),
					Message: "is not UTF-8 text (the file seems to be in an older encoding such as Windows-1252)",
					Hints:   []string{utf8Hint},
				}
			}
		}
		line, _ := cr.FieldPos(0)
		if err := b.add(line+skipped, record); err != nil {
			return nil, err
		}
	}
	return b.finish(sheetScan{})
}

// sepLine recognises a first line "sep=;" naming the delimiter, returning it and the
// line's length.
func sepLine(sample []byte) (rune, int, bool) {
	if len(sample) < 5 || !bytes.EqualFold(sample[:4], []byte("sep=")) {
		return 0, 0, false
	}
	d := rune(sample[4])
	n := 5
	if d == '"' && len(sample) >= 7 && sample[6] == '"' {
		// sep="," is how some programs quote it.
		d, n = rune(sample[5]), 7
	}
	if d == '\n' || d == '\r' || d == '"' || d >= utf8.RuneSelf {
		return 0, 0, false
	}
	rest := sample[n:]
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		n += 2
	case len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r'):
		n++
	case len(rest) > 0:
		return 0, 0, false
	}
	return d, n, true
}

const utf8Hint = `save the file as CSV UTF-8: in Excel, File › Save As › "CSV UTF-8 (Comma delimited)"; in LibreOffice, tick "Edit filter settings" and choose the character set "Unicode (UTF-8)"`

func csvReadError(name string, err error, limit int64, skipped int) error {
	var perr *csv.ParseError
	if p, ok := problem.As(err); ok {
		return p
	}
	if errors.As(err, &perr) {
		perr.Line += skipped
		perr.StartLine += skipped
	}
	switch {
	case errors.Is(err, errTooBig):
		return sizeProblem(name, err, limit)
	case errors.As(err, &perr) && (errors.Is(perr.Err, csv.ErrQuote) || errors.Is(perr.Err, csv.ErrBareQuote)):
		line, msg := perr.Line, "a field that is not in quotes holds a quote"
		if errors.Is(perr.Err, csv.ErrQuote) {
			line, msg = perr.StartLine, "a quoted field starting on this line has a stray or missing quote"
			if perr.Line != perr.StartLine {
				msg += fmt.Sprintf(" (noticed on line %d)", perr.Line)
			}
		}
		return problem.Problem{
			Where:   fmt.Sprintf("%s: line %d", name, line),
			Message: msg,
			Hints:   []string{`a field holding quotes must be in quotes itself, with each quote inside doubled: "Jean ""JJ"" Dupont"; saving the file from Excel or LibreOffice does this`},
		}
	case errors.As(err, &perr):
		return problem.Problem{Where: fmt.Sprintf("%s: line %d", name, perr.Line), Message: perr.Err.Error()}
	}
	return fmt.Errorf("read contacts: %s: %w", name, err)
}

// firstInvalid returns the index of the first byte of s that is not valid UTF-8.
func firstInvalid(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

// detectDelimiter returns the one of , ; TAB found most often outside quotes on the first
// non-blank line of sample; a comma when there is none of them.
func detectDelimiter(sample []byte) rune {
	candidates := []rune{',', ';', '\t'}
	counts := make([]int, len(candidates))
	quoted, seenText := false, false
scan:
	for _, c := range sample {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case (c == '\n' || c == '\r') && seenText:
			break scan
		case c == '\n' || c == '\r' || c == ' ':
		default:
			seenText = true
			for i, d := range candidates {
				if rune(c) == d {
					counts[i]++
				}
			}
		}
	}
	best := 0
	for i := range candidates {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return candidates[best]
}

// limitedReader reads at most n bytes and fails with errTooBig when there are more.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n <= 0 && err == nil {
		err = errTooBig
	}
	return n, err
}

// crToLF turns every CR into LF.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// csvGuard passes CSV text on to encoding/csv, refusing it as soon as a field, a record
// or the file goes over what Excel could hold, so that encoding/csv never holds a huge
// record: a field of more than 32,767 characters, a record of more than 16,384 fields,
// more than 1,048,576 records. It follows quotes as encoding/csv does.
type csvGuard struct {
	r     io.Reader
	comma byte
	trim  bool // leading spaces before a quote are skipped
	t     *Table

	quoted, afterQuote bool
	started            bool // the field holds something besides leading spaces
	chars              int  // characters in the current field
	fields             int  // fields before the current one in the record
	size               int  // bytes in the current record
	records            int
	blank              bool // the record so far is an empty line
	line, recordLine   int
	err                error
}

func (g *csvGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.recordLine == 0 {
		g.recordLine, g.blank = g.line, true
	}
	n, err := g.r.Read(p)
	for i := 0; i < n; i++ {
		c := p[i]
		// Most bytes are inside a field: count them here, quickly.
		if (g.quoted && !g.afterQuote && c != '"' || g.started && !g.quoted && c != g.comma && c != '\n' && c != '\r') &&
			g.size < maxText && g.chars < maxCellChars-1 {
			g.size++
			switch {
			case c >= 0xF0:
				g.chars += 2
			case c < 0x80 || c >= 0xC0:
				g.chars++
			}
			if c == '\n' {
				g.line++
			}
			continue
		}
		if g.step(c) {
			return i, g.err
		}
	}
	return n, err
}

// step takes one byte, and reports whether it goes over a limit.
func (g *csvGuard) step(c byte) bool {
	if c == '\n' {
		g.line++
	}
	if g.size++; g.size > maxText {
		return g.fail(g.recordLine, -1, fmt.Sprintf("starts a row of more than %s MiB, more than herald reads", thousands(maxText>>20)))
	}
	if g.quoted {
		switch {
		case g.afterQuote && c == '"':
			g.afterQuote = false
			return g.count(c)
		case g.afterQuote:
			g.quoted, g.afterQuote = false, false
		case c == '"':
			g.afterQuote = true
			return false
		default:
			return g.count(c)
		}
	}
	switch {
	case c == g.comma:
		g.fields++
		g.chars, g.started, g.blank = 0, false, false
		if g.fields >= maxColumns {
			return g.fail(g.recordLine, -1, fmt.Sprintf("holds more than %s fields, the most columns Excel has", thousands(maxColumns)))
		}
	case c == '\n':
		if !g.blank {
			g.records++
			if g.records > maxRows {
				return g.fail(g.recordLine, -1, fmt.Sprintf("is one line too many: the file holds more than %s rows, the most Excel has", thousands(maxRows)))
			}
		}
		g.fields, g.chars, g.size, g.started, g.blank, g.recordLine = 0, 0, 0, false, true, g.line
	case c == '"' && !g.started:
		g.quoted, g.started, g.blank = true, true, false
	case c == '\r':
	case c == ' ' && g.trim && !g.started:
		g.blank = false
	default:
		g.started, g.blank = true, false
		return g.count(c)
	}
	return false
}

func (g *csvGuard) count(c byte) bool {
	switch {
	case c >= 0xF0: // a character outside the BMP, two UTF-16 units as Excel counts
		g.chars += 2
	case c < 0x80 || c >= 0xC0:
		g.chars++
	}
	if g.chars > maxCellChars {
		return g.fail(g.recordLine, g.fields, fmt.Sprintf("holds more than %s characters, the most a cell can hold in Excel", thousands(maxCellChars)))
	}
	return false
}

func (g *csvGuard) fail(line, field int, msg string) bool {
	where := g.t.RowRef(line)
	if field >= 0 {
		where = g.t.cellRef(line, field, "")
	}
	g.err = problem.Problem{Where: where, Message: msg, Hints: []string{"check that it is the right file: it holds what no spreadsheet could have written"}}
	return true
}
