// Command herald sends personalised diplomatic mail from a spreadsheet: see README.md, or
// run herald --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/mla-initiative/herald/internal/cli"
)

func main() {
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
