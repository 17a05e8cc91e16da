package deliverylog

import (
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 10, 9, 30, 0, 0, time.UTC)

// at returns a time i seconds into the test run.
func at(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }

func attempt(i int, key string, row int, id string) Record {
	return Record{Type: TypeAttempt, Time: at(i), Campaign: "invitation", Run: "r1", Key: key, Row: row, To: []string{key}, MessageID: id}
}

func outcome(i int, key, status, failure string, code int, enhanced string) Record {
	return Record{Type: TypeOutcome, Time: at(i), Campaign: "invitation", Run: "r1", Key: key, Status: status, Failure: failure, Code: code, Enhanced: enhanced}
}

func inCampaign(r Record, campaign string) Record { r.Campaign = campaign; return r }
func asTest(r Record) Record                      { r.Test = true; return r }
func inRun(r Record, run string) Record           { r.Run = run; return r }

const (
	ana  = "ana@justice.example"
	ben  = "ben@foreign.example"
	cleo = "cleo@interior.example"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name    string
		records []Record
		want    map[string]State
	}{
		{
			name: "delivered",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusDelivered, "", 250, "2.0.0"),
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusDelivered, Code: 250, Enhanced: "2.0.0",
				MessageID: "m1@mla.example", Row: 2, To: []string{ana}, Attempts: 1, LastAttempt: at(1), Run: "r1",
			}},
		},
		{
			name: "attempt recorded, then not sent: pending again",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusNotSent, "", 0, ""),
			},
			want: map[string]State{ana: {Key: ana, Status: StatusPending, Row: 2, To: []string{ana}}},
		},
		{
			name: "not sent does not undo a delivery",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusDelivered, "", 250, ""),
				attempt(3, ana, 2, "m2@mla.example"),
				outcome(4, ana, StatusNotSent, "", 0, ""),
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusDelivered, Code: 250,
				MessageID: "m1@mla.example", Row: 2, To: []string{ana}, Attempts: 2, LastAttempt: at(3), Run: "r1",
			}},
		},
		{
			name: "temporary failure, then delivered on retry",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusFailed, FailureTemporary, 451, "4.7.1"),
				inRun(attempt(3, ana, 2, "m2@mla.example"), "r2"),
				inRun(outcome(4, ana, StatusDelivered, "", 250, ""), "r2"),
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusDelivered, Code: 250,
				MessageID: "m2@mla.example", Row: 2, To: []string{ana}, Attempts: 2, LastAttempt: at(3), Run: "r2",
			}},
		},
		{
			name: "permanent failure",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				{Type: TypeOutcome, Time: at(2), Campaign: "invitation", Key: ana, Status: StatusFailed, Failure: FailurePermanent,
					Code: 550, Enhanced: "5.1.1", Reply: "5.1.1 <ana@justice.example>: user unknown"},
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusFailed, Failure: FailurePermanent, Code: 550, Enhanced: "5.1.1",
				Reply:     "5.1.1 <ana@justice.example>: user unknown",
				MessageID: "m1@mla.example", Row: 2, To: []string{ana}, Attempts: 1, LastAttempt: at(1), Run: "r1",
			}},
		},
		{
			name: "attempt without outcome is unknown, and clears an earlier failure",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusFailed, FailureTemporary, 421, "4.4.2"),
				attempt(3, ana, 2, "m2@mla.example"),
				attempt(4, ben, 3, "m3@mla.example"),
			},
			want: map[string]State{
				ana: {Key: ana, Status: StatusUnknown, MessageID: "m2@mla.example", Row: 2, To: []string{ana}, Attempts: 2, LastAttempt: at(3), Run: "r1"},
				ben: {Key: ben, Status: StatusUnknown, MessageID: "m3@mla.example", Row: 3, To: []string{ben}, Attempts: 1, LastAttempt: at(4), Run: "r1"},
			},
		},
		{
			name: "unknown outcome, then resent and delivered",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				{Type: TypeOutcome, Time: at(2), Campaign: "invitation", Key: ana, Status: StatusUnknown, Error: "connection reset after the message was sent"},
				attempt(3, ana, 2, "m2@mla.example"),
				outcome(4, ana, StatusDelivered, "", 250, ""),
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusDelivered, Code: 250,
				MessageID: "m2@mla.example", Row: 2, To: []string{ana}, Attempts: 2, LastAttempt: at(3), Run: "r1",
			}},
		},
		{
			name: "test sends never deliver, and leave a real failure alone",
			records: []Record{
				asTest(attempt(1, ana, 2, "t1@mla.example")),
				asTest(outcome(2, ana, StatusDelivered, "", 250, "")),
				attempt(3, ben, 3, "m1@mla.example"),
				outcome(4, ben, StatusFailed, FailurePermanent, 550, ""),
				asTest(attempt(5, ben, 3, "t2@mla.example")),
				asTest(outcome(6, ben, StatusDelivered, "", 250, "")),
			},
			want: map[string]State{
				ana: {Key: ana, Status: StatusPending, Tests: 1},
				ben: {Key: ben, Status: StatusFailed, Failure: FailurePermanent, Code: 550, MessageID: "m1@mla.example",
					Row: 3, To: []string{ben}, Attempts: 1, LastAttempt: at(3), Run: "r1", Tests: 1},
			},
		},
		{
			name: "only the campaign asked for",
			records: []Record{
				inCampaign(attempt(1, ana, 2, "s1@mla.example"), "save-the-date"),
				inCampaign(outcome(2, ana, StatusDelivered, "", 250, ""), "save-the-date"),
				inCampaign(attempt(3, cleo, 4, "s2@mla.example"), "save-the-date"),
				attempt(5, ana, 2, "m1@mla.example"),
				outcome(6, ana, StatusFailed, FailureTemporary, 452, "4.2.2"),
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusFailed, Failure: FailureTemporary, Code: 452, Enhanced: "4.2.2",
				MessageID: "m1@mla.example", Row: 2, To: []string{ana}, Attempts: 1, LastAttempt: at(5), Run: "r1",
			}},
		},
		{
			name: "rows moved between runs: one recipient",
			records: []Record{
				attempt(1, ana, 7, "m1@mla.example"),
				outcome(2, ana, StatusFailed, FailureTemporary, 451, ""),
				inRun(attempt(3, ana, 9, "m2@mla.example"), "r2"),
				inRun(outcome(4, ana, StatusDelivered, "", 250, ""), "r2"),
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusDelivered, Code: 250,
				MessageID: "m2@mla.example", Row: 9, To: []string{ana}, Attempts: 2, LastAttempt: at(3), Run: "r2",
			}},
		},
		{
			name: "delivered is final",
			records: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusDelivered, "", 250, ""),
				inRun(attempt(3, ana, 5, "m2@mla.example"), "r2"),
				inRun(outcome(4, ana, StatusFailed, FailurePermanent, 554, ""), "r2"),
				inRun(outcome(5, ana, StatusSkipped, "", 0, ""), "r3"),
			},
			want: map[string]State{ana: {
				Key: ana, Status: StatusDelivered, Code: 250,
				MessageID: "m1@mla.example", Row: 2, To: []string{ana}, Attempts: 2, LastAttempt: at(3), Run: "r2",
			}},
		},
		{
			name: "skipped only before any attempt",
			records: []Record{
				{Type: TypeOutcome, Time: at(1), Campaign: "invitation", Key: ana, Row: 2, Status: StatusSkipped, Error: "left out with --only"},
				attempt(2, ben, 3, "m1@mla.example"),
				outcome(3, ben, StatusFailed, FailurePermanent, 550, ""),
				{Type: TypeOutcome, Time: at(4), Campaign: "invitation", Key: ben, Status: StatusSkipped, Error: "failed permanently before"},
			},
			want: map[string]State{
				ana: {Key: ana, Status: StatusSkipped, Error: "left out with --only", Row: 2},
				ben: {Key: ben, Status: StatusFailed, Failure: FailurePermanent, Code: 550, MessageID: "m1@mla.example",
					Row: 3, To: []string{ben}, Attempts: 1, LastAttempt: at(2), Run: "r1"},
			},
		},
		{
			name: "record types and statuses from a later version are ignored",
			records: []Record{
				{Type: "note", Time: at(1), Campaign: "invitation", Key: ana},
				attempt(2, ben, 3, "m1@mla.example"),
				outcome(3, ben, "bounced", "", 0, ""),
			},
			want: map[string]State{
				ben: {Key: ben, Status: StatusUnknown, MessageID: "m1@mla.example", Row: 3, To: []string{ben}, Attempts: 1, LastAttempt: at(2), Run: "r1"},
			},
		},
		{
			name:    "no records",
			records: nil,
			want:    map[string]State{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fold(tt.records, "invitation")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Fold() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
