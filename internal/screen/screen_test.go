package screen

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want, line string }{
		{"plain text", "plain text", "plain text"},
		{"red \x1b[31mALERT\x1b[0m", "red  [31mALERT [0m", "red  [31mALERT [0m"},
		{"a\rb", "a b", "a b"},
		{"two\nlines\tand tab", "two\nlines\tand tab", "two lines and tab"},
		{"bell\a nul\x00 del\x7f c1\u0085", "bell  nul  del  c1 ", "bell  nul  del  c1 "},
		{"Dr. \u202eevil.exe\u202c", "Dr.  evil.exe ", "Dr.  evil.exe "},
		{"iso\u2066late\u2069", "iso late ", "iso late "},
		{"زبان\u200cها", "زبان\u200cها", "زبان\u200cها"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := CleanLine(tt.in); got != tt.line {
			t.Errorf("CleanLine(%q) = %q, want %q", tt.in, got, tt.line)
		}
	}
}

func TestWidthAndCut(t *testing.T) {
	tests := []struct {
		in    string
		width int
		cut5  string
	}{
		{"abc", 3, "abc"},
		{"abcdefg", 7, "abcd…"},
		{"王明华", 6, "王明…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := Width(tt.in); got != tt.width {
			t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.width)
		}
		if got := Cut(tt.in, 5); got != tt.cut5 || Width(got) > 5 {
			t.Errorf("Cut(%q, 5) = %q, want %q", tt.in, got, tt.cut5)
		}
	}
}

func TestWriteColumns(t *testing.T) {
	tests := []struct {
		name string
		rows [][]string
		want string
	}{
		{"none", nil, ""},
		{"aligned by the widest cell", [][]string{{"ROW", "TO"}, {"12", "a@example.org"}}, "ROW  TO\n12   a@example.org\n"},
		{"wide characters count two columns", [][]string{{"東京", "x"}, {"ab", "y"}}, "東京  x\nab    y\n"},
		{"a cell is cleaned to one line", [][]string{{"a\nb\x1b[31m", "z"}}, "a b [31m  z\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			WriteColumns(&b, tt.rows)
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}
