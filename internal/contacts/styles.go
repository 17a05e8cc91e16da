package contacts

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mla-initiative/herald/internal/problem"
)

// styleSheet is what herald needs of a workbook's styles: the number format of each
// cell style (xf), by its index.
type styleSheet struct {
	xfs []numFormat
	// textChanging has the styles whose format shows text otherwise than as it is.
	textChanging map[int]bool
}

// changesText reports whether cells of style xf show text otherwise than as it is (once
// trimmed): whether their format has a text section with more than @ in it.
func (s *styleSheet) changesText(xf int) bool { return s.textChanging[xf] }

// readStyles reads the number formats of the cell styles of the styles part, if there is
// one: the numFmt elements and the xf children of cellXfs, in any namespace (Strict
// files have their own).
func (p *xlsxPackage) readStyles() (*styleSheet, error) {
	st := &styleSheet{textChanging: map[int]bool{}}
	if p.stylesPath == "" {
		return st, nil
	}
	custom := map[int]string{}
	var ids []int
	inCellXfs := false
	err := p.walkXML(p.stylesPath, func(e xml.StartElement, depth int, end bool) error {
		switch e.Name.Local {
		case "cellXfs":
			inCellXfs = !end
		case "numFmt":
			if end {
				break
			}
			id, err := strconv.Atoi(attrValue(e, "numFmtId"))
			if err != nil {
				break
			}
			if len(custom) == maxNumFmts {
				return &limitError{"defines more than " + thousands(maxNumFmts) + " number formats (Excel allows some 250)"}
			}
			code := attrValue(e, "formatCode")
			if c16 := attrValue(e, "formatCode16"); c16 != "" {
				code = c16
			}
			if n := utf8.RuneCountInString(code); n > maxNumFmtChars {
				return problem.Problem{
					Where:   p.name,
					Message: fmt.Sprintf("its part %s defines number format %d, %q, of %s characters, more than the %d Excel allows in a format", p.stylesPath, id, shorten(code), thousands(n), maxNumFmtChars),
					Hints:   []string{hintExcelLimit},
				}
			}
			custom[id] = code
		case "xf":
			if end || !inCellXfs {
				break
			}
			if len(ids) == maxCellXfs {
				return &limitError{"holds more than " + thousands(maxCellXfs) + " cell formats, the most Excel allows"}
			}
			id, _ := strconv.Atoi(attrValue(e, "numFmtId"))
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.xfs = make([]numFormat, len(ids))
	var f formatter
	for i, id := range ids {
		code, ok := custom[id]
		if !ok {
			code = builtinFormats[id]
		}
		if strings.EqualFold(code, "General") {
			code = ""
		}
		st.xfs[i] = numFormat{id: id, code: code}
		if code != "" && changesText(f.parse(code)) {
			st.textChanging[i] = true
		}
	}
	return st, nil
}

// changesText reports whether a format shows text otherwise than as it is, once trimmed.
func changesText(secs []fmtSection) bool {
	i := textSection(secs)
	if i < 0 || secs[i].general {
		return false
	}
	at := 0
	for _, p := range secs[i].parts {
		switch {
		case p.token == "@":
			at++
		case p.token != "" || strings.TrimFunc(p.literal, unicode.IsSpace) != "":
			return true
		}
	}
	return at != 1
}

func attrValue(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
