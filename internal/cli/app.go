// Package cli is herald's command line: commands, flags, the config file, prompts and exit
// codes. It is the only package that knows about urfave/cli; the work itself is done by the
// run package.
//
// Output rules: results go to stdout; problems, progress and prompts go to stderr. Every
// problem and error is one line, "herald: error: …" or "herald: warning: …", followed by
// one "herald: hint: …" line per piece of advice. Exit codes are decided in exactly one
// place, exitCode below.
//
// Each command keeps its settings in a typed options struct of its own, which its flags
// fill (Destination) and the config file completes (config.go); the command's run function
// receives the finished struct. Nothing is kept between two calls of Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/screen"
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
	// TerminalOut tells whether Out is a terminal, where text from cells and servers is
	// cleaned whatever the format (see package screen).
	TerminalOut bool
	// Width is the number of columns of the terminal Out writes to; 0 when it is not a
	// terminal (a file, a pipe), where lines are not cut.
	Width int
}

// Main runs herald with args (args[0] is the program name) and returns the exit code.
//
// When ctx ends (Ctrl-C, SIGTERM), send finishes or abandons the message in flight and
// records it, however long the server takes to answer; every other command stops: it is
// given stopGrace to end by itself, then Main returns whatever it is doing (reading a pipe
// that nobody writes, say).
func Main(ctx context.Context, args []string, s Streams) int {
	done := make(chan int, 1)
	go func() { done <- runApp(ctx, args, s) }()
	select {
	case code := <-done:
		return code
	case <-ctx.Done():
	}
	if slices.Contains(args[1:], "send") {
		return <-done
	}
	select {
	case code := <-done:
		return code
	case <-time.After(stopGrace):
		return printError(s.Err, errors.New("interrupted"))
	}
}

// stopGrace is how long a command other than send may take to stop once asked to.
const stopGrace = 2 * time.Second

// runApp runs the command. A panic anywhere below is an internal error: it is reported as
// one, with a request to report it, and exits 1 — never 2, which would blame the user's
// command line.
func runApp(ctx context.Context, args []string, s Streams) (code int) {
	defer func() {
		if v := recover(); v != nil {
			code = printError(s.Err, internalError{value: v, stack: debug.Stack()})
		}
	}()
	app := newApp(s)
	return printError(s.Err, app.RunContext(ctx, args))
}

// internalError is a bug in herald.
type internalError struct {
	value any
	stack []byte
}

func (e internalError) Error() string { return fmt.Sprintf("internal error: %v", e.value) }

func (e internalError) HintList() []string {
	return []string{"this is a bug in herald, not a problem with your files: please report it with the command you ran and everything herald printed (the trace below)"}
}

// usageError is a mistake on the command line or in the config file: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// usageHint is a usage error with advice.
func usageHint(err error, hints ...string) error { return usageError{problem.WithHint(err, hints...)} }

// quietExit ends a command with a code and no message of its own: the command has already
// said what happened (the problems of check, the summary of send).
type quietExit struct{ code int }

func (e quietExit) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitCode(err error) int {
	var (
		usage usageError
		quiet quietExit
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &quiet):
		return quiet.code
	case errors.As(err, &usage):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// printError prints err and its hints, and returns the exit code it stands for.
func printError(w io.Writer, err error) int {
	code := exitCode(err)
	var quiet quietExit
	if err == nil || errors.As(err, &quiet) {
		return code
	}
	fmt.Fprintf(w, "herald: error: %s\n", screen.CleanLine(err.Error()))
	hints := problem.Hints(err)
	if len(hints) == 0 && code == ExitUsage {
		hints = []string{"see herald --help, or herald COMMAND --help"}
	}
	for _, h := range hints {
		fmt.Fprintf(w, "herald: hint: %s\n", screen.CleanLine(h))
	}
	var internal internalError
	if errors.As(err, &internal) {
		w.Write(internal.stack)
	}
	return code
}

// printProblems lists problems on stderr, errors first, in the same form as an error.
func printProblems(s Streams, problems []problem.Problem) {
	for _, warnings := range []bool{false, true} {
		for _, p := range problems {
			if p.Warning != warnings {
				continue
			}
			fmt.Fprintf(s.Err, "herald: %s: %s\n", p.Severity(), screen.CleanLine(p.Error()))
			for _, h := range p.Hints {
				fmt.Fprintf(s.Err, "herald: hint: %s\n", screen.CleanLine(h))
			}
		}
	}
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		if ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					return "devel-" + s.Value[:12]
				}
			}
		}
		return "devel"
	}
	return info.Main.Version
}

// newApp builds the command tree afresh for each Main call, with flags bound to new option
// structs: urfave/cli's flags remember what they were set to.
func newApp(s Streams) *cli.App {
	cfg := &configFile{}
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
After send:  herald inbox (bounces and replies), herald status, a reminder:
             herald send --template reminder --unanswered save-the-date

Exit codes:
   0  everything done
   1  the run could not proceed (or check found errors)
   2  usage error: a wrong flag, argument or config key
   3  some recipients were not delivered (send, status)`),
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		Commands: []*cli.Command{
			initCommand(s),
			checkCommand(s, cfg),
			previewCommand(s, cfg),
			sendCommand(s, cfg),
			statusCommand(s, cfg),
			inboxCommand(s, cfg),
			loginCommand(s, cfg),
			logoutCommand(s, cfg),
		},
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError{suggestFlag(c, err)}
		},
	}
	known := map[string]bool{}
	for _, cmd := range app.Commands {
		// Without this urfave/cli prints the whole help and exits 1 on a bad flag.
		cmd.OnUsageError = app.OnUsageError
		cfg.learn(cmd.Flags)
		for _, f := range cmd.Flags {
			if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
				for _, v := range ev.GetEnvVars() {
					known[v] = true
				}
			}
		}
	}
	app.Before = func(*cli.Context) error {
		warnUnknownVariables(s.Err, known, os.Environ())
		return nil
	}
	app.Action = func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("unknown command %q (commands: init, check, preview, send, status, inbox, login, logout)", c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	return app
}

// otherVariables are the HERALD_* variables herald reads that set no flag; the prefixes are
// families of them (campaign facts) and the tests' own.
var (
	otherVariables   = []string{"HERALD_SMTP_PASSWORD", "HERALD_IMAP_PASSWORD", "HERALD_OAUTH_CLIENT_SECRET"}
	variablePrefixes = []string{factPrefix, "HERALD_REQUIRE_", "HERALD_RATE_BENCH_"}
)

// warnUnknownVariables points out a HERALD_* variable that herald does not read, such as
// HERALD_FORM: a setting the user believes given, silently ignored.
func warnUnknownVariables(w io.Writer, known map[string]bool, environ []string) {
	var names []string
	for n := range known {
		names = append(names, n)
	}
	names = append(names, otherVariables...)
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "HERALD_") || known[name] || slices.Contains(otherVariables, name) ||
			slices.ContainsFunc(variablePrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		fmt.Fprintf(w, "herald: warning: the variable %s is not one herald reads; it changes nothing\n", screen.CleanLine(name))
		if best := problem.Closest(name, names); best != "" {
			fmt.Fprintf(w, "herald: hint: did you mean %s?\n", best)
		}
	}
}

// suggestFlag adds "did you mean --smtp-host?" to the error of a mistyped flag.
func suggestFlag(c *cli.Context, err error) error {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	i := strings.Index(msg, undefined)
	if i < 0 || c == nil {
		return err
	}
	typed := strings.TrimLeft(msg[i+len(undefined):], "-")
	var names []string
	flags := c.App.Flags
	if c.Command != nil && c.Command.Name != "" {
		flags = c.Command.Flags
	}
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if best := problem.Closest(typed, names); best != "" {
		return problem.WithHint(err, fmt.Sprintf("did you mean --%s?", best))
	}
	return err
}

// noArgs rejects stray arguments, which are almost always a flag typed without its dashes
// or a path given without --contacts.
func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("%s takes no arguments, got %q; did you mean --contacts %s?", c.Command.Name, c.Args().First(), c.Args().First())
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
