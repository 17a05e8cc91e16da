package run

import (
	"context"

	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/send"
)

// Send sends the plan (see package send) and then reads the state of the whole campaign
// back from its log, in the words herald status uses. The report is nil when the user
// declined, or for a test run (--test-to), which changes nothing in the campaign.
func Send(ctx context.Context, p *plan.Plan, opt send.Options) (*send.Result, *report.Report, error) {
	res, err := send.Run(ctx, p, opt)
	if err != nil || res.Declined || res.Selection.Test {
		return res, nil, err
	}
	rep, err := report.Load(p, opt.LogPath)
	return res, rep, err
}
