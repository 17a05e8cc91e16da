package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/run"
)

func previewCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:  "preview",
		Usage: "render every message into a folder of .eml files and an index.html, without sending",
		Description: `Renders every message exactly as send would transmit it and writes, under --out:
one .eml file per message (open it with Outlook or Thunderbird), one .html file per
message body, and index.html, a page listing every message to look through in a browser.
The folder is replaced as a whole. No network connection is opened.

Examples:
   herald preview                                  the built-in sample and save-the-date
   herald preview --contacts contacts.xlsx --template invitation --out preview
   herald preview --row 14                         print the message of sheet row 14`,
		Before: applyConfig,
		Flags: append(inputFlags(), skipInvalidFlag,
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "preview", Usage: "write the preview into `FOLDER`", EnvVars: []string{"HERALD_OUT"}},
			&cli.IntFlag{Name: "limit", Usage: "render only the first `N` messages"},
			&cli.IntFlag{Name: "row", Usage: "print the headers and text of the message for sheet row `N` instead of writing files"},
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if c.Int("limit") < 0 {
				return usagef("--limit must be a positive number of messages")
			}
			in := inputsFrom(c)
			if c.IsSet("row") {
				plan, err := prepare(c, s)
				if err != nil {
					return err
				}
				if err := plan.Ready(in.SkipInvalid); err != nil {
					return err
				}
				return printRow(s, plan, c.Int("row"))
			}
			return previewAction(c, s, in)
		},
	}
}

func printRow(s Streams, plan *run.Plan, row int) error {
	for i := range plan.Items {
		it := &plan.Items[i]
		if it.Row != row {
			continue
		}
		msg, err := plan.Render(it)
		if err != nil {
			return err
		}
		return run.PrintMessage(s.Out, it, msg)
	}
	for _, it := range plan.Skipped {
		if it.Row == row {
			return fmt.Errorf("row %d has errors (listed above), so it has no message", row)
		}
	}
	return withHint(fmt.Errorf("no message for row %d of %s", row, plan.Source), "give the row number shown at the left of the sheet; empty rows and repeated recipients have no message of their own")
}
