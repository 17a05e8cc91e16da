package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mla-initiative/herald/internal/screen"
)

// ANSI colours of the states; pending and skipped stay plain.
var colors = map[string]string{
	Delivered: "\x1b[32m", // green
	Failed:    "\x1b[31m", // red
	Unknown:   "\x1b[33m", // amber
}

const colorReset = "\x1b[0m"

// TextOptions shape the table output.
type TextOptions struct {
	// Color marks states in colour; only for a terminal, and never with NO_COLOR.
	Color bool
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
		if c.Total() > 0 && c.Pending == c.Total()-c.Skipped && len(r.Gone) == 0 && len(r.OtherCampaigns) > 0 {
			fmt.Fprintf(w, "The log has no record of campaign %s; it holds: %s (choose one with --campaign).\n", screen.CleanLine(r.Campaign), screen.CleanLine(strings.Join(r.OtherCampaigns, ", ")))
		}
	}
	w.WriteByte('\n')
	for _, state := range States {
		n := c.Of(state)
		fmt.Fprintf(w, "  %s %*d", paint(fmt.Sprintf("%-9s", state), state, opt.Color), 6, n)
		switch {
		case state == Failed && n > 0:
			fmt.Fprintf(w, "   %d temporary, %d permanent: herald send --only-failed", c.Temporary, c.Permanent)
		case state == Unknown && n > 0:
			fmt.Fprint(w, "   may have arrived: look for their Message-IDs, then herald send --resend-unknown")
		case state == Pending && n > 0:
			fmt.Fprint(w, "   not sent yet: herald send")
		case state == Skipped && n > 0:
			fmt.Fprint(w, "   rows with errors: fix the cells named, then herald send")
		}
		w.WriteByte('\n')
	}
	fmt.Fprintf(w, "  %-9s %6d\n", "total", c.Total())
	if len(r.Gone) > 0 {
		fmt.Fprintf(w, "  and %d in the log that are no longer in the workbook (not counted)\n", len(r.Gone))
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
	return bw.Flush()
}

func statusText(rc Recipient) string {
	if rc.Failure != "" {
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
			statusText(rc), rc.Detail(), attempts, r.local(rc.LastAttempt), rc.Action,
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
	for n, row := range cells {
		for i, v := range row {
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

func paint(s, state string, color bool) string {
	if c, ok := colors[state]; ok && color {
		return c + s + colorReset
	}
	return s
}
