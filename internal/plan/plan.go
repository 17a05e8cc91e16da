// Package plan holds the checked mailing every job works from: one Item per recipient row,
// the rows left out and every problem found. The run package builds a Plan from the
// workbook and the template before anything is written or sent; preview, send and the
// status report read it. It sits below all of them so that data flows one way:
// cli → run → send, report → plan → the packages that read files and write mail.
package plan

import (
	"fmt"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/template"
)

// Plan is a checked mailing: one Item per recipient, in sheet order. A plan with errors must
// not be previewed or sent; Items then holds only the rows that are fine.
type Plan struct {
	Campaign string
	Source   string // the workbook as the user named it ("built-in sample (…)" for the sample)
	Table    *contacts.Table
	Template *template.Template
	// BuiltinTemplate is true when Template is one of the templates embedded in herald.
	BuiltinTemplate bool
	Items           []Item
	// Skipped holds the rows left out because of errors (with --skip-invalid they are
	// listed; without it the plan refuses to run while there are any).
	Skipped  []Item
	Problems []problem.Problem
	// DuplicateOf maps the row of a repeated recipient to the row it is mailed from.
	DuplicateOf map[int]int
}

// Item is one message to one recipient row.
type Item struct {
	Row      int // sheet row number, as the user sees it
	Key      string
	To       []message.Address
	Cc       []message.Address
	Bcc      []message.Address
	Language string // the variant used: "" is the default message.md
	// Label names the row for people, from its first cells that are not addresses
	// ("Chile · Ministerio de Justicia"): an address alone is hard to recognise.
	Label   string
	Fields  map[string]string
	Subject string
	// MailedBy holds the addresses of this row (by message.Address.Key) that an earlier row
	// of the sheet already mails, with that row: each address receives one copy of a
	// campaign, the message of the first row that lists it, so send leaves them out of this
	// row's envelope unless told to repeat them.
	MailedBy map[string]int
}

// Errors counts the problems that stop a run.
func (p *Plan) Errors() int {
	n, _ := problem.Count(p.Problems)
	return n
}

// Ready reports whether the plan may be previewed or sent: no errors, or with skipInvalid
// only errors that concern rows, which are then left out.
func (p *Plan) Ready(skipInvalid bool) error {
	n := p.Errors()
	if n == 0 {
		return nil
	}
	onlyRows := true
	for _, pr := range p.Problems {
		if !pr.Warning && pr.Row == 0 {
			onlyRows = false
		}
	}
	if skipInvalid && onlyRows {
		return nil
	}
	hints := []string{"run herald check to see them all, fix them and run again"}
	if onlyRows {
		hints = append(hints, "to go on with the other rows now, add --skip-invalid: the rows with errors are left out and listed")
	}
	msg := "the input has 1 error"
	if n != 1 {
		msg = fmt.Sprintf("the input has %d errors", n)
	}
	return problem.WithHint(&NotReadyError{Count: n, msg: msg}, hints...)
}

// NotReadyError says that a plan has errors; the problems themselves are in Plan.Problems,
// for the caller to show.
type NotReadyError struct {
	Count int
	msg   string
}

func (e *NotReadyError) Error() string { return e.msg }

// Render renders the message of one planned item.
func (p *Plan) Render(it *Item) (*message.Message, error) {
	m, _, err := p.Template.Render(it.Fields, it.Language)
	return m, err
}
