package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/run"
)

// keepUnanswered leaves in p the recipients of campaign other that have not answered (see
// run.KeepUnanswered). Its log is otherLog, else where herald would keep it: beside the
// workbook, named after the campaign.
func keepUnanswered(p *plan.Plan, in run.Inputs, other, otherLog, ownLog string) (run.Unanswered, error) {
	if otherLog == "" {
		in.Campaign = other
		otherLog = run.LogPath(in)
	}
	return run.KeepUnanswered(p, other, otherLog, ownLog)
}

// writeReminder says, before the confirmation, whom the reminder leaves out and why.
func writeReminder(w io.Writer, u *run.Unanswered) {
	fmt.Fprintf(w, "Reminder:   of campaign %s (log %s): %s still unanswered\n", u.Campaign, u.LogPath, plural(u.Kept, "recipient"))
	var out []string
	for _, part := range []struct {
		n    int
		what string
	}{{u.NotDelivered, "not delivered"}, {u.Bounced, "bounced"}, {u.Replied, "replied"}} {
		if part.n > 0 {
			out = append(out, fmt.Sprintf("%d %s", part.n, part.what))
		}
	}
	if len(out) == 0 {
		out = append(out, "nobody")
	}
	fmt.Fprintf(w, "Left out:   %s\n", strings.Join(out, ", "))
	if u.AutoReplyOnly > 0 {
		fmt.Fprintf(w, "Included:   %d with an automatic reply only: an out-of-office is no answer, so they count as unanswered\n", u.AutoReplyOnly)
	}
	if u.OthersOnly > 0 {
		fmt.Fprintf(w, "Included:   %d with a reply from someone other than the recipient only (herald status lists them): not counted as an answer\n", u.OthersOnly)
	}
}
