package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/run"
)

// previewOptions are the settings of herald preview (and of send --dry-run).
type previewOptions struct {
	inputOptions
	out   string
	limit int
	row   int // -1: write the whole preview
}

func (o *previewOptions) outFlag(aliases ...string) cli.Flag {
	return &cli.StringFlag{Name: "out", Aliases: aliases, Value: "preview", Destination: &o.out, Usage: "write the preview into `FOLDER`", EnvVars: []string{"HERALD_OUT"}}
}

func previewCommand(s Streams, cfg *configFile) *cli.Command {
	o := &previewOptions{}
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
		Before: o.loadConfig(cfg),
		Flags: append(o.flags(true),
			o.outFlag("o"),
			&cli.IntFlag{Name: "limit", Destination: &o.limit, Usage: "render only the first `N` messages"},
			&cli.IntFlag{Name: "row", Value: -1, Destination: &o.row, Usage: "print the headers and text of the message for sheet row `N` instead of writing files"},
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runPreview(c.Context, s, o)
		},
	}
}

func runPreview(ctx context.Context, s Streams, o *previewOptions) error {
	if o.limit < 0 {
		return usagef("--limit must be a positive number of messages")
	}
	in := o.inputs(true)
	if o.row >= 0 {
		p, err := run.Prepare(ctx, in, nil)
		if err != nil {
			return err
		}
		// As in the whole preview, a value still to be set shows as its marker.
		run.AllowUnset(p)
		printProblems(s, p.Problems)
		if err := p.Ready(in.SkipInvalid); err != nil {
			return err
		}
		return printRow(s, p, o.row)
	}
	p, res, err := run.Preview(ctx, in, o.out, o.limit)
	if p != nil {
		printProblems(s, p.Problems)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Rendered %d of %d messages into %s/ (nothing was sent).\n", res.Messages, len(p.Items), res.Dir)
	if len(p.Skipped) > 0 {
		fmt.Fprintf(s.Out, "Left out %d rows with errors (listed above).\n", len(p.Skipped))
	}
	fmt.Fprintf(s.Out, "Look through them: open %s in a browser.\n", res.Index)
	if settings := run.UnsetSettings(p.Problems); len(settings) > 0 {
		fmt.Fprintf(s.Out, "Still to be set (the messages show «to be set: …» in their place, and send refuses them): %s.\n", strings.Join(settings, ", "))
	}
	if o.contacts == "" {
		// A first run, most likely: say how to go from the sample to a campaign of one's own.
		fmt.Fprint(s.Out, `
This was the built-in sample. To prepare your own campaign:
   herald init campaign    a folder with herald.toml, contacts.xlsx and the templates to edit
   cd campaign             put your recipients in contacts.xlsx, and the sender (from) and
                           the campaign facts ([facts]) in herald.toml
   herald check            lists what is still wrong or missing, and where
   herald preview          shows the messages again
`)
	}
	return nil
}

func printRow(s Streams, p *plan.Plan, row int) error {
	for i := range p.Items {
		it := &p.Items[i]
		if it.Row != row {
			continue
		}
		msg, err := p.Render(it)
		if err != nil {
			return err
		}
		return run.PrintMessage(s.Out, it, msg)
	}
	for _, it := range p.Skipped {
		if it.Row == row {
			return fmt.Errorf("row %d has errors (listed above), so it has no message", row)
		}
	}
	return problem.WithHint(fmt.Errorf("no message for row %d of %s", row, p.Source), "give the row number shown at the left of the sheet; empty rows and repeated recipients have no message of their own")
}
