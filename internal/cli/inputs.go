package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/template"
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
	facts         factFlag
	// fromConfig holds the config file's settings that no flag takes as they are
	// (password_command, [facts]).
	fromConfig configSettings
}

// factFlag collects --fact NAME=VALUE, which may be given many times. It is not a
// StringSliceFlag: that splits on commas, and a venue or a letterhead has commas.
type factFlag struct{ facts map[string]string }

func (f *factFlag) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("%q: write the fact as NAME=VALUE, such as venue=\"World Forum\"", s)
	}
	k, err := template.ParseFactKey(key)
	if err != nil {
		return err
	}
	if f.facts == nil {
		f.facts = map[string]string{}
	}
	f.facts[k] = value
	return nil
}

func (f *factFlag) String() string {
	keys := slices.Sorted(maps.Keys(f.facts))
	for i, k := range keys {
		keys[i] = k + "=" + f.facts[k]
	}
	return strings.Join(keys, ", ")
}

// factPrefix starts the name of the environment variables that set facts:
// HERALD_FACT_REPLY_DEADLINE sets reply-deadline, HERALD_FACT_VENUE__FR sets venue.fr.
const factPrefix = "HERALD_FACT_"

// envFacts reads the facts set by environment variables.
func envFacts(environ []string) (map[string]string, error) {
	facts := map[string]string{}
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(strings.ToUpper(name), factPrefix)
		if !ok {
			continue
		}
		fact, lang, hasLang := strings.Cut(rest, "__")
		key := strings.ToLower(strings.ReplaceAll(fact, "_", "-"))
		if hasLang {
			key += "." + strings.ToLower(strings.ReplaceAll(lang, "_", "-"))
		}
		k, err := template.ParseFactKey(key)
		if err != nil {
			return nil, usageHint(fmt.Errorf("environment variable %s: %v", name, err),
				"name the variable HERALD_FACT_ and the fact in capitals, - written _: HERALD_FACT_REPLY_DEADLINE; for one language add __ and its code: HERALD_FACT_REPLY_DEADLINE__FR")
		}
		facts[k] = value
	}
	return facts, nil
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
		&cli.GenericFlag{Name: "fact", Value: &o.facts, Usage: "set a campaign fact the template reads as {{fact \"NAME\"}}: `NAME=VALUE`, repeatable; NAME.fr=VALUE for one language (also HERALD_FACT_NAME variables and [facts] in herald.toml)"},
	}
	if withSkip {
		flags = append(flags, &cli.BoolFlag{Name: "skip-invalid", Destination: &o.skipInvalid, Usage: "leave out rows with errors (they are listed) instead of refusing to run", EnvVars: []string{"HERALD_SKIP_INVALID"}})
	}
	return flags
}

// loadConfig is the Before hook of a command: it completes o from the config file, and the
// facts from the environment.
func (o *inputOptions) loadConfig(cfg *configFile) cli.BeforeFunc {
	return func(c *cli.Context) error {
		settings, err := cfg.apply(c, o.config)
		o.fromConfig = settings
		if err != nil {
			return err
		}
		env, err := envFacts(os.Environ())
		if err != nil {
			return err
		}
		// A fact is taken as a whole from the first place that names it: --fact, then the
		// environment, then herald.toml (then the template's facts.toml).
		o.facts.facts = template.MergeFacts(o.facts.facts, env, settings.facts)
		return nil
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
		Facts:         o.facts.facts,
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
