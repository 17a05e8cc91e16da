package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/run"
)

func initCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "create a campaign folder to edit: herald.toml, contacts.xlsx and the templates",
		ArgsUsage: "[DIR]",
		Description: `Writes a ready-to-edit campaign folder (default: the current folder):
   herald.toml     the settings, commented
   contacts.xlsx   the sample authorities: replace them with your own
   templates/      copies of the built-in templates (save-the-date, invitation) to adapt
Never overwrites a file: if one exists, nothing is written and the file is named.

Example:
   herald init conference-2024 && cd conference-2024 && herald check`,
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 1 {
				return usagef("init takes one folder, got %d arguments", c.Args().Len())
			}
			dir := c.Args().First()
			if dir == "" {
				dir = "."
			}
			return runInit(s, dir)
		},
	}
}

func runInit(s Streams, dir string) error {
	files, err := run.Init(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Created in %s:\n", dir)
	for _, f := range files {
		fmt.Fprintf(s.Out, "  %s\n", f)
	}
	fmt.Fprintln(s.Out, "Next: edit contacts.xlsx and herald.toml, then run herald check and herald preview in that folder.")
	return nil
}
