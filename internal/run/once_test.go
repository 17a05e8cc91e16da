package run

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/problem"
)

// TestEachAddressOnce covers the ways one address can appear in several rows (To, Cc, Bcc,
// any case, with other addresses or alone): it is mailed once, from its first row, and
// every such row is named — nobody mailed twice, nobody left out without a word.
func TestEachAddressOnce(t *testing.T) {
	tests := []struct {
		name     string
		rows     string // Email,Cc,Bcc lines after row 2: a@x.test
		items    []int  // rows with a message of their own
		mailedBy map[int]map[string]int
		dupOf    map[int]int
		problems []string // "row N: error|warning: part of the message"
	}{
		{
			name: "same To", rows: "A@X.test,,\n",
			items: []int{2}, dupOf: map[int]int{3: 2},
			problems: []string{"row 3: warning: same recipient as row 2 (a@x.test); it is mailed once, from row 2"},
		},
		{
			name: "same To with a Cc of its own", rows: "a@x.test,c@y.test,\n",
			items:    []int{2},
			problems: []string{"row 3: error: same To as row 2 (a@x.test), but this row also mails c@y.test (Cc), which row 2 does not"},
		},
		{
			name: "To of one row in the Cc of another", rows: "b@x.test,a@x.test,\n",
			items: []int{2, 3}, mailedBy: map[int]map[string]int{3: {"a@x.test": 2}},
			problems: []string{"row 3: warning: a@x.test (Cc here, To in row 2): each address gets one copy"},
		},
		{
			// A Bcc is a deliberate blind copy (an archive): it gets every message.
			name: "in Bcc", rows: "b@x.test,,A@x.TEST\n",
			items: []int{2, 3},
		},
		{
			name: "in Cc, in another case", rows: "b@x.test,A@x.TEST,\n",
			items: []int{2, 3}, mailedBy: map[int]map[string]int{3: {"a@x.test": 2}},
			problems: []string{"row 3: warning: A@x.test (Cc here, To in row 2)"},
		},
		{
			name: "a colleague added to the To", rows: "a@x.test; b@x.test,,\n",
			items: []int{2, 3}, mailedBy: map[int]map[string]int{3: {"a@x.test": 2}},
			problems: []string{"row 3: warning: a@x.test (To here, To in row 2)"},
		},
		{
			name: "every address mailed already", rows: "b@x.test,,\nb@x.test; a@x.test,,\n",
			items: []int{2, 3}, dupOf: map[int]int{4: 2},
			problems: []string{"row 4: warning: every address of this row is already mailed by an earlier row: b@x.test (To here, To in row 3), a@x.test (To here, To in row 2)"},
		},
		{
			name: "twice in one row", rows: "b@x.test,b@x.test,\n",
			items: []int{2, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := campaignDir(t, "Email,Cc,Bcc,Name\na@x.test,,,A\n"+strings.ReplaceAll(tt.rows, "\n", ",N\n"))
			p, err := Prepare(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			var rows []int
			mailedBy := map[int]map[string]int{}
			for _, it := range p.Items {
				rows = append(rows, it.Row)
				if it.MailedBy != nil {
					mailedBy[it.Row] = it.MailedBy
				}
			}
			if !slices.Equal(rows, tt.items) {
				t.Errorf("rows with a message: %v, want %v", rows, tt.items)
			}
			if tt.mailedBy == nil {
				tt.mailedBy = map[int]map[string]int{}
			}
			if fmt.Sprint(mailedBy) != fmt.Sprint(tt.mailedBy) {
				t.Errorf("MailedBy = %v, want %v", mailedBy, tt.mailedBy)
			}
			if tt.dupOf == nil {
				tt.dupOf = map[int]int{}
			}
			if p.DuplicateOf == nil {
				p.DuplicateOf = map[int]int{}
			}
			if !maps.Equal(p.DuplicateOf, tt.dupOf) {
				t.Errorf("DuplicateOf = %v, want %v", p.DuplicateOf, tt.dupOf)
			}
			var got []string
			for _, pr := range p.Problems {
				if pr.Row > 0 {
					got = append(got, fmt.Sprintf("row %d: %s: %s", pr.Row, pr.Severity(), pr.Message))
				}
			}
			if len(got) != len(tt.problems) {
				t.Fatalf("row problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tt.problems), strings.Join(tt.problems, "\n"))
			}
			for i, want := range tt.problems {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("problem %d = %q, want it to start %q", i, got[i], want)
				}
			}
			if errs, _ := problem.Count(p.Problems); errs > 0 && len(p.Skipped) == 0 {
				t.Errorf("an error but no row left out")
			}
		})
	}
}

// TestBidiOverrideInNameWarns: a display name holding a right-to-left override reads as
// something else in mail programs and terminals.
func TestBidiOverrideInNameWarns(t *testing.T) {
	in := campaignDir(t, "Email,Name\n\"\"\"Ana \u202eexe.fdp\"\" <a@x.test>\",A\nb@x.test,B\n")
	p, err := Prepare(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range p.Problems {
		if pr.Row > 0 {
			got = append(got, fmt.Sprintf("row %d %s: %s", pr.Row, pr.Severity(), pr.Message))
		}
	}
	want := "row 2 warning: the name of a@x.test holds the invisible character U+202E"
	if len(got) != 1 || !strings.HasPrefix(got[0], want) || len(p.Items) != 2 {
		t.Errorf("problems %q (%d items), want one starting %q", got, len(p.Items), want)
	}
}
