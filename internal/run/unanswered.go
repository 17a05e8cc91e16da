package run

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/problem"
)

// Unanswered is what KeepUnanswered did to a plan.
type Unanswered struct {
	// Campaign and LogPath name the campaign whose answers were looked at.
	Campaign, LogPath string
	// Kept is the number of recipients the reminder goes to, or went to.
	Kept int
	// NotDelivered, Bounced and Replied count the recipients left out: the earlier
	// campaign's message never reached them (never sent, failed, unknown), it came back,
	// or they replied.
	NotDelivered, Bounced, Replied int
	// AutoReplyOnly and OthersOnly count recipients kept although something came back
	// from them: an automatic reply, or a reply from someone who is not their recipient.
	// Neither is an answer.
	AutoReplyOnly, OthersOnly int
}

// KeepUnanswered leaves in p only the recipients that campaign other (its log at
// otherLog) delivered to, that did not bounce and that have not replied (see
// deliverylog.State.Answered): a reminder goes to them, as a campaign of its own. Recipients
// the reminder's own log (ownLog) has delivered, or may have (unknown), stay in the plan
// whatever they did since, so that its report shows them and herald send leaves them.
func KeepUnanswered(p *plan.Plan, other, otherLog, ownLog string) (Unanswered, error) {
	u := Unanswered{Campaign: other, LogPath: otherLog}
	if other == p.Campaign {
		return u, problem.WithHint(fmt.Errorf("the reminder is campaign %s, the campaign it follows up", other),
			"a reminder is a campaign of its own: give --template reminder (or another --campaign name)")
	}
	records, err := deliverylog.Read(otherLog)
	if errors.Is(err, fs.ErrNotExist) {
		return u, problem.WithHint(fmt.Errorf("no delivery log of campaign %s at %s", other, otherLog),
			"name the campaign as it was sent (--unanswered NAME), or give its log with --unanswered-log")
	}
	if err != nil {
		return u, err
	}
	states := deliverylog.Fold(records, other)
	if len(states) == 0 {
		return u, problem.WithHint(fmt.Errorf("the delivery log %s has no record of campaign %s", otherLog, other),
			"name the campaign as it was sent (--unanswered NAME)")
	}
	own := map[string]deliverylog.State{}
	if ownRecords, err := deliverylog.Read(ownLog); err == nil {
		own = deliverylog.Fold(ownRecords, p.Campaign)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return u, err
	}
	kept := p.Items[:0]
	for _, it := range p.Items {
		if st, ok := own[it.Key]; ok && (st.Status == deliverylog.StatusDelivered || st.Status == deliverylog.StatusUnknown || st.Status == deliverylog.StatusBounced) {
			kept = append(kept, it)
			continue
		}
		st := states[it.Key]
		switch {
		case st.Status == deliverylog.StatusBounced:
			u.Bounced++
			continue
		case st.Status != deliverylog.StatusDelivered:
			u.NotDelivered++
			continue
		case st.Answered():
			u.Replied++
			continue
		case st.AutoReply != nil:
			u.AutoReplyOnly++
		case len(st.Untrusted) > 0:
			u.OthersOnly++
		}
		kept = append(kept, it)
	}
	p.Items = kept
	u.Kept = len(kept)
	// Each To and Cc address gets one copy, from the first row that lists it: with rows
	// left out, that may now be a later row than the plan said.
	owner := map[string]int{}
	for i := range p.Items {
		it := &p.Items[i]
		it.MailedBy = nil
		for _, list := range [][]message.Address{it.To, it.Cc} {
			for _, a := range list {
				switch row, ok := owner[a.Key()]; {
				case !ok:
					owner[a.Key()] = it.Row
				case row != it.Row:
					if it.MailedBy == nil {
						it.MailedBy = map[string]int{}
					}
					it.MailedBy[a.Key()] = row
				}
			}
		}
	}
	return u, nil
}
