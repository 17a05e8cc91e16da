package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/screen"
)

// statusOptions are the settings of herald status.
type statusOptions struct {
	inputOptions
	log    string
	format string
	export string
	// unanswered names the campaign a reminder followed up, as send --unanswered did.
	unanswered, unansweredLog string
}

func statusCommand(s Streams, cfg *configFile) *cli.Command {
	o := &statusOptions{}
	return &cli.Command{
		Name:  "status",
		Usage: "show who has the message, who does not and why, from the delivery log",
		Description: `Reads the workbook, the template and the delivery log (nothing is sent, no server is
needed) and counts the recipients by state: delivered, bounced, failed, unknown (the server
may have it), pending (not sent yet) and skipped (rows with errors). Then it lists every
recipient that is not delivered, with the server's reply and the command that would act
on it, and apart from them the recipients in the log no longer in the workbook.

--format json and csv are for scripts; the fields are documented in the README.
--export writes the workbook with Status, Sent at, Message-ID, Server reply / error and
Attempts columns appended, as .xlsx (coloured, filterable) or .csv (for Excel).

Bounced recipients (herald inbox found the bounce) are not delivered. Replies, automatic
replies and messages from others than the recipients are shown beside the states, in the
JSON and CSV fields and in the export's Bounce, Replied, Reply from and Replied at columns.
For a reminder sent with --unanswered NAME, give the same --unanswered NAME to report on its
recipients only.

Exit codes: 0 every recipient delivered, 3 some not delivered, 1 the report could not be
made, 2 usage.

Examples:
   herald status
   herald status --campaign invitation --export report.xlsx
   herald status --format json | jq '.[] | select(.status == "failed")'`,
		Before: o.loadConfig(cfg),
		Flags: append(o.flags(false),
			&cli.StringFlag{Name: "log", Destination: &o.log, Usage: "the delivery log `FILE` (default: CAMPAIGN.delivery.jsonl beside the workbook)", EnvVars: []string{"HERALD_LOG"}},
			// Not config keys: they decide what one look at the log shows.
			&cli.StringFlag{Name: "format", Value: "table", Destination: &o.format, Usage: "`FORMAT` of the report: table, csv or json"},
			&cli.StringFlag{Name: "export", Destination: &o.export, Usage: "also write the workbook with the outcome of each row to `FILE`.xlsx or .csv"},
			&cli.StringFlag{Name: "unanswered", Destination: &o.unanswered, Usage: "for a reminder sent with --unanswered `NAME`: report on its recipients only (those it reached, and those of NAME still unanswered)"},
			&cli.StringFlag{Name: "unanswered-log", Destination: &o.unansweredLog, Usage: "the delivery log `FILE` of the --unanswered campaign"},
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runStatus(c.Context, s, o)
		},
	}
}

func runStatus(ctx context.Context, s Streams, o *statusOptions) error {
	format := strings.ToLower(o.format)
	switch format {
	case "table", "csv", "json":
	default:
		return usagef("--format %q: want table, csv or json", o.format)
	}
	if ext := strings.ToLower(filepath.Ext(o.export)); o.export != "" && ext != ".xlsx" && ext != ".csv" {
		return usageHint(fmt.Errorf("--export %s: cannot tell the kind of file", o.export), "name the file .xlsx (a workbook) or .csv")
	}

	in := o.inputs(false)
	p, err := run.Prepare(ctx, in, nil)
	if err != nil {
		return err
	}
	// A campaign fact or the sender still to be set changes nothing of who has the message.
	run.AllowUnset(p)
	// Rows with errors are part of the report (skipped); errors in the template or the
	// workbook as a whole leave no rows to report on.
	if err := p.Ready(true); err != nil {
		printProblems(s, p.Problems)
		return err
	}
	logPath := o.log
	if logPath == "" {
		logPath = run.LogPath(in)
	}
	if o.unanswered != "" {
		u, err := keepUnanswered(p, in, o.unanswered, o.unansweredLog, logPath)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "Reminder of campaign %s: %d recipients; left out %d not delivered, %d bounced, %d replied.\n", u.Campaign, u.Kept, u.NotDelivered, u.Bounced, u.Replied)
	} else if o.unansweredLog != "" {
		return usagef("--unanswered-log needs --unanswered NAME, the campaign the reminder follows up")
	}
	rep, err := report.Load(p, logPath)
	if err != nil {
		return err
	}
	if o.export != "" {
		if err := rep.Export(o.export); err != nil {
			return err
		}
	}
	switch format {
	case "json":
		// JSON escapes control characters itself (\u001b).
		err = rep.WriteJSON(s.Out)
	case "csv":
		out := s.Out
		if s.TerminalOut {
			// CSV for a script is written as it is; on a terminal, a cell or a server's
			// reply must not move the cursor or retitle the window.
			cl := &cleanLines{w: s.Out}
			defer cl.flush()
			out = cl
		}
		err = rep.WriteCSV(out)
	default:
		err = rep.WriteTable(s.Out, report.TextOptions{Color: s.ColorOut, Width: s.Width})
	}
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if o.export != "" {
		fmt.Fprintf(s.Err, "Wrote %s: %d rows with their status.\n", o.export, len(p.Table.Rows))
	}
	if !rep.AllDelivered() {
		return quietExit{ExitNotDelivered}
	}
	return nil
}

// cleanLines passes text on line by line, each line cleaned for the terminal.
type cleanLines struct {
	w   io.Writer
	buf []byte
}

func (c *cleanLines) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := io.WriteString(c.w, screen.Clean(string(c.buf[:i+1]))); err != nil {
			return 0, err
		}
		c.buf = c.buf[i+1:]
	}
}

func (c *cleanLines) flush() {
	if len(c.buf) > 0 {
		io.WriteString(c.w, screen.Clean(string(c.buf)))
		c.buf = nil
	}
}
