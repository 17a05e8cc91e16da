package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/screen"
)

// inboxOptions are the settings of herald inbox.
type inboxOptions struct {
	inputOptions
	log                string
	imap               imapOptions
	oauth              oauthOptions
	smtpUser, smtpAuth string // what the IMAP settings default to
	folders            cli.StringSlice
	unmatched          bool
}

// campaignFlags are the input flags that name a campaign and its log, and the config file.
func (o *inputOptions) campaignFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range o.flags(false) {
		switch f.Names()[0] {
		case "config", "contacts", "template", "campaign":
			out = append(out, f)
		}
	}
	return out
}

func inboxCommand(s Streams, cfg *configFile) *cli.Command {
	o := &inboxOptions{}
	return &cli.Command{
		Name:  "inbox",
		Usage: "read the sender's mailbox for bounces and replies, and record them in the delivery log",
		Description: `Reads the sender's mailbox over IMAP, read-only (nothing is marked, moved or deleted),
and records in the campaign's delivery log what it finds about the campaign's messages:
bounces (the recipient becomes bounced: not delivered), delay notices (a note), automatic
replies (never an answer) and replies (the sender, date and subject; never the body).
The campaign is chosen as for herald status: --contacts and --template (or --campaign),
or --log.

A message is placed by the messages it refers to (In-Reply-To, References, the returned
message of a bounce), or by its sender's address when it refers to none. A reply to a
campaign message from someone who is not among its recipients (a colleague it was
forwarded to, or a forgery) is kept apart with its real sender, never taken for an answer.
Mail that cannot be placed is counted and recorded, never guessed: --unmatched lists it.

herald inbox remembers how far it read each folder (in the log): the next run reads only
what is new, and a message seen twice is recorded once. It reads INBOX unless told
otherwise; bounces often land in Junk:  --folder INBOX --folder Junk.

The password comes from HERALD_IMAP_PASSWORD, else as the SMTP one (HERALD_SMTP_PASSWORD,
password_command, a prompt); with --imap-auth xoauth2 (the default with --smtp-auth
xoauth2) from herald login's sign-in.

Examples:
   herald inbox --imap-host imap.ministry.example
   herald inbox --folder INBOX --folder Junk && herald status
   herald inbox --unmatched                          list what could not be placed`,
		Before: o.loadConfig(cfg),
		Flags: slices.Concat(o.campaignFlags(),
			[]cli.Flag{
				&cli.StringFlag{Name: "log", Destination: &o.log, Usage: "the delivery log `FILE` (default: CAMPAIGN.delivery.jsonl beside the workbook)", EnvVars: []string{"HERALD_LOG"}},
				&cli.StringSliceFlag{Name: "folder", Destination: &o.folders, Usage: "read the IMAP `FOLDER` (repeatable; default INBOX; a Junk folder is a common second)", EnvVars: []string{"HERALD_FOLDER"}},
				&cli.StringFlag{Name: "smtp-user", Destination: &o.smtpUser, Usage: "the SMTP `USER`, which --imap-user defaults to", EnvVars: []string{"HERALD_SMTP_USER"}},
				&cli.StringFlag{Name: "smtp-auth", Destination: &o.smtpAuth, Usage: "the SMTP `METHOD`; xoauth2 makes --imap-auth default to xoauth2", EnvVars: []string{"HERALD_SMTP_AUTH"}},
				&cli.BoolFlag{Name: "unmatched", Destination: &o.unmatched, Usage: "list the messages recorded that could not be placed with a recipient (from the log: no server is needed)"},
			},
			o.imap.flags(), o.oauth.flags()),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runInbox(c.Context, s, o)
		},
	}
}

func runInbox(ctx context.Context, s Streams, o *inboxOptions) error {
	in := o.inputs(false)
	campaign := run.CampaignName(in)
	logPath := o.log
	if logPath == "" {
		logPath = run.LogPath(in)
	}
	if o.unmatched {
		return listUnmatched(s.Out, campaign, logPath)
	}
	cfg, xoauth2, err := o.imap.config(o.smtpUser, o.smtpAuth)
	if err != nil {
		return err
	}
	if err := imapCredentials(ctx, s, &cfg, xoauth2, &o.oauth, o.fromConfig); err != nil {
		return err
	}
	folders := o.folders.Value()
	fmt.Fprintf(s.Out, "Mailbox:    %s at %s, campaign %s (log %s)\n", cfg.User, cfg.Host, campaign, logPath)
	res, err := run.Inbox(ctx, run.InboxOptions{Campaign: campaign, LogPath: logPath, IMAP: cfg, Folders: folders})
	if res == nil {
		return err
	}
	if res.LogRepaired != "" {
		fmt.Fprintf(s.Err, "herald: note: %s\n", screen.CleanLine(res.LogRepaired))
	}
	writeInbox(s.Out, res)
	if err != nil {
		return err
	}
	return nil
}

// writeInbox says what each folder held that was new, then where the recipients stand.
func writeInbox(w io.Writer, res *run.InboxResult) {
	unmatched := 0
	for _, f := range res.Folders {
		label := fmt.Sprintf("%-12s", screen.CleanLine(f.Folder)+":")
		if f.Rescan {
			fmt.Fprintf(w, "%sthe server renumbered this folder (its UIDVALIDITY changed): read again from its start; nothing is recorded twice\n", label)
			label = strings.Repeat(" ", len(label))
		}
		if f.Read == 0 {
			fmt.Fprintf(w, "%snothing new (%s in the folder)\n", label, plural(int(f.Total), "message"))
			continue
		}
		var parts []string
		for _, k := range []struct{ key, one, many string }{
			{run.FoundBounce, "bounce", "bounces"},
			{run.FoundDelayed, "delay notice", "delay notices"},
			{run.FoundNotice, "delivery notice", "delivery notices"},
			{run.FoundAutoReply, "automatic reply", "automatic replies"},
			{run.FoundReply, "reply", "replies"},
			{run.FoundUnmatched, "unmatched", "unmatched"},
			{run.FoundOwnCopy, "copy of the campaign's own messages", "copies of the campaign's own messages"},
		} {
			if n := f.Found[k.key]; n > 0 {
				word := k.many
				if n == 1 {
					word = k.one
				}
				parts = append(parts, fmt.Sprintf("%d %s", n, word))
			}
		}
		unmatched += f.Found[run.FoundUnmatched]
		fmt.Fprintf(w, "%s%s new: %s\n", label, plural(f.Read, "message"), strings.Join(parts, ", "))
		pad := strings.Repeat(" ", 12)
		if n := f.Found[run.FoundUntrusted]; n > 0 {
			fmt.Fprintf(w, "%s%d from someone other than the recipient of the message it answers: kept apart with the real sender, not counted as an answer\n", pad, n)
		}
		if n := f.Found[run.FoundAlready]; n > 0 {
			fmt.Fprintf(w, "%s%d recorded already (seen in another folder, or before a renumbering)\n", pad, n)
		}
	}
	bounced, replied, auto := 0, 0, 0
	for _, st := range res.States {
		switch {
		case st.Status == deliverylog.StatusBounced:
			bounced++
		}
		switch {
		case st.Answered():
			replied++
		case st.AutoReply != nil:
			auto++
		}
	}
	fmt.Fprintf(w, "Campaign:   %d bounced, %d replied, %d with an automatic reply only (herald status shows who)\n", bounced, replied, auto)
	if res.Unmatched > 0 {
		fmt.Fprintf(w, "Unmatched:  %s could not be placed with a recipient (%d in this run): herald inbox --unmatched lists them\n", plural(res.Unmatched, "message"), unmatched)
	}
}

// listUnmatched lists, from the log alone, the messages that could not be placed.
func listUnmatched(w io.Writer, campaign, logPath string) error {
	records, err := deliverylog.Read(logPath)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(w, "No delivery log at %s: nothing has been sent or read in campaign %s.\n", logPath, campaign)
		return nil
	}
	if err != nil {
		return err
	}
	list := run.Unmatched(records, campaign)
	if len(list) == 0 {
		fmt.Fprintf(w, "herald inbox has recorded no message it could not place in campaign %s (log %s).\n", campaign, logPath)
		return nil
	}
	fmt.Fprintf(w, "%s that herald inbox could not place with a recipient of campaign %s (from the log %s):\n\n", plural(len(list), "message"), campaign, logPath)
	cells := [][]string{{"DATE", "FOLDER", "LOOKS LIKE", "FROM", "SUBJECT", "WHY"}}
	for _, r := range list {
		date := "(no date)"
		if !r.Date.IsZero() {
			date = r.Date.UTC().Format("2006-01-02 15:04 MST")
		}
		from := r.From
		if r.FromName != "" {
			from = r.FromName + " <" + r.From + ">"
		}
		cells = append(cells, []string{date, r.Folder, strings.ReplaceAll(r.Nature, "_", " "), from, r.Subject, r.Reason})
	}
	screen.WriteColumns(w, cells)
	fmt.Fprintln(w, "\nLook at them in the mail program: a message about the campaign that herald cannot place is for a person to judge.")
	return nil
}
