package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
)

func sendFlags() []cli.Flag {
	return registerKeys([]cli.Flag{
		&cli.StringFlag{Name: "smtp-host", Usage: "the SMTP server's `HOST` name", EnvVars: []string{"HERALD_SMTP_HOST"}},
		&cli.IntFlag{Name: "smtp-port", Usage: "the SMTP server's `PORT` (default 587, or 465 with --smtp-tls tls, 25 with none)", EnvVars: []string{"HERALD_SMTP_PORT"}},
		&cli.StringFlag{Name: "smtp-tls", Value: "starttls", Usage: "`MODE`: starttls, tls (implicit, port 465) or none (plaintext, only when you mean it)", EnvVars: []string{"HERALD_SMTP_TLS"}},
		&cli.StringFlag{Name: "smtp-user", Usage: "log in as `USER`; the password comes from HERALD_SMTP_PASSWORD, password_command in herald.toml, or a prompt", EnvVars: []string{"HERALD_SMTP_USER"}},
		&cli.StringFlag{Name: "smtp-auth", Usage: "`METHOD`: plain, login or xoauth2 (the password is then an OAuth2 access token); default: what the server offers", EnvVars: []string{"HERALD_SMTP_AUTH"}},
		&cli.StringFlag{Name: "smtp-ca", Usage: "also trust the certificate authority in `FILE` (PEM), for a server with a private CA", EnvVars: []string{"HERALD_SMTP_CA"}},
		&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "give up on a server that does not answer for `DURATION`", EnvVars: []string{"HERALD_TIMEOUT"}},
		&cli.StringFlag{Name: "log", Usage: "the delivery log `FILE` (default: CAMPAIGN.delivery.jsonl beside the workbook)", EnvVars: []string{"HERALD_LOG"}},
		&cli.IntFlag{Name: "connections", Value: 1, Usage: "send over `N` connections at once, for relays that allow it", EnvVars: []string{"HERALD_CONNECTIONS"}},
		&cli.StringFlag{Name: "rate", Value: "30/min", Usage: "at most `RATE` messages: 30/min, 120/hour, 5/s; 0 for no limit", EnvVars: []string{"HERALD_RATE"}},
		&cli.IntFlag{Name: "daily-cap", Usage: "at most `N` messages delivered in any 24 hours (counted from the log); the rest wait for a later run", EnvVars: []string{"HERALD_DAILY_CAP"}},
		&cli.IntFlag{Name: "retries", Value: 5, Usage: "try a temporary failure `N` more times, waiting longer each time", EnvVars: []string{"HERALD_RETRIES"}},
		&cli.DurationFlag{Name: "retry-wait", Value: 30 * time.Second, Usage: "wait `DURATION` before the first retry; it doubles with each retry (greylisting needs minutes)", EnvVars: []string{"HERALD_RETRY_WAIT"}},
	})
}

func sendCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:  "send",
		Usage: "send the messages over SMTP, once to each recipient, keeping a delivery log",
		Description: `Plans and checks exactly like preview, reads the delivery log, shows what it is about
to do and asks for confirmation (type yes, or give --yes). Then it sends, logging every
attempt before it is made and every outcome after, so that nobody is mailed twice.

A plain send only sends to recipients with no outcome yet: run it again after a crash or
Ctrl-C and it sends exactly those never attempted. Failed recipients are sent again only
with --only-failed, recipients with an unknown outcome only with --resend-unknown.

Without a terminal to ask on (a script, a pipe), send refuses with exit code 2 unless
--yes is given. The password (or OAuth2 token with --smtp-auth xoauth2) never comes from
the command line: it is read from HERALD_SMTP_PASSWORD, from the output of password_command
in herald.toml, or from a hidden prompt.

Ctrl-C stops cleanly: the messages in flight are finished and recorded, the rest stays
pending, and the same command sends it later.

Exit codes: 0 all delivered (or all of --limit), 1 the run could not proceed (such as a
refused login), 2 usage, 3 some recipients not delivered (failed, unknown, never sent,
stopped, interrupted, or left over the daily cap). With --test-to: 0 when the tester got
every test message, 3 otherwise.

Examples:
   herald send --smtp-host smtp.ministry.example --smtp-user secretariat
   herald send --test-to me@ministry.example --limit 3     try it on yourself first
   herald send --only-failed                               after fixing the addresses`,
		Before: applyConfig,
		Flags: append(append(inputFlags(), skipInvalidFlag), append(sendFlags(), registerKeys([]cli.Flag{
			&cli.IntFlag{Name: "limit", Usage: "send at most `N` messages in this run"},
			&cli.BoolFlag{Name: "only-failed", Usage: "send again to the recipients whose last outcome was a failure (with the row as it is now)"},
			&cli.BoolFlag{Name: "resend-unknown", Usage: "also send to recipients whose outcome is unknown (check the Sent folder first)"},
			&cli.StringFlag{Name: "test-to", Usage: "send every message to `ADDRESS` instead, marked as a test; never counts as delivered"},
			&cli.BoolFlag{Name: "dry-run", Usage: "preview instead of sending (same as herald preview)"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			&cli.StringFlag{Name: "out", Value: "preview", Usage: "with --dry-run: write the preview into `FOLDER`"},
		})...)...),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			in := inputsFrom(c)
			if c.Bool("dry-run") {
				return previewAction(c, s, in)
			}
			opt, err := sendOptions(c, in)
			if err != nil {
				return err
			}
			plan, err := prepare(c, s)
			if err != nil {
				return err
			}
			if err := plan.Ready(in.SkipInvalid); err != nil {
				return err
			}
			if opt.SMTP.Host == "" {
				return usageError{withHint(fmt.Errorf("no SMTP server"), "give --smtp-host, or smtp_host in herald.toml")}
			}
			// Before asking for the password: a setting that cannot work is reported first.
			if err := opt.SMTP.Check(); err != nil {
				return usageError{withHint(fmt.Errorf("SMTP settings: %w", err), "check --smtp-host, --smtp-port, --smtp-tls, --smtp-auth and --smtp-ca (or their keys in herald.toml)")}
			}
			if err := credentials(c, s, &opt.SMTP); err != nil {
				return err
			}
			opt.Confirm = func(sp *run.SendPlan) (bool, error) { return confirm(c.Context, s, sp, c.Bool("yes")) }
			progress := newProgress(s)
			opt.Progress = progress.update
			res, err := run.Send(c.Context, plan, opt)
			progress.finish()
			if err != nil {
				return err
			}
			err = sendSummary(s, res)
			if !res.Declined && !res.Plan.Test {
				// The state of the whole campaign, in the words herald status uses.
				if rep, lerr := report.Load(plan, opt.LogPath); lerr == nil {
					fmt.Fprintln(s.Out)
					if werr := rep.WriteSummary(s.Out, report.TextOptions{Color: s.ColorOut}); werr != nil && err == nil {
						err = werr
					}
				}
			}
			return err
		},
	}
}

func sendOptions(c *cli.Context, in run.Inputs) (run.SendOptions, error) {
	opt := run.SendOptions{
		LogPath:       c.String("log"),
		Limit:         c.Int("limit"),
		OnlyFailed:    c.Bool("only-failed"),
		ResendUnknown: c.Bool("resend-unknown"),
		Connections:   c.Int("connections"),
		DailyCap:      c.Int("daily-cap"),
		Retries:       c.Int("retries"),
		RetryWait:     c.Duration("retry-wait"),
	}
	if opt.LogPath == "" {
		opt.LogPath = run.LogPath(in)
	}
	if opt.Connections < 1 || opt.Connections > 16 {
		return opt, usagef("--connections must be between 1 and 16, got %d", opt.Connections)
	}
	if opt.Limit < 0 || opt.DailyCap < 0 || opt.Retries < 0 {
		return opt, usagef("--limit, --daily-cap and --retries cannot be negative")
	}
	if opt.RetryWait <= 0 {
		return opt, usagef("--retry-wait must be a positive duration such as 30s or 2m")
	}
	r, err := parseRate(c.String("rate"))
	if err != nil {
		return opt, usageError{withHint(fmt.Errorf("--rate %q: %v", c.String("rate"), err), "write it as a number of messages per unit: 30/min, 120/hour, 2/s, or 0 for no limit")}
	}
	opt.Rate = r
	if to := c.String("test-to"); to != "" {
		a, _, err := message.ParseAddress(to)
		if err != nil {
			return opt, usagef("--test-to: %v", err)
		}
		opt.TestTo = &a
	}
	tls, port, err := tlsMode(c.String("smtp-tls"))
	if err != nil {
		return opt, err
	}
	if c.IsSet("smtp-port") {
		port = c.Int("smtp-port")
	}
	opt.SMTP = mail.Config{
		Host: c.String("smtp-host"), Port: port, TLS: tls,
		Username: c.String("smtp-user"), Auth: c.String("smtp-auth"),
		CAFile: c.String("smtp-ca"), Timeout: c.Duration("timeout"),
	}
	return opt, nil
}

// parseRate reads "30/min", "120/hour", "2/s", "1/day" or "0".
func parseRate(s string) (rate.Limit, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "off" || s == "none" {
		return rate.Inf, nil
	}
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("no unit")
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive number", num)
	}
	per := map[string]time.Duration{
		"s": time.Second, "sec": time.Second, "second": time.Second,
		"m": time.Minute, "min": time.Minute, "minute": time.Minute,
		"h": time.Hour, "hour": time.Hour, "d": 24 * time.Hour, "day": 24 * time.Hour,
	}[strings.ToLower(strings.TrimSpace(unit))]
	if per == 0 {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	return rate.Limit(n / per.Seconds()), nil
}

func tlsMode(s string) (mail.TLSMode, int, error) {
	switch strings.ToLower(s) {
	case "starttls", "":
		return mail.StartTLS, 587, nil
	case "tls", "ssl", "implicit":
		return mail.ImplicitTLS, 465, nil
	case "none", "plain", "plaintext":
		return mail.NoTLS, 25, nil
	}
	return 0, 0, usagef("--smtp-tls %q: want starttls, tls or none", s)
}

// credentials finds the password (or OAuth2 token) without ever taking it from the command
// line, where other users of the machine could read it: the environment, a command named
// in the config file, or a prompt on the terminal.
func credentials(c *cli.Context, s Streams, cfg *mail.Config) error {
	if cfg.Username == "" {
		return nil
	}
	if pw, ok := os.LookupEnv("HERALD_SMTP_PASSWORD"); ok && pw != "" {
		cfg.Password = pw
		return nil
	}
	cmdline, err := configString(c, "password_command")
	if err != nil {
		return usagef("password_command: %v", err)
	}
	if cmdline != "" {
		out, err := exec.CommandContext(c.Context, "sh", "-c", cmdline).Output()
		if err != nil {
			return withHint(fmt.Errorf("password_command in the config file failed: %v", err), "run the command yourself to see why; it must print the password and nothing else")
		}
		cfg.Password = strings.TrimRight(string(out), "\r\n")
		if cfg.Password == "" {
			return fmt.Errorf("password_command in the config file printed nothing")
		}
		return nil
	}
	if !s.InteractiveIn {
		return withHint(fmt.Errorf("no password for SMTP user %s", cfg.Username), "set HERALD_SMTP_PASSWORD, or password_command in herald.toml")
	}
	f, ok := s.In.(*os.File)
	if !ok {
		return fmt.Errorf("no password for SMTP user %s", cfg.Username)
	}
	fd := int(f.Fd())
	// ReadPassword turns echo off until it returns, and Ctrl-C does not make it return:
	// herald then stops without it, so the terminal is put back here.
	saved, err := term.GetState(fd)
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	fmt.Fprintf(s.Err, "Password for %s at %s: ", cfg.Username, cfg.Host)
	pw, err := readOrInterrupt(c.Context, func() ([]byte, error) { return term.ReadPassword(fd) })
	fmt.Fprintln(s.Err)
	if errors.Is(err, errInterruptedAtPrompt) {
		_ = term.Restore(fd, saved)
		return err
	}
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	cfg.Password = string(pw)
	return nil
}

// errInterruptedAtPrompt is Ctrl-C while herald waits for an answer, before anything is
// recorded or sent.
var errInterruptedAtPrompt = errors.New("interrupted at the prompt: nothing was sent")

// readOrInterrupt waits for read beside ctx, and returns errInterruptedAtPrompt when ctx
// ends first. A read from the terminal cannot be interrupted, and main catches only the
// first Ctrl-C: without this, that Ctrl-C would be lost and herald would go on waiting.
func readOrInterrupt[T any](ctx context.Context, read func() (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	got := make(chan answer, 1)
	go func() {
		v, err := read()
		got <- answer{v, err}
	}()
	select {
	case a := <-got:
		return a.v, a.err
	case <-ctx.Done():
		var zero T
		return zero, errInterruptedAtPrompt
	}
}

func confirm(ctx context.Context, s Streams, sp *run.SendPlan, yes bool) (bool, error) {
	w := s.Err
	fmt.Fprintf(w, "Campaign:   %s (log %s)\n", sp.Campaign, sp.LogPath)
	fmt.Fprintf(w, "Server:     %s\n", sp.Server)
	fmt.Fprintf(w, "Sender:     %s\n", sp.Sender)
	if sp.Test {
		fmt.Fprintf(w, "TEST:       every message goes to %s, marked [TEST]; nothing counts as delivered\n", sp.TestTo)
	}
	fmt.Fprintf(w, "To send:    %s", plural(len(sp.Selected), "message"))
	if sp.Rate == rate.Inf {
		fmt.Fprintf(w, ", no rate limit")
	} else {
		fmt.Fprintf(w, " at %s", describeRate(sp.Rate))
	}
	fmt.Fprintf(w, ", about %s\n", roundDuration(sp.Estimate))
	if sp.Delivered > 0 {
		fmt.Fprintf(w, "Skipped:    %d already delivered in this campaign\n", sp.Delivered)
	}
	if sp.Failed > 0 {
		fmt.Fprintf(w, "Not now:    %d failed before (send them with --only-failed)\n", sp.Failed)
	}
	if sp.Unknown > 0 {
		fmt.Fprintf(w, "Not now:    %d with unknown outcome (check, then --resend-unknown)\n", sp.Unknown)
	}
	if sp.NeverSent > 0 {
		fmt.Fprintf(w, "Not now:    %d never sent (a plain herald send sends them)\n", sp.NeverSent)
	}
	if sp.OverDaily > 0 {
		fmt.Fprintf(w, "Later:      %d over the daily cap\n", sp.OverDaily)
	}
	if sp.Limited > 0 {
		fmt.Fprintf(w, "Later:      %d beyond --limit\n", sp.Limited)
	}
	if yes {
		return true, nil
	}
	if !s.InteractiveIn {
		return false, usageError{withHint(fmt.Errorf("not sending without confirmation: standard input is not a terminal"), "add --yes to send without being asked")}
	}
	fmt.Fprint(w, "Send now? Type yes to send: ")
	answer, err := readOrInterrupt(ctx, func() (string, error) { return bufio.NewReader(s.In).ReadString('\n') })
	switch {
	case errors.Is(err, errInterruptedAtPrompt):
		fmt.Fprintln(w)
		return false, err
	case err != nil && err != io.EOF:
		return false, fmt.Errorf("read the answer to the confirmation: %w", err)
	}
	return strings.EqualFold(strings.TrimSpace(answer), "yes"), nil
}

func describeRate(r rate.Limit) string {
	perMin := float64(r) * 60
	if perMin >= 1 && perMin == float64(int(perMin)) {
		return fmt.Sprintf("%d/min", int(perMin))
	}
	return fmt.Sprintf("%.3g/s", float64(r))
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

// progress shows a bar on a terminal and plain lines elsewhere; failures always get a line.
type progress struct {
	s   Streams
	bar *progressbar.ProgressBar
}

func newProgress(s Streams) *progress { return &progress{s: s} }

func (p *progress) update(ev run.Progress) {
	if p.s.InteractiveIn && p.bar == nil && ev.Total > 0 {
		p.bar = progressbar.NewOptions(ev.Total, progressbar.OptionSetWriter(p.s.Err), progressbar.OptionShowCount(), progressbar.OptionSetDescription("sending"), progressbar.OptionClearOnFinish())
	}
	if ev.Item == nil {
		if p.bar != nil {
			p.bar.Clear()
		}
		fmt.Fprintf(p.s.Err, "connection: %s: %s\n", ev.Outcome, ev.Detail)
		return
	}
	to := ""
	if len(ev.Item.To) > 0 {
		to = ev.Item.To[0].Addr
	}
	switch ev.Outcome {
	case "delivered":
		if p.bar == nil {
			fmt.Fprintf(p.s.Err, "[%d/%d] row %d %s: delivered\n", ev.Done, ev.Total, ev.Item.Row, to)
		}
	default:
		if p.bar != nil {
			p.bar.Clear()
		}
		fmt.Fprintf(p.s.Err, "[%d/%d] row %d %s: %s: %s\n", ev.Done, ev.Total, ev.Item.Row, to, ev.Outcome, ev.Detail)
	}
	if p.bar != nil {
		p.bar.Set(ev.Done)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// sendSummary prints what a run did and decides its exit code.
func sendSummary(s Streams, res *run.SendResult) error {
	w := s.Out
	sp := res.Plan
	if res.Declined {
		fmt.Fprintln(w, "Nothing was sent.")
		return nil
	}
	later := func() {
		if sp.OverDaily > 0 {
			fmt.Fprintf(w, "%d more wait for the daily cap: run the same herald send again tomorrow.\n", sp.OverDaily)
		}
		// A test run picks rows whatever their state, so "more to send" would be untrue.
		if sp.Limited > 0 && !sp.Test {
			fmt.Fprintf(w, "%d more beyond --limit: run herald send again to send them.\n", sp.Limited)
		}
		if sp.NeverSent > 0 {
			fmt.Fprintf(w, "%d never sent: run herald send (without --only-failed) to send them.\n", sp.NeverSent)
		}
	}
	if len(sp.Selected) == 0 {
		fmt.Fprintf(w, "Nothing to send: %d delivered, %d failed, %d unknown in campaign %s.\n", sp.Delivered, sp.Failed, sp.Unknown, sp.Campaign)
		later()
		if sp.Failed+sp.Unknown > 0 {
			fmt.Fprintln(w, "Use --only-failed or --resend-unknown to send to those, or herald status to see them.")
		}
		if sp.Failed+sp.Unknown+sp.OverDaily+sp.NeverSent > 0 {
			return exitError{ExitNotDelivered}
		}
		return nil
	}
	if res.Stopped != "" && res.Delivered == 0 && res.Failed == 0 && len(res.Unknown) == 0 {
		// Nothing was attempted: the run could not start (a refused login, no server).
		return withHint(fmt.Errorf("nothing was sent: %s", res.Stopped), fmt.Sprintf("all %d messages are pending: run the same herald send again once the cause is fixed", len(sp.Selected)))
	}
	kind := "Delivered"
	if sp.Test {
		kind = "Test messages delivered to " + sp.TestTo
	}
	fmt.Fprintf(w, "%s: %d. Failed: %d. Unknown: %d. Not sent: %d.\n", kind, res.Delivered, res.Failed, len(res.Unknown), res.Pending)
	for _, u := range res.Unknown {
		fmt.Fprintf(w, "  unknown: row %d %s Message-ID <%s>: %s\n", u.Row, u.To, u.MessageID, u.Detail)
	}
	if len(res.Unknown) > 0 {
		fmt.Fprintln(w, "  The server may have these: look for their Message-IDs in the Sent folder or the server's log; send them again only with --resend-unknown.")
	}
	switch {
	case res.Stopped != "":
		fmt.Fprintf(w, "Stopped: %s\n", res.Stopped)
		fmt.Fprintln(w, "The rest is pending: run the same herald send again once the cause is fixed.")
	case res.Cancelled:
		fmt.Fprintln(w, "Interrupted: the messages in flight were finished and recorded. Run the same herald send again to send the rest.")
	}
	later()
	if sp.Test {
		// Tests never count for the campaign, so --only-failed has nothing to send again:
		// exit 0 only says that the tester got every test message.
		if res.Failed+len(res.Unknown)+res.Pending > 0 || res.Stopped != "" {
			fmt.Fprintf(w, "Not every test message reached %s: fix the cause and run the same test again.\n", sp.TestTo)
			return exitError{ExitNotDelivered}
		}
		return nil
	}
	if res.Failed > 0 {
		fmt.Fprintln(w, "See who failed and why with herald status; send to them again with herald send --only-failed.")
	}
	// Exit 0 means everyone selected is delivered and nobody from an earlier run is left
	// failed, unknown or never sent, so that a script can ask "are we done?".
	if res.Failed+len(res.Unknown)+res.Pending+sp.OverDaily+sp.Failed+sp.Unknown+sp.NeverSent > 0 || res.Stopped != "" {
		return exitError{ExitNotDelivered}
	}
	return nil
}

func previewAction(c *cli.Context, s Streams, in run.Inputs) error {
	plan, res, err := run.Preview(in, c.String("out"), c.Int("limit"))
	if plan != nil {
		printProblems(s, plan.Problems)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Rendered %d of %d messages into %s/ (nothing was sent).\n", res.Messages, len(plan.Items), res.Dir)
	if len(plan.Skipped) > 0 {
		fmt.Fprintf(s.Out, "Left out %d rows with errors (listed above).\n", len(plan.Skipped))
	}
	fmt.Fprintf(s.Out, "Look through them: open %s in a browser.\n", res.Index)
	return nil
}
