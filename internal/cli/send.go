package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/screen"
	"github.com/mla-initiative/herald/internal/send"
)

// sendOptions are the settings of herald send.
type sendOptions struct {
	previewOptions // --dry-run previews into --out

	smtpHost, smtpTLS, smtpUser, smtpAuth, smtpCA string
	smtpPort                                      int // 0: the usual port of the TLS mode
	timeout                                       time.Duration
	log                                           string
	connections                                   int
	rate                                          string
	dailyCap, retries                             int
	retryWait                                     time.Duration

	onlyFailed, resendUnknown, repeatAddresses, dryRun, yes bool
	testTo                                                  string

	imap  imapOptions // for --copy-to-sent
	oauth oauthOptions
	// copyToSent is the IMAP folder a copy of each delivered message is filed in.
	copyToSent string
	// unanswered names the campaign a reminder follows up; unansweredLog its log.
	unanswered, unansweredLog string
}

func (o *sendOptions) sendFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "smtp-host", Destination: &o.smtpHost, Usage: "the SMTP server's `HOST` name", EnvVars: []string{"HERALD_SMTP_HOST"}},
		&cli.IntFlag{Name: "smtp-port", Destination: &o.smtpPort, Usage: "the SMTP server's `PORT` (default 587, or 465 with --smtp-tls tls, 25 with none)", EnvVars: []string{"HERALD_SMTP_PORT"}},
		&cli.StringFlag{Name: "smtp-tls", Value: "starttls", Destination: &o.smtpTLS, Usage: "`MODE`: starttls, tls (implicit, port 465) or none (plaintext: for a server on this computer)", EnvVars: []string{"HERALD_SMTP_TLS"}},
		&cli.StringFlag{Name: "smtp-user", Destination: &o.smtpUser, Usage: "log in as `USER`; the password comes from HERALD_SMTP_PASSWORD, password_command in herald.toml, or a prompt", EnvVars: []string{"HERALD_SMTP_USER"}},
		&cli.StringFlag{Name: "smtp-auth", Destination: &o.smtpAuth, Usage: "`METHOD`: plain, login or xoauth2 (the password is then an OAuth2 access token); default: what the server offers", EnvVars: []string{"HERALD_SMTP_AUTH"}},
		&cli.StringFlag{Name: "smtp-ca", Destination: &o.smtpCA, Usage: "also trust the certificate authority in `FILE` (PEM), for a server with a private CA", EnvVars: []string{"HERALD_SMTP_CA"}},
		&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Destination: &o.timeout, Usage: "give up on a server that does not answer for `DURATION`", EnvVars: []string{"HERALD_TIMEOUT"}},
		&cli.StringFlag{Name: "log", Destination: &o.log, Usage: "the delivery log `FILE` (default: CAMPAIGN.delivery.jsonl beside the workbook)", EnvVars: []string{"HERALD_LOG"}},
		&cli.IntFlag{Name: "connections", Value: 1, Destination: &o.connections, Usage: "send over `N` connections at once, for relays that allow it", EnvVars: []string{"HERALD_CONNECTIONS"}},
		&cli.StringFlag{Name: "rate", Value: "30/min", Destination: &o.rate, Usage: "at most `RATE` messages: 30/min, 120/hour, 5/s; 0 for no limit", EnvVars: []string{"HERALD_RATE"}},
		&cli.IntFlag{Name: "daily-cap", Destination: &o.dailyCap, Usage: "at most `N` messages delivered in any 24 hours (counted from the log); the rest wait for a later run", EnvVars: []string{"HERALD_DAILY_CAP"}},
		&cli.IntFlag{Name: "retries", Value: 5, Destination: &o.retries, Usage: "try a temporary failure `N` more times, waiting longer each time", EnvVars: []string{"HERALD_RETRIES"}},
		&cli.DurationFlag{Name: "retry-wait", Value: 30 * time.Second, Destination: &o.retryWait, Usage: "wait `DURATION` before the first retry; it doubles with each retry (greylisting needs minutes)", EnvVars: []string{"HERALD_RETRY_WAIT"}},
		&cli.IntFlag{Name: "limit", Destination: &o.limit, Usage: "send at most `N` messages in this run"},
		&cli.BoolFlag{Name: "only-failed", Destination: &o.onlyFailed, Usage: "send again to the recipients whose last outcome was a failure (with the row as it is now)"},
		&cli.BoolFlag{Name: "resend-unknown", Destination: &o.resendUnknown, Usage: "also send to recipients whose outcome is unknown (check the Sent folder first)"},
		&cli.BoolFlag{Name: "repeat-addresses", Destination: &o.repeatAddresses, Usage: "send each row's message to every address it lists, even one that already has this campaign's message from another row or an earlier run"},
		&cli.StringFlag{Name: "test-to", Destination: &o.testTo, Usage: "send every message to `ADDRESS` instead, marked as a test; never counts as delivered"},
		&cli.BoolFlag{Name: "dry-run", Destination: &o.dryRun, Usage: "preview instead of sending (same as herald preview)"},
		&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.yes, Usage: "do not ask for confirmation"},
		&cli.StringFlag{Name: "unanswered", Destination: &o.unanswered, Usage: "a reminder: send only to the recipients of campaign `NAME` who were delivered, did not bounce and have not replied (run herald inbox first); the reminder is a campaign of its own"},
		&cli.StringFlag{Name: "unanswered-log", Destination: &o.unansweredLog, Usage: "the delivery log `FILE` of the --unanswered campaign (default: NAME.delivery.jsonl beside the workbook)"},
		&cli.StringFlag{Name: "copy-to-sent", Destination: &o.copyToSent, Usage: "file a copy of each delivered message in the IMAP `FOLDER` (such as Sent), for servers that keep no copy of what SMTP submits; needs --imap-host", EnvVars: []string{"HERALD_COPY_TO_SENT"}},
		o.outFlag(),
	}
}

func sendCommand(s Streams, cfg *configFile) *cli.Command {
	o := &sendOptions{previewOptions: previewOptions{row: -1}}
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

A reminder: --template reminder --unanswered save-the-date sends only to the recipients of
that campaign who were delivered, did not bounce and have not replied (run herald inbox
first); it is a campaign of its own, so nobody gets two. --copy-to-sent Sent files a copy of
each delivered message in that IMAP folder (the settings of herald inbox), for servers that
keep no copy of what SMTP submits. Recipients herald inbox found bounced are left, like
permanent failures, until --only-failed.

Exit codes: 0 all delivered (or all of --limit), 1 the run could not proceed (such as a
refused login), 2 usage, 3 some recipients not delivered (failed, unknown, never sent,
stopped, interrupted, or left over the daily cap). With --test-to: 0 when the tester got
every test message, 3 otherwise.

Examples:
   herald send --smtp-host smtp.ministry.example --smtp-user secretariat
   herald send --test-to me@ministry.example --limit 3     try it on yourself first
   herald send --only-failed                               after fixing the addresses
   herald send --template reminder --unanswered save-the-date`,
		Before: o.loadConfig(cfg),
		Flags:  slices.Concat(o.flags(true), o.sendFlags(), o.imap.flags(), o.oauth.flags()),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runSend(c.Context, s, o)
		},
	}
}

func runSend(ctx context.Context, s Streams, o *sendOptions) error {
	if o.dryRun {
		return runPreview(ctx, s, &o.previewOptions)
	}
	if os.Getenv("SOURCE_DATE_EPOCH") != "" {
		// Nix shells set it: fixed dates and numbered Message-IDs are for comparing previews,
		// and real mail with them would be dated in the past and share Message-IDs, which
		// mail programs use to drop duplicates.
		fmt.Fprintln(s.Err, "herald: note: SOURCE_DATE_EPOCH is set; send ignores it (it only fixes the dates and Message-IDs of a preview)")
	}
	in := o.inputs(false)
	opt, err := o.settings(in)
	if err != nil {
		return err
	}
	p, err := run.Prepare(ctx, in, nil)
	if err != nil {
		return err
	}
	// Nothing leaves with a placeholder of herald's in it, unless it goes to the tester,
	// who sees the «to be set: …» markers for what they are.
	settings := run.UnsetSettings(p.Problems)
	if len(settings) > 0 && o.testTo != "" {
		run.AllowUnset(p)
	}
	printProblems(s, p.Problems)
	if len(settings) > 0 && o.testTo == "" {
		return problem.WithHint(fmt.Errorf("nothing was sent: still to be set: %s", strings.Join(settings, ", ")),
			"give them as the errors above say (on the command line, as HERALD_* variables, or in herald.toml), then run herald check",
			"to see the messages as they stand, send them to yourself with --test-to ADDRESS")
	}
	if err := p.Ready(in.SkipInvalid); err != nil {
		return err
	}
	var reminder *run.Unanswered
	if o.unanswered != "" {
		u, err := keepUnanswered(p, in, o.unanswered, o.unansweredLog, opt.LogPath)
		if err != nil {
			return err
		}
		reminder = &u
	} else if o.unansweredLog != "" {
		return usagef("--unanswered-log needs --unanswered NAME, the campaign the reminder follows up")
	}
	others := run.OtherLogs(p, opt.LogPath, o.logDirs(in)...)
	for _, other := range others {
		if other.Same && o.log == "" && o.testTo == "" {
			return problem.WithHint(fmt.Errorf("campaign %s already has a delivery log at %s, which records %d of these recipients as delivered; this run would keep its log at %s and mail them again",
				p.Campaign, other.Path, other.Delivered, opt.LogPath),
				fmt.Sprintf("to carry on that campaign, give --log %s (or move the workbook back beside it)", other.Path),
				"to start the campaign anew on purpose, give --log with the new log's path")
		}
	}
	if opt.SMTP.Host == "" {
		return usageHint(errors.New("no SMTP server"), "give --smtp-host, or smtp_host in herald.toml")
	}
	// Before asking for the password: a setting that cannot work is reported first.
	if err := opt.SMTP.Check(); err != nil {
		return usageHint(fmt.Errorf("SMTP settings: %w", err), "check --smtp-host, --smtp-port, --smtp-tls, --smtp-auth and --smtp-ca (or their keys in herald.toml)")
	}
	if err := credentials(ctx, s, &opt.SMTP, &o.oauth, o.fromConfig); err != nil {
		return err
	}
	if o.copyToSent != "" {
		copier, err := dialCopier(ctx, s, o)
		if err != nil {
			return problem.WithHint(fmt.Errorf("nothing was sent: %w", err), problem.Hints(err)...)
		}
		defer copier.close()
		opt.CopyTo = copier
	}
	opt.Confirm = func(sel *send.Selection) (bool, error) {
		if reminder != nil {
			writeReminder(s.Err, reminder)
		}
		writeOtherLogs(s.Err, sel.Campaign, others)
		writeFactsAndHidden(s.Err, p, sel)
		return confirm(ctx, s, sel, o.yes)
	}
	progress := newProgress(s)
	opt.Progress = progress.update
	res, rep, err := run.Send(ctx, p, opt)
	progress.finish()
	if res == nil {
		return err
	}
	summaryErr := sendSummary(s, res, errors.Is(err, deliverylog.ErrReplaced))
	if rep != nil {
		// The state of the whole campaign, in the words herald status uses.
		fmt.Fprintln(s.Out)
		if werr := rep.WriteSummary(s.Out, report.TextOptions{Color: s.ColorOut, Width: s.Width}); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	return summaryErr
}

// settings turns the options into the settings of a send run, checking each.
func (o *sendOptions) settings(in run.Inputs) (send.Options, error) {
	opt := send.Options{
		LogPath:         o.log,
		Limit:           o.limit,
		OnlyFailed:      o.onlyFailed,
		ResendUnknown:   o.resendUnknown,
		RepeatAddresses: o.repeatAddresses,
		Connections:     o.connections,
		DailyCap:        o.dailyCap,
		Retries:         o.retries,
		RetryWait:       o.retryWait,
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
	r, err := parseRate(o.rate)
	if err != nil {
		return opt, usageHint(fmt.Errorf("--rate %q: %v", o.rate, err), "write it as a number of messages per unit: 30/min, 120/hour, 2/s, or 0 for no limit")
	}
	opt.Rate = r
	if o.testTo != "" {
		a, _, err := message.ParseAddress(o.testTo)
		if err != nil {
			return opt, usagef("--test-to: %v", err)
		}
		opt.TestTo = &a
	}
	tls, err := tlsMode(o.smtpTLS)
	if err != nil {
		return opt, err
	}
	opt.SMTP = mail.Config{
		Host: o.smtpHost, Port: o.smtpPort, TLS: tls,
		Username: o.smtpUser, Auth: o.smtpAuth,
		CAFile: o.smtpCA, Timeout: o.timeout,
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

func tlsMode(s string) (mail.TLSMode, error) {
	switch strings.ToLower(s) {
	case "starttls", "":
		return mail.StartTLS, nil
	case "tls", "ssl", "implicit":
		return mail.ImplicitTLS, nil
	case "none", "plain", "plaintext":
		return mail.NoTLS, nil
	}
	return 0, usagef("--smtp-tls %q: want starttls, tls or none", s)
}

// credentials finds the password (or OAuth2 token) without ever taking it from the command
// line, where other users of the machine could read it: the environment, a command named
// in the config file, herald login's sign-in (with --smtp-auth xoauth2 and a provider set),
// or a prompt on the terminal.
func credentials(ctx context.Context, s Streams, cfg *mail.Config, oo *oauthOptions, settings configSettings) error {
	if cfg.Username == "" {
		return nil
	}
	req := secretRequest{
		what: "SMTP user " + cfg.Username, user: cfg.Username, host: cfg.Host,
		envs: []string{"HERALD_SMTP_PASSWORD"}, command: settings.extra["password-command"],
		hint: "set HERALD_SMTP_PASSWORD, or password_command in herald.toml",
	}
	if strings.EqualFold(cfg.Auth, "xoauth2") && oo.set() {
		sc, err := oo.config(cfg.Username, settings.extra["oauth-client-secret"])
		if err != nil {
			return err
		}
		req.signIn = &sc
	}
	pw, err := findSecret(ctx, s, req)
	if err != nil {
		return err
	}
	cfg.Password = pw
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

func confirm(ctx context.Context, s Streams, sp *send.Selection, yes bool) (bool, error) {
	w := s.Err
	if sp.LogRepaired != "" {
		fmt.Fprintf(w, "herald: note: %s\n", screen.CleanLine(sp.LogRepaired))
	}
	fmt.Fprintf(w, "Campaign:   %s (log %s)\n", sp.Campaign, sp.LogPath)
	fmt.Fprintf(w, "Server:     %s\n", sp.Server)
	fmt.Fprintf(w, "Sender:     %s\n", sp.Sender)
	if sp.ReplyTo != "" {
		fmt.Fprintf(w, "Reply-To:   %s\n", sp.ReplyTo)
	}
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
	if sp.Bounced > 0 {
		fmt.Fprintf(w, "Not now:    %d bounced (correct the address, or send them again with --only-failed)\n", sp.Bounced)
	}
	if sp.Unknown > 0 {
		fmt.Fprintf(w, "Not now:    %d with unknown outcome (check, then --resend-unknown)\n", sp.Unknown)
	}
	if sp.NeverSent > 0 {
		fmt.Fprintf(w, "Not now:    %d never sent (a plain herald send sends them)\n", sp.NeverSent)
	}
	writeAdded(w, sp.Added)
	writeShared(w, sp.Shared)
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
		return false, usageHint(errors.New("not sending without confirmation: standard input is not a terminal"), "add --yes to send without being asked")
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

// logDirs are the folders where the logs of earlier mailings to these recipients may lie:
// here, beside the workbook, and beside herald.toml.
func (o *sendOptions) logDirs(in run.Inputs) []string {
	dirs := []string{"."}
	if in.Contacts != "" {
		dirs = append(dirs, filepath.Dir(in.Contacts))
	}
	if o.config != "" {
		dirs = append(dirs, filepath.Dir(o.config))
	}
	return dirs
}

// writeOtherLogs says which other campaigns already reached these recipients: a copied
// template folder is a campaign of its own, and mails them again.
func writeOtherLogs(w io.Writer, campaign string, others []run.OtherLog) {
	for _, other := range others {
		if other.Same {
			continue
		}
		fmt.Fprintf(w, "Also sent:  campaign %s (log %s) was delivered to %d of these recipients; this is campaign %s, a mailing of its own that they get too\n",
			other.Campaign, other.Path, other.Delivered, campaign)
	}
}

// writeFactsAndHidden shows what the letters will say that the workbook does not: the
// campaign facts, those the template folder gave marked as its defaults (a letterhead or a
// contact address the user never chose), and the rows the workbook hides (a filter) that
// are sent all the same.
func writeFactsAndHidden(w io.Writer, p *plan.Plan, sel *send.Selection) {
	label := "Facts:      "
	for _, f := range p.Template.Facts() {
		var values []string
		for _, lang := range p.Template.Languages() {
			if v, ok := f.Values[lang]; ok && !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			continue
		}
		source := ""
		if f.Default {
			source = " (the template's default)"
		}
		fmt.Fprintf(w, "%s%s = %s%s\n", label, f.Name, screen.CleanLine(strings.Join(values, " | ")), source)
		label = "            "
	}
	writeHidden(w, p.Table, sel)
}

// writeHidden names the selected rows that the workbook hides.
func writeHidden(w io.Writer, table *contacts.Table, sel *send.Selection) {
	hidden := map[int]bool{}
	for _, r := range table.Rows {
		if r.Hidden {
			hidden[r.Number] = true
		}
	}
	var rows []string
	for _, it := range sel.Selected {
		if hidden[it.Row] {
			rows = append(rows, strconv.Itoa(it.Row))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintf(w, "Hidden:     %s hidden in the workbook (a filter?) and sent like the others\n", rowList(rows))
	}
}

// rowList says "row 3 is" or "rows 3, 7 are".
func rowList(rows []string) string {
	if len(rows) == 1 {
		return "row " + rows[0] + " is"
	}
	return "rows " + strings.Join(rows, ", ") + " are"
}

// writeAdded names the delivered rows whose message goes again, to addresses put in the
// row since, and only to those.
func writeAdded(w io.Writer, added []send.Shared) {
	for i, a := range added {
		label := "            "
		if i == 0 {
			label = "Added:      "
		}
		addrs := make([]string, len(a.Addresses))
		for j, ad := range a.Addresses {
			addrs[j] = ad.Addr
		}
		fmt.Fprintf(w, "%srow %d was delivered, but %s had no copy (put in the row since, or left to a row whose message failed): %s it now, the others not again\n", label, a.Row, strings.Join(addrs, ", "), getGets(len(addrs)))
	}
}

func getGets(n int) string {
	if n == 1 {
		return "it gets"
	}
	return "they get"
}

// writeShared names the rows whose messages leave out addresses that already have the
// campaign's message: nobody gets two copies, and nobody is left out without a word.
func writeShared(w io.Writer, shared []send.Shared) {
	const most = 10
	for i, sh := range shared {
		if i == most {
			fmt.Fprintf(w, "            … and %d more rows (herald check lists them)\n", len(shared)-most)
			break
		}
		var parts []string
		for _, a := range sh.Addresses {
			parts = append(parts, fmt.Sprintf("%s has it from %s", a.Addr, a.By))
		}
		label := "            "
		if i == 0 {
			label = "Once each:  "
		}
		what := "this message goes to its other addresses only"
		if sh.Whole {
			what = "not sent: every address of the row has it"
		}
		fmt.Fprintf(w, "%srow %d: %s; %s\n", label, sh.Row, strings.Join(parts, ", "), what)
	}
	if len(shared) > 0 {
		fmt.Fprintln(w, "            (--repeat-addresses sends each row's message to every address it lists)")
	}
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

func (p *progress) update(ev send.Progress) {
	if p.s.InteractiveIn && p.bar == nil && ev.Total > 0 {
		p.bar = progressbar.NewOptions(ev.Total, progressbar.OptionSetWriter(p.s.Err), progressbar.OptionShowCount(), progressbar.OptionSetDescription("sending"), progressbar.OptionClearOnFinish())
	}
	if ev.Item == nil {
		if p.bar != nil {
			p.bar.Clear()
		}
		fmt.Fprintf(p.s.Err, "connection: %s: %s\n", ev.Outcome, screen.CleanLine(ev.Detail))
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
		fmt.Fprintf(p.s.Err, "[%d/%d] row %d %s: %s: %s\n", ev.Done, ev.Total, ev.Item.Row, to, ev.Outcome, screen.CleanLine(ev.Detail))
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
// replaced says that the delivery log was deleted or replaced during the run: the run
// stopped, and its error says where the records went and to put them back first.
func sendSummary(s Streams, res *send.Result, replaced bool) error {
	w := s.Out
	sp := res.Selection
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
		if sp.LogRepaired != "" {
			fmt.Fprintf(s.Err, "herald: note: %s\n", screen.CleanLine(sp.LogRepaired))
		}
		writeShared(s.Err, sp.Shared)
		fmt.Fprintf(w, "Nothing to send: %d delivered, %d failed, %d unknown in campaign %s.\n", sp.Delivered, sp.Failed, sp.Unknown, sp.Campaign)
		if sp.Bounced > 0 {
			fmt.Fprintf(w, "%d delivered earlier came back (bounced): correct their addresses, or send again with --only-failed.\n", sp.Bounced)
		}
		later()
		if sp.Failed+sp.Unknown > 0 {
			fmt.Fprintln(w, "Use --only-failed or --resend-unknown to send to those, or herald status to see them.")
		}
		if sp.Failed+sp.Unknown+sp.Bounced+sp.OverDaily+sp.NeverSent > 0 {
			return quietExit{ExitNotDelivered}
		}
		return nil
	}
	if res.Stopped != "" && res.Delivered == 0 && res.Failed == 0 && len(res.Unknown) == 0 {
		// Nothing was attempted: the run could not start (a refused login, no server).
		return problem.WithHint(fmt.Errorf("nothing was sent: %s", res.Stopped), fmt.Sprintf("all %d messages are pending: run the same herald send again once the cause is fixed", len(sp.Selected)))
	}
	kind := "Delivered"
	if sp.Test {
		kind = "Test messages delivered to " + sp.TestTo
	}
	fmt.Fprintf(w, "%s: %d. Failed: %d. Unknown: %d. Not sent: %d.\n", kind, res.Delivered, res.Failed, len(res.Unknown), res.Pending)
	for _, u := range res.Unknown {
		fmt.Fprintf(w, "  unknown: row %d %s Message-ID <%s>: %s\n", u.Row, u.To, u.MessageID, screen.CleanLine(u.Detail))
	}
	if len(res.Unknown) > 0 {
		fmt.Fprintln(w, "  The server may have these: look for their Message-IDs in the Sent folder or the server's log; send them again only with --resend-unknown.")
	}
	switch {
	case res.Stopped != "":
		fmt.Fprintf(w, "Stopped: %s\n", screen.CleanLine(res.Stopped))
		if !replaced {
			fmt.Fprintln(w, "The rest is pending: run the same herald send again once the cause is fixed.")
		}
	case res.Cancelled:
		fmt.Fprintln(w, "Interrupted: the messages in flight were finished and recorded. Run the same herald send again to send the rest.")
	}
	later()
	writeCopies(w, res)
	if sp.Test {
		// Tests never count for the campaign, so --only-failed has nothing to send again:
		// exit 0 only says that the tester got every test message.
		if res.Failed+len(res.Unknown)+res.Pending > 0 || res.Stopped != "" {
			fmt.Fprintf(w, "Not every test message reached %s: fix the cause and run the same test again.\n", sp.TestTo)
			return quietExit{ExitNotDelivered}
		}
		return nil
	}
	if res.Failed > 0 {
		fmt.Fprintln(w, "See who failed and why with herald status; send to them again with herald send --only-failed.")
	}
	// Exit 0 means everyone selected is delivered and nobody from an earlier run is left
	// failed, unknown or never sent, so that a script can ask "are we done?".
	if res.Failed+len(res.Unknown)+res.Pending+sp.OverDaily+sp.Failed+sp.Bounced+sp.Unknown+sp.NeverSent > 0 || res.Stopped != "" {
		return quietExit{ExitNotDelivered}
	}
	return nil
}
