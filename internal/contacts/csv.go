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
		return nil, csvReadError(name, err, limit)
	}
	if bytes.IndexByte(sample, 0) >= 0 {
		return nil, problem.Problem{
			Where:   name,
			Message: "is not a CSV text file: it holds NUL bytes (it may be a binary file, or text in UTF-16 without a byte order mark)",
			Hints:   []string{utf8Hint},
		}
	}

	var lines io.Reader = br
	if bytes.IndexByte(sample, '\n') < 0 && bytes.IndexByte(sample, '\r') >= 0 {
		// Old Mac line ends, as Excel for Mac's "CSV (Macintosh)" writes.
		lines = crToLF{br}
	}

	b := newBuilder(name, "")
	cr := csv.NewReader(lines)
	cr.Comma = detectDelimiter(sample)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	// With a TAB delimiter, skipping leading white space would swallow empty fields.
	cr.TrimLeadingSpace = cr.Comma != '\t'
	for {
		record, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(name, err, limit)
		}
		for i, field := range record {
			if !utf8.ValidString(field) {
				line, _ := cr.FieldPos(i)
				line += strings.Count(field[:firstInvalid(field)], "\n")
				return nil, problem.Problem{
					Where:   b.t.cellRef(line, i, ""),
					Message: "is not UTF-8 text (the file seems to be in an older encoding such as Windows-1252)",
					Hints:   []string{utf8Hint},
				}
			}
		}
		line, _ := cr.FieldPos(0)
		b.add(line, record)
	}
	return b.finish(sheetScan{})
}

const utf8Hint = `save the file as CSV UTF-8: in Excel, File › Save As › "CSV UTF-8 (Comma delimited)"; in LibreOffice, tick "Edit filter settings" and choose the character set "Unicode (UTF-8)"`

func csvReadError(name string, err error, limit int64) error {
	var perr *csv.ParseError
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
