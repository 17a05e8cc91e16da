package contacts

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xmlScan reads the tags of an XML part one at a time, cheaply: it skips text at
// IndexByte speed, counting its characters, and never builds a tree. It is the preflight
// that checks a part is within the limits before excelize decodes it, and finds what
// excelize's row iterator does not give. It is not a validating parser: a part it accepts
// may still be malformed XML, which excelize then refuses or stops reading, and which
// the reader notices (see readRows).
type xmlScan struct {
	br          *bufio.Reader
	tag         []byte // the current tag, between < and >
	kind        tagKind
	depth       int
	level       int // the current tag's element's depth: 1 for the root
	elements    int
	maxElements int
	rootClosed  bool

	// text counts the characters of the text before the current tag (since the last
	// element's tag), as Excel counts them: UTF-16 units, an entity reference or an
	// _xHHHH_ escape counting one.
	text int
	// bytes is the length of that text as saved.
	bytes int
	// captured holds the first bytes of that text, up to cap(captured).
	captured []byte
	// surrogate is set once an escaped UTF-16 surrogate (_xD83D_) has been seen, which
	// excelize drops; see escapeFixer.
	surrogate bool

	// out, when set, receives the part as read, each tag as it is after the caller had
	// the chance to change it, and text with escaped surrogates decoded (see
	// unescapeBSTR): a copy excelize reads right.
	out     io.Writer
	pending []byte // text read, not yet written to out
}

type tagKind int

const (
	tagStart tagKind = iota // <name …>
	tagEmpty                // <name …/>
	tagEnd                  // </name>
	tagOther                // <?…?>, <!--…-->, <![CDATA[…]]>, <!DOCTYPE …>
)

var errCutOff = syntaxError("the part ends before its last element is closed (the file may have been cut off)")

// syntaxError is XML the scanner cannot read; other errors are the zip's.
type syntaxError string

func (e syntaxError) Error() string { return string(e) }

// limitError is a part going over one of the limits; the caller names the place.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

func newXMLScan(r io.Reader, maxElements int) *xmlScan {
	return &xmlScan{br: bufio.NewReaderSize(r, 64<<10), maxElements: maxElements, captured: make([]byte, 0, 32)}
}

// next reads the text up to the next tag, and the tag. At the end of the part it returns
// io.EOF if the root element was closed, else errCutOff.
func (x *xmlScan) next() error {
	if x.tag == nil {
		if head, _ := x.br.Peek(2); len(head) == 2 && (head[0] == 0 || head[1] == 0 || head[0] >= 0xFE) {
			return syntaxError("the part is not in UTF-8 (perhaps in UTF-16), which herald does not read")
		}
	}
	if x.out != nil {
		x.flush()
		if x.tag != nil {
			x.out.Write([]byte{'<'})
			x.out.Write(x.tag)
			x.out.Write([]byte{'>'})
		}
	}
	if x.kind != tagOther {
		// Text goes on past comments and CDATA sections, as encoding/xml reads it.
		x.text, x.bytes, x.captured = 0, 0, x.captured[:0]
	}
	for {
		chunk, err := x.br.ReadSlice('<')
		body := chunk
		if err == nil {
			body = chunk[:len(chunk)-1]
		}
		x.addText(body)
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if !x.rootClosed || x.depth != 0 {
				return errCutOff
			}
			if x.out != nil {
				x.flush()
			}
		}
		return err
	}
	if err := x.readTag(); err != nil {
		if err == io.EOF {
			return errCutOff
		}
		return err
	}
	switch {
	case len(x.tag) > 0 && x.tag[0] == '/':
		x.kind = tagEnd
		x.level = x.depth
		x.depth--
		if x.depth < 0 {
			return syntaxError("an element is closed that was never opened")
		}
		if x.depth == 0 {
			x.rootClosed = true
		}
	case len(x.tag) > 0 && (x.tag[0] == '?' || x.tag[0] == '!'):
		x.kind = tagOther
		if bytes.HasPrefix(x.tag, xmlDeclStart) && len(x.tag) > len(xmlDeclStart) && isXMLSpace(x.tag[len(xmlDeclStart)]) {
			// excelize decodes a part in the encoding it declares; this scan reads
			// UTF-8 only, and must see what excelize sees.
			if enc, ok := x.attr("encoding"); ok && !strings.EqualFold(string(enc), "UTF-8") {
				return syntaxError(fmt.Sprintf("the part declares the encoding %q; herald reads parts saved in UTF-8, as every spreadsheet program saves them", enc))
			}
		}
		if bytes.HasPrefix(x.tag, cdataStart) {
			// CDATA is text, which encoding/xml reads like any other.
			x.count(x.tag[len(cdataStart) : len(x.tag)-len(cdataEnd)])
		}
	default:
		if x.rootClosed {
			return syntaxError("an element follows the end of the part")
		}
		x.elements++
		if x.elements > x.maxElements {
			return &limitError{fmt.Sprintf("holds more than %s XML elements, more than herald reads", thousands(x.maxElements))}
		}
		x.kind = tagStart
		if x.tag[len(x.tag)-1] == '/' {
			x.kind = tagEmpty
			x.level = x.depth + 1
			if x.depth == 0 {
				x.rootClosed = true
			}
			break
		}
		x.depth++
		x.level = x.depth
		if x.depth > maxDepth {
			return &limitError{fmt.Sprintf("nests XML elements more than %d deep, more than herald reads", maxDepth)}
		}
	}
	return nil
}

// addText counts the characters of some text, and keeps it to write out when rewriting.
func (x *xmlScan) addText(b []byte) {
	x.count(b)
	if x.out != nil {
		x.pending = append(x.pending, b...)
	}
}

func (x *xmlScan) count(b []byte) {
	x.bytes += len(b)
	if len(x.captured) < cap(x.captured) {
		x.captured = append(x.captured, b[:min(len(b), cap(x.captured)-len(x.captured))]...)
	}
	if x.text <= maxCellChars {
		// Past the limit the count no longer matters, and the text is skipped at
		// IndexByte speed.
		n, surrogate := countText(b)
		x.text += n
		x.surrogate = x.surrogate || surrogate
	}
}

// flush writes out the text read, escaped surrogates decoded. A text is whole when it
// is flushed, so that no escape is cut in two.
func (x *xmlScan) flush() {
	if len(x.pending) > 0 {
		x.out.Write(unescapeBSTR(nil, x.pending, false))
		x.pending = x.pending[:0]
	}
}

// countText counts the characters of XML text as Excel counts them, and says whether it
// holds an escaped UTF-16 surrogate.
func countText(b []byte) (n int, surrogate bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '&':
			n++
			if j := bytes.IndexByte(b[i:min(len(b), i+12)], ';'); j > 0 {
				i += j
			}
		case c == '_':
			n++
			if len(b)-i >= 7 && b[i+1] == 'x' && b[i+6] == '_' && isHex(b[i+2:i+6]) {
				surrogate = surrogate || isSurrogateEscape(b[i+2:i+6])
				i += 6
			}
		case c < 0x80 || c >= 0xF0:
			// ASCII, or the first byte of a character outside the BMP, which is two
			// UTF-16 units.
			n += 1 + int(c>>7)
		case c >= 0xC0:
			n++
		}
	}
	return n, surrogate
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f') {
			return false
		}
	}
	return true
}

// isSurrogateEscape reports whether four hex digits name a UTF-16 surrogate, D800 to DFFF.
func isSurrogateEscape(h []byte) bool {
	return h[0]|0x20 == 'd' && (h[1] >= '8' && h[1] <= '9' || h[1]|0x20 >= 'a' && h[1]|0x20 <= 'f')
}

var (
	commentStart = []byte("!--")
	commentEnd   = []byte("--")
	cdataStart   = []byte("![CDATA[")
	xmlDeclStart = []byte("?xml")
	cdataEnd     = []byte("]]")
)

// readTag reads the rest of a tag whose '<' has been read into x.tag, without the '>'. A
// '>' inside a quoted attribute value, a comment or a CDATA section does not end it.
func (x *xmlScan) readTag() error {
	x.tag = x.tag[:0]
	// quote is the open quote of an attribute value after the bytes already looked at
	// (the first scanned of the tag): a '>' inside quotes does not end a tag, and each
	// byte is looked at once, so a long tag costs its length, not its length squared.
	var quote byte
	scanned := 0
	for {
		chunk, err := x.br.ReadSlice('>')
		if len(x.tag)+len(chunk) > maxTag {
			return &limitError{fmt.Sprintf("holds a tag longer than %s bytes, more than herald reads", thousands(maxTag))}
		}
		x.tag = append(x.tag, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return err
		}
		body := x.tag[:len(x.tag)-1]
		var done bool
		switch {
		case bytes.HasPrefix(body, commentStart):
			done = len(body) >= len(commentStart)+len(commentEnd) && bytes.HasSuffix(body, commentEnd)
		case bytes.HasPrefix(body, cdataStart):
			done = len(body) >= len(cdataStart)+len(cdataEnd) && bytes.HasSuffix(body, cdataEnd)
		case len(body) > 0 && body[0] == '!':
			// A document type declaration can declare entities and hold quotes and
			// brackets the scan would have to read as encoding/xml does; no spreadsheet
			// program writes one.
			return syntaxError("the part has a document type declaration (<!…>), which no spreadsheet program writes")
		case len(body) > 0 && body[0] == '?':
			// A processing instruction ends at the first "?>": quotes mean nothing in it.
			done = len(body) >= 2 && body[len(body)-1] == '?'
		default:
			for _, c := range x.tag[scanned:] {
				switch {
				case quote == 0 && (c == '"' || c == '\''):
					quote = c
				case c == quote:
					quote = 0
				}
			}
			scanned = len(x.tag)
			done = len(body) > 0 && quote == 0
		}
		if done {
			x.tag = body
			return nil
		}
	}
}

// name returns the current tag's element name without its namespace prefix: "c" for
// "x:c r=\"A1\"" or "/x:c".
func (x *xmlScan) name() []byte {
	tag := x.tag
	if len(tag) > 0 && tag[0] == '/' {
		tag = tag[1:]
	}
	end := bytes.IndexAny(tag, " \t\r\n/")
	if end >= 0 {
		tag = tag[:end]
	}
	if i := bytes.LastIndexByte(tag, ':'); i >= 0 {
		tag = tag[i+1:]
	}
	return tag
}

// attr returns the raw value of the attribute called name (by its local name, as
// excelize compares them) in the current start tag, and whether it is there. Values are
// not unescaped: the attributes read here are numbers, references and types.
func (x *xmlScan) attr(name string) ([]byte, bool) {
	start, end, ok := attrSpan(x.tag, name)
	if !ok {
		return nil, false
	}
	return x.tag[start:end], true
}

// attrs reads the attributes called names (by local name) of the current tag in one pass,
// setting vals[i] to the raw value of names[i], nil when it is absent. It returns what
// makes one of them read differently by this scan and by encoding/xml, or "": the scan
// would take the first of two attributes of one local name (q:s="0" s="1") and reads
// values as saved, where encoding/xml decodes references (s="&#49;"). No spreadsheet
// program writes either.
func (x *xmlScan) attrs(vals [][]byte, names ...string) string {
	clear(vals)
	msg := ""
	eachAttr(x.tag, func(key []byte, start, end int) bool {
		for i, name := range names {
			if string(key) != name {
				continue
			}
			switch {
			case vals[i] != nil:
				msg = fmt.Sprintf("has two attributes called %q (in different namespaces)", name)
			case bytes.IndexByte(x.tag[start:end], '&') >= 0:
				msg = fmt.Sprintf("writes its attribute %q with a character reference (%s)", name, x.tag[start:end])
			}
			// A subslice of the tag is never nil, empty or not.
			vals[i] = x.tag[start:end:end]
		}
		return msg == ""
	})
	return msg
}

// attrSpan finds an attribute in a tag: the span of its value, between the quotes.
func attrSpan(tag []byte, name string) (start, end int, ok bool) {
	eachAttr(tag, func(key []byte, s, e int) bool {
		if string(key) == name {
			start, end, ok = s, e, true
		}
		return !ok
	})
	return start, end, ok
}

// eachAttr calls f with the local name and the span of the value of each attribute of a
// tag, in order, until f returns false or the attributes end.
func eachAttr(tag []byte, f func(key []byte, start, end int) bool) {
	i := bytes.IndexAny(tag, " \t\r\n")
	if i < 0 {
		return
	}
	for i < len(tag) {
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		keyStart := i
		for i < len(tag) && tag[i] != '=' && !isXMLSpace(tag[i]) {
			i++
		}
		key := tag[keyStart:i]
		if c := bytes.LastIndexByte(key, ':'); c >= 0 && !bytes.HasPrefix(key, []byte("xmlns")) {
			key = key[c+1:]
		}
		for i < len(tag) && (tag[i] == '=' || isXMLSpace(tag[i])) {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return
		}
		quote := tag[i]
		n := bytes.IndexByte(tag[i+1:], quote)
		if n < 0 || !f(key, i+1, i+1+n) {
			return
		}
		i += n + 2
	}
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// parseUint parses a decimal number of at most 9 digits, spaces around it allowed as
// excelize trims them.
func parseUint(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseCellRef parses a reference such as "AB12" into a 0-based column and a row, as
// excelize does (so that both agree on where a cell is), refusing what lies outside
// Excel's sheet.
func parseCellRef(ref []byte) (col, row int, ok bool) {
	c, r, err := excelize.CellNameToCoordinates(string(ref))
	if err != nil || c > maxColumns || r > maxRows {
		return 0, 0, false
	}
	return c - 1, r, true
}

// parseRange parses "A3:B5", putting the corners in order. A single cell is no range.
func parseRange(ref []byte) (cellRange, bool) {
	from, to, ok := bytes.Cut(ref, []byte(":"))
	if !ok {
		return cellRange{}, false
	}
	c1, r1, ok1 := parseCellRef(from)
	c2, r2, ok2 := parseCellRef(to)
	if !ok1 || !ok2 {
		return cellRange{}, false
	}
	return cellRange{row1: min(r1, r2), col1: min(c1, c2), row2: max(r1, r2), col2: max(c1, c2)}, true
}

// thousands writes n with commas: 1,000,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
