package contacts

import (
	"errors"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/problem"
)

func testTable() *Table {
	return &Table{
		File:      "contacts.xlsx",
		Sheet:     "Authorities",
		HeaderRow: 2,
		Columns: []Column{
			{Header: "Country", Name: "Country", Index: 0},
			{Header: "E-mail address", Name: "EmailAddress", Index: 1},
			{Header: "Langue", Name: "Langue", Index: 3},
			{Header: "Name", Name: "Name", Index: 4},
			{Header: "NAME", Name: "NAME", Index: 5},
			{Header: "Mail", Name: "Mail", Index: 6},
			{Header: "CC", Name: "CC", Index: 27},
		},
	}
}

func TestRef(t *testing.T) {
	xlsx := testTable()
	spaced := testTable()
	spaced.Sheet = "Contacts 2024"
	quoted := testTable()
	quoted.Sheet = "Minister's list"
	digits := testTable()
	digits.Sheet = "2024"
	csv := testTable()
	csv.File, csv.Sheet = "contacts.csv", ""
	long := testTable()
	long.Sheet = strings.Repeat("Feuille ", 10)
	long.Columns[0].Header = strings.Repeat("é", 100)
	tests := []struct {
		got, want string
	}{
		{xlsx.Ref(14, 1), "contacts.xlsx: Authorities!B14 (E-mail address)"},
		{xlsx.Ref(14, 6), "contacts.xlsx: Authorities!AB14 (CC)"},
		{xlsx.Ref(2, 2), "contacts.xlsx: Authorities!D2 (Langue)"},
		{spaced.Ref(3, 0), "contacts.xlsx: 'Contacts 2024'!A3 (Country)"},
		{quoted.Ref(3, 0), "contacts.xlsx: 'Minister''s list'!A3 (Country)"},
		{digits.Ref(3, 0), "contacts.xlsx: '2024'!A3 (Country)"},
		{csv.Ref(14, 1), "contacts.csv: line 14, column B (E-mail address)"},
		{xlsx.RowRef(14), "contacts.xlsx: Authorities, row 14"},
		{csv.RowRef(14), "contacts.csv: line 14"},
		// A long name is cut, so that a message per row stays short.
		{long.Ref(3, 0), "contacts.xlsx: 'Feuille Feuille Feuille Feuille Feuille Feuille Feuille Feui…'!A3 (" + strings.Repeat("é", 30) + "…)"},
		{long.RowRef(3), "contacts.xlsx: Feuille Feuille Feuille Feuille Feuille Feuille Feuille Feui…, row 3"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name      string
		want      int
		wantErr   string
		noSuchCol bool
	}{
		{name: "Country", want: 0},
		{name: "country", want: 0},
		{
			name:    "EmailAddress", // another name for Email
			wantErr: `contacts.xlsx: Authorities: 2 columns are called EmailAddress: B2 "E-mail address" and G2 "Mail"; rename or delete all but one of them`,
		},
		{name: "Langue", want: 2},
		{name: "Language", want: 2}, // another name for Language
		{name: "Cc", want: 6},
		{
			name:    "Email", // both "E-mail address" and "Mail" are other names for Email
			wantErr: `contacts.xlsx: Authorities: 2 columns are called Email: B2 "E-mail address" and G2 "Mail"; rename or delete all but one of them`,
		},
		{
			name:    "name",
			wantErr: `contacts.xlsx: Authorities: 2 columns are called name: E2 "Name" and F2 "NAME"; rename or delete all but one of them`,
		},
		{
			name:      "Title",
			wantErr:   `contacts.xlsx: Authorities: no column "Title"; the header row (row 2) has the columns Country, EmailAddress, Langue, Name, NAME, Mail, CC`,
			noSuchCol: true,
		},
		{
			name:      "Bcc",
			wantErr:   `contacts.xlsx: Authorities: no column "Bcc"; the header row (row 2) has the columns Country, EmailAddress, Langue, Name, NAME, Mail, CC; this column may be headed "Bcc", "BCC" or "Bcc e-mail"`,
			noSuchCol: true,
		},
	}
	tb := testTable()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tb.Lookup(tt.name)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("got %d, %v; want %d", got, err, tt.want)
				}
				return
			}
			if err == nil || withHints(err) != tt.wantErr {
				t.Fatalf("got %d, %v\nwant error %q", got, err, tt.wantErr)
			}
			if errors.Is(err, ErrNoColumn) != tt.noSuchCol {
				t.Errorf("errors.Is(err, ErrNoColumn) = %v, want %v", !tt.noSuchCol, tt.noSuchCol)
			}
			var p problem.Problem
			if !errors.As(err, &p) || len(p.Hints) == 0 {
				t.Errorf("got %#v; want a Problem with a hint", err)
			}
		})
	}
}
