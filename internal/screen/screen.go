// Package screen makes text from outside herald — a cell, a server's reply, a file name —
// safe to print on a terminal, and measures how wide it shows. Every line herald prints that
// can hold such text goes through Clean: the status table, send's progress lines, the
// message printed by preview --row, errors and hints.
package screen

import (
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Clean keeps text from moving the cursor, recolouring the terminal or reading as something
// else: control characters (escape included) become spaces, and so do bidirectional
// overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can reverse what follows
// them on the line. Line breaks and tabs are kept: a multi-line text stays multi-line.
// Joiners (U+200C, U+200D) stay too: Persian and other scripts need them.
func Clean(s string) string {
	if strings.IndexFunc(s, unsafe) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unsafe(r) {
			return ' '
		}
		return r
	}, s)
}

// CleanLine is Clean for text that must stay on one line: line breaks become spaces too.
func CleanLine(s string) string {
	return Clean(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s))
}

func unsafe(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || IsBidiControl(r)
}

// IsBidiControl reports whether r is a bidirectional embedding, override or isolate
// character, which changes the order in which the characters after it are shown.
func IsBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Width counts the columns s takes in a terminal: East Asian wide characters take two.
func Width(s string) int {
	n := 0
	for _, r := range s {
		if r < 0x1100 {
			n++
			continue
		}
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// Cut shortens s to at most cols columns, ending with "…" when it was cut.
func Cut(s string, cols int) string {
	if Width(s) <= cols {
		return s
	}
	if cols <= 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		w := Width(string(r))
		if n+w > cols-1 {
			break
		}
		b.WriteRune(r)
		n += w
	}
	return b.String() + "…"
}

// WriteColumns writes rows as a table: each cell cleaned to one line and padded to its
// column's width, two spaces between columns.
func WriteColumns(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	var widths []int
	for _, row := range rows {
		for i, v := range row {
			row[i] = CleanLine(v)
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], Width(row[i]))
		}
	}
	for _, row := range rows {
		for i, v := range row {
			io.WriteString(w, v)
			if i < len(row)-1 {
				io.WriteString(w, strings.Repeat(" ", widths[i]-Width(v)+2))
			}
		}
		io.WriteString(w, "\n")
	}
}
