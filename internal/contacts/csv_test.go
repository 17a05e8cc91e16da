package contacts

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		sample string
		want   rune
	}{
		{"Name,Email,Language\nJean,j@example.org,fr\n", ','},
		{"Name;Email;Language\r\n", ';'},
		{"Name\tEmail\tLanguage\n", '\t'},
		{`"Surname, given name";Email;Language` + "\n", ';'},
		{`"Name;with;semicolons",Email` + "\n", ','},
		{"\n\r\n  \nName;Email\n", ';'},           // blank lines before the header
		{"Name,Email;Cc;Bcc\na,b,c,d,e,f\n", ';'}, // the header line decides
		{"Name\nJean;Dupont\n", ','},              // one column: the default
		{"Name;Email\rJean,Dupont;j@example.org\r", ';'},
		{"", ','},
		{`"Name` + "\n" + `with a break";Email` + "\n", ';'}, // a quoted header with a line break
	}
	for _, tt := range tests {
		if got := detectDelimiter([]byte(tt.sample)); got != tt.want {
			t.Errorf("detectDelimiter(%q) = %q, want %q", tt.sample, got, tt.want)
		}
	}
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // tableDump
	}{
		{
			name: "comma, BOM, CRLF",
			data: "\uFEFFCountry,E-mail,First name\r\nSenegal,a@justice.sn.example,Awa\r\n",
			want: `contacts.csv "" header 1
A "Country" Country
B "E-mail" Email
C "First name" FirstName
2 ["Senegal" "a@justice.sn.example" "Awa"]
`,
		},
		{
			name: "semicolon, quoted line break, blank lines, ragged rows",
			data: "\n" +
				"Country;Address;Email\n" +
				"Slovenia;\"Župančičeva 3\n1000 Ljubljana\";a@mp.si.example\n" +
				"\n" +
				";;\n" +
				"Netherlands;Turfmarkt 147\n" +
				"Belgium;\"Boulevard de Waterloo 115\";b@just.be.example;extra\n",
			want: `contacts.csv "" header 2
A "Country" Country
B "Address" Address
C "Email" Email
D "" 
3 ["Slovenia" "Župančičeva 3\n1000 Ljubljana" "a@mp.si.example" ""]
7 ["Netherlands" "Turfmarkt 147" "" ""]
8 ["Belgium" "Boulevard de Waterloo 115" "b@just.be.example" "extra"]
warning: contacts.csv: line 2, column D: column D has no header but holds values (the first in D8), which templates cannot use; give the column a header in D2, or delete its values
`,
		},
		{
			name: "tab, spaces, quotes inside quotes",
			data: " Name \tSalutation\tEmail\n" +
				"\"Jean \"\"JJ\"\" Dupont\"\t Excellency \t j@example.org \n" +
				"\t\tk@example.org\n",
			want: `contacts.csv "" header 1
A "Name" Name
B "Salutation" Salutation
C "Email" Email
2 ["Jean \"JJ\" Dupont" "Excellency" "j@example.org"]
3 ["" "" "k@example.org"]
warning: contacts.csv: line 1, column A: header " Name " has spaces before or after it, which are ignored
`,
		},
		{
			name: "old Mac line ends",
			data: "Name;Email\rJean;j@example.org\r\"Paul\rPierre\";p@example.org\r",
			want: `contacts.csv "" header 1
A "Name" Name
B "Email" Email
2 ["Jean" "j@example.org"]
3 ["Paul\nPierre" "p@example.org"]
`,
		},
		{
			name: "comma with spaces before a quote",
			data: "Name, Email\n\"Dupont, Jean\", \"j@example.org\"\n",
			want: `contacts.csv "" header 1
A "Name" Name
B "Email" Email
2 ["Dupont, Jean" "j@example.org"]
`,
		},
		{
			name: "UTF-16 with BOM, as Excel's Unicode Text",
			data: utf16LE("\uFEFFName\tEmail\r\nΔήμητρα\td@example.org\r\n"),
			want: `contacts.csv "" header 1
A "Name" Name
B "Email" Email
2 ["Δήμητρα" "d@example.org"]
`,
		},
		{
			name: "columns named twice",
			data: "Email,Name,name\na@example.org,A,B\n",
			want: `contacts.csv "" header 1
A "Email" Email
B "Name" Name
C "name" Name
2 ["a@example.org" "A" "B"]
warning: contacts.csv: the headers B1 "Name" and C1 "name" all give the name Name; templates cannot use {{.Name}} until all but one of these columns is renamed
`,
		},
		{
			name: "header without letters",
			data: "Name,#,Email\nJean,1,j@example.org\n",
			want: `contacts.csv "" header 1
A "Name" Name
B "#" 
C "Email" Email
2 ["Jean" "1" "j@example.org"]
warning: contacts.csv: line 1, column B: header "#" has no letter or digit, so templates cannot use this column; give the column a header made of words
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := readBytes(t, []byte(tt.data), "contacts.csv", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tableDump(tb); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func utf16LE(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		if r >= 0x10000 {
			panic("not needed here")
		}
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{
			name: "Windows-1252",
			data: "Name,Email\nJean,j@example.org\nRen\xe9e,r@example.org\n",
			want: `contacts.csv: line 3, column A: is not UTF-8 text (the file seems to be in an older encoding such as Windows-1252); save the file as CSV UTF-8:`,
		},
		{
			name: "Windows-1252 in a quoted field with a line break",
			data: "Name,Address\nJean,\"1 rue\nCh\xe2teau\"\n",
			want: `contacts.csv: line 3, column B: is not UTF-8 text`,
		},
		{
			name: "UTF-16 without BOM",
			data: "N\x00a\x00m\x00e\x00\n\x00",
			want: `contacts.csv: is not a CSV text file: it holds NUL bytes`,
		},
		{
			name: "stray quote",
			data: "Name,Email\nJean \"JJ\" Dupont,j@example.org\n",
			want: `contacts.csv: line 2: a field that is not in quotes holds a quote; a field holding quotes must be in quotes itself, with each quote inside doubled: "Jean ""JJ"" Dupont"`,
		},
		{
			name: "unclosed quote",
			data: "Name,Email\n\"Jean,j@example.org\nPaul,p@example.org\n",
			want: `contacts.csv: line 2: a quoted field starting on this line has a stray or missing quote (noticed on line 3);`,
		},
		{
			name: "empty",
			data: "\uFEFF\n,,\n",
			want: `contacts.csv: is empty: no cell holds anything`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readBytes(t, []byte(tt.data), "contacts.csv", Options{})
			if err == nil || !strings.HasPrefix(withHints(err), tt.want) {
				t.Errorf("got error %v\nwant one starting %q", err, tt.want)
			}
		})
	}
}

func TestReadCSVSheetIgnored(t *testing.T) {
	tb, err := readBytes(t, []byte("Name\nJean\n"), "contacts.csv", Options{Sheet: "Authorities"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `contacts.csv: a CSV file has no sheets, so the sheet "Authorities" was not looked for`
	if got := warningsText(tb); got != want+"\n" {
		t.Errorf("got warnings %q, want %q", got, want)
	}
}

// FuzzReadCSV checks that no input makes the CSV reader panic, and that what it returns
// keeps the Table's promises.
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"Name,Email\nJean,j@example.org\n",
		"\uFEFFa;b;c\r\n1;2;3\r\n;;\r\n\"x\ny\";z\n",
		"a\tb\n\t\tc\n",
		"\xff\xfeN\x00a\x00m\x00e\x00\n\x00",
		"\"unclosed\n",
		"a,b\n\xe9,x\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := ReadFrom(bytes.NewReader(data), "fuzz.csv", Options{SizeLimit: 1 << 20})
		if err != nil {
			return
		}
		if len(tb.Columns) == 0 {
			t.Fatal("no columns without an error")
		}
		indexes := make([]int, len(tb.Columns))
		for i, c := range tb.Columns {
			indexes[i] = c.Index
			if !utf8.ValidString(c.Header) || c.Header != strings.TrimSpace(c.Header) {
				t.Errorf("header %q: not trimmed UTF-8", c.Header)
			}
		}
		for i := 1; i < len(indexes); i++ {
			if indexes[i] <= indexes[i-1] {
				t.Errorf("column indexes %v not increasing", indexes)
			}
		}
		last := tb.HeaderRow
		for _, r := range tb.Rows {
			if r.Number <= last {
				t.Errorf("row %d after row %d", r.Number, last)
			}
			last = r.Number
			if len(r.Values) != len(tb.Columns) {
				t.Fatalf("row %d has %d values for %d columns", r.Number, len(r.Values), len(tb.Columns))
			}
			empty := true
			for _, v := range r.Values {
				if !utf8.ValidString(v) || v != strings.TrimSpace(v) {
					t.Errorf("row %d: value %q not trimmed UTF-8", r.Number, v)
				}
				empty = empty && v == ""
			}
			if empty {
				t.Errorf("row %d is empty", r.Number)
			}
		}
	})
}

// Excel writes (and reads) a first line "sep=;" naming the delimiter: it is no row.
func TestReadCSVSepLine(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"semicolon", "sep=;\nName;Email\nJean;j@example.org\n", `contacts.csv "" header 2
A "Name" Name
B "Email" Email
3 ["Jean" "j@example.org"]
`},
		{"after a BOM, CRLF, against the header's commas", "\uFEFFsep=;\r\nName, given;Email\r\nDupont, Jean;j@example.org\r\n", `contacts.csv "" header 2
A "Name, given" NameGiven
B "Email" Email
3 ["Dupont, Jean" "j@example.org"]
`},
		{"TAB", "SEP=\t\nName\tEmail\nJean\tj@example.org\n", `contacts.csv "" header 2
A "Name" Name
B "Email" Email
3 ["Jean" "j@example.org"]
`},
		{"quoted", "sep=\",\"\nName,Email\nJean,j@example.org\n", `contacts.csv "" header 2
A "Name" Name
B "Email" Email
3 ["Jean" "j@example.org"]
`},
		{"not a sep line", "sep=xy\nName\n", `contacts.csv "" header 1
A "sep=xy" SepXy
2 ["Name"]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := readBytes(t, []byte(tt.data), "contacts.csv", Options{})
			if err != nil {
				t.Fatal(withHints(err))
			}
			if got := tableDump(tb); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	// Errors name the line in the file, the sep line counted.
	_, err := readBytes(t, []byte("sep=;\nName;Email\n\"Jean;j@example.org\n"), "contacts.csv", Options{})
	if want := "contacts.csv: line 3: a quoted field"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got error %v, want one starting %q", err, want)
	}
}

func TestReadCSVLimits(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"16,384 fields", "Email" + strings.Repeat(",x", maxColumns-1) + "\na@example.org\n", ""},
		{"16,385 fields on a data line", "Email\na@example.org" + strings.Repeat(",x", maxColumns) + "\n", "contacts.csv: line 2: holds more than 16,384 fields"},
		{"32,767 characters", "Email,Note\na@example.org," + strings.Repeat("é", maxCellChars) + "\n", ""},
		{"32,768 characters", "Email,Note\na@example.org,\"" + strings.Repeat("é", maxCellChars+1) + "\"\n", "contacts.csv: line 2, column B: holds more than 32,767 characters"},
		{"outside the BMP, two characters each", "Email,Note\na@example.org," + strings.Repeat("😀", maxCellChars/2+1) + "\n", "contacts.csv: line 2, column B: holds more than 32,767 characters"},
		{"quotes doubled count once", "Email,Note\na@example.org,\"" + strings.Repeat(`""`, maxCellChars) + "\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readBytes(t, []byte(tt.data), "contacts.csv", Options{})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Fatalf("got error %v, want one starting %q", err, tt.want)
			}
		})
	}
}
