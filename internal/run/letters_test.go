package run

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/template"
)

// TestReservedDomainWarnings: a sender, a reply address, a link or a calendar address on a
// domain reserved for examples is pointed out once, as a warning; the recipients are not
// (tests mail them on purpose).
func TestReservedDomainWarnings(t *testing.T) {
	p := mustPrepare(t, campaignDir(t, recipientRows(3)))
	var warnings []string
	for _, pr := range p.Problems {
		if pr.Warning {
			warnings = append(warnings, pr.Message)
		}
	}
	want := []string{"From: secretariat@conference.example.org is on example.org, a domain reserved for examples and tests: nobody can receive mail there"}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
	for _, domain := range []string{"x.example", "a.example.com", "localhost", "mail.test", "to-be-set.invalid"} {
		if _, ok := reservedDomain(domain); !ok {
			t.Errorf("reservedDomain(%q) = false", domain)
		}
	}
	for _, domain := range []string{"minjenv.nl", "example.nl", "gov.si", "examples.org", ""} {
		if d, ok := reservedDomain(domain); ok {
			t.Errorf("reservedDomain(%q) = %q, true", domain, d)
		}
	}
}

// TestEmptyCellError: an empty cell that the letter prints is an error of its row, naming
// the cell; a cell used only where the template says what to do without it is not.
func TestEmptyCellError(t *testing.T) {
	in := campaignDir(t, "Email,Name,Title\nr1@n1.test,Ana,\nr2@n2.test,,Dr\n")
	p, err := Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, pr := range p.Problems {
		if !pr.Warning {
			errs = append(errs, pr.Error())
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "line 3, column B (Name): empty, and ") || !strings.Contains(errs[0], "message.md:1 prints {{.Name}}") {
		t.Errorf("errors %q, want one for the empty Name of line 3", errs)
	}
	if got := len(p.Items); got != 1 {
		t.Errorf("%d rows ready, want 1", got)
	}
}

// TestStillToSet: values still to be set are errors that preview and a test send may pass
// over, and that name what to give.
func TestStillToSet(t *testing.T) {
	in := Inputs{Template: "invitation", Facts: map[string]string{"venue": "World Forum"}}
	p, err := Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := UnsetSettings(p.Problems)
	want := []string{"--from", "--fact contact", "--fact reply-deadline", "--fact letterhead", "--fact programme", "--fact registration", "--fact full-powers", "--fact signatory"}
	if !slices.Equal(got, want) {
		t.Errorf("UnsetSettings = %q, want %q", got, want)
	}
	if p.Errors() != len(want) || len(p.Items) != 30 {
		t.Errorf("%d errors and %d messages, want %d errors, all of them values still to be set, and every row rendered", p.Errors(), len(p.Items), len(want))
	}
	if n := AllowUnset(p); n != len(want) || p.Errors() != 0 {
		t.Errorf("AllowUnset = %d, then %d errors; want %d, then none", n, p.Errors(), len(want))
	}
	for _, pr := range StillToSet(p.Problems) {
		var u *template.UnsetError
		if !errors.As(pr, &u) || !pr.Warning {
			t.Errorf("%v: not an UnsetError warning", pr)
		}
	}
}
