package cli

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/run"
)

// inputFlags are shared by every command that plans a mailing.
func inputFlags() []cli.Flag {
	return registerKeys([]cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "read settings from `FILE` (default ./herald.toml when present)", EnvVars: []string{"HERALD_CONFIG"}},
		&cli.StringFlag{Name: "contacts", Aliases: []string{"c"}, Usage: "the workbook of contacts, `FILE`.xlsx or .csv (default: the built-in sample)", EnvVars: []string{"HERALD_CONTACTS"}},
		&cli.StringFlag{Name: "sheet", Usage: "the `SHEET` of the workbook to read (default: the first)", EnvVars: []string{"HERALD_SHEET"}},
		&cli.StringFlag{Name: "template", Aliases: []string{"t"}, Usage: "a built-in template (save-the-date, invitation) or a template `FOLDER`", EnvVars: []string{"HERALD_TEMPLATE"}},
		&cli.StringFlag{Name: "campaign", Usage: "the `NAME` this mailing is logged under (default: the template's name)", EnvVars: []string{"HERALD_CAMPAIGN"}},
		&cli.StringFlag{Name: "from", Usage: "sender `ADDRESS`, e.g. \"Secretariat <secretariat@ministry.example>\" (default: the template's From)", EnvVars: []string{"HERALD_FROM"}},
		&cli.StringFlag{Name: "reply-to", Usage: "reply `ADDRESS` (default: the template's Reply-To)", EnvVars: []string{"HERALD_REPLY_TO"}},
	})
}

var skipInvalidFlag = registerKeys([]cli.Flag{
	&cli.BoolFlag{Name: "skip-invalid", Usage: "leave out rows with errors (they are listed) instead of refusing to run", EnvVars: []string{"HERALD_SKIP_INVALID"}},
})[0]

func inputsFrom(c *cli.Context) run.Inputs {
	in := run.Inputs{
		Contacts:    c.String("contacts"),
		Sheet:       c.String("sheet"),
		Template:    c.String("template"),
		Campaign:    c.String("campaign"),
		From:        c.String("from"),
		ReplyTo:     c.String("reply-to"),
		SkipInvalid: hasFlag(c, "skip-invalid") && c.Bool("skip-invalid"),
	}
	in.Now, in.NewID = reproducible()
	return in
}

// reproducible honours SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/):
// when it is set every message gets that Date and a Message-ID counted from 1, so that two
// previews of the same input are byte for byte the same and can be compared with diff.
func reproducible() (func() time.Time, func() string) {
	epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		return nil, nil
	}
	at := time.Unix(epoch, 0).UTC()
	var n atomic.Int64
	return func() time.Time { return at },
		func() string { return fmt.Sprintf("herald.%d.%06d", epoch, n.Add(1)) }
}

// noArgs rejects stray arguments, which are almost always a flag typed without its dashes
// or a path given without --contacts.
func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("%s takes no arguments, got %q; did you mean --contacts %s?", c.Command.Name, c.Args().First(), c.Args().First())
	}
	return nil
}

// prepare plans the mailing and prints its problems to stderr.
func prepare(c *cli.Context, s Streams) (*run.Plan, error) {
	plan, err := run.Prepare(inputsFrom(c), nil)
	if err != nil {
		return nil, err
	}
	printProblems(s, plan.Problems)
	return plan, nil
}

func printProblems(s Streams, problems []run.Problem) {
	for _, warnings := range []bool{false, true} {
		for _, p := range problems {
			if p.Warning != warnings {
				continue
			}
			kind := "error"
			if p.Warning {
				kind = "warning"
			}
			if p.Where != "" {
				fmt.Fprintf(s.Err, "%s: ", p.Where)
			}
			fmt.Fprintf(s.Err, "%s: %s\n", kind, p.Message)
			if p.Hint != "" {
				fmt.Fprintf(s.Err, "    hint: %s\n", p.Hint)
			}
		}
	}
}
