package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes runs herald in-process: testscript can only tell zero from non-zero, and
// scripts calling herald rely on the exact codes documented in the README.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.csv", "Email,Name\njean@@justice.example,Jean\n")
	good := write("good.csv", "Email,Name\nana@justice.test,Ana\n")
	plain := filepath.Join(dir, "plain")
	if err := os.MkdirAll(plain, 0o700); err != nil {
		t.Fatal(err)
	}
	write("plain/message.md", "Subject: Hello {{.Name}}\nFrom: S <s@conference.example.org>\n\nDear {{.Name}}\n")
	tmpl := filepath.Join(dir, "plain")
	if err := os.MkdirAll(filepath.Join(dir, "broken"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("broken/message.md", "Subject: Hi {{or}}\nFrom: S <s@conference.example.org>\n\n{{if not}}x{{end}}\n")
	broken := filepath.Join(dir, "broken")
	typo := write("typo.toml", "contcts = \"x.csv\"\n")
	if err := os.MkdirAll(filepath.Join(dir, "camp"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("camp/herald.toml", "# taken\n")

	tests := []struct {
		name   string
		args   []string
		want   int
		stderr string // a part of stderr, "" to require none
	}{
		{"version", []string{"--version"}, ExitOK, ""},
		{"help", []string{"--help"}, ExitOK, ""},
		{"check clean", []string{"check", "--contacts", good, "--template", tmpl}, ExitOK, ""},
		{"check errors", []string{"check", "--contacts", bad, "--template", tmpl}, ExitFailure, `invalid address "jean@@justice.example"`},
		{"check warnings only", []string{"check", "--from", "Protocol <protocol@mfa.example>", "--fact", "information-link=https://mla-initiative.example/"}, ExitOK, ""},
		{"check values still to be set", []string{"check"}, ExitFailure, `{{fact "information-link"}} is not set`},
		{"send values still to be set", []string{"send", "--yes", "--smtp-host", "smtp.invalid", "--log", filepath.Join(dir, "y.jsonl")}, ExitFailure, "nothing was sent: still to be set: --from, --fact information-link"},
		{"preview values still to be set", []string{"preview", "--out", filepath.Join(dir, "p4")}, ExitOK, ""},
		{"preview refuses errors", []string{"preview", "--contacts", bad, "--template", tmpl, "--out", filepath.Join(dir, "p1")}, ExitFailure, "the input has 1 error"},
		{"template call without arguments", []string{"check", "--contacts", good, "--template", broken}, ExitFailure, "broken/message.md:1: Subject: {{or}}: or takes at least 1 argument, not 0"},
		{"template call in the body", []string{"preview", "--contacts", good, "--template", broken, "--out", filepath.Join(dir, "p3")}, ExitFailure, "broken/message.md:4: {{not}}: not takes 1 argument, not 0"},
		{"preview", []string{"preview", "--contacts", good, "--template", tmpl, "--out", filepath.Join(dir, "p2")}, ExitOK, ""},
		{"missing workbook", []string{"check", "--contacts", filepath.Join(dir, "none.xlsx")}, ExitFailure, "not found"},
		{"unknown template", []string{"check", "--template", "no-such-template"}, ExitFailure, "no such folder and no built-in template"},
		{"unknown command", []string{"bogus"}, ExitUsage, `unknown command "bogus"`},
		{"unknown flag", []string{"preview", "--bogus"}, ExitUsage, "flag provided but not defined"},
		{"stray argument", []string{"check", "contacts.xlsx"}, ExitUsage, "takes no arguments"},
		{"bad config key", []string{"check", "--config", typo}, ExitUsage, `unknown key "contcts"`},
		{"negative limit", []string{"preview", "--limit", "-3"}, ExitUsage, "--limit"},
		{"send without server", []string{"send", "--contacts", good, "--template", tmpl, "--yes", "--log", filepath.Join(dir, "x.jsonl")}, ExitUsage, "no SMTP server"},
		{"init over a file", []string{"init", filepath.Join(dir, "camp")}, ExitFailure, "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			got := Main(context.Background(), append([]string{"herald"}, tt.args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if got != tt.want {
				t.Errorf("herald %s: exit %d, want %d\nstderr:\n%s", strings.Join(tt.args, " "), got, tt.want, errOut.String())
			}
			if tt.stderr == "" && tt.want != ExitOK && errOut.Len() == 0 {
				t.Errorf("herald %s: exit %d with nothing on stderr", strings.Join(tt.args, " "), got)
			}
			if tt.stderr != "" && !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("herald %s: stderr\n%s\ndoes not contain %q", strings.Join(tt.args, " "), errOut.String(), tt.stderr)
			}
		})
	}
}
