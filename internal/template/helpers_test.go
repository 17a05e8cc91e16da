package template

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mla-initiative/herald/internal/problem"
)

var testNow = time.Date(2023, 11, 1, 9, 30, 0, 0, time.UTC)

func testOptions() Options {
	return Options{
		Now:   func() time.Time { return testNow },
		NewID: func() string { return "id1" },
	}
}

// testColumns are the columns of the workbook the tests use.
var testColumns = []string{"Email", "Salutation", "FirstName", "LastName", "Title", "Country", "Ministry", "Language", "Cc", "RegistrationURL"}

func testRow() map[string]string {
	return map[string]string{
		"Email":           "Jean Dupont <jean.dupont@justice.example>",
		"Salutation":      "Excellency",
		"FirstName":       "Jean",
		"LastName":        "Dupont",
		"Title":           "Minister",
		"Country":         "Chile",
		"Ministry":        "Ministry of Justice",
		"Language":        "en",
		"Cc":              "",
		"RegistrationURL": "https://register.example/?c=CL",
	}
}

// mapFS makes a template folder from file names and contents.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

func loadFiles(t testing.TB, files map[string]string, opt Options) *Template {
	t.Helper()
	tp, err := Load(mapFS(files), "tmpl", opt)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tp
}

// errorsOf returns the errors among problems, as strings, leaving the warnings out.
func errorsOf(ps []problem.Problem) []string {
	var out []string
	for _, p := range ps {
		if !p.Warning {
			out = append(out, inFolder(p))
		}
	}
	return out
}

func warningsOf(ps []problem.Problem) []string {
	var out []string
	for _, p := range ps {
		if p.Warning {
			out = append(out, inFolder(p))
		}
	}
	return out
}

// inFolder gives a problem as "message.md:3: text", its place inside the test's folder.
func inFolder(p problem.Problem) string {
	s := strings.TrimPrefix(p.Error(), "tmpl/")
	s = strings.ReplaceAll(s, "(also tmpl/", "(also ")
	return strings.TrimPrefix(s, "tmpl: ")
}

// hintOf gives a problem's hints as one string.
func hintOf(p problem.Problem) string { return strings.Join(p.Hints, "; ") }

// body returns what is between the layout's head and foot.
func body(html string) string {
	if i := strings.Index(html, "color:#1a1a1a;\">\n"); i >= 0 {
		html = html[i+len("color:#1a1a1a;\">\n"):]
	}
	if i := strings.Index(html, "</td></tr>\n</table>\n<!--[if mso]>"); i >= 0 {
		html = html[:i]
	}
	return html
}

// stripStyles removes the style attributes the layout puts on every element, so tests can
// compare the structure.
func stripStyles(html string) string {
	var b strings.Builder
	for {
		i := strings.Index(html, ` style="`)
		if i < 0 {
			break
		}
		j := strings.IndexByte(html[i+8:], '"')
		b.WriteString(html[:i])
		html = html[i+8+j+1:]
	}
	b.WriteString(html)
	return b.String()
}
