package template

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestWrongArgumentCounts covers the class: every function a template can call, given too
// few or too many arguments, in a header or in the body, of a Markdown or an HTML file, is
// an error of the folder naming the file and line — found by Check, never a panic or a
// failure of each row at send time.
func TestWrongArgumentCounts(t *testing.T) {
	calls := []string{
		"and", "or", "not", "not .A .B", "len", "len .A .B", "index", "slice", "slice .A 1 2 3 4",
		"call", "printf", "eq", "eq .A", "ne .A", "ne .A .B .C", "lt .A", "le", "gt .A .B .C", "ge",
		"default", "default \"x\"", "default \"x\" .A .B", "upper", "upper .A .B", "lower", "trim .A .B",
		".A | not .B", ".A | default", ".A | upper .B",
	}
	for _, call := range calls {
		for _, place := range []struct {
			file, header string
			src          func(string) string
			line         int
		}{
			{"message.md", "Subject", func(a string) string { return "From: a@example.org\nSubject: Hi {{" + a + "}}\n\nText.\n" }, 2},
			{"message.md", "", func(a string) string { return "Subject: S\nFrom: a@example.org\n\nDear,\n\n{{" + a + "}}\n" }, 6},
			{"message.md", "", func(a string) string {
				return "Subject: S\nFrom: a@example.org\n\n{{if .A}}\nx\n{{else}}\n{{if " + a + "}}y{{end}}\n{{end}}\n"
			}, 7},
			{"message.html", "Attach", func(a string) string {
				return "Subject: S\nFrom: a@example.org\nAttach: {{" + a + "}}\n\n<p>Text</p>\n"
			}, 3},
			{"message.fr.md", "", func(a string) string { return "Subject: S\nFrom: a@example.org\n\n{{with .A}}{{" + a + "}}{{end}}\n" }, 4},
		} {
			name := fmt.Sprintf("%s/%s/%s", place.file, place.header, call)
			t.Run(name, func(t *testing.T) {
				files := map[string]string{place.file: place.src(call)}
				if place.file != "message.md" && place.file != "message.html" {
					files["message.md"] = "Subject: S\nFrom: a@example.org\n\nText.\n"
				}
				tp := loadFiles(t, files, testOptions())
				errs := errorsOf(tp.Check([]string{"A", "B", "C", "Email"}))
				want := fmt.Sprintf("%s:%d: ", place.file, place.line)
				if place.header != "" {
					want += place.header + ": "
				}
				fn := strings.Fields(strings.TrimPrefix(call, ".A | "))[0]
				if len(errs) != 1 || !strings.HasPrefix(errs[0], want) || !strings.Contains(errs[0], fn+" takes ") {
					t.Fatalf("Check errors = %q, want one starting %q about %s", errs, want, fn)
				}
				lang := ""
				if place.file == "message.fr.md" {
					lang = "fr"
				}
				if _, _, err := tp.Render(map[string]string{"A": "x", "B": "y", "C": "z", "Email": "e@example.org"}, lang); err == nil {
					t.Errorf("Render succeeded with a broken call")
				}
			})
		}
	}
}

// TestRightArgumentCounts keeps the check from refusing calls that are fine.
func TestRightArgumentCounts(t *testing.T) {
	for _, call := range []string{
		"and .A .B", "or .A", "not .A", "len .A", "index . \"A\"", "slice .A 1", "printf \"%s\" .A",
		"eq .A \"x\"", "eq .A \"x\" \"y\"", "ne .A .B", "default \"x\" .A", ".A | default \"x\"", ".A | upper",
		"upper .A", "print", "html .A", ".A | printf \"%s\"", "(.A | upper) | lower",
	} {
		t.Run(call, func(t *testing.T) {
			tp := loadFiles(t, map[string]string{
				"message.md": "Subject: {{" + call + "}} S\nFrom: a@example.org\n\n{{" + call + "}}\n",
			}, testOptions())
			if errs := errorsOf(tp.Check([]string{"A", "B", "Email"})); len(errs) > 0 {
				t.Fatalf("Check errors = %q, want none", errs)
			}
		})
	}
}

// FuzzLoadTemplate loads arbitrary message files: loading and checking never panic, and a
// folder that Check finds no error in renders a row or refuses it with an error.
func FuzzLoadTemplate(f *testing.F) {
	for _, seed := range []string{
		"Subject: Hi {{or}}\nFrom: a@example.org\n\nText",
		"Subject: {{.A | not .B}}\n\n{{and}}",
		"Subject: S\nFrom: a@example.org\n\n{{if .A}}{{index . \"A\" 1}}{{end}}",
		"Subject: S\nFrom: a@example.org\nEvent: E\nEvent-Start: 2024-02-14\n\n{{slice .A 1 2}}",
		"Subject: {{template \"x\"}}\n\n{{define \"x\"}}y{{end}}",
		"Subject: S\nFrom: {{.A}}\n\n[a]({{.B}}) **{{.A}}**",
	} {
		f.Add(seed, "x", "y")
	}
	f.Fuzz(func(t *testing.T, src, a, b string) {
		tp, err := Load(mapFS(map[string]string{"message.md": src}), "tmpl", testOptions())
		if err != nil {
			return
		}
		ps := tp.Check([]string{"A", "B", "Email"})
		for _, p := range ps {
			if !p.Warning {
				return
			}
		}
		_, _, _ = tp.Render(map[string]string{"A": a, "B": b, "Email": "e@example.org"}, "")
	})
}

// TestNoLoopsInLetters: {{range}}, {{template}}, {{define}} and {{block}} are errors of the
// folder: every value of a letter is one text, and they let a template run without end
// (regression: {{range 100000000000}}{{end}} made check hang).
func TestNoLoopsInLetters(t *testing.T) {
	for _, body := range []string{
		"{{range 100000000000}}{{end}}",
		"{{range .A}}x{{end}}",
		"{{define \"x\"}}{{template \"x\"}}{{end}}{{template \"x\"}}",
		"{{block \"b\" .}}x{{end}}",
	} {
		t.Run(body, func(t *testing.T) {
			tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nDear,\n\n" + body + "\n"}, testOptions())
			errs := errorsOf(tp.Check([]string{"A", "Email"}))
			if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "has no use in a letter") {
				t.Errorf("Check errors = %q, want the loop refused", errs)
			}
			done := make(chan struct{})
			go func() {
				tp.Render(map[string]string{"A": "x", "Email": "e@example.org"}, "")
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Render still running after 10 s")
			}
		})
	}
}

// TestFilesOfAMessageBounded: attachments adding up to more than a mail server accepts are
// an error for the row, not a message that no server takes.
func TestFilesOfAMessageBounded(t *testing.T) {
	big := strings.Repeat("x", 13<<20)
	tp := loadFiles(t, map[string]string{
		"message.md": "Subject: S\nFrom: a@example.org\nAttach: a.pdf\nAttach: {{.File}}\n\nText\n",
		"a.pdf":      big, "b.pdf": big, "c.pdf": "small",
	}, testOptions())
	if _, _, err := tp.Render(map[string]string{"File": "b.pdf", "Email": "e@example.org"}, ""); err == nil || !strings.Contains(err.Error(), "the files of this message add up to 26 MB, more than any mail server accepts") {
		t.Errorf("Render with 26 MB of files: %v", err)
	}
	if _, _, err := tp.Render(map[string]string{"File": "c.pdf", "Email": "e@example.org"}, ""); err != nil {
		t.Errorf("Render with 13 MB of files: %v", err)
	}
}

// TestUnsafeLinkFromACellIsNamed: html/template refuses a javascript: link from a cell and
// writes #ZgotmplZ instead; the row gets a warning rather than a broken link in silence.
func TestUnsafeLinkFromACellIsNamed(t *testing.T) {
	tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n[Register]({{.Link}})\n"}, testOptions())
	_, notices, err := tp.Render(map[string]string{"Link": "javascript:alert(1)", "Email": "e@example.org"}, "")
	if err != nil || len(notices) != 1 || !strings.Contains(string(notices[0]), "refused as unsafe") {
		t.Errorf("Render: notices %q, %v; want one about the refused link", notices, err)
	}
	if _, notices, _ := tp.Render(map[string]string{"Link": "https://register.example/", "Email": "e@example.org"}, ""); len(notices) != 0 {
		t.Errorf("a safe link gives notices %q", notices)
	}
}
