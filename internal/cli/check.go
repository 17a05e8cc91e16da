package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func checkCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "read the workbook and the template and list every problem",
		Description: `Reads everything a run needs and lists every problem with where it is (file, sheet
and cell, or template file and line) and how to fix it. Nothing is written or sent.
Exit 0 when there are no errors (warnings are fine), 1 when there are errors.

Example:
   herald check --contacts contacts.xlsx --template invitation`,
		Before: applyConfig,
		Flags:  inputFlags(),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			plan, err := prepare(c, s)
			if err != nil {
				return err
			}
			warnings := len(plan.Problems) - plan.Errors()
			fmt.Fprintf(s.Out, "contacts:  %s", plan.Source)
			if plan.Table.Sheet != "" {
				fmt.Fprintf(s.Out, ", sheet %s", plan.Table.Sheet)
			}
			fmt.Fprintf(s.Out, " (%s)\n", plural(len(plan.Table.Rows), "row"))
			kind := "folder"
			if plan.BuiltinTemplate {
				kind = "built-in"
			}
			fmt.Fprintf(s.Out, "template:  %s (%s; languages: %s)\n", plan.Template.Name(), kind, languages(plan.Template.Languages()))
			fmt.Fprintf(s.Out, "campaign:  %s\n", plan.Campaign)
			var names []string
			for _, col := range plan.Table.Columns {
				if col.Name != "" {
					names = append(names, "{{."+col.Name+"}}")
				}
			}
			fmt.Fprintf(s.Out, "columns:   %s\n", strings.Join(names, " "))
			fmt.Fprintf(s.Out, "messages:  %d ready, %d rows with errors, %s, %s\n",
				len(plan.Items), len(plan.Skipped), plural(plan.Errors(), "error"), plural(warnings, "warning"))
			if plan.Errors() > 0 {
				return exitError{ExitFailure}
			}
			return nil
		},
	}
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

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
