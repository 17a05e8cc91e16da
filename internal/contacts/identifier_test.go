package contacts

import (
	"errors"
	"strings"
	"testing"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/mla-initiative/herald/internal/problem"
)

func TestIdentifier(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{"First name", "FirstName"},
		{"first name", "FirstName"},
		{"FIRST NAME", "FIRSTNAME"},
		{"E-mail", "Email"},
		{"e-mail", "Email"},
		{"E‑mail", "Email"}, // non-breaking hyphen
		{"e-mail address", "EmailAddress"},
		{"Email address", "EmailAddress"},
		{"Country / Organisation", "CountryOrganisation"},
		{"country/organisation", "CountryOrganisation"},
		{"first_name", "FirstName"},
		{"Phone (office)", "PhoneOffice"},
		{"Minister's title", "MinistersTitle"},
		{"Minister’s title", "MinistersTitle"},
		{"Título", "Título"},
		{"Ti\u0301tulo", "Título"}, // decomposed accent
		{"título", "Título"},
		{"Адрес", "Адрес"},
		{"имя получателя", "ИмяПолучателя"},
		{"姓名", "姓名"},
		{"Address 2", "Address2"},
		{"2nd address", "Col2ndAddress"},
		{"2024", "Col2024"},
		{"  Language  ", "Language"},
		{"Cc", "Cc"},
		{"soft\u00adhyphen", "Softhyphen"},
		{"#", ""},
		{"", ""},
		{"— / —", ""},
	}
	for _, tt := range tests {
		if got := Identifier(tt.header); got != tt.want {
			t.Errorf("Identifier(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// Every identifier must be usable as a field name in a template over a row.
func TestIdentifierInTemplate(t *testing.T) {
	for _, header := range []string{"Título", "имя получателя", "姓名", "2nd address", "E-mail", "Address 2"} {
		name := Identifier(header)
		tmpl, err := template.New("").Parse("{{." + name + "}}")
		if err != nil {
			t.Errorf("header %q: {{.%s}} does not parse: %v", header, name, err)
			continue
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, map[string]string{name: "value"}); err != nil || b.String() != "value" {
			t.Errorf("header %q: {{.%s}} gave %q, %v; want value", header, name, b.String(), err)
		}
	}
}

// Every spelling of the columns herald uses, as doc.go lists them, in any case and with
// stray spaces, is that column.
func TestOwnColumnSpellings(t *testing.T) {
	spellings := map[string][]string{
		"Email":    {"Email", "E-mail", "Email address", "E-mail address", "Mail", "Mail address", "Courriel", "Adresse e-mail", "Adresse électronique", "Correo", "Correo electrónico"},
		"Cc":       {"Cc", "Cc e-mail", "Cc address", "Cc e-mail address"},
		"Bcc":      {"Bcc", "Bcc e-mail", "Bcc address", "Bcc e-mail address"},
		"Language": {"Language", "Lang", "Language code", "Langue", "Idioma"},
	}
	cases := map[string]func(string) string{
		"as listed": func(s string) string { return s },
		"lower":     strings.ToLower,
		"upper":     strings.ToUpper,
		"title": func(s string) string {
			words := strings.Fields(s)
			for i, w := range words {
				r, n := utf8.DecodeRuneInString(w)
				words[i] = string(unicode.ToUpper(r)) + strings.ToLower(w[n:])
			}
			return strings.Join(words, " ")
		},
	}
	for name, headers := range spellings {
		for _, header := range headers {
			for caseName, toCase := range cases {
				for _, spaces := range []string{"", " ", "  \t"} {
					h := spaces + toCase(header) + spaces
					data := "Country," + csvQuote(h) + "\nChile,x@example.org\n"
					tb, err := readBytes(t, []byte(data), "contacts.csv", Options{})
					if err != nil {
						t.Fatalf("%q: %v", h, err)
					}
					if got := tb.Columns[1].Name; got != name {
						t.Errorf("header %q (%s): named %q, want %q", h, caseName, got, name)
					}
					if col, err := tb.Lookup(name); err != nil || col != 1 {
						t.Errorf("header %q (%s): Lookup(%q) = %d, %v", h, caseName, name, col, err)
					}
				}
			}
		}
	}
}

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Two columns that both mean one of herald's are an error naming both header cells,
// whether or not a template names them.
func TestOwnColumnsTwice(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Email,Name,Email", `contacts.csv: A1 "Email" and C1 "Email" are both the Email column`},
		{"E-mail,Email", `contacts.csv: A1 "E-mail" and B1 "Email" are both the Email column`},
		{"Email,Courriel", `contacts.csv: A1 "Email" and B1 "Courriel" are both the Email column`},
		{"Cc,cc", `contacts.csv: A1 "Cc" and B1 "cc" are both the Cc column`},
		{"BCC,Bcc e-mail,Name", `contacts.csv: A1 "BCC" and B1 "Bcc e-mail" are both the Bcc column`},
		{"Lang,Langue,Idioma", `contacts.csv: A1 "Lang", B1 "Langue" and C1 "Idioma" are all the Language column`},
		{"Email,Mail,Cc,CC", `contacts.csv: A1 "Email" and B1 "Mail" are both the Email column; C1 "Cc" and D1 "CC" are both the Cc column`},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			data := tt.header + "\n" + strings.Repeat("x@example.org,", strings.Count(tt.header, ",")) + "x@example.org\n"
			_, err := readBytes(t, []byte(data), "contacts.csv", Options{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v\nwant %q", err, tt.want)
			}
			if !errors.Is(err, ErrDuplicateColumn) || len(problem.Hints(err)) == 0 {
				t.Errorf("got %#v; want a Problem matching ErrDuplicateColumn, with a hint", err)
			}
		})
	}
	// Other names twice are a warning, and Lookup refuses them.
	tb, err := readBytes(t, []byte("Email,Name,NAME\nx@example.org,A,B\n"), "contacts.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Lookup("Name"); err == nil || errors.Is(err, ErrNoColumn) {
		t.Errorf("Lookup(Name) = %v, want the error of two columns", err)
	}
}
