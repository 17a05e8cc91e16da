package run

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenRows are rows of the built-in sample that between them use every language variant
// (fr-CH falling back to French), several addresses in one cell, two Cc, a name given to the
// To address, a display name of the cell's own in Chinese, and a Mongolian name.
var goldenRows = map[int]string{
	2:  "es-named",
	4:  "fr-CH-two-addresses",
	6:  "fr-two-cc",
	19: "en-chinese-display-name",
	21: "en-mongolian-name",
}

// goldenFacts are test values for the facts the built-in templates leave to the user, so
// that the golden files show every fact in place. The save-the-date's contact and letterhead
// are its defaults, from the original.
var goldenFacts = map[string]map[string]string{
	"save-the-date": {"information-link": "https://mla-initiative.example/convention"},
	"invitation": {
		"letterhead": "MINISTRY OF FOREIGN AFFAIRS\nPROTOCOL DEPARTMENT", "signatory": "Head of Protocol",
		"contact": "conference@mfa.example", "venue": "Conference Centre, Example Street 1",
		"reply-deadline.en": "31 January 2024", "reply-deadline.fr": "31 janvier 2024", "reply-deadline.es": "31 de enero de 2024",
		"programme": "https://conference.example/programme", "registration": "https://conference.example/registration",
		"full-powers": "registration desk of the Conference Centre",
	},
}

// TestGoldenBuiltin renders the built-in templates for the built-in sample with a fixed
// clock and Message-IDs and compares each message byte for byte with testdata/golden:
// any change to what a minister receives shows up as a diff to review. Run with -update to
// accept a change on purpose.
func TestGoldenBuiltin(t *testing.T) {
	for _, tmpl := range []string{"save-the-date", "invitation"} {
		n := 0
		in := Inputs{
			Template: tmpl,
			From:     "Protocol <protocol@mfa.example>",
			Facts:    goldenFacts[tmpl],
			Now:      func() time.Time { return time.Date(2023, 11, 14, 9, 0, 0, 0, time.UTC) },
			NewID:    func() string { n++; return fmt.Sprintf("golden.%s.%d", tmpl, n) },
		}
		seen := 0
		plan, err := Prepare(context.Background(), in, func(it *plan.Item, msg *message.Message) error {
			name, ok := goldenRows[it.Row]
			if !ok {
				return nil
			}
			seen++
			got, err := mail.AppendEML(nil, msg)
			if err != nil {
				return err
			}
			compareGolden(t, filepath.Join("..", "..", "testdata", "golden", fmt.Sprintf("%s-row%02d-%s.eml", tmpl, it.Row, name)), got)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tmpl, err)
		}
		if plan.Errors() != 0 {
			t.Fatalf("%s: the built-in sample has errors: %v", tmpl, plan.Problems)
		}
		if seen != len(goldenRows) {
			t.Errorf("%s: rendered %d of the %d golden rows", tmpl, seen, len(goldenRows))
		}
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/run -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: rendered message differs from the golden file; review the change, then run with -update\n%s", path, firstDifference(got, want))
	}
}

func firstDifference(got, want []byte) string {
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, g, w)
		}
	}
	return ""
}
