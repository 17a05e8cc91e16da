package contacts

import (
	"fmt"
	"testing"
)

// Each case is what Excel (en-US) shows for a value saved with a format; the formats of
// a default date, which Excel shows in each reader's own way, read as ISO dates.
func TestFormatNumber(t *testing.T) {
	const accounting = `_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)`
	const euros = `_-* #,##0.00\ "€"_-;\-* #,##0.00\ "€"_-;_-* "-"??\ "€"_-;_-@_-`
	tests := []struct {
		id   int // a built-in format, when code is ""
		code string
		raw  string
		want string
	}{
		// General, with or without a style: 15 significant digits, no exponent.
		{0, "", "1.9723082781", "1.9723082781"},
		{0, "General", "447700900100", "447700900100"},
		{0, "", "0.30000000000000004", "0.3"},
		{0, "", "1E6", "1000000"},
		{0, "", "-1234.5", "-1234.5"},
		{0, "", "123456789012345678", "123456789012346000"},
		{0, "", "1.5E-7", "0.00000015"},
		{0, "", "-0", "0"},
		{0, "", " 12", "12"},
		{0, "", "0x1p4", "0x1p4"},
		{0, "", "NaN", "NaN"},
		{0, "", "1_000", "1_000"},
		{49, "", "12", "12"}, // @: a number shows as General
		// Numbers.
		{4, "", "1234.5", "1,234.50"},
		{4, "", "-1234.5", "-1,234.50"},
		{9, "", "0.25", "25%"},
		{10, "", "0.125", "12.50%"},
		{1, "", "31701234567", "31701234567"},
		{0, "000000", "12", "000012"},
		{0, "00000", "1234", "01234"},
		{11, "", "12345", "1.23E+04"},
		{12, "", "1.5", "1 1/2"},
		{0, `"Tel. "0`, "5", "Tel. 5"},
		{0, `[<=9999999]###-####;(###) ###-####`, "5551234", "555-1234"},
		{0, `[<=9999999]###-####;(###) ###-####`, "5551234567", "(555) 123-4567"},
		{39, "", "-3.5", "(3.50)"},
		{0, `#,##0.00;[Red]-#,##0.00`, "-3.5", "-3.50"},
		{0, `0;-0;0;General`, "5", "5"},
		{2, "", "1.005", "1.01"}, // rounded on the 15 digits Excel keeps
		{1, "", "2.5", "3"},      // half away from zero
		{1, "", "-2.5", "-3"},
		{2, "", "0.995", "1.00"},
		{3, "", "1234567.5", "1,234,568"},
		{3, "", "999.5", "1,000"},
		{0, "#,##0.0,,", "1234567", "1.2"},
		{0, "0.0,", "1234", "1.2"},
		{0, ".00", "5.5", "5.50"},
		{0, "#.##", "0", "."},
		{0, "#.##", "0.5", ".5"},
		{0, "0.0#", "1.5", "1.5"},
		{0, "0.0#", "1.25", "1.25"},
		{0, "0.??", "1.5", "1.5 "},
		{0, "0000", "12.7", "0013"},
		{0, "00.00%", "0.12345", "12.35%"},
		{0, "###-####", "0", "-"},
		{0, `# ?/?`, "2.25", "2 1/4"},
		{0, `"N° "000`, "7", "N° 007"},
		{0, `0" kg"`, "12", "12 kg"},
		{0, `\$#,##0`, "1234", "$1,234"},
		{0, `[$€-2] #,##0.00`, "1234.5", "€ 1,234.50"},
		{0, `#,##0.00 [$€-40C]`, "1234.5", "1,234.50 €"},
		{0, `0.000E+00`, "0.000123", "1.230E-04"},
		// Sections: a hidden zero, an accounting zero.
		{0, `#,##0;;`, "0", ""},
		{0, `#,##0;;`, "7", "7"},
		{0, `#,##0;-#,##0;"zero"`, "0", "zero"},
		{0, `0;-0;;@`, "0", ""},
		{43, "", "0", " -   "},
		{0, accounting, "1234.5", " 1,234.50 "},
		{0, accounting, "-1234.5", " (1,234.50)"},
		{0, euros, "0", " -   € "},
		{0, euros, "1234.5", " 1,234.50 € "},
		{0, euros, "-1234.5", "-1,234.50 € "},
		// Dates and times.
		{14, "", "45336", "2024-02-14"},
		{14, "", "45336.75", "2024-02-14"},
		{22, "", "45336.395833333336", "2024-02-14 09:30"},
		{0, "[$-F800]dddd, mmmm dd, yyyy", "45336", "2024-02-14"},
		{0, "[$-F400]h:mm:ss AM/PM", "0.5", "12:00:00"},
		{0, "d mmmm yyyy", "45336", "14 February 2024"},
		{0, "dd/mm/yyyy", "45336", "14/02/2024"},
		{0, "dddd d mmmm yyyy", "45336", "Wednesday 14 February 2024"},
		{15, "", "45336", "14-Feb-24"},
		{17, "", "45336", "Feb-24"},
		{0, "yyyy-mm-dd hh:mm", "45336.5", "2024-02-14 12:00"},
		{0, `yyyy"年"m"月"d"日"`, "45336", "2024年2月14日"},
		{0, "[$-40C]d mmmm yyyy", "45336", "14 février 2024"},
		{0, `[$-411]ggge"年"m"月"d"日"`, "45336", "令和6年2月14日"},
		{18, "", "0.395833333", "9:30 AM"},
		{18, "", "0.75", "6:00 PM"},
		{0, "h:mm am/pm", "0.75", "6:00 pm"},
		{21, "", "0.395833333", "9:30:00"},
		{20, "", "0.39583332", "9:30"}, // 9:29:59.99 rounds to 9:30
		{46, "", "1.5", "36:00:00"},
		{0, "mm:ss.0", "0.0001", "00:08.6"},
		{0, "m/d/yyyy", "1", "1/1/1900"},
		{0, "m/d/yyyy", "60", "2/29/1900"}, // the day Excel keeps from Lotus 1-2-3
		{0, "m/d/yyyy", "61", "3/1/1900"},
		{0, "dd/mm/yyyy", "-1", "-1"},
		// The East Asian built-in date formats, whose meaning depends on the language.
		{27, "", "45336", "2024-02-14"},
		{31, "", "45336", "2024-02-14"},
		{32, "", "0.395833333333333", "09:30"},
		{36, "", "45336.5", "2024-02-14 12:00"},
		{50, "", "45336", "2024-02-14"},
		{58, "", "45336", "2024-02-14"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s %s", tt.id, tt.code, tt.raw), func(t *testing.T) {
			f := formatter{styles: &styleSheet{xfs: []numFormat{{}, {id: tt.id, code: tt.code}}}}
			if tt.code == "" {
				f.styles.xfs[1].code = builtinFormats[tt.id]
			}
			if got := f.number(tt.raw, 1); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatDate1904(t *testing.T) {
	f := formatter{date1904: true, styles: &styleSheet{xfs: []numFormat{{}, {id: 14}, {code: "dd/mm/yyyy"}, {code: "[$-40C]d mmmm yyyy"}, {code: "h:mm"}}}}
	tests := []struct {
		raw  string
		xf   int
		want string
	}{
		{"43874", 1, "2024-02-14"},
		{"43874", 2, "14/02/2024"},
		{"43874", 3, "14 février 2024"},
		{"0", 2, "01/01/1904"},
		{"0.5", 4, "12:00"},
	}
	for _, tt := range tests {
		if got := f.number(tt.raw, tt.xf); got != tt.want {
			t.Errorf("%s with %+v in the 1904 date system: got %q, want %q", tt.raw, f.styles.xfs[tt.xf], got, tt.want)
		}
	}
}

// Cells of type d hold ISO 8601 dates (Strict workbooks write them): they read with
// their format like any date.
func TestFormatISODate(t *testing.T) {
	for _, date1904 := range []bool{false, true} {
		f := formatter{date1904: date1904, styles: &styleSheet{xfs: []numFormat{{}, {id: 14}, {code: "d mmmm yyyy"}, {code: "h:mm"}}}}
		tests := []struct {
			raw  string
			xf   int
			want string
		}{
			{"2024-02-14T00:00:00", 0, "2024-02-14"},
			{"2024-02-14T09:30:00Z", 0, "2024-02-14 09:30"},
			{"2024-02-14T09:30:15", 0, "2024-02-14 09:30:15"},
			{"2024-02-14T00:00:00", 1, "2024-02-14"},
			{"2024-02-14T00:00:00", 2, "14 February 2024"},
			{"2024-02-14", 2, "14 February 2024"},
			{"09:30:00", 3, "9:30"},
			{"not a date", 2, "not a date"},
		}
		for _, tt := range tests {
			if got := f.date(tt.raw, tt.xf); got != tt.want {
				t.Errorf("1904 %v: %s with %+v: got %q, want %q", date1904, tt.raw, f.styles.xfs[tt.xf], got, tt.want)
			}
		}
	}
}

func TestFormatText(t *testing.T) {
	tests := []struct {
		code, text, want string
	}{
		{"", "Jean", "Jean"},
		{"@", "Jean", "Jean"},
		{"0.00", "Jean", "Jean"},                 // no text section: as it is
		{"0;-0;0", "Jean", "Jean"},               // three sections, none for text
		{"0;-0;0;General", "Jean", "Jean"},       // a text section General: as it is
		{`0;-0;0;"Mr. "@`, "Smith", "Mr. Smith"}, // the fourth section is for text
		{`"ID-"@`, "12", "ID-12"},
		{`0;-0;0;@" (text)"`, "x", "x (text)"},
		{`_(@_)`, "Jean", " Jean "},
		{`;;;`, "Jean", ""}, // hidden
		{`@@`, "ab", "abab"},
	}
	for _, tt := range tests {
		f := formatter{styles: &styleSheet{xfs: []numFormat{{}, {code: tt.code}}}}
		if got := f.text(tt.text, 1); got != tt.want {
			t.Errorf("%q with %q: got %q, want %q", tt.text, tt.code, got, tt.want)
		}
	}
}

func TestUnescapeBSTR(t *testing.T) {
	tests := []struct {
		in, all, surrogates string
	}{
		{"plain", "plain", "plain"},
		{"Ministry_x000D_\nof Justice", "Ministry\r\nof Justice", "Ministry_x000D_\nof Justice"},
		{"_x005F_x0041_", "_x0041_", "_x005F_x0041_"},
		{"_x0041__x0042_", "AB", "_x0041__x0042_"},
		{"smile _xD83D__xDE00_!", "smile 😀!", "smile 😀!"},
		{"lone _xD83D_ high", "lone \uFFFD high", "lone \uFFFD high"},
		{"lone _xDE00_ low", "lone \uFFFD low", "lone \uFFFD low"},
		{"_x00e9_t_x00E9_", "été", "_x00e9_t_x00E9_"},
		{"_x12_ _xZZZZ_ _x", "_x12_ _xZZZZ_ _x", "_x12_ _xZZZZ_ _x"},
	}
	for _, tt := range tests {
		if got := string(unescapeBSTR(nil, []byte(tt.in), true)); got != tt.all {
			t.Errorf("unescapeBSTR(%q, all) = %q, want %q", tt.in, got, tt.all)
		}
		if got := string(unescapeBSTR(nil, []byte(tt.in), false)); got != tt.surrogates {
			t.Errorf("unescapeBSTR(%q, surrogates) = %q, want %q", tt.in, got, tt.surrogates)
		}
	}
}
