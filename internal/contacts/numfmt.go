package contacts

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Cells are read raw (RawCellValue) and shown here as Excel shows them: excelize's own
// formatting picks the section of a format by sign alone (so "#,##0;;" shows a zero,
// and an accounting zero "0.00" instead of "-"), rounds General to 10 digits once a
// cell has a style, loses text under a fourth section "General", and formats dates
// slowly. What is left to it is the rendering of one section of a number format, which
// it does well, in every locale.

// numFormat is the number format of a cell style.
type numFormat struct {
	id   int
	code string // "" for General
}

// defaultDate reports whether the format is one of those Excel shows in the reader's own
// way (so that the file does not say how), and how herald shows them instead: as ISO
// dates, times, or both as the value has them.
func (f numFormat) defaultDate() (isoLayout, bool) {
	switch {
	case f.id == 14:
		return isoDateOnly, true
	case f.id == 22:
		return isoDateMinutes, true
	case 27 <= f.id && f.id <= 36, 50 <= f.id && f.id <= 58:
		// The East Asian formats: dates, times or both depending on the language.
		return isoByValue, true
	}
	switch {
	case hasPrefixFold(f.code, "[$-F800]"):
		return isoDateOnly, true
	case hasPrefixFold(f.code, "[$-F400]"):
		return isoTime, true
	}
	return 0, false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// xfFormat is what showing a value in a style's number format needs, worked out once a
// style rather than for each cell, so that a cell costs the same whatever the length of
// its format's code.
type xfFormat struct {
	code    string
	iso     isoLayout
	isISO   bool // a format defaultDate shows as ISO
	general bool
	secs    []fmtSection
	text    int // the text section, or -1
}

// format returns the number format of style xf, worked out.
func (f *formatter) format(xf int) *xfFormat {
	if xf < 0 || xf >= len(f.styles.xfs) {
		return &generalFormat
	}
	if f.prepared == nil {
		f.prepared = make([]*xfFormat, len(f.styles.xfs))
	}
	if p := f.prepared[xf]; p != nil {
		return p
	}
	nf := f.styles.xfs[xf]
	p := &xfFormat{code: nf.code}
	p.iso, p.isISO = nf.defaultDate()
	p.general = nf.code == "" || strings.EqualFold(nf.code, "General")
	p.secs = f.parse(nf.code)
	p.text = textSection(p.secs)
	f.prepared[xf] = p
	return p
}

var generalFormat = xfFormat{general: true, text: -1}

type isoLayout int

const (
	isoDateOnly    isoLayout = iota // 2024-02-14
	isoDateMinutes                  // 2024-02-14 09:30
	isoTime                         // 09:30:00
	isoByValue                      // 2024-02-14, 2024-02-14 09:30, 09:30 or with seconds
)

// builtinFormats are the codes of the built-in formats that are the same in every
// language; 14, 22 and the East Asian ones are defaultDate's.
var builtinFormats = map[int]string{
	1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
	12: "# ?/?", 13: "# ??/??", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
	19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 37: "#,##0 ;(#,##0)",
	38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
	41: `_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)`,
	42: `_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)`,
	43: `_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)`,
	44: `_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)`,
	45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}

// formatter shows raw cell values as Excel does.
type formatter struct {
	styles   *styleSheet
	date1904 bool
	// sections caches the parsed sections of each format code; prepared holds each
	// style's format once worked out (see format).
	sections map[string][]fmtSection
	prepared []*xfFormat
	// slow counts the values left to excelize's formatter (fractions, exponents, eras,
	// names of months in other languages), which takes microseconds a value: past
	// maxSlowFormats, err is set and the reader stops.
	slow      int
	err       error
	nameCache map[string]string
}

// excelize renders a value with one section of a format code by excelize's formatter,
// counting it.
func (f *formatter) excelize(code string, v float64) string {
	if f.slow++; f.slow > maxSlowFormats {
		if f.err == nil {
			f.err = &limitError{fmt.Sprintf("holds more than %s values in formats herald leaves to excelize (fractions, exponents, other calendars, names in other languages), more than it reads", thousands(maxSlowFormats))}
		}
		return general(v)
	}
	return excelizeFormat(code, v)
}

// names returns the name of a month (token mmm, mmmm or mmmmm, month 1 to 12) or day
// (ddd, dddd, day 0 to 6 from Sunday) in the language of a [$-40C] tag, as excelize
// knows it.
func (f *formatter) names(lang, token string, n int) string {
	key := lang + token + strconv.Itoa(n)
	if name, ok := f.nameCache[key]; ok {
		return name
	}
	var serial float64
	if token[0] == 'm' {
		serial = float64(time.Date(2023, time.Month(n), 1, 0, 0, 0, 0, time.UTC).Sub(excelEpoch).Hours() / 24)
	} else {
		// 1 January 2023 was a Sunday.
		serial = float64(time.Date(2023, 1, 1+n, 0, 0, 0, 0, time.UTC).Sub(excelEpoch).Hours() / 24)
	}
	name := f.excelize("[$-"+lang+"]"+token, serial)
	if f.nameCache == nil {
		f.nameCache = map[string]string{}
	}
	f.nameCache[key] = name
	return name
}

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// number shows a number cell: raw is the value as saved ("0.30000000000000004").
func (f *formatter) number(raw string, xf int) string {
	v, ok := parseNumber(raw)
	if !ok {
		return raw
	}
	nf := f.format(xf)
	if nf.isISO {
		return f.iso(v, nf.iso)
	}
	if nf.general {
		return general(v)
	}
	return f.formatCode(nf, v)
}

// date shows a cell of type d, which holds an ISO 8601 date rather than a serial number.
func (f *formatter) date(raw string, xf int) string {
	t, timeOnly, ok := parseISODate(raw)
	if !ok {
		return raw
	}
	v := serial(t, f.date1904)
	if timeOnly {
		v -= math.Floor(v)
	}
	nf := f.format(xf)
	if nf.isISO {
		return f.iso(v, nf.iso)
	}
	if nf.general || nf.code == "@" {
		return f.iso(v, isoByValue)
	}
	return f.formatCode(nf, v)
}

// text shows a text cell, which only a format's text section changes.
func (f *formatter) text(s string, xf int) string {
	if nf := f.format(xf); nf.text >= 0 {
		return nf.secs[nf.text].text(s)
	}
	return s
}

func (f *formatter) parse(code string) []fmtSection {
	if secs, ok := f.sections[code]; ok {
		return secs
	}
	secs := parseFormat(code)
	if f.sections == nil {
		f.sections = map[string][]fmtSection{}
	}
	f.sections[code] = secs
	return secs
}

// formatCode shows a number with a format: the section for its value, rendered.
func (f *formatter) formatCode(nf *xfFormat, v float64) string {
	numeric := nf.secs
	if nf.text >= 0 {
		numeric = nf.secs[:nf.text]
	}
	if len(numeric) == 0 {
		return general(v)
	}
	sec, value, minus := pickSection(numeric, v)
	var s string
	switch {
	case sec.empty():
		return ""
	case sec.general:
		s = general(value)
	case sec.date:
		if value < 0 {
			return general(v)
		}
		if f.date1904 {
			value += 1462
		}
		var ok bool
		if s, ok = sec.renderDate(value, f.names); !ok {
			s = f.excelize(sec.code, value)
		}
	default:
		var ok bool
		if s, ok = sec.renderNumber(value); !ok {
			s = f.excelize(sec.code, value)
		}
	}
	if minus && s != "" {
		s = "-" + s
	}
	return s
}

// pickSection chooses the section of a format for a value, as Excel does: by the
// conditions in brackets if there are any, else positive;negative;zero. The value
// returned is what the section shows: the negative section shows the value without its
// sign, which minus says to add when the one section for all numbers shows a negative
// one.
func pickSection(secs []fmtSection, v float64) (sec fmtSection, value float64, minus bool) {
	if secs[0].cond != "" || len(secs) > 1 && secs[1].cond != "" {
		for i, s := range secs {
			if s.cond == "" || s.matches(v) {
				if i > 0 && s.cond == "" && v < 0 {
					return s, -v, false
				}
				return s, v, false
			}
		}
		return secs[len(secs)-1], v, false
	}
	switch {
	case len(secs) == 1:
		if v < 0 && !secs[0].date {
			return secs[0], -v, true
		}
		return secs[0], v, false
	case v < 0:
		return secs[1], -v, false
	case v == 0 && len(secs) > 2:
		return secs[2], v, false
	}
	return secs[0], v, false
}

// textSection returns the index of the section that shows text, or -1: the fourth, or
// a last one holding @.
func textSection(secs []fmtSection) int {
	switch {
	case len(secs) >= 4:
		return 3
	case len(secs) > 0 && secs[len(secs)-1].at:
		return len(secs) - 1
	}
	return -1
}

// fmtSection is one section of a number format code, between semicolons.
type fmtSection struct {
	code    string // without condition nor color, for excelize
	cond    string // "<=9999999", or ""
	general bool   // "General"
	date    bool   // has date or time parts
	at      bool   // has @, the text
	parts   []fmtPart
}

// fmtPart is a piece of a section: literal text, or a placeholder.
type fmtPart struct {
	literal string
	token   string // "@", "#", "0", "?", ".", ",", "%", "E+", date tokens ("yyyy", "mm", "AM/PM", "[h]", ".00"), or ""
}

func (s fmtSection) empty() bool { return len(s.parts) == 0 && !s.general }

func (s fmtSection) matches(v float64) bool {
	op := strings.TrimRight(s.cond, "0123456789.-+eE ")
	n, err := strconv.ParseFloat(strings.TrimSpace(s.cond[len(op):]), 64)
	if err != nil {
		return false
	}
	switch strings.TrimSpace(op) {
	case "<":
		return v < n
	case "<=":
		return v <= n
	case ">":
		return v > n
	case ">=":
		return v >= n
	case "=":
		return v == n
	case "<>":
		return v != n
	}
	return false
}

// parseFormat splits a format code into its sections, and each into parts.
func parseFormat(code string) []fmtSection {
	var secs []fmtSection
	cur := fmtSection{}
	var sb strings.Builder // the section's code, for excelize
	literal := func(s string) { cur.parts = append(cur.parts, fmtPart{literal: s}) }
	token := func(t string) { cur.parts = append(cur.parts, fmtPart{token: t}) }
	end := func() {
		cur.code = sb.String()
		secs = append(secs, cur)
		cur, sb = fmtSection{}, strings.Builder{}
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ';':
			end()
			continue
		case c == '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				j = len(code) - i - 1
			}
			literal(code[i+1 : i+1+j])
			sb.WriteString(code[i:min(len(code), i+2+j)])
			i += j + 1
			continue
		case (c == '\\' || c == '!') && i+1 < len(code):
			_, size := utf8.DecodeRuneInString(code[i+1:])
			literal(code[i+1 : i+1+size])
			sb.WriteString(code[i : i+1+size])
			i += size
			continue
		case c == '_' && i+1 < len(code):
			_, size := utf8.DecodeRuneInString(code[i+1:])
			literal(" ")
			sb.WriteString(code[i : i+1+size])
			i += size
			continue
		case c == '*' && i+1 < len(code):
			// A fill character repeats to the cell's width: nothing in a value.
			_, size := utf8.DecodeRuneInString(code[i+1:])
			sb.WriteString(code[i : i+1+size])
			i += size
			continue
		case c == '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				j = len(code) - i - 1
			}
			inner := code[i+1 : i+j]
			switch {
			case inner != "" && strings.ContainsRune("<>=", rune(inner[0])):
				cur.cond = inner
			case isElapsed(inner):
				cur.date = true
				token("[" + strings.ToLower(inner) + "]")
				sb.WriteString(code[i : i+j+1])
			case strings.HasPrefix(inner, "$"):
				// A currency symbol or a language: [$€-40C], [$-409].
				if sym, _, _ := strings.Cut(inner[1:], "-"); sym != "" {
					literal(sym)
				}
				sb.WriteString(code[i : i+j+1])
			default:
				// A color, [Red], [Color10]: shown by no text.
			}
			i += j
			continue
		}
		rest := code[i:]
		lower := strings.ToLower(rest)
		switch {
		case strings.HasPrefix(lower, "general"):
			cur.general = true
			sb.WriteString(rest[:7])
			i += 6
		case strings.HasPrefix(lower, "am/pm"), strings.HasPrefix(lower, "a/p"):
			n := 5
			if lower[1] == '/' {
				n = 3
			}
			cur.date = true
			token(rest[:n])
			sb.WriteString(rest[:n])
			i += n - 1
		case (c == 'E' || c == 'e') && len(rest) > 1 && (rest[1] == '+' || rest[1] == '-'):
			token(rest[:2])
			sb.WriteString(rest[:2])
			i++
		case strings.ContainsRune("ymdhsegbYMDHSEGB", rune(c)):
			n := 1
			for n < len(rest) && lower[n] == lower[0] {
				n++
			}
			cur.date = true
			token(lower[:n])
			sb.WriteString(rest[:n])
			i += n - 1
		case c == '.' && cur.date && len(rest) > 1 && rest[1] == '0':
			n := 1
			for n < len(rest) && rest[n] == '0' {
				n++
			}
			token(rest[:n])
			sb.WriteString(rest[:n])
			i += n - 1
		case c == '@':
			cur.at = true
			token("@")
			sb.WriteByte(c)
		case strings.ContainsRune("0#?.,%", rune(c)):
			token(string(c))
			sb.WriteByte(c)
		default:
			_, size := utf8.DecodeRuneInString(rest)
			literal(rest[:size])
			sb.WriteString(rest[:size])
			i += size - 1
		}
	}
	end()
	return secs
}

func isElapsed(s string) bool {
	s = strings.ToLower(s)
	return s != "" && strings.Trim(s, string(s[0])) == "" && strings.ContainsRune("hms", rune(s[0]))
}

// text shows a text value in a text section: @ is the text.
func (s fmtSection) text(v string) string {
	if s.general {
		return v
	}
	var b strings.Builder
	for _, p := range s.parts {
		switch p.token {
		case "@":
			b.WriteString(v)
		case "":
			b.WriteString(p.literal)
		}
	}
	return b.String()
}

// renderNumber shows a number with a section made of digit placeholders (0 # ?), a
// decimal point, thousands separators and scaling commas, percent signs and literal
// text; false for anything else (fractions, exponents), which excelize then renders.
// Digits are rounded as Excel rounds them: half away from zero, on the 15 significant
// digits it keeps (1.005 shows as 1.01 with two decimals).
func (s fmtSection) renderNumber(v float64) (string, bool) {
	var intPH, fracPH []int // indexes in parts of the digit placeholders
	point, lastInt := -1, -1
	for i, p := range s.parts {
		switch p.token {
		case "0", "#", "?":
			if point < 0 {
				intPH, lastInt = append(intPH, i), i
			} else {
				fracPH = append(fracPH, i)
			}
		case ".":
			if point < 0 {
				point = i
			}
		case "", ",", "%", "@":
		default:
			return "", false // an exponent
		}
		if strings.Contains(p.literal, "/") && len(intPH)+len(fracPH) > 0 {
			return "", false // a fraction
		}
	}
	lastDigit := lastInt
	if len(fracPH) > 0 {
		lastDigit = fracPH[len(fracPH)-1]
	}
	// A comma between digits of the integer separates thousands; commas after the last
	// digit divide by a thousand each.
	grouping, scale, percent := false, 0, 0
	for i, p := range s.parts {
		switch {
		case p.token == "%":
			percent++
		case p.token != ",":
		case i > lastDigit:
			scale++
		case i < lastInt && (point < 0 || i < point):
			grouping = true
		}
	}
	x := v * math.Pow(100, float64(percent)) / math.Pow(1000, float64(scale))
	intDigits, fracDigits := roundDecimal(x, len(fracPH))

	// The integer digits go into the placeholders from the right; the leftmost one takes
	// all that are left.
	shown := make(map[int]string, len(intPH)+len(fracPH))
	if grouping {
		zeros := 0
		for _, i := range intPH {
			if s.parts[i].token == "0" {
				zeros++
			}
		}
		for len(intDigits) < zeros {
			intDigits = "0" + intDigits
		}
		for i := len(intDigits) - 3; i > 0; i -= 3 {
			intDigits = intDigits[:i] + "," + intDigits[i:]
		}
		shown[intPH[0]] = intDigits
	} else {
		d := intDigits
		for k := len(intPH) - 1; k >= 0; k-- {
			i := intPH[k]
			switch {
			case k == 0 && d != "":
				shown[i] = d
			case d != "":
				shown[i], d = d[len(d)-1:], d[:len(d)-1]
			case s.parts[i].token == "0":
				shown[i] = "0"
			case s.parts[i].token == "?":
				shown[i] = " "
			}
		}
	}
	// Decimals: a # shows no trailing zero, a ? a space instead.
	last := strings.TrimRight(fracDigits, "0")
	for k, i := range fracPH {
		switch {
		case k < len(last):
			shown[i] = fracDigits[k : k+1]
		case s.parts[i].token == "0":
			shown[i] = "0"
		case s.parts[i].token == "?":
			shown[i] = " "
		}
	}
	var b strings.Builder
	if len(intPH) == 0 && intDigits != "" {
		b.WriteString(intDigits)
	}
	for i, p := range s.parts {
		switch p.token {
		case "":
			b.WriteString(p.literal)
		case "0", "#", "?":
			b.WriteString(shown[i])
		case ".", "%":
			if p.token == "%" || i == point {
				b.WriteString(p.token)
			}
		}
	}
	return b.String(), true
}

// roundDecimal rounds x ≥ 0 to decimals places as Excel does, returning the digits before
// the point (without leading zeros, "" for none) and the decimals.
func roundDecimal(x float64, decimals int) (intDigits, fracDigits string) {
	e := strconv.FormatFloat(math.Abs(x), 'e', 14, 64) // d.dddddddddddddde±XX
	digits := []byte(e[:1] + e[2:16])
	exp, _ := strconv.Atoi(e[17:])
	point := exp + 1
	if point < 1 {
		digits = append(make([]byte, 1-point), digits...)
		for i := range 1 - point {
			digits[i] = '0'
		}
		point = 1
	}
	for len(digits) < point+decimals+1 {
		digits = append(digits, '0')
	}
	if digits[point+decimals] >= '5' {
		i := point + decimals - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
			point++
		} else {
			digits[i]++
		}
	}
	intDigits = strings.TrimLeft(string(digits[:point]), "0")
	return intDigits, string(digits[point : point+decimals])
}

// renderDate shows a serial date (1900 system) with the section, the names of months and
// days in another language than English given by names; false when the section has
// parts only excelize knows (eras, other calendars), which excelize then renders.
func (s fmtSection) renderDate(v float64, names func(lang, token string, n int) string) (string, bool) {
	frac := 0
	ampm := false
	for _, p := range s.parts {
		switch {
		case strings.HasPrefix(p.token, ".0"):
			frac = len(p.token) - 1
		case strings.EqualFold(p.token, "AM/PM") || strings.EqualFold(p.token, "A/P"):
			ampm = true
		case p.token != "" && strings.ContainsRune("egb", rune(p.token[0])):
			return "", false
		}
	}
	lang := s.language()
	if strings.HasSuffix(lang, "09") {
		lang = "" // English
	}
	// Round to the smallest unit shown, as Excel does.
	scale := math.Pow10(frac)
	units := math.Round(v * 86400 * scale)
	day := math.Floor(units / (86400 * scale))
	secs := (units - day*86400*scale) / scale
	y, mo, d, wd, ok := civil(int(day))
	if !ok {
		return "", false
	}
	h, mi := int(secs)/3600, int(secs)%3600/60
	sec := secs - float64(h*3600+mi*60)
	var b strings.Builder
	for i, p := range s.parts {
		t := p.token
		switch {
		case t == "":
			b.WriteString(p.literal)
		case t == "yy" || t == "y":
			b.WriteString(pad(y%100, 2))
		case t[0] == 'y':
			b.WriteString(pad(y, 4))
		case t[0] == 'm' && len(t) <= 2 && s.isMinute(i):
			b.WriteString(pad(mi, len(t)))
		case t == "m" || t == "mm":
			b.WriteString(pad(mo, len(t)))
		case t[0] == 'm' && lang != "":
			b.WriteString(names(lang, t, mo))
		case t == "mmm":
			b.WriteString(time.Month(mo).String()[:3])
		case t == "mmmmm":
			b.WriteString(time.Month(mo).String()[:1])
		case t[0] == 'm':
			b.WriteString(time.Month(mo).String())
		case t == "d" || t == "dd":
			b.WriteString(pad(d, len(t)))
		case t[0] == 'd' && lang != "":
			b.WriteString(names(lang, t, int(wd)))
		case t == "ddd":
			b.WriteString(wd.String()[:3])
		case t[0] == 'd':
			b.WriteString(wd.String())
		case t[0] == 'h':
			hh := h
			if ampm {
				hh = (h+11)%12 + 1
			}
			b.WriteString(pad(hh, min(len(t), 2)))
		case t[0] == 's':
			b.WriteString(pad(int(sec), min(len(t), 2)))
		case t[0] == '.':
			f := strconv.FormatFloat(sec-math.Floor(sec), 'f', frac, 64)
			b.WriteString(f[1:])
		case t == "[h]" || t == "[hh]":
			b.WriteString(pad(int(day)*24+h, len(t)-2))
		case t[0] == '[' && t[1] == 'm':
			b.WriteString(pad((int(day)*24+h)*60+mi, len(t)-2))
		case t[0] == '[':
			b.WriteString(pad(int(units/scale), len(t)-2))
		case strings.EqualFold(t, "am/pm") || strings.EqualFold(t, "a/p"):
			m := "A"
			if h >= 12 {
				m = "P"
			}
			if len(t) > 3 {
				m += "M"
			}
			if t[0] == 'a' {
				m = strings.ToLower(m)
			}
			b.WriteString(m)
		default:
			return "", false
		}
	}
	return b.String(), true
}

// isMinute reports whether the m or mm token at parts[i] means minutes: after an hour or
// before seconds, with only literals between.
func (s fmtSection) isMinute(i int) bool {
	for j := i - 1; j >= 0; j-- {
		if t := s.parts[j].token; t != "" {
			if t[0] == 'h' || strings.HasPrefix(t, "[h") {
				return true
			}
			break
		}
	}
	for j := i + 1; j < len(s.parts); j++ {
		if t := s.parts[j].token; t != "" {
			return t[0] == 's' || strings.HasPrefix(t, "[s")
		}
	}
	return false
}

// language returns the language of a [$-40C] tag in the code, as hex digits, or "".
func (s fmtSection) language() string {
	i := strings.Index(s.code, "[$")
	if i < 0 {
		return ""
	}
	tag, _, _ := strings.Cut(s.code[i+2:], "]")
	_, lang, _ := strings.Cut(tag, "-")
	return strings.ToUpper(lang)
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// civil returns the date of a serial day number in Excel's 1900 system, which counts
// 29 February 1900, a day that never was (Lotus 1-2-3's mistake, kept for compatibility).
func civil(day int) (y, m, d int, wd time.Weekday, ok bool) {
	switch {
	case day < 0 || day > 2958465: // 9999-12-31
		return 0, 0, 0, 0, false
	case day == 0:
		return 1900, 1, 0, time.Saturday, true
	case day == 60:
		return 1900, 2, 29, time.Wednesday, true
	case day < 60:
		day++
	}
	t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	return t.Year(), int(t.Month()), t.Day(), t.Weekday(), true
}

// serial returns the serial number of a time in the workbook's date system.
func serial(t time.Time, date1904 bool) float64 {
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	d := t.Sub(epoch)
	v := float64(d/(24*time.Hour)) + float64(d%(24*time.Hour))/float64(24*time.Hour)
	if !date1904 && v >= 1 && v < 61 {
		v--
	}
	return v
}

// iso shows a serial date as an ISO date, time, or both.
func (f *formatter) iso(v float64, layout isoLayout) string {
	if v < 0 {
		return general(v)
	}
	timeOnly := v < 1
	if f.date1904 {
		v += 1462
	}
	units := math.Round(v * 86400)
	day := math.Floor(units / 86400)
	secs := int(units - day*86400)
	y, m, d, _, ok := civil(int(day))
	if !ok {
		return general(v)
	}
	date := pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
	hm := pad(secs/3600, 2) + ":" + pad(secs%3600/60, 2)
	hms := hm + ":" + pad(secs%60, 2)
	switch layout {
	case isoDateOnly:
		return date
	case isoDateMinutes:
		return date + " " + hm
	case isoTime:
		return hms
	}
	t := hm
	if secs%60 != 0 {
		t = hms
	}
	switch {
	case timeOnly:
		return t
	case secs == 0:
		return date
	}
	return date + " " + t
}

// parseISODate parses the value of a cell of type d: a date, a date and time, or a time
// alone.
func parseISODate(s string) (t time.Time, timeOnly, ok bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02", "15:04:05.999999999", "15:04:05Z07:00", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			timeOnly = t.Year() == 0
			if timeOnly {
				t = t.AddDate(1904, 0, 0)
			}
			y, m, d := t.Date()
			return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), timeOnly, true
		}
	}
	return time.Time{}, false, false
}

// parseNumber parses a number as saved in a cell: a decimal, perhaps with an exponent,
// and nothing else (no hexadecimal, infinity or underscores, which ParseFloat takes).
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil && !math.IsInf(v, 0)
}

// general shows a number as Excel's General format does, but to the 15 significant
// digits Excel keeps and never with an exponent: 0.1+0.2 is 0.3, 31701234567 stays
// 31701234567.
func general(v float64) string {
	if v == 0 {
		return "0"
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		r = v
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// excelizeFormat renders a number with one section of a format code by excelize's
// formatter, through a workbook of one cell. Results are cached: a column of
// contacts holds few different formatted values.
func excelizeFormat(code string, v float64) string {
	raw := strconv.FormatFloat(v, 'f', -1, 64)
	key := code + "\x00" + raw
	scratch.mu.Lock()
	defer scratch.mu.Unlock()
	if s, ok := scratch.cache[key]; ok {
		return s
	}
	if scratch.f == nil {
		scratch.f = excelize.NewFile()
		scratch.styles = map[string]int{}
		scratch.cache = map[string]string{}
	}
	style, ok := scratch.styles[code]
	if !ok {
		c := code
		var err error
		if style, err = scratch.f.NewStyle(&excelize.Style{CustomNumFmt: &c}); err != nil {
			return general(v)
		}
		scratch.styles[code] = style
	}
	sheet := scratch.f.GetSheetName(0)
	if scratch.f.SetCellDefault(sheet, "A1", raw) != nil || scratch.f.SetCellStyle(sheet, "A1", "A1", style) != nil {
		return general(v)
	}
	s, err := scratch.f.GetCellValue(sheet, "A1")
	if err != nil {
		return general(v)
	}
	if len(scratch.cache) > 100_000 {
		clear(scratch.cache)
	}
	if len(scratch.styles) > 200 {
		// excelize compares a new style with every other: start afresh.
		scratch.f, scratch.styles = nil, nil
	}
	scratch.cache[key] = s
	return s
}

var scratch struct {
	mu     sync.Mutex
	f      *excelize.File
	styles map[string]int
	cache  map[string]string
}
