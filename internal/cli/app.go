// Package cli is herald's command line: commands, flags, the config file, prompts and exit
// codes. It is the only package that knows about urfave/cli; the work itself is done by the
// run package.
//
// Output rules: results go to stdout; problems, progress and prompts go to stderr. Errors
// read "herald: error: …", followed when there is one by "herald: hint: …" naming what to do.
// Exit codes are decided in exactly one place, exitCode below.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes, documented in the README and in herald --help.
const (
	ExitOK           = 0 // everything done
	ExitFailure      = 1 // the run could not proceed, or check found errors
	ExitUsage        = 2 // the command line or the config file is wrong
	ExitNotDelivered = 3 // some recipients were not delivered
)

// Streams are the terminal herald talks to; tests pass buffers.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
	// InteractiveIn tells whether In is a terminal a person can answer at.
	InteractiveIn bool
	// ColorOut tells whether Out is a terminal that shows colour.
	ColorOut bool
}

// Main runs herald with args (args[0] is the program name) and returns the exit code.
func Main(ctx context.Context, args []string, s Streams) int {
	app := newApp(s)
	err := app.RunContext(ctx, args)
	return printError(s.Err, err)
}

// usageError is a mistake on the command line or in the config file: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// hintError carries advice printed on its own line after the error.
type hintError struct {
	err  error
	hint string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }
func (e hintError) Hint() string  { return e.hint }

// hinter is an error that knows what the user should do about it; any package may return
// one, and its hint is printed on a line of its own.
type hinter interface{ Hint() string }

func withHint(err error, hint string) error { return hintError{err, hint} }

// exitError ends a command with a code other than 1 and no message of its own (the command
// has already said what happened).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitCode(err error) int {
	var (
		usage usageError
		exit  exitError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		return ExitUsage
	default:
		return ExitFailure
	}
}

func printError(w io.Writer, err error) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	var exit exitError
	if errors.As(err, &exit) {
		return code
	}
	fmt.Fprintf(w, "herald: error: %s\n", err)
	var h hinter
	switch {
	case errors.As(err, &h) && h.Hint() != "":
		fmt.Fprintf(w, "herald: hint: %s\n", h.Hint())
	case code == ExitUsage:
		fmt.Fprintln(w, "herald: hint: see herald --help, or herald COMMAND --help")
	}
	return code
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
		return "devel"
	}
	return info.Main.Version
}

func newApp(s Streams) *cli.App {
	app := &cli.App{
		Name:      "herald",
		Usage:     "send personalised diplomatic mail from a spreadsheet, once to each recipient",
		Version:   version(),
		Reader:    s.In,
		Writer:    s.Out,
		ErrWriter: s.Err,
		Description: strings.TrimSpace(`
herald reads a workbook of contacts (.xlsx or .csv) and a template folder, checks every
row, and previews the messages as .eml files or sends them over SMTP, keeping a delivery
log so that nobody is mailed twice.

Start with:  herald init mailing && cd mailing && herald check && herald preview

Exit codes:
   0  everything done
   1  the run could not proceed (or check found errors)
   2  usage error: a wrong flag, argument or config key
   3  some recipients were not delivered (send, status)`),
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		Commands: []*cli.Command{
			initCommand(s),
			checkCommand(s),
			previewCommand(s),
			sendCommand(s),
			statusCommand(s),
		},
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
	}
	for _, cmd := range app.Commands {
		// Without this urfave/cli prints the whole help and exits 1 on a bad flag.
		cmd.OnUsageError = app.OnUsageError
	}
	app.Action = func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("unknown command %q (commands: init, check, preview, send, status)", c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	return app
}
