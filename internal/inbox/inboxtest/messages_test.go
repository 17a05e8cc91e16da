package inboxtest

import (
	"testing"

	"github.com/mla-initiative/herald/internal/inbox"
)

// The messages are what they claim to be, to the classifier herald inbox uses.
func TestMessagesClassify(t *testing.T) {
	l := inbox.NewLookup([]inbox.Sent{
		{MessageID: "m1@mfa.example", Key: "ana@justice.example", Addresses: []string{"ana@justice.example"}},
		{MessageID: "m2@mfa.example", Key: "ben@foreign.example", Addresses: []string{"ben@foreign.example"}},
	})
	tests := []struct {
		name    string
		msg     []byte
		kind    inbox.Kind
		key     string
		trusted bool
	}{
		{"bounce", Bounce(1, "ana@justice.example", "m1@mfa.example", "5.1.1", "550 5.1.1 user unknown"), inbox.Bounce, "ana@justice.example", true},
		{"delayed", Delayed(2, "ana@justice.example", "m1@mfa.example"), inbox.Delayed, "ana@justice.example", true},
		{"auto reply", AutoReply(3, "ben@foreign.example", "m2@mfa.example"), inbox.AutoReply, "ben@foreign.example", true},
		{"reply", Reply(4, "ben@foreign.example", "Ben", "m2@mfa.example", "Re: Save the date"), inbox.Reply, "ben@foreign.example", true},
		{"forged reply", Reply(5, "mallory@forger.example", "Ana", "m1@mfa.example", "Re: Save the date"), inbox.Reply, "ana@justice.example", false},
		{"bounce of another campaign", Bounce(6, "ana@justice.example", "other@mfa.example", "5.1.1", "gone"), inbox.Unmatched, "", false},
		{"unrelated", Unrelated(7), inbox.Unmatched, "", false},
		{"malformed", Malformed(8, "ben@foreign.example", "m2@mfa.example"), inbox.Reply, "ben@foreign.example", true},
		{"huge", Huge(9, "ben@foreign.example", "m2@mfa.example", 1<<20), inbox.Reply, "ben@foreign.example", true},
	}
	for _, tt := range tests {
		hdr, body := inbox.SplitMessage(tt.msg)
		r := inbox.Classify(hdr, body, l)
		if r.Kind != tt.kind || r.Key != tt.key || r.Trusted != tt.trusted {
			t.Errorf("%s: kind %s, key %q, trusted %v (%s); want %s, %q, %v", tt.name, r.Kind, r.Key, r.Trusted, r.Reason, tt.kind, tt.key, tt.trusted)
		}
	}
	if n := len(Huge(9, "a@b.example", "m", 50<<20)); n < 50<<20-100 || n > 50<<20 {
		t.Errorf("Huge(50 MB) is %d bytes", n)
	}
}
