package templates

import (
	"bufio"
	"encoding/csv"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
	"time"
	"unicode"

	"github.com/mla-initiative/herald/internal/message"
)

// variants are the files every built-in template must have: one per language the sample
// workbook uses. message.md is the English text, so rows marked "en" use it too.
var variants = map[string]string{"": "message.md", "en": "message.md", "fr": "message.fr.md", "es": "message.es.md"}

// funcs stands in for the functions package template gives templates; only their names
// matter for parsing, and the built-ins must not use any other.
var funcs = template.FuncMap{
	"fact":  func(string) string { return "" },
	"named": func(...string) string { return "" },
	"default": func(d, v string) string {
		if v == "" {
			return d
		}
		return v
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"trim":  strings.TrimSpace,
}

var knownHeaders = map[string]bool{
	"subject": true, "from": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"attach": true, "event": true, "event-id": true, "event-start": true, "event-end": true,
	"event-location": true, "event-description": true, "event-sequence": true, "event-show-as": true,
}

type header struct{ name, value string }

type variant struct {
	path    string
	headers []header
	body    string
}

// readVariant splits a template file into its header block and body, as package campaign
// documents the format.
func readVariant(t *testing.T, path string) variant {
	t.Helper()
	data, err := fs.ReadFile(FS, path)
	if err != nil {
		t.Fatalf("built-in template variant missing: %v", err)
	}
	head, body, ok := strings.Cut(string(data), "\n\n")
	if !ok {
		t.Fatalf("%s: no blank line after the header block", path)
	}
	v := variant{path: path, body: body}
	for line := range strings.SplitSeq(head, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: header line %q is not \"Name: value\"", path, line)
		}
		v.headers = append(v.headers, header{name, strings.TrimSpace(value)})
	}
	return v
}

func (v variant) header(name string) string {
	for _, h := range v.headers {
		if strings.EqualFold(h.name, name) {
			return h.value
		}
	}
	return ""
}

// sources returns every piece of the variant that is a Go template: header values and body.
func (v variant) sources() map[string]string {
	src := map[string]string{"body": v.body}
	for _, h := range v.headers {
		src[h.name] = h.value
	}
	return src
}

func allVariants(t *testing.T) []variant {
	t.Helper()
	var all []variant
	for _, name := range Names() {
		files := slices.Compact(slices.Sorted(maps.Values(variants)))
		for _, file := range files {
			all = append(all, readVariant(t, name+"/"+file))
		}
	}
	return all
}

// identifier applies the rule of package campaign that turns a column header into a
// placeholder name: the letters and digits of each word, each word capitalised.
func identifier(header string) string {
	var b strings.Builder
	for word := range strings.FieldsSeq(header) {
		first := true
		for _, r := range word {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue
			}
			if first {
				r = unicode.ToUpper(r)
				first = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sample returns the sample workbook's header identifiers and its rows keyed by them.
func sample(t *testing.T) ([]string, []map[string]string) {
	t.Helper()
	f, err := FS.Open(SampleName)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", SampleName, err)
	}
	if len(records) < 2 {
		t.Fatalf("%s has %d records, want a header and rows", SampleName, len(records))
	}
	var columns []string
	for _, h := range records[0] {
		columns = append(columns, identifier(h))
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := make(map[string]string, len(columns))
		for i, c := range columns {
			row[c] = rec[i]
		}
		rows = append(rows, row)
	}
	return columns, rows
}

// placeholders returns the first field name of every {{.X…}} in a template.
func placeholders(t *testing.T, name, src string) []string {
	t.Helper()
	tmpl, err := template.New(name).Funcs(funcs).Parse(src)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	var found []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.FieldNode:
			found = append(found, n.Ident[0])
		}
	}
	for _, tt := range tmpl.Templates() {
		walk(tt.Root)
	}
	return found
}

func TestNames(t *testing.T) {
	got := Names()
	want := []string{"invitation", "reminder", "save-the-date"}
	if !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestFolder(t *testing.T) {
	for _, name := range Names() {
		dir, err := Folder(name)
		if err != nil {
			t.Fatalf("Folder(%q): %v", name, err)
		}
		if _, err := fs.Stat(dir, "message.md"); err != nil {
			t.Errorf("Folder(%q) has no message.md at its root: %v", name, err)
		}
	}
	_, err := Folder("second-reminder")
	if err == nil || !strings.Contains(err.Error(), "invitation, reminder, save-the-date") {
		t.Errorf("Folder(%q) error = %v, want one listing the built-in templates", "second-reminder", err)
	}
}

func TestIdentifier(t *testing.T) {
	tests := []struct{ header, want string }{
		{"First name", "FirstName"},
		{"Last name", "LastName"},
		{"E-mail", "Email"},
		{"Cc", "Cc"},
		{"  Country ", "Country"},
		{"Address line 2", "AddressLine2"},
	}
	for _, tt := range tests {
		if got := identifier(tt.header); got != tt.want {
			t.Errorf("identifier(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestHeaders(t *testing.T) {
	for _, v := range allVariants(t) {
		seen := map[string]bool{}
		for _, h := range v.headers {
			name := strings.ToLower(h.name)
			if !knownHeaders[name] {
				t.Errorf("%s: unknown header %q", v.path, h.name)
			}
			if seen[name] && name != "attach" {
				t.Errorf("%s: header %q given twice", v.path, h.name)
			}
			seen[name] = true
		}
		if v.header("Subject") == "" {
			t.Errorf("%s: no Subject", v.path)
		}
		// The sender is the ministry's, for the user to give; the reply address is the
		// contact fact, the same as the letter gives.
		if v.header("From") != "" {
			t.Errorf("%s: From %q; the built-in templates have no sender of their own", v.path, v.header("From"))
		}
		if got := v.header("Reply-To"); got != `{{fact "contact"}}` {
			t.Errorf("%s: Reply-To %q, want the contact fact", v.path, got)
		}
		if got := v.header("To"); got != "{{.Email | named .Title .FullName}}" {
			t.Errorf("%s: To %q, want the person's name given to the Email column", v.path, got)
		}
		if strings.HasPrefix(v.path, "reminder/") {
			if v.header("Event") != "" {
				t.Errorf("%s: the reminder has a calendar entry", v.path)
			}
			continue
		}
		start, err := time.Parse(time.DateOnly, v.header("Event-Start"))
		if err != nil {
			t.Errorf("%s: Event-Start: %v", v.path, err)
		}
		end, err := time.Parse(time.DateOnly, v.header("Event-End"))
		if err != nil {
			t.Errorf("%s: Event-End: %v", v.path, err)
		}
		if got, want := start.Format(time.DateOnly)+"/"+end.Format(time.DateOnly), "2024-02-14/2024-02-15"; got != want {
			t.Errorf("%s: event dates %s, want %s", v.path, got, want)
		}
		if v.header("Event") == "" || v.header("Event-Location") == "" {
			t.Errorf("%s: Event or Event-Location missing", v.path)
		}
		// One calendar entry for the conference, whatever the title says in each language.
		if got := v.header("Event-ID"); got != "ljubljana-the-hague-convention-signing-conference-2024" {
			t.Errorf("%s: Event-ID %q", v.path, got)
		}
	}
}

// TestPlaceholders guards against a built-in template that fails on the built-in sample:
// campaign rejects a placeholder naming a column the workbook does not have.
func TestPlaceholders(t *testing.T) {
	columns, _ := sample(t)
	for _, v := range allVariants(t) {
		for part, src := range v.sources() {
			for _, p := range placeholders(t, v.path+" "+part, src) {
				if !slices.Contains(columns, p) {
					t.Errorf("%s: %s uses {{.%s}}, not a column of %s (columns: %s)", v.path, part, p, SampleName, strings.Join(columns, ", "))
				}
			}
		}
	}
}

func TestSampleAddresses(t *testing.T) {
	columns, rows := sample(t)
	if !slices.Contains(columns, "Email") || !slices.Contains(columns, "Language") {
		t.Fatalf("%s columns %q lack Email or Language", SampleName, columns)
	}
	if len(rows) < 25 {
		t.Errorf("%s has %d rows, want about 30", SampleName, len(rows))
	}
	for i, row := range rows {
		line := i + 2
		for c, v := range row {
			if message.ContainsControl(v) {
				t.Errorf("%s line %d: %s holds a control character", SampleName, line, c)
			}
		}
		to, _, err := message.ParseList(row["Email"])
		if err != nil || len(to) == 0 {
			t.Errorf("%s line %d: Email %q: %v (%d addresses)", SampleName, line, row["Email"], err, len(to))
		}
		cc, _, err := message.ParseList(row["Cc"])
		if err != nil {
			t.Errorf("%s line %d: Cc: %v", SampleName, line, err)
		}
		for _, a := range append(to, cc...) {
			if !reserved(a.Addr) {
				t.Errorf("%s line %d: %s is not on a reserved domain", SampleName, line, a.Addr)
			}
		}
	}
}

// reserved reports whether an address is on a domain reserved for examples (RFC 2606), so
// that the sample can never reach a real mailbox.
func reserved(addr string) bool {
	domain := strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
	for _, d := range []string{"example.org", "example.com", "example.net"} {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	tld := domain[strings.LastIndexByte(domain, '.')+1:]
	return tld == "example" || tld == "test" || tld == "invalid"
}

// TestTypography keeps the letters to the typography their readers expect: curly quotes
// and apostrophes in every language, and in French a no-break space before : ; ! ? » and
// after «, so the punctuation never starts a line.
func TestTypography(t *testing.T) {
	for _, v := range allVariants(t) {
		for part, src := range v.sources() {
			src = actions.ReplaceAllString(src, "")
			if i := strings.IndexAny(src, `'"`); i >= 0 {
				t.Errorf("%s: %s has a straight quote near %q", v.path, part, around(src, i))
			}
			if !strings.HasSuffix(v.path, ".fr.md") {
				continue
			}
			for i, r := range src {
				switch {
				case strings.ContainsRune(":;!?»", r) && i > 0 && src[i-1] == ' ',
					r == '«' && i+len("«") < len(src) && src[i+len("«")] == ' ':
					t.Errorf("%s: %s has an ordinary space at %q, want a no-break space", v.path, part, around(src, i))
				}
			}
		}
	}
}

// actions matches the template actions, whose quotes are Go's.
var actions = regexp.MustCompile(`\{\{[^}]*\}\}`)

func around(s string, i int) string {
	lo, hi := max(0, i-15), min(len(s), i+15)
	return strings.ToValidUTF8(s[lo:hi], "")
}
