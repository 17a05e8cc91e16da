// Command herald sends personalised diplomatic mail from a spreadsheet: see README.md, or
// run herald --help.
package main

import (
	"context"
	"os"
	"os/signal"

	"golang.org/x/term"

	"github.com/mla-initiative/herald/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args, cli.Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InteractiveIn: term.IsTerminal(int(os.Stdin.Fd())),
		ColorOut:      term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "",
	})
	stop()
	os.Exit(code)
}
