package contacts

import (
	"strings"
	"testing"
	"text/template"
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
