package run

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/mla-initiative/herald/internal/template"
	"github.com/mla-initiative/herald/templates"
)

// TestSampleConfigFacts: the herald.toml that init writes lists, commented under [facts],
// exactly the facts the built-in templates use, and is valid TOML once they are filled in.
func TestSampleConfigFacts(t *testing.T) {
	var used []string
	for _, name := range templates.Names() {
		fsys, err := templates.Folder(name)
		if err != nil {
			t.Fatal(err)
		}
		tp, err := template.Load(fsys, name, template.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tp.Facts() {
			if !slices.Contains(used, f.Name) {
				used = append(used, f.Name)
			}
		}
	}
	slices.Sort(used)

	_, facts, ok := strings.Cut(sampleConfig, "\n[facts]\n")
	if !ok {
		t.Fatal("the sample config has no [facts] table")
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^# ([a-z-]+) = `).FindAllStringSubmatch(facts, -1) {
		listed = append(listed, m[1])
	}
	slices.Sort(listed)
	if !slices.Equal(listed, used) {
		t.Errorf("[facts] lists %q, the built-in templates use %q", listed, used)
	}

	// Uncommented and filled in, every line is a valid setting.
	filled := regexp.MustCompile(`(?m)^# ([a-z_-]+ = )`).ReplaceAllString(sampleConfig, "$1")
	filled = strings.ReplaceAll(filled, "…", "x")
	var raw map[string]any
	if _, err := toml.Decode(filled, &raw); err != nil {
		t.Fatalf("the sample config, filled in, is not TOML: %v\n%s", err, filled)
	}
	table, _ := raw["facts"].(map[string]any)
	got, err := template.DecodeFacts(table)
	if err != nil {
		t.Fatalf("[facts]: %v", err)
	}
	if got["reply-deadline.fr"] != "x" || got["venue"] != "x" {
		t.Errorf("[facts] filled in = %v", got)
	}
}

// TestInitWritesFacts: init copies each template's facts.toml with it.
func TestInitWritesFacts(t *testing.T) {
	dir := t.TempDir()
	files, err := Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"templates/save-the-date/facts.toml", "templates/reminder/message.fr.md", "herald.toml"} {
		if !slices.Contains(files, want) {
			t.Errorf("init wrote %q, without %s", files, want)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "templates", "save-the-date", "facts.toml"))
	if err != nil || !strings.Contains(string(data), `contact = "MLA-initiative@minjenv.nl"`) {
		t.Errorf("facts.toml: %v\n%s", err, data)
	}
}

// TestSameAsBuiltin: only a copy with exactly the built-in's files and words counts as
// unedited; anything else, including a file that cannot be read without blocking, counts as
// an edit, so that the warning about a shadowed copy is shown.
func TestSameAsBuiltin(t *testing.T) {
	const name = "invitation"
	cases := []struct {
		desc   string
		change func(t *testing.T, dir string)
		same   bool
	}{
		{"unedited copy", func(*testing.T, string) {}, true},
		{"CRLF line endings", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "message.md")
			data, _ := os.ReadFile(p)
			write(t, p, strings.ReplaceAll(string(data), "\n", "\r\n"))
		}, true},
		{"one word changed", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "message.fr.md")
			data, _ := os.ReadFile(p)
			write(t, p, strings.Replace(string(data), "Conférence", "Conference", 1))
		}, false},
		{"a variant added", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "message.de.md"), "Subject: x\n\nHallo\n")
		}, false},
		{"a variant removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "message.es.md")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a pipe in place of a variant", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "message.es.md")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := mkfifo(p); err != nil {
				t.Skip("no named pipes here:", err)
			}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Init(dir); err != nil {
				t.Fatal(err)
			}
			copyDir := filepath.Join(dir, "templates", name)
			tc.change(t, copyDir)
			if got := sameAsBuiltin(copyDir, name); got != tc.same {
				t.Errorf("sameAsBuiltin = %v, want %v", got, tc.same)
			}
		})
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
