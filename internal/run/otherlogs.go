package run

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/plan"
)

// OtherLog is a delivery log, other than the one a run uses, that already reached some of
// the plan's recipients.
type OtherLog struct {
	Path      string
	Campaign  string
	Delivered int // the plan's recipients it delivered to
	// Same tells that it logs the same campaign: the run would mail those recipients a
	// second time, because it keeps its own log elsewhere (the workbook was moved, say).
	Same bool
}

// OtherLogs looks in dirs (and beside the workbook) for the delivery logs of campaigns that
// delivered to any of the plan's recipients, other than the log at logPath: a copied
// template folder is a new campaign, and a workbook moved to another folder keeps its log
// there, and either would mail the same people again without a word.
func OtherLogs(p *plan.Plan, logPath string, dirs ...string) []OtherLog {
	keys := make(map[string]bool, len(p.Items))
	for _, it := range p.Items {
		keys[it.Key] = true
	}
	own, _ := os.Stat(logPath)
	var out []OtherLog
	seen := map[string]bool{}
	for _, dir := range dirs {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.delivery.jsonl"))
		for _, path := range matches {
			abs, err := filepath.Abs(path)
			if err != nil || seen[abs] {
				continue
			}
			seen[abs] = true
			if st, err := os.Stat(path); err != nil || own != nil && os.SameFile(st, own) {
				continue
			}
			records, err := deliverylog.Read(path)
			if err != nil {
				continue
			}
			campaigns := map[string]bool{}
			for _, r := range records {
				campaigns[r.Campaign] = true
			}
			for _, campaign := range slices.Sorted(maps.Keys(campaigns)) {
				n := 0
				for key, st := range deliverylog.Fold(records, campaign) {
					if keys[key] && st.Status == deliverylog.StatusDelivered {
						n++
					}
				}
				if n > 0 {
					out = append(out, OtherLog{Path: path, Campaign: campaign, Delivered: n, Same: strings.EqualFold(campaign, p.Campaign)})
				}
			}
		}
	}
	return out
}
