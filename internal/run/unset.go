package run

import (
	"errors"
	"slices"

	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/template"
)

// StillToSet returns the problems about values still to be set: the sender, campaign facts
// (template.ErrUnset). The messages show a marker in their place; check reports them as
// errors and send refuses them, except to --test-to.
func StillToSet(problems []problem.Problem) []problem.Problem {
	var out []problem.Problem
	for _, p := range problems {
		if errors.Is(p, template.ErrUnset) {
			out = append(out, p)
		}
	}
	return out
}

// UnsetSettings names what to give for each value still to be set: "--from",
// "--fact venue", each once, in the order of the problems.
func UnsetSettings(problems []problem.Problem) []string {
	var out []string
	for _, p := range StillToSet(problems) {
		var u *template.UnsetError
		if errors.As(p, &u) && !slices.Contains(out, u.Setting) {
			out = append(out, u.Setting)
		}
	}
	return out
}

// AllowUnset lets a plan be previewed, or sent to a tester, while values are still to be
// set: their problems become warnings, since the messages show «to be set: …» where the
// values go. It returns how many there were.
func AllowUnset(p *plan.Plan) int {
	n := 0
	for i := range p.Problems {
		if pr := &p.Problems[i]; !pr.Warning && errors.Is(*pr, template.ErrUnset) {
			pr.Warning = true
			n++
		}
	}
	return n
}
