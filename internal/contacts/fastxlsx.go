package contacts

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fast path in this file reads a worksheet the way excelize's row iterator does, about ten
// times faster: excelize decodes every tag with encoding/xml and reparses number formats
// for every cell, which made reading the workbook cost more than rendering and writing all
// the messages. It accepts only a strict subset of XML (no comments, CDATA, DTDs or
// unusual names, UTF-8 only) and only cells whose display needs no number format, so that
// whatever it accepts, encoding/xml reads the same way; anything else goes to excelize,
// which stays the reference (TestFastReaderMatchesExcelize compares the two).

// errUnusual says the fast path declines a workbook, which excelize then reads.
var errUnusual = errors.New("unusual workbook")

func unusual(what string) error { return fmt.Errorf("%w: %s", errUnusual, what) }

// fastMaxPart is the largest part the fast path unpacks into memory; excelize streams
// larger ones through a temporary file, and gives shared strings read that way unescaped.
const fastMaxPart = excelizeXMLLimit

// styleKind is what excelize's formattedValue does with a cell of a given style.
type styleKind uint8

const (
	styleNone    styleKind = iota // no number format applies: the value as stored
	styleGeneral                  // numFmtId 0, "General"
	styleText                     // numFmtId 49, "@"
	styleStrings                  // a format for numbers, which shows strings as they are
	styleOther                    // any other format: left to excelize
)

// readFast reads the target sheet without excelize, or returns an error wrapping
// errUnusual when the workbook has anything it does not handle exactly as excelize does.
func (p *xlsxPackage) readFast(target sheetInfo, file string) (*builder, sheetScan, error) {
	if p.wbPath != "xl/workbook.xml" || strings.Contains(target.target, "..") || strings.Contains(target.target, `\`) {
		return nil, sheetScan{}, unusual("workbook or sheet at an unusual place")
	}
	// excelize finds parts by their exact names, the last of a duplicated name winning,
	// except the shared strings, whatever their case.
	byName := make(map[string]*zip.File, len(p.zr.File))
	folded := make(map[string]bool, len(p.zr.File))
	for _, f := range p.zr.File {
		n := strings.ReplaceAll(f.Name, `\`, "/")
		if folded[strings.ToLower(n)] {
			return nil, sheetScan{}, unusual("two parts with one name")
		}
		folded[strings.ToLower(n)] = true
		byName[strings.ToLower(n)] = f
	}
	sheetFile, ok := byName[strings.ToLower(target.path)]
	if !ok || strings.ReplaceAll(sheetFile.Name, `\`, "/") != target.path {
		return nil, sheetScan{}, unusual("no part named as the sheet's relationship says")
	}
	var sst []string
	if f, ok := byName["xl/sharedstrings.xml"]; ok {
		data, err := readPart(f)
		if err != nil {
			return nil, sheetScan{}, err
		}
		if sst, err = parseSharedStrings(data); err != nil {
			return nil, sheetScan{}, err
		}
	}
	var kinds []styleKind
	if f, ok := byName["xl/styles.xml"]; ok {
		if strings.ReplaceAll(f.Name, `\`, "/") != "xl/styles.xml" {
			return nil, sheetScan{}, unusual("styles part named unusually")
		}
		data, err := readPart(f)
		if err != nil {
			return nil, sheetScan{}, err
		}
		if kinds, err = parseStyles(data); err != nil {
			return nil, sheetScan{}, err
		}
	}
	data, err := readPart(sheetFile)
	if err != nil {
		return nil, sheetScan{}, err
	}
	sr := sheetReader{sst: sst, kinds: kinds, b: newBuilder(file, target.name)}
	if err := sr.read(data); err != nil {
		return nil, sheetScan{}, err
	}
	slices.Sort(sr.scan.hidden)
	return sr.b, sr.scan, nil
}

// readPart unpacks a part the fast path reads in one piece.
func readPart(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > fastMaxPart {
		return nil, unusual("part too large to read in memory")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, unusual(err.Error())
	}
	defer rc.Close()
	data := make([]byte, 0, f.UncompressedSize64+1)
	data, err = readAllInto(rc, data)
	if err != nil {
		return nil, unusual(err.Error())
	}
	if err := checkXMLText(data); err != nil {
		return nil, err
	}
	return data, nil
}

func readAllInto(r io.Reader, data []byte) ([]byte, error) {
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}

// checkXMLText rejects the bytes encoding/xml would refuse anywhere in a document: invalid
// UTF-8, characters outside XML's range, and entity references it does not know.
func checkXMLText(data []byte) error {
	if !utf8.Valid(data) {
		return unusual("not UTF-8")
	}
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return unusual("control character")
		}
	}
	if bytes.Contains(data, []byte("\xef\xbf\xbe")) || bytes.Contains(data, []byte("\xef\xbf\xbf")) {
		return unusual("noncharacter")
	}
	for rest := data; ; {
		i := bytes.IndexByte(rest, '&')
		if i < 0 {
			return nil
		}
		_, n, ok := entity(rest[i:])
		if !ok {
			return unusual("unknown entity")
		}
		rest = rest[i+n:]
	}
}

// entity decodes the reference at the start of b ("&amp;", "&#10;"), returning the text it
// stands for and its length.
func entity(b []byte) (string, int, bool) {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return "", 0, false
	}
	name := string(b[1:end])
	switch name {
	case "lt":
		return "<", end + 1, true
	case "gt":
		return ">", end + 1, true
	case "amp":
		return "&", end + 1, true
	case "quot":
		return `"`, end + 1, true
	case "apos":
		return "'", end + 1, true
	}
	if name[0] != '#' || len(name) < 2 {
		return "", 0, false
	}
	digits, base := name[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" || len(digits) > 8 {
		return "", 0, false
	}
	for _, c := range digits {
		if !(c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
			return "", 0, false
		}
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || !inXMLRange(rune(n)) {
		return "", 0, false
	}
	return string(rune(n)), end + 1, true
}

func inXMLRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// unescape turns checked character data into text as encoding/xml does: entities
// replaced, and line ends written as CR LF or CR read as LF.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case '&':
			s, n, _ := entity(b[i:])
			sb.WriteString(s)
			i += n
		case '\r':
			sb.WriteByte('\n')
			i++
			if i < len(b) && b[i] == '\n' {
				i++
			}
		default:
			sb.WriteByte(c)
			i++
		}
	}
	return sb.String()
}

// token kinds of xmlTokens.
const (
	tokEOF = iota
	tokStart
	tokEnd
	tokText
)

// xmlTokens splits checked XML into tags and text, refusing anything outside the subset
// the fast path reads, and checks that tags nest.
type xmlTokens struct {
	data  []byte
	pos   int
	stack [][]byte
	// The current token.
	kind  int
	name  []byte // the full name of a start or end tag
	local []byte // without its prefix
	attrs []byte // the attributes of a start tag, unparsed
	self  bool   // a start tag that closes itself: an end token follows
	text  []byte
	// pendingEnd is the end token a self-closing tag owes.
	pendingEnd bool
}

func (x *xmlTokens) next() error {
	if x.pendingEnd {
		x.pendingEnd = false
		x.kind, x.self = tokEnd, false
		x.stack = x.stack[:len(x.stack)-1]
		return nil
	}
	if x.pos >= len(x.data) {
		if len(x.stack) > 0 {
			return unusual("unclosed element")
		}
		x.kind = tokEOF
		return nil
	}
	if x.data[x.pos] != '<' {
		i := bytes.IndexByte(x.data[x.pos:], '<')
		if i < 0 {
			i = len(x.data) - x.pos
		}
		x.kind, x.text = tokText, x.data[x.pos:x.pos+i]
		x.pos += i
		return nil
	}
	rest := x.data[x.pos+1:]
	if len(rest) == 0 {
		return unusual("truncated tag")
	}
	switch rest[0] {
	case '?':
		// Only the XML declaration, first, and in UTF-8.
		end := bytes.Index(rest, []byte("?>"))
		if x.pos != 0 || end < 0 || !bytes.HasPrefix(rest, []byte("?xml ")) {
			return unusual("processing instruction")
		}
		decl := rest[:end]
		if v := attr(decl, "version"); v != "" && v != "1.0" {
			return unusual("XML version")
		}
		if enc := attr(decl, "encoding"); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return unusual("encoding " + enc)
		}
		x.pos += 1 + end + 2
		x.kind, x.text = tokText, nil
		return nil
	case '!':
		return unusual("comment, CDATA or DTD")
	case '/':
		n := xmlNameLen(rest[1:])
		if n == 0 {
			return unusual("bad end tag")
		}
		name := rest[1 : 1+n]
		i := 1 + n
		for i < len(rest) && isXMLSpace(rest[i]) {
			i++
		}
		if i >= len(rest) || rest[i] != '>' {
			return unusual("bad end tag")
		}
		if len(x.stack) == 0 || !bytes.Equal(x.stack[len(x.stack)-1], name) {
			return unusual("tags do not nest")
		}
		x.stack = x.stack[:len(x.stack)-1]
		x.kind, x.name, x.local = tokEnd, name, localPart(name)
		x.pos += 1 + i + 1
		return nil
	}
	n := xmlNameLen(rest)
	if n == 0 {
		return unusual("bad start tag")
	}
	name := rest[:n]
	i := n
	// Attributes: space, name, '=', a quoted value without '<'.
	for {
		start := i
		for i < len(rest) && isXMLSpace(rest[i]) {
			i++
		}
		if i >= len(rest) {
			return unusual("truncated tag")
		}
		if rest[i] == '>' || rest[i] == '/' {
			break
		}
		if i == start {
			return unusual("attribute without space")
		}
		an := xmlNameLen(rest[i:])
		if an == 0 {
			return unusual("bad attribute")
		}
		i += an
		for i < len(rest) && isXMLSpace(rest[i]) {
			i++
		}
		if i >= len(rest) || rest[i] != '=' {
			return unusual("attribute without value")
		}
		i++
		for i < len(rest) && isXMLSpace(rest[i]) {
			i++
		}
		if i >= len(rest) || (rest[i] != '"' && rest[i] != '\'') {
			return unusual("unquoted attribute")
		}
		end := bytes.IndexByte(rest[i+1:], rest[i])
		if end < 0 || bytes.IndexByte(rest[i+1:i+1+end], '<') >= 0 {
			return unusual("bad attribute value")
		}
		i += 1 + end + 1
	}
	x.kind, x.name, x.local, x.attrs = tokStart, name, localPart(name), rest[n:i]
	x.self = rest[i] == '/'
	if x.self {
		if i+1 >= len(rest) || rest[i+1] != '>' {
			return unusual("bad empty tag")
		}
		i++
	}
	x.stack = append(x.stack, name)
	x.pendingEnd = x.self
	x.pos += 1 + i + 1
	return nil
}

// skip reads to the end of the element whose start tag is the current token, refusing
// elements that would mean something to excelize or the scan where they are.
func (x *xmlTokens) skip() error {
	depth := len(x.stack)
	for len(x.stack) >= depth {
		if err := x.next(); err != nil {
			return err
		}
		if x.kind == tokStart {
			switch string(x.local) {
			case "row", "c", "mergeCell", "sheetData":
				return unusual("<" + string(x.local) + "> out of place")
			}
		}
	}
	return nil
}

// textOnly reads the content of the current element, which must be text alone, without
// unescaping it.
func (x *xmlTokens) textOnly() ([]byte, error) {
	if x.self {
		return nil, x.next()
	}
	var text []byte
	for {
		if err := x.next(); err != nil {
			return nil, err
		}
		switch x.kind {
		case tokText:
			if text != nil {
				text = slices.Concat(text, x.text)
			} else {
				text = x.text
			}
		case tokEnd:
			if text == nil {
				text = []byte{}
			}
			return text, nil
		default:
			return nil, unusual("element inside text")
		}
	}
}

// xmlNameLen returns the length of the XML name at the start of b: ASCII letters, digits,
// '_', '-', '.' and one inner ':', a strict subset of what encoding/xml accepts.
func xmlNameLen(b []byte) int {
	colons := 0
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			colons++
			if colons > 1 {
				return 0
			}
		default:
			if i > 0 && b[i-1] == ':' {
				return 0
			}
			return i
		}
	}
	return 0 // a name runs to the end of the data: a truncated tag
}

func localPart(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// attrValues finds the attributes named (by local name, as excelize compares them) in a
// start tag's attributes, returning their raw values and a bit set for each one present.
// A name given twice, or a value that would need unescaping, is refused: the attributes
// read here are numbers, references and types.
func attrValues(attrs []byte, names []string, values [][]byte) ([][]byte, uint32, error) {
	values = values[:0]
	for range names {
		values = append(values, nil)
	}
	var seen uint32
	for i := 0; i < len(attrs); {
		for i < len(attrs) && isXMLSpace(attrs[i]) {
			i++
		}
		if i >= len(attrs) {
			break
		}
		n := xmlNameLen(attrs[i:])
		key := localPart(attrs[i : i+n])
		i += n
		for attrs[i] != '"' && attrs[i] != '\'' {
			i++
		}
		end := bytes.IndexByte(attrs[i+1:], attrs[i])
		value := attrs[i+1 : i+1+end]
		i += end + 2
		for j, name := range names {
			if string(key) == name {
				if seen&(1<<j) != 0 {
					return nil, 0, unusual("attribute " + name + " twice")
				}
				if bytes.IndexByte(value, '&') >= 0 || bytes.IndexByte(value, '\r') >= 0 {
					return nil, 0, unusual("attribute " + name + " escaped")
				}
				seen |= 1 << j
				values[j] = value
			}
		}
	}
	return values, seen, nil
}

// parseSharedStrings reads the shared string table as excelize's xlsxSST does: each si's
// text, or the texts of its rich text runs, phonetic guides left out.
func parseSharedStrings(data []byte) ([]string, error) {
	x := &xmlTokens{data: data}
	var sst []string
	for {
		if err := x.next(); err != nil {
			return nil, err
		}
		switch x.kind {
		case tokEOF:
			return sst, nil
		case tokStart:
			switch len(x.stack) {
			case 1:
				if string(x.local) != "sst" {
					return nil, unusual("shared strings root")
				}
			case 2:
				if string(x.local) != "si" {
					if err := x.skip(); err != nil {
						return nil, err
					}
					continue
				}
				s, err := readSI(x)
				if err != nil {
					return nil, err
				}
				sst = append(sst, s)
			}
		}
	}
}

// readSI reads a string item (si, or a cell's is) whose start tag is the current token,
// as xlsxSI.String does.
func readSI(x *xmlTokens) (string, error) {
	if x.self {
		return "", x.next()
	}
	var (
		sb    strings.Builder
		haveT bool
		runs  []string
	)
	for {
		if err := x.next(); err != nil {
			return "", err
		}
		switch x.kind {
		case tokEnd:
			// xlsxSI.String writes t before the runs whatever their order.
			for _, r := range runs {
				sb.WriteString(r)
			}
			return bstrUnmarshal(sb.String()), nil
		case tokStart:
			switch string(x.local) {
			case "t":
				if haveT {
					return "", unusual("two t in a string item")
				}
				haveT = true
				text, err := x.textOnly()
				if err != nil {
					return "", err
				}
				sb.WriteString(unescape(text))
			case "r":
				run, err := readRun(x)
				if err != nil {
					return "", err
				}
				runs = append(runs, run)
			default:
				if err := x.skip(); err != nil {
					return "", err
				}
			}
		}
	}
}

// readRun reads a rich text run's text.
func readRun(x *xmlTokens) (string, error) {
	if x.self {
		return "", x.next()
	}
	var text string
	haveT := false
	for {
		if err := x.next(); err != nil {
			return "", err
		}
		switch x.kind {
		case tokEnd:
			return text, nil
		case tokStart:
			if string(x.local) != "t" {
				if err := x.skip(); err != nil {
					return "", err
				}
				continue
			}
			if haveT {
				return "", unusual("two t in a run")
			}
			haveT = true
			raw, err := x.textOnly()
			if err != nil {
				return "", err
			}
			text = unescape(raw)
		}
	}
}

// bstrUnmarshal decodes Excel's _xHHHH_ escapes as excelize does (its function of this
// name): each becomes the character it names, _x005F_ an underscore.
func bstrUnmarshal(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && isHex4(s[i+2:i+6]) && s[i+6] == '_' {
			if s[i:i+7] == "_x005F_" {
				sb.WriteByte('_')
			} else {
				v, _ := strconv.Unquote(`"\u` + s[i+2:i+6] + `"`)
				sb.WriteString(v)
			}
			i += 7
			continue
		}
		sb.WriteByte(s[i])
		i++
	}
	return sb.String()
}

func isHex4(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// parseStyles finds what number format each cell style applies, decoding the part as
// excelize's own style sheet type does.
func parseStyles(data []byte) ([]styleKind, error) {
	var ss struct {
		NumFmts *struct {
			NumFmt []struct {
				NumFmtID     int    `xml:"numFmtId,attr"`
				FormatCode   string `xml:"formatCode,attr"`
				FormatCode16 string `xml:"formatCode16,attr"`
			} `xml:"numFmt"`
		} `xml:"numFmts"`
		CellXfs *struct {
			Xf []struct {
				NumFmtID *int `xml:"numFmtId,attr"`
			} `xml:"xf"`
		} `xml:"cellXfs"`
	}
	if err := xml.Unmarshal(data, &ss); err != nil {
		return nil, unusual("styles: " + err.Error())
	}
	if ss.CellXfs == nil {
		return nil, nil
	}
	custom := map[int]styleKind{}
	if ss.NumFmts != nil {
		for _, f := range ss.NumFmts.NumFmt {
			kind := styleStrings
			if !showsTextAsIs(f.FormatCode) || !showsTextAsIs(f.FormatCode16) {
				kind = styleOther
			}
			if k, ok := custom[f.NumFmtID]; !ok || k == styleStrings {
				custom[f.NumFmtID] = kind
			}
		}
	}
	kinds := make([]styleKind, len(ss.CellXfs.Xf))
	for i, xf := range ss.CellXfs.Xf {
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		kinds[i] = styleOther
		if k, ok := custom[id]; ok {
			kinds[i] = k
			continue
		}
		switch {
		case id == 0:
			kinds[i] = styleGeneral
		case id == 49:
			kinds[i] = styleText
		case id >= 1 && id <= 4, id >= 9 && id <= 22, id >= 37 && id <= 40, id >= 45 && id <= 48:
			// excelize's built-in formats for numbers and dates, none with a text section.
			kinds[i] = styleStrings
		}
	}
	return kinds, nil
}

// showsTextAsIs reports whether excelize's formatter, given a string and this number
// format, returns the string as it is. It does unless the format has a text section,
// which its parser (github.com/xuri/nfp) makes only for an '@' or a fourth section; a
// quoted '@' or ';' counts too, which declines a few formats that would be safe.
func showsTextAsIs(code string) bool {
	return !strings.Contains(code, "@") && strings.Count(code, ";") < 3
}

// sheetReader reads worksheet XML into a builder and a sheetScan.
type sheetReader struct {
	sst   []string
	kinds []styleKind
	b     *builder
	scan  sheetScan
	x     *xmlTokens

	cells []string // the current row's values, reused
	vals  [][]byte // attribute values, reused
}

var (
	rowAttrs  = []string{"r", "hidden", "ht"}
	cellAttrs = []string{"r", "s", "t"}
)

func (sr *sheetReader) read(data []byte) error {
	x := &xmlTokens{data: data}
	sr.x = x
	seenData := false
	for {
		if err := x.next(); err != nil {
			return err
		}
		switch x.kind {
		case tokEOF:
			if !seenData {
				return unusual("no sheetData")
			}
			return nil
		case tokStart:
			if len(x.stack) == 1 {
				if string(x.local) != "worksheet" {
					return unusual("root element " + string(x.local))
				}
				continue
			}
			switch string(x.local) {
			case "sheetData":
				if seenData {
					return unusual("two sheetData")
				}
				seenData = true
				if err := sr.sheetData(); err != nil {
					return err
				}
			case "mergeCells":
				if err := sr.mergeCells(); err != nil {
					return err
				}
			default:
				if err := x.skip(); err != nil {
					return err
				}
			}
		}
	}
}

func (sr *sheetReader) mergeCells() error {
	x := sr.x
	if x.self {
		return x.next()
	}
	for {
		if err := x.next(); err != nil {
			return err
		}
		switch x.kind {
		case tokEnd:
			return nil
		case tokStart:
			if string(x.local) == "mergeCell" {
				vals, _, err := attrValues(x.attrs, []string{"ref"}, sr.vals)
				if err != nil {
					return err
				}
				if r, ok := parseRange(string(vals[0])); ok {
					sr.scan.merges = append(sr.scan.merges, r)
				}
			}
			if err := x.skip(); err != nil {
				return err
			}
		}
	}
}

func (sr *sheetReader) sheetData() error {
	x := sr.x
	if len(x.stack) != 2 {
		return unusual("sheetData out of place")
	}
	if x.self {
		return x.next()
	}
	number := 0
	for {
		if err := x.next(); err != nil {
			return err
		}
		switch x.kind {
		case tokEnd:
			return nil
		case tokStart:
			if string(x.local) != "row" {
				return unusual("<" + string(x.local) + "> in sheetData")
			}
			vals, seen, err := attrValues(x.attrs, rowAttrs, sr.vals)
			if err != nil {
				return err
			}
			sr.vals = vals
			n := number + 1
			// excelize reads a row number it cannot parse, even "", as an error.
			if seen&1 != 0 {
				if n, err = parseDecimal(vals[0], maxRows); err != nil || n <= number {
					return unusual("row number")
				}
			}
			number = n
			if h := string(vals[1]); h == "1" || h == "true" {
				sr.scan.hidden = append(sr.scan.hidden, number)
			} else if ht, err := strconv.ParseFloat(string(vals[2]), 64); err == nil && ht == 0 {
				sr.scan.hidden = append(sr.scan.hidden, number)
			}
			if err := sr.row(number); err != nil {
				return err
			}
		}
	}
}

// maxRows is the most rows a worksheet has, and excelize reads.
const maxRows = 1 << 20

// parseDecimal parses digits only, from 1 to most.
func parseDecimal(s []byte, most int) (int, error) {
	if len(s) == 0 || len(s) > 7 {
		return 0, unusual("number")
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, unusual("number")
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > most {
		return 0, unusual("number")
	}
	return n, nil
}

// parseCellCol returns the 1-based column of a reference such as "AB12".
func parseCellCol(ref []byte) (int, error) {
	i, col := 0, 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' && i < 3 {
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i == 0 || col > 16384 {
		return 0, unusual("cell reference")
	}
	if _, err := parseDecimal(ref[i:], maxRows); err != nil || ref[i] == '0' {
		return 0, unusual("cell reference")
	}
	return col, nil
}

// row reads the cells of a row whose start tag is the current token, and gives them to
// the builder as excelize's Rows.Columns would.
func (sr *sheetReader) row(number int) error {
	x := sr.x
	cells := sr.cells[:0]
	defer func() { sr.cells = cells[:0] }()
	if x.self {
		return x.next()
	}
	col := 0
	for {
		if err := x.next(); err != nil {
			return err
		}
		switch x.kind {
		case tokEnd:
			sr.b.add(number, cells)
			return nil
		case tokStart:
			if string(x.local) != "c" {
				return unusual("<" + string(x.local) + "> in a row")
			}
			vals, seen, err := attrValues(x.attrs, cellAttrs, sr.vals)
			if err != nil {
				return err
			}
			sr.vals = vals
			col++
			if len(vals[0]) > 0 {
				if col, err = parseCellCol(vals[0]); err != nil {
					return err
				}
			}
			style := 0
			// excelize skips the content of a cell whose style it cannot parse, even "".
			if seen&2 != 0 {
				if style, err = parseDecimal(vals[1], 1<<20); err != nil {
					if string(vals[1]) != "0" {
						return err
					}
				}
			}
			val, formula, err := sr.cell(number, col, style, cellType(vals[2]))
			if err != nil {
				return err
			}
			if val != "" || formula {
				for len(cells) < col-1 {
					cells = append(cells, "")
				}
				cells = append(cells, val)
			}
		}
	}
}

// cell reads a cell whose start tag is the current token, returning its value as excelize
// shows it and whether it holds a formula.
func (sr *sheetReader) cell(row, col, style int, typ string) (string, bool, error) {
	x := sr.x
	var (
		v                 string
		vRaw              []byte
		hasV, hasF, hasIS bool
		is                string
	)
	if x.self {
		if err := x.next(); err != nil {
			return "", false, err
		}
	} else {
	loop:
		for {
			if err := x.next(); err != nil {
				return "", false, err
			}
			switch x.kind {
			case tokEnd:
				break loop
			case tokStart:
				switch string(x.local) {
				case "v":
					if hasV {
						return "", false, unusual("two v in a cell")
					}
					hasV = true
					text, err := x.textOnly()
					if err != nil {
						return "", false, err
					}
					vRaw = text
				case "f":
					if hasF {
						return "", false, unusual("two f in a cell")
					}
					hasF = true
					if _, err := x.textOnly(); err != nil {
						return "", false, err
					}
				case "is":
					if hasIS {
						return "", false, unusual("two is in a cell")
					}
					hasIS = true
					s, err := readSI(x)
					if err != nil {
						return "", false, err
					}
					is = s
				default:
					return "", false, unusual("<" + string(x.local) + "> in a cell")
				}
			}
		}
		pos := cellPos{row: row, col: col - 1}
		if hasF && !hasV {
			sr.scan.uncached = append(sr.scan.uncached, pos)
		}
		if typ == "e" {
			sr.scan.errors = append(sr.scan.errors, pos)
		}
	}
	if typ != "s" {
		v = unescape(vRaw)
	}
	kind := styleNone
	if style != 0 && style < len(sr.kinds) {
		kind = sr.kinds[style]
	}
	switch typ {
	case "d":
		return "", false, unusual("date cell")
	case "b":
		if v == "1" {
			return "TRUE", hasF, nil
		}
		if v == "0" {
			return "FALSE", hasF, nil
		}
		if kind != styleNone {
			return "", false, unusual("boolean cell with a number format")
		}
		return v, hasF, nil
	case "s":
		if len(vRaw) > 0 {
			i, err := sstIndex(vRaw)
			if err != nil || i >= len(sr.sst) {
				return "", false, unusual("shared string index")
			}
			v = sr.sst[i]
		}
		return formatText(v, kind, hasF)
	case "str":
		return v, hasF, nil
	case "inlineStr":
		if hasIS {
			v = is
		}
		return formatText(v, kind, hasF)
	}
	v = numberDefault(v)
	switch kind {
	case styleNone, styleText:
		// "@" has only a text section, so excelize shows numbers as they are.
		return v, hasF, nil
	case styleGeneral:
		return generalNumber(v), hasF, nil
	}
	return "", false, unusual("number cell with a number format")
}

// sstIndex parses a shared string index, digits between spaces.
func sstIndex(b []byte) (int, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 9 {
		return 0, unusual("shared string index")
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, unusual("shared string index")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// cellType returns a cell's t attribute as one of the constant strings compared with,
// without allocating.
func cellType(t []byte) string {
	for _, s := range []string{"s", "str", "inlineStr", "b", "e", "n", "d"} {
		if string(t) == s {
			return s
		}
	}
	return string(t)
}

// formatText is excelize's formattedValue for a string: formats without a text section
// and "@" alone show it as it is.
func formatText(v string, kind styleKind, formula bool) (string, bool, error) {
	if kind == styleOther {
		return "", false, unusual("string cell with a number format")
	}
	return v, formula, nil
}

// isNumeric is excelize's test for a number, with its count of digits.
func isNumeric(s string) (bool, int, float64) {
	if strings.Contains(s, "_") {
		return false, 0, 0
	}
	flt, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false, 0, 0
	}
	plain := strconv.FormatFloat(flt, 'f', -1, 64)
	return true, len(plain) - strings.Count(plain, "."), flt
}

// numberDefault is excelize's getCellDefault: a number written without float artefacts,
// to 15 significant digits as Excel keeps.
func numberDefault(v string) string {
	isNum, prec, decimal := isNumeric(v)
	if !isNum {
		return v
	}
	if prec > 15 && !numWithinPrecision(v) {
		return strconv.FormatFloat(decimal, 'G', 15, 64)
	}
	return strconv.FormatFloat(decimal, 'f', -1, 64)
}

func numWithinPrecision(s string) bool {
	if strings.ContainsAny(s, ".Ee") {
		return false
	}
	s = strings.TrimLeft(s, "+-0")
	return len(strings.TrimRight(s, "0")) <= 15
}

// generalNumber is excelize's General number format: more than 11 digits are shown to 10
// significant ones.
func generalNumber(v string) string {
	if isNum, prec, _ := isNumeric(v); isNum && prec > 11 {
		n, _ := strconv.ParseFloat(v, 64)
		return strconv.FormatFloat(n, 'G', 10, 64)
	}
	return v
}
