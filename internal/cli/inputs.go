package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/run"
)

// inputOptions are the settings of every command that plans a mailing.
type inputOptions struct {
	config        string
	contacts      string
	sheet         string
	template      string
	campaign      string
	from          string
	replyTo       string
	skipInvalid   bool
	notRecipients cli.StringSlice
	// fromConfig holds the config file's keys that no flag has (password_command).
	fromConfig map[string]string
}

// flags binds the input flags to o. withSkip adds --skip-invalid, for the commands that can
// leave rows out.
func (o *inputOptions) flags(withSkip bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "config", Destination: &o.config, Usage: "read settings from `FILE` (default ./herald.toml when present)", EnvVars: []string{"HERALD_CONFIG"}},
		&cli.StringFlag{Name: "contacts", Aliases: []string{"c"}, Destination: &o.contacts, Usage: "the workbook of contacts, `FILE`.xlsx or .csv (default: the built-in sample)", EnvVars: []string{"HERALD_CONTACTS"}},
		&cli.StringFlag{Name: "sheet", Destination: &o.sheet, Usage: "the `SHEET` of the workbook to read (default: the first)", EnvVars: []string{"HERALD_SHEET"}},
		&cli.StringFlag{Name: "template", Aliases: []string{"t"}, Destination: &o.template, Usage: "a built-in template (save-the-date, invitation) or a template `FOLDER`", EnvVars: []string{"HERALD_TEMPLATE"}},
		&cli.StringFlag{Name: "campaign", Destination: &o.campaign, Usage: "the `NAME` this mailing is logged under (default: the template folder's name)", EnvVars: []string{"HERALD_CAMPAIGN"}},
		&cli.StringFlag{Name: "from", Destination: &o.from, Usage: "sender `ADDRESS`, e.g. \"Secretariat <secretariat@ministry.example>\" (default: the template's From)", EnvVars: []string{"HERALD_FROM"}},
		&cli.StringFlag{Name: "reply-to", Destination: &o.replyTo, Usage: "reply `ADDRESS` (default: the template's Reply-To)", EnvVars: []string{"HERALD_REPLY_TO"}},
		&cli.StringSliceFlag{Name: "not-recipients", Destination: &o.notRecipients, Usage: "the `COLUMNS` (headers, separated by commas) that hold addresses which must not receive the message", EnvVars: []string{"HERALD_NOT_RECIPIENTS"}},
	}
	if withSkip {
		flags = append(flags, &cli.BoolFlag{Name: "skip-invalid", Destination: &o.skipInvalid, Usage: "leave out rows with errors (they are listed) instead of refusing to run", EnvVars: []string{"HERALD_SKIP_INVALID"}})
	}
	return flags
}

// loadConfig is the Before hook of a command: it completes o from the config file.
func (o *inputOptions) loadConfig(cfg *configFile) cli.BeforeFunc {
	return func(c *cli.Context) error {
		extra, err := cfg.apply(c, o.config)
		o.fromConfig = extra
		return err
	}
}

// inputs turns the options into what run reads. reproducible says whether
// SOURCE_DATE_EPOCH may fix dates and Message-IDs: only for a preview.
func (o *inputOptions) inputs(reproducible bool) run.Inputs {
	in := run.Inputs{
		Contacts:      o.contacts,
		Sheet:         o.sheet,
		Template:      o.template,
		Campaign:      o.campaign,
		From:          o.from,
		ReplyTo:       o.replyTo,
		SkipInvalid:   o.skipInvalid,
		NotRecipients: o.notRecipients.Value(),
	}
	if reproducible {
		in.Now, in.NewID = sourceDateEpoch()
	}
	return in
}

// sourceDateEpoch honours SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/):
// when it is set every message gets that Date and a Message-ID counted from 1, so that two
// previews of the same input are byte for byte the same and can be compared with diff.
func sourceDateEpoch() (func() time.Time, func() string) {
	epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		return nil, nil
	}
	at := time.Unix(epoch, 0).UTC()
	var n atomic.Int64
	return func() time.Time { return at },
		func() string { return fmt.Sprintf("herald.%d.%06d", epoch, n.Add(1)) }
}

// prepare plans the mailing and prints its problems to stderr.
func prepare(ctx context.Context, s Streams, in run.Inputs) (*plan.Plan, error) {
	p, err := run.Prepare(ctx, in, nil)
	if err != nil {
		return nil, err
	}
	printProblems(s, p.Problems)
	return p, nil
}
