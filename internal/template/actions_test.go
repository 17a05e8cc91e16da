package template

import (
	"reflect"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		actions []string
	}{
		{"fields", "Dear {{.A}} {{.B}},", []string{"{{.A}}", "{{.B}}"}},
		{"braces in a string", `{{printf "}}%s{{" .A}} x`, []string{`{{printf "}}%s{{" .A}}`}},
		{"escaped quote in a string", `{{printf "a\"}}" .A}}`, []string{`{{printf "a\"}}" .A}}`}},
		{"raw string", "{{printf `}}` .A}}", []string{"{{printf `}}` .A}}"}},
		{"character constant", `{{printf "%c" '}'}}`, []string{`{{printf "%c" '}'}}`}},
		{"comment with braces", "a {{/* }} */}} b", []string{"{{/* }} */}}"}},
		{"trim markers", "a {{- .A -}} b {{- /* c */ -}}", []string{"{{- .A -}}", "{{- /* c */ -}}"}},
		{"multi-line action", "{{if\n.A}}x{{end}}", []string{"{{if\n.A}}", "{{end}}"}},
		{"none", "no actions here", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, ts := tokenize(tt.src)
			if !reflect.DeepEqual(ts.actions, tt.actions) {
				t.Errorf("actions = %q, want %q", ts.actions, tt.actions)
			}
			if strings.Contains(out, "{{") {
				t.Errorf("tokenized text %q still holds an action", out)
			}
			if got := ts.restore(out); got != tt.src {
				t.Errorf("restore(tokenize(src)) = %q, want %q", got, tt.src)
			}
		})
	}
}

func TestTokenPrefixAvoidsSourceText(t *testing.T) {
	src := "HRLDX000000q hrldzzx {{.A}}"
	out, ts := tokenize(src)
	if strings.Contains(strings.ToLower(src), ts.prefix) {
		t.Fatalf("prefix %q occurs in the source %q", ts.prefix, src)
	}
	if got := ts.restore(out); got != src {
		t.Errorf("restore = %q, want %q", got, src)
	}
}

func TestRestoreEscapesLiteralBraces(t *testing.T) {
	_, ts := tokenize("{{.A}}")
	tok := ts.token(0)
	tests := []struct{ in, want string }{
		{"a {{ b", `a {{"{{"}} b`},
		{"{" + tok, `{{"{"}}{{.A}}`},
		{"{{{" + tok + "}", `{{"{{"}}{{"{"}}{{.A}}}`},
		{"x } y", "x } y"},
	}
	for _, tt := range tests {
		if got := ts.restore(tt.in); got != tt.want {
			t.Errorf("restore(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		action string
		want   actionKind
	}{
		{"{{.A}}", actionOutput},
		{`{{printf "%s" .A}}`, actionOutput},
		{`{{template "x" .}}`, actionOutput},
		{"{{/* note */}}", actionSilent},
		{"{{- /* note */ -}}", actionSilent},
		{"{{$x := .A}}", actionSilent},
		{"{{$x = .A}}", actionSilent},
		{"{{$x}}", actionOutput},
		{"{{if .A}}", actionOpen},
		{"{{- if .A -}}", actionOpen},
		{"{{range .A}}", actionOpen},
		{"{{with .A}}", actionOpen},
		{"{{else}}", actionMid},
		{"{{else if .B}}", actionMid},
		{"{{end}}", actionClose},
		{"{{- end}}", actionClose},
		{"{{ifx}}", actionOutput},
	}
	for _, tt := range tests {
		if got := classify(tt.action); got != tt.want {
			t.Errorf("classify(%q) = %d, want %d", tt.action, got, tt.want)
		}
	}
}

func TestHoistParagraphs(t *testing.T) {
	tests := []struct {
		name string
		src  string // actions as they are written; tokenized before hoisting
		want string
	}{
		{
			name: "block around paragraphs",
			src:  "<p>{{if .A}}\nOne</p>\n<p>Two\n{{end}}</p>",
			want: "{{if .A}}<p>One</p>\n<p>Two</p>{{end}}",
		},
		{
			name: "paragraph of actions only",
			src:  "<p>{{if .A}}</p>\n<p>One</p>\n<p>{{end}}</p>",
			want: "{{if .A}}\n<p>One</p>\n{{end}}",
		},
		{
			name: "if, else and end on their own lines split the paragraph",
			src:  "<p>{{if .A}}\nOne\n{{else}}\nTwo\n{{end}}</p>",
			want: "{{if .A}}<p>One</p>{{else}}<p>Two</p>{{end}}",
		},
		{
			name: "inline if stays inline",
			src:  "<p>Dear {{if .A}}Mr{{end}} Smith</p>",
			want: "<p>Dear {{if .A}}Mr{{end}} Smith</p>",
		},
		{
			name: "action lines inside a paragraph that starts with text stay",
			src:  "<p>Dear\n{{if .A}}\nMr\n{{end}}\nSmith</p>",
			want: "<p>Dear\n{{if .A}}\nMr\n{{end}}\nSmith</p>",
		},
		{
			name: "unbalanced middle stays",
			src:  "<p>{{if .A}}\nOne {{else}} Two\n{{end}}</p>",
			want: "<p>{{if .A}}\nOne {{else}} Two\n{{end}}</p>",
		},
		{
			name: "output action on its own line stays",
			src:  "<p>{{.A}}\nOne</p>",
			want: "<p>{{.A}}\nOne</p>",
		},
		{
			name: "comments and declarations are silent",
			src:  "<p>{{/* c */}}\n{{$x := .A}}\nOne</p>",
			want: "{{/* c */}}{{$x := .A}}<p>One</p>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, ts := tokenize(tt.src)
			if got := ts.restore(hoistParagraphs(tok, ts)); got != tt.want {
				t.Errorf("hoistParagraphs = %q, want %q", got, tt.want)
			}
		})
	}
}
