// Command herald sends personalised diplomatic mail from a spreadsheet: see README.md, or
// run herald --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/term"

	"github.com/mla-initiative/herald/internal/cli"
)

func main() {
	// herald promises to read any input, or refuse it, within 300 MB: a soft limit makes the
	// garbage collector work harder before the process grows past it (GOMEMLIMIT overrides).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(250 << 20)
	}
	// A reader that goes away (herald send --yes | head -3) must not kill a send half-way:
	// with SIGPIPE ignored, writing to the closed output fails and herald goes on.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C or SIGTERM asks the run to stop cleanly (send finishes or abandons
		// the message in flight and records it); from then on signals are no longer caught,
		// so a second one stops herald at once.
		<-ctx.Done()
		stop()
	}()
	s := cli.Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InteractiveIn: term.IsTerminal(int(os.Stdin.Fd())),
		ColorOut:      term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "",
		TerminalOut:   term.IsTerminal(int(os.Stdout.Fd())),
	}
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		s.Width = w
	}
	code := cli.Main(ctx, os.Args, s)
	stop()
	os.Exit(code)
}
