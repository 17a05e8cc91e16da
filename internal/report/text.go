package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/screen"
)

// ANSI colours of the states; pending and skipped stay plain.
var colors = map[string]string{
	Delivered: "\x1b[32m", // green
	Failed:    "\x1b[31m", // red
	Bounced:   "\x1b[31m", // red
	Unknown:   "\x1b[33m", // amber
}

const colorReset = "\x1b[0m"

// TextOptions shape the table output.
type TextOptions struct {
	// Color marks states in colour; only for a terminal, and never with NO_COLOR.
	Color bool
	// Width is the terminal's width in columns, which the rows of the table are fitted to by
	// cutting the reply and the action (addresses stay whole); 0 for no limit.
	Width int
}

// timeLayout is how people read times in tables and exports: to the second, with the zone.
const timeLayout = "2006-01-02 15:04:05 MST"

func (r *Report) local(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := r.Location
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(timeLayout)
}

// WriteSummary writes the counts of recipients by state and, for each state that needs
// something done, the command that does it. herald status starts with it and herald send
// ends with it, so both say the same in the same words:
//
//	rep, err := report.Load(pl, opt.LogPath) // once run.Send has returned
//	if err == nil {
//		err = rep.WriteSummary(s.Out, report.TextOptions{Color: s.ColorOut})
//	}
func (r *Report) WriteSummary(w io.Writer, opt TextOptions) error {
	bw := bufio.NewWriter(w)
	r.summary(bw, opt)
	return bw.Flush()
}

func (r *Report) summary(w *bufio.Writer, opt TextOptions) {
	c := r.Counts
	fmt.Fprintf(w, "Campaign %s: %d recipients in %s\n", screen.CleanLine(r.Campaign), c.Total(), screen.CleanLine(r.Source))
	if r.NoLog {
		fmt.Fprintf(w, "No delivery log at %s yet: nothing has been sent in this campaign, so everyone is pending.\n", screen.CleanLine(r.LogPath))
		if len(r.OtherCampaigns) > 0 {
			fmt.Fprintf(w, "Logs of other campaigns in that folder: %s (choose one with --campaign).\n", screen.CleanLine(strings.Join(r.OtherCampaigns, ", ")))
		}
	} else {
		fmt.Fprintf(w, "Delivery log: %s\n", screen.CleanLine(r.LogPath))
		if c.Total() > 0 && c.Pending == c.Total()-c.Skipped && len(r.Gone) == 0 && len(r.OtherCampaigns) > 0 && r.InProgress == nil {
			fmt.Fprintf(w, "The log has no record of campaign %s; it holds: %s (choose one with --campaign).\n", screen.CleanLine(r.Campaign), screen.CleanLine(strings.Join(r.OtherCampaigns, ", ")))
		}
	}
	if run := r.InProgress; run != nil {
		var who []string
		if run.PID > 0 {
			who = append(who, fmt.Sprintf("process %d", run.PID))
		}
		if !run.Since.IsZero() {
			who = append(who, "since "+r.local(run.Since))
		}
		fmt.Fprintf(w, "A herald send is running on this log%s: these figures are a moment of it; act on them once it has finished.\n", parenthesised(strings.Join(who, ", ")))
	}
	sending, retrying := 0, 0
	for _, rc := range r.Recipients {
		switch {
		case rc.InProgress && rc.Status == Unknown:
			sending++
		case rc.InProgress:
			retrying++
		}
	}
	w.WriteByte('\n')
	for _, state := range States {
		n := c.Of(state)
		if state == Bounced && n == 0 {
			// Only herald inbox finds bounces: a campaign without any keeps its five lines.
			continue
		}
		fmt.Fprintf(w, "  %s %*d", paint(fmt.Sprintf("%-9s", state), state, opt.Color), 6, n)
		switch {
		case n == 0:
		case r.InProgress != nil:
			// Nothing that sends: a second send is refused while this one runs, and advice
			// to send to the recipients it has in hand could mail them twice afterwards.
			switch state {
			case Failed:
				fmt.Fprintf(w, "   %d temporary, %d permanent", c.Temporary, c.Permanent)
				if retrying > 0 {
					fmt.Fprintf(w, "; %d may be tried again by the run", retrying)
				}
			case Unknown:
				if sending > 0 {
					fmt.Fprintf(w, "   %d being sent now", sending)
				}
				if n > sending {
					fmt.Fprintf(w, "%s%d from before may have arrived: look for their Message-IDs", cond(sending > 0, "; ", "   "), n-sending)
				}
			case Pending:
				fmt.Fprint(w, "   not sent yet")
			case Skipped:
				fmt.Fprint(w, "   rows with errors: fix the cells named")
			}
		case state == Bounced:
			fmt.Fprint(w, "   came back (herald inbox found the bounce): correct the address, or herald send --only-failed")
		case state == Failed:
			fmt.Fprintf(w, "   %d temporary, %d permanent: herald send --only-failed", c.Temporary, c.Permanent)
		case state == Unknown:
			fmt.Fprint(w, "   may have arrived: look for their Message-IDs, then herald send --resend-unknown")
		case state == Pending:
			fmt.Fprint(w, "   not sent yet: herald send")
		case state == Skipped:
			fmt.Fprint(w, "   rows with errors: fix the cells named, then herald send")
		}
		w.WriteByte('\n')
	}
	fmt.Fprintf(w, "  %-9s %6d\n", "total", c.Total())
	if len(r.Gone) > 0 {
		fmt.Fprintf(w, "  and %d in the log that are no longer in the workbook (not counted)\n", len(r.Gone))
	}
	if c.Replied+c.AutoReplyOnly+c.Untrusted > 0 {
		fmt.Fprintf(w, "\n  %-9s %6d", "replied", c.Replied)
		if c.AutoReplyOnly > 0 {
			fmt.Fprintf(w, "   and %d with an automatic reply only (no answer)", c.AutoReplyOnly)
		}
		w.WriteByte('\n')
		if c.Untrusted > 0 {
			fmt.Fprintf(w, "  %d with messages from someone other than the recipient: listed below with their sender, not counted as replies\n", c.Untrusted)
		}
	}
	switch {
	case c.Total() == 0:
	case r.AllDelivered():
		fmt.Fprintln(w, "\nEvery recipient has the message.")
	}
}

// WriteTable writes the report for people: the summary, then every recipient not
// delivered, then the recipients in the log that are no longer in the workbook.
func (r *Report) WriteTable(w io.Writer, opt TextOptions) error {
	bw := bufio.NewWriter(w)
	r.summary(bw, opt)
	header := []string{"ROW", "TO", "CC", "STATUS", "REPLY / ERROR", "ATTEMPTS", "LAST ATTEMPT", "ACTION"}
	if rest := r.NotDelivered(); len(rest) > 0 {
		fmt.Fprintf(bw, "\nNot delivered (%d):\n", len(rest))
		r.writeRows(bw, header, rest, opt)
	}
	if len(r.Gone) > 0 {
		fmt.Fprintf(bw, "\nIn the log but no longer in the workbook (%d): the row was deleted or its address changed.\n", len(r.Gone))
		r.writeRows(bw, header[:len(header)-1], r.Gone, opt)
	}
	r.writeAnswers(bw)
	return bw.Flush()
}

// writeAnswers lists what herald inbox found besides bounces: replies, automatic replies,
// messages from others than the recipients (with their real sender), bounces of Cc
// addresses and delay notices. Subjects are shown, never bodies.
func (r *Report) writeAnswers(w *bufio.Writer) {
	var cells [][]string
	for _, rc := range r.Recipients {
		to := strings.Join(rc.To, ", ")
		add := func(what string, in *deliverylog.Inbound, from string) {
			cells = append(cells, []string{strconv.Itoa(rc.Row), to, what, from, r.local(when(in)), in.Subject})
		}
		if in := rc.Replied; in != nil {
			what := "replied"
			if rc.Replies > 1 {
				what = fmt.Sprintf("replied (%d)", rc.Replies)
			}
			add(what, in, sender(in))
		}
		if in := rc.AutoReply; in != nil {
			add("automatic reply", in, sender(in))
		}
		for i := range rc.Untrusted {
			in := &rc.Untrusted[i]
			add("from someone else ("+strings.ReplaceAll(in.Type, "_", " ")+")", in, sender(in)+" — "+in.Reason)
		}
		for i := range rc.CopyBounces {
			in := &rc.CopyBounces[i]
			add("cc bounced", in, in.Recipient+": "+joinNonEmpty(" ", in.Status, in.Diagnostic))
		}
		if in := rc.Delayed; in != nil && rc.Status == Delivered {
			add("delayed (a note)", in, joinNonEmpty(" ", in.Recipient+":", in.Status, in.Diagnostic))
		}
	}
	if len(cells) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFound in the mailbox by herald inbox (%d):\n", len(cells))
	cells = append([][]string{{"ROW", "TO", "WHAT", "FROM", "DATE", "SUBJECT"}}, cells...)
	screen.WriteColumns(w, cells)
}

// sender is "Name <address>", or the address alone.
func sender(in *deliverylog.Inbound) string {
	switch {
	case in.FromName != "" && in.From != "":
		return in.FromName + " <" + in.From + ">"
	case in.From != "":
		return in.From
	}
	return "(no sender)"
}

// when is the message's date, or when herald inbox found it when it had none.
func when(in *deliverylog.Inbound) time.Time {
	if in.Date.IsZero() {
		return in.Recorded
	}
	return in.Date
}

func parenthesised(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func cond(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}

func statusText(rc Recipient) string {
	switch {
	case rc.InProgress && rc.Status == Unknown:
		return "sending"
	case rc.Failure != "":
		return rc.Status + " (" + rc.Failure + ")"
	}
	return rc.Status
}

// writeRows aligns the rows in columns. It pads by display width itself rather than use
// text/tabwriter, which would count the bytes of colour codes and of wide characters.
func (r *Report) writeRows(w *bufio.Writer, header []string, list []Recipient, opt TextOptions) {
	const statusCol = 3
	cells := make([][]string, 0, len(list)+1)
	cells = append(cells, header)
	for _, rc := range list {
		attempts := strconv.Itoa(rc.Attempts)
		if rc.Tests > 0 {
			attempts += fmt.Sprintf(" (+%d test)", rc.Tests)
		}
		row := []string{
			strconv.Itoa(rc.Row), strings.Join(rc.To, ", "), strings.Join(rc.Cc, ", "),
			statusText(rc), rc.shown(), attempts, r.local(rc.LastAttempt), rc.Action,
		}
		cells = append(cells, row[:len(header)])
	}
	widths := make([]int, len(header))
	for _, row := range cells {
		for i, v := range row {
			row[i] = screen.CleanLine(v)
			widths[i] = max(widths[i], screen.Width(row[i]))
		}
	}
	if opt.Width > 0 && !fit(widths, opt.Width, replyCol) {
		r.writeBlocks(w, list, opt)
		return
	}
	for n, row := range cells {
		for i, v := range row {
			v = screen.Cut(v, widths[i])
			pad := widths[i] - screen.Width(v)
			if i == len(row)-1 {
				pad = 0
			}
			if n > 0 && i == statusCol {
				v = paint(v, list[n-1].Status, opt.Color)
			}
			w.WriteString(v)
			if i < len(row)-1 {
				w.WriteString(strings.Repeat(" ", pad+2))
			}
		}
		w.WriteByte('\n')
	}
}

// replyCol is the column of the server's reply or the error in the rows of a table.
const replyCol = 4

// minReply is the narrowest the reply is cut to: enough to see what it is about.
const minReply = 16

// fit narrows column i until a row of widths fits in limit columns (two spaces between
// columns), down to minReply, and reports whether it then fits.
func fit(widths []int, limit, i int) bool {
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	by := min(max(total-limit, 0), max(widths[i]-minReply, 0))
	widths[i] -= by
	return total-by <= limit
}

// writeBlocks writes each recipient as a few lines, for a terminal too narrow for the
// table: the row and the addresses, whole; the state; the reply or error, cut to the width;
// the action, wrapped.
//
//	2  ministre@justice.gouv.example
//	   cc cabinet@justice.gouv.example
//	   failed (permanent), 1 attempt, the last 2024-01-10 09:30:01 UTC
//	   550 5.7.1 <ministre@justice.gouv.example>: Recipient address rejected: the messa…
//	   → remove the cause the server gives, then herald send --only-failed
func (r *Report) writeBlocks(w *bufio.Writer, list []Recipient, opt TextOptions) {
	indent := 0
	for _, rc := range list {
		indent = max(indent, len(strconv.Itoa(rc.Row)))
	}
	indent += 2
	pad := strings.Repeat(" ", indent)
	text := max(opt.Width-indent, minReply)
	for _, rc := range list {
		row := strconv.Itoa(rc.Row)
		w.WriteString(row + strings.Repeat(" ", indent-len(row)) + screen.CleanLine(strings.Join(rc.To, ", ")) + "\n")
		if len(rc.Cc) > 0 {
			w.WriteString(pad + "cc " + screen.CleanLine(strings.Join(rc.Cc, ", ")) + "\n")
		}
		state := paint(statusText(rc), rc.Status, opt.Color)
		switch rc.Attempts {
		case 0:
		case 1:
			state += ", 1 attempt"
		default:
			state += fmt.Sprintf(", %d attempts", rc.Attempts)
		}
		if rc.Tests > 0 {
			state += fmt.Sprintf(" (+%d test)", rc.Tests)
		}
		if !rc.LastAttempt.IsZero() {
			state += ", the last " + r.local(rc.LastAttempt)
		}
		w.WriteString(pad + state + "\n")
		if d := screen.CleanLine(rc.shown()); d != "" {
			w.WriteString(pad + screen.Cut(d, text) + "\n")
		}
		if rc.Action != "" {
			for i, line := range wrap(screen.CleanLine(rc.Action), text-2) {
				w.WriteString(pad + cond(i == 0, "→ ", "  ") + line + "\n")
			}
		}
	}
}

// wrap breaks s at spaces into lines of at most cols columns; a word longer than that
// stays whole on a line of its own.
func wrap(s string, cols int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case screen.Width(line)+1+screen.Width(word) <= cols:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

func paint(s, state string, color bool) string {
	if c, ok := colors[state]; ok && color {
		return c + s + colorReset
	}
	return s
}
