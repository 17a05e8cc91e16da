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
