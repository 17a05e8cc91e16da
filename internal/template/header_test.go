package template

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		headers  []rawHeader
		body     string
		bodyLine int
		problems []string // Problem.String(), with "warning: " before warnings
	}{
		{
			name:     "headers and body",
			src:      "Subject: Hello\nFrom: A <a@example.org>\n\nDear Sir,\n",
			headers:  []rawHeader{{"Subject", "Hello", 1}, {"From", "A <a@example.org>", 2}},
			body:     "Dear Sir,\n",
			bodyLine: 4,
		},
		{
			name:     "names are case-insensitive and written canonically",
			src:      "SUBJECT: Hello\nreply-to: a@example.org\nevent-start: 2024-02-14\n\nText",
			headers:  []rawHeader{{"Subject", "Hello", 1}, {"Reply-To", "a@example.org", 2}, {"Event-Start", "2024-02-14", 3}},
			body:     "Text",
			bodyLine: 5,
		},
		{
			name:     "continuation lines join with a space",
			src:      "Subject: Hello\nEvent-Description: first\n  second\n\tthird\n\nText",
			headers:  []rawHeader{{"Subject", "Hello", 1}, {"Event-Description", "first second third", 2}},
			body:     "Text",
			bodyLine: 6,
		},
		{
			name:     "CRLF line ends and a byte order mark",
			src:      "\ufeffSubject: Hello\r\nTo: a@example.org\r\n\r\nLine one\r\nLine two\r\n",
			headers:  []rawHeader{{"Subject", "Hello", 1}, {"To", "a@example.org", 2}},
			body:     "Line one\nLine two\n",
			bodyLine: 4,
		},
		{
			name:     "Attach may repeat",
			src:      "Subject: S\nAttach: a.pdf\nattach: b.pdf\n\nText",
			headers:  []rawHeader{{"Subject", "S", 1}, {"Attach", "a.pdf", 2}, {"Attach", "b.pdf", 3}},
			body:     "Text",
			bodyLine: 5,
		},
		{
			name:     "a header other than Attach given twice",
			src:      "Subject: One\nsubject: Two\n\nText",
			headers:  []rawHeader{{"Subject", "One", 1}},
			body:     "Text",
			bodyLine: 4,
			problems: []string{"m.md:2: Subject given twice (first on line 1)"},
		},
		{
			name:     "unknown header",
			src:      "Subject: S\nNote: see below\n\nText",
			headers:  []rawHeader{{"Subject", "S", 1}},
			body:     "Text",
			bodyLine: 4,
			problems: []string{`m.md:2: unknown header "Note"`},
		},
		{
			name:     "forgotten blank line",
			src:      "Subject: S\nDear Sir,\nText",
			headers:  []rawHeader{{"Subject", "S", 1}},
			body:     "Dear Sir,\nText",
			bodyLine: 2,
			problems: []string{"warning: m.md:2: no blank line after the headers; the text starts here"},
		},
		{
			name:     "no header block at all",
			src:      "Dear Sir,\n\nText",
			body:     "Dear Sir,\n\nText",
			bodyLine: 1,
		},
		{
			name:     "a colon after words is not a header",
			src:      "Subject: S\nDear Sir: hello\n",
			headers:  []rawHeader{{"Subject", "S", 1}},
			body:     "Dear Sir: hello\n",
			bodyLine: 2,
			problems: []string{"warning: m.md:2: no blank line after the headers; the text starts here"},
		},
		{
			name:     "headers only",
			src:      "Subject: S\nTo: a@example.org",
			headers:  []rawHeader{{"Subject", "S", 1}, {"To", "a@example.org", 2}},
			bodyLine: 3,
		},
		{
			name:     "values keep template actions with colons and quotes",
			src:      "Subject: {{printf \"%s: %s\" .A .B}}\n\nText",
			headers:  []rawHeader{{"Subject", `{{printf "%s: %s" .A .B}}`, 1}},
			body:     "Text",
			bodyLine: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseFile("m.md", tt.src)
			if !reflect.DeepEqual(got.headers, tt.headers) {
				t.Errorf("headers = %+v, want %+v", got.headers, tt.headers)
			}
			if got.body != tt.body || got.bodyLine != tt.bodyLine {
				t.Errorf("body = %q at line %d, want %q at line %d", got.body, got.bodyLine, tt.body, tt.bodyLine)
			}
			var problems []string
			for _, p := range got.problems {
				s := p.String()
				if p.Warning {
					s = "warning: " + s
				}
				problems = append(problems, s)
			}
			if !reflect.DeepEqual(problems, tt.problems) {
				t.Errorf("problems = %q, want %q", problems, tt.problems)
			}
		})
	}
}

func TestUnknownHeaderHintListsHeaders(t *testing.T) {
	got := parseFile("m.md", "Subjet: Hello\n\nText").problems
	if len(got) != 1 {
		t.Fatalf("got %d problems, want 1: %v", len(got), got)
	}
	for _, name := range headerNames {
		if !strings.Contains(got[0].Hint, name) {
			t.Errorf("hint %q does not name header %s", got[0].Hint, name)
		}
	}
}
