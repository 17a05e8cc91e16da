// Package problem is herald's one way of saying what is wrong and what to do about it.
//
// A Problem is something wrong with the input, or worth knowing about it, located as
// precisely as the input allows: a file, a sheet and cell, or a template file and line. It
// is an error, so that a package can return it, wrap it with %w, or collect many in a list.
//
// Advice travels with the error, never inside its text: Problem.Hints, and WithHint for any
// other error. Hints collects the advice of every error along an Unwrap chain, so that a
// hint given deep down (a locked delivery log) reaches the user however many times the
// error was wrapped on its way up. The command line prints each hint on a line of its own:
//
//	herald: error: contacts.xlsx: Authorities!F14 (E-mail): invalid address "jean@"
//	herald: hint: write one address per recipient, like name@ministry.example
//
// This package imports nothing of herald: every other package may use it.
package problem

import (
	"errors"
	"slices"
	"strings"
)

// Problem is one thing wrong with the input, or worth knowing about it.
type Problem struct {
	// Where names the place: "contacts.xlsx: Authorities!F14 (E-mail)",
	// "templates/invitation/message.fr.md:12", "contacts.csv: line 7". It may be empty.
	Where   string
	Message string
	// Hints say what to do about it, each a sentence of its own; they may be empty.
	Hints []string
	// Warning marks something to check that does not stop a run.
	Warning bool
	// Row is the sheet row the problem belongs to, 0 when it concerns the whole input:
	// --skip-invalid can leave out rows, never the whole input.
	Row int
	// Err is a sentinel for errors.Is, such as contacts.ErrNoColumn; it is not shown.
	Err error
}

// Error gives "where: message", without the hints.
func (p Problem) Error() string {
	if p.Where == "" {
		return p.Message
	}
	return p.Where + ": " + p.Message
}

// Unwrap gives the sentinel, if any.
func (p Problem) Unwrap() error { return p.Err }

// HintList is the problem's own advice; see Hints for an error's.
func (p Problem) HintList() []string { return p.Hints }

// Severity is "error" or "warning", as the listing of problems prints it.
func (p Problem) Severity() string {
	if p.Warning {
		return "warning"
	}
	return "error"
}

// Errorf is a Problem that is an error, located at where.
func Errorf(where, message string, hints ...string) Problem {
	return Problem{Where: where, Message: message, Hints: nonEmpty(hints)}
}

// Warningf is a Problem that is a warning, located at where.
func Warningf(where, message string, hints ...string) Problem {
	return Problem{Where: where, Message: message, Hints: nonEmpty(hints), Warning: true}
}

// hinted is an error with advice.
type hinted struct {
	err   error
	hints []string
}

func (h *hinted) Error() string      { return h.err.Error() }
func (h *hinted) Unwrap() error      { return h.err }
func (h *hinted) HintList() []string { return h.hints }

// WithHint returns err with advice attached; empty hints are dropped, and a nil err stays
// nil. The error's text is unchanged.
func WithHint(err error, hints ...string) error {
	hints = nonEmpty(hints)
	if err == nil || len(hints) == 0 {
		return err
	}
	return &hinted{err: err, hints: hints}
}

// hinter is any error that carries advice.
type hinter interface{ HintList() []string }

// Hints returns the advice of every error along err's Unwrap chain, the outermost first,
// each hint once.
func Hints(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		for e != nil {
			if h, ok := e.(hinter); ok {
				for _, s := range h.HintList() {
					if !slices.Contains(out, s) {
						out = append(out, s)
					}
				}
			}
			switch u := e.(type) {
			case interface{ Unwrap() []error }:
				for _, inner := range u.Unwrap() {
					walk(inner)
				}
				return
			case interface{ Unwrap() error }:
				e = u.Unwrap()
			default:
				return
			}
		}
	}
	walk(err)
	return out
}

// Count returns the number of errors and of warnings in ps.
func Count(ps []Problem) (errs, warnings int) {
	for _, p := range ps {
		if p.Warning {
			warnings++
		} else {
			errs++
		}
	}
	return errs, warnings
}

// HasError reports whether some problem in ps is an error.
func HasError(ps []Problem) bool {
	errs, _ := Count(ps)
	return errs > 0
}

// As returns the Problem in err's chain, if there is one.
func As(err error) (Problem, bool) {
	var p Problem
	ok := errors.As(err, &p)
	return p, ok
}

func nonEmpty(hints []string) []string {
	out := hints[:0:0]
	for _, h := range hints {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
