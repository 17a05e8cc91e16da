package campaign

import (
	"bytes"
	"testing"

	texttemplate "text/template"
)

var fastSources = []struct {
	src  string
	fast bool
}{
	{"plain text", true},
	{"Dear {{.A}} {{.B}},", true},
	{`{{.A | default "the authority"}}`, true},
	{`{{default "x" .A}} {{.A | upper}} {{lower .B}} {{trim .A | upper}}`, true},
	{`{{if eq .A "fr"}}Bonjour{{else if eq .A "es" .B}}Hola{{else}}Hello{{end}}`, true},
	{`{{if ne .A .B}}differ{{end}} {{if not .A}}empty{{end}} {{.A | not}}`, true},
	{`{{and .A .B}}|{{or .A .B "z"}}|{{.A | or .B}}|{{.A | eq "x" | and}}`, true},
	{`{{with .A}}[{{.}}|{{. | upper}}]{{else}}none{{end}}`, true},
	{`{{with .A}}{{with .}}{{.}}{{end}}{{end}}`, true},
	{`{{printf "%q: %s" .A .B}} {{print .A .B}}`, true},
	{"{{- .A -}} \n {{.B}}", true},
	{`{{eq .A "x"}}`, true},
	{"{{/* note */}}{{.A}}", true},
	{`{{.Missing}}`, true},

	{`{{.}}`, false},
	{`{{with .A}}{{.B}}{{end}}`, false},
	{`{{range .A}}{{.}}{{end}}`, false},
	{`{{$x := .A}}{{$x}}`, false},
	{`{{len .A}}`, false},
	{`{{index . "A"}}`, false},
	{`{{printf "%d" 3}}`, false},
	{`{{if eq (upper .A) "X"}}x{{end}}`, false},
	{`{{and .A (eq .B "x")}}`, false},
	{`{{.A.B}}`, false},
	{`{{define "x"}}y{{end}}{{template "x"}}`, false},
	{`{{upper .A .B}}`, false},
	{`{{html .A}}`, false},
	{`{{true}}`, false},
}

func TestCompileFast(t *testing.T) {
	for _, tt := range fastSources {
		tmpl, err := texttemplate.New("t").Funcs(funcs).Option("missingkey=error").Parse(tt.src)
		if err != nil {
			t.Fatalf("parsing %q: %v", tt.src, err)
		}
		if got := compileFast(tmpl) != nil; got != tt.fast {
			t.Errorf("compileFast(%q) compiled: %v, want %v", tt.src, got, tt.fast)
		}
	}
}

// FuzzFastText checks that fastText gives what text/template gives, for any template it
// accepts and any cell values.
func FuzzFastText(f *testing.F) {
	for _, s := range fastSources {
		f.Add(s.src, "fr", "")
		f.Add(s.src, "", "Dupont & <Co>")
	}
	f.Add(`{{printf "%v %d" .A}}`, "x", "y")
	f.Fuzz(func(t *testing.T, src, a, b string) {
		tmpl, err := texttemplate.New("t").Funcs(funcs).Option("missingkey=error").Parse(src)
		if err != nil {
			return
		}
		fast := compileFast(tmpl)
		if fast == nil {
			return
		}
		row := map[string]string{"A": a, "B": b}
		var want, got bytes.Buffer
		wantErr := tmpl.Execute(&want, row)
		gotErr := fast.execute(&got, row)
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("template %q with %q: text/template error %v, fastText error %v", src, row, wantErr, gotErr)
		}
		if wantErr == nil && got.String() != want.String() {
			t.Fatalf("template %q with %q:\nfastText      %q\ntext/template %q", src, row, got.String(), want.String())
		}
	})
}
