package deliverylog

import "testing"

// TestNotSentRestoresEarlierState: a not_sent outcome undoes the attempt before it,
// so the recipient must stand where it stood before that attempt. Turning it into pending
// instead makes a plain herald send mail a recipient whose earlier message may have arrived
// (unknown), without --resend-unknown, and hides an earlier failure from herald status.
func TestNotSentRestoresEarlierState(t *testing.T) {
	tests := []struct {
		name    string
		before  []Record // the recipient's history before the run that did not send
		want    string
		failure string
	}{
		{
			name:   "unknown (crash after sending), then a --resend-unknown run stopped first",
			before: []Record{attempt(1, ana, 2, "m1@mla.example")},
			want:   StatusUnknown,
		},
		{
			name: "no reply after the dot, then a --resend-unknown run interrupted first",
			before: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusUnknown, "", 0, ""),
			},
			want: StatusUnknown,
		},
		{
			name: "failed for good, then an --only-failed run interrupted first",
			before: []Record{
				attempt(1, ana, 2, "m1@mla.example"),
				outcome(2, ana, StatusFailed, FailurePermanent, 550, "5.1.1"),
			},
			want: StatusFailed, failure: FailurePermanent,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records := append(tt.before,
				inRun(attempt(10, ana, 2, "m2@mla.example"), "r2"),
				inRun(outcome(11, ana, StatusNotSent, "", 0, ""), "r2"),
			)
			got := Fold(records, "invitation")[ana]
			if got.Status != tt.want || got.Failure != tt.failure {
				t.Errorf("after not_sent: status %q failure %q, want %q %q (the state before that attempt)", got.Status, got.Failure, tt.want, tt.failure)
			}
		})
	}
}
