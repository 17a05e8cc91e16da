package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/plan"
)

func checkCommand(s Streams, cfg *configFile) *cli.Command {
	o := &inputOptions{}
	return &cli.Command{
		Name:  "check",
		Usage: "read the workbook and the template and list every problem",
		Description: `Reads everything a run needs and lists every problem with where it is (file, sheet
and cell, or template file and line) and how to fix it. Nothing is written or sent.
Exit 0 when there are no errors (warnings are fine), 1 when there are errors.

Example:
   herald check --contacts contacts.xlsx --template invitation`,
		Before: o.loadConfig(cfg),
		Flags:  o.flags(false),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runCheck(c.Context, s, o)
		},
	}
}

func runCheck(ctx context.Context, s Streams, o *inputOptions) error {
	p, err := prepare(ctx, s, o.inputs(true))
	if err != nil {
		return err
	}
	describePlan(s, p)
	errs, warnings := p.Errors(), len(p.Problems)-p.Errors()
	fmt.Fprintf(s.Out, "messages:  %d ready, %d rows with errors, %s, %s\n",
		len(p.Items), len(p.Skipped), plural(errs, "error"), plural(warnings, "warning"))
	if errs > 0 {
		return quietExit{ExitFailure}
	}
	return nil
}

// describePlan says what was read: the workbook, the template, the campaign and the columns.
func describePlan(s Streams, p *plan.Plan) {
	fmt.Fprintf(s.Out, "contacts:  %s", p.Source)
	if p.Table.Sheet != "" {
		fmt.Fprintf(s.Out, ", sheet %s", p.Table.Sheet)
	}
	fmt.Fprintf(s.Out, " (%s)\n", plural(len(p.Table.Rows), "row"))
	kind := "folder"
	if p.BuiltinTemplate {
		kind = "built-in"
	}
	fmt.Fprintf(s.Out, "template:  %s (%s; languages: %s)\n", p.Template.Name(), kind, languages(p.Template.Languages()))
	fmt.Fprintf(s.Out, "campaign:  %s\n", p.Campaign)
	var names []string
	for _, col := range p.Table.Columns {
		if col.Name != "" {
			names = append(names, "{{."+col.Name+"}}")
		}
	}
	fmt.Fprintf(s.Out, "columns:   %s\n", strings.Join(names, " "))
}

func languages(langs []string) string {
	out := make([]string, len(langs))
	for i, l := range langs {
		if l == "" {
			l = "default"
		}
		out[i] = l
	}
	return strings.Join(out, ", ")
}
