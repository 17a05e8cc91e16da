package deliverylog

import (
	"os"
	"strings"
	"testing"
)

// found is a record of herald inbox about key, found as message id, about campaign
// message matched.
func found(i int, typ, key, id, matched string, trusted bool) Record {
	return Record{Type: typ, Time: at(i), Campaign: "invitation", Key: key, MessageID: id, MatchedID: matched,
		MatchedBy: "in-reply-to", Trusted: trusted, From: key, Date: at(i - 1), Subject: "Re: Invitation",
		Folder: "INBOX", UIDValidity: 7, UID: uint32(i)}
}

func bounce(i int, key, recipient, id, matched string) Record {
	r := found(i, TypeBounce, key, id, matched, true)
	r.MatchedBy, r.Recipient, r.Action, r.Enhanced, r.Diagnostic = "returned-headers", recipient, "failed", "5.1.1", "550 5.1.1 user unknown"
	r.From, r.Subject = "mailer-daemon@mx.example", "Undelivered Mail Returned to Sender"
	return r
}

func delivered(i int, key, id string, cc ...string) []Record {
	a := attempt(i, key, 2, id)
	a.Cc = cc
	return []Record{a, outcome(i+1, key, StatusDelivered, "", 250, "2.0.0")}
}

func TestFoldInbox(t *testing.T) {
	cat := func(parts ...[]Record) []Record {
		var out []Record
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	one := func(r ...Record) []Record { return r }
	tests := []struct {
		name    string
		records []Record
		check   func(t *testing.T, s State)
	}{
		{"a bounce of the delivered message to its To address: bounced",
			cat(delivered(1, ana, "m1@mla.example"), one(bounce(5, ana, ana, "dsn1@mx.example", "m1@mla.example"))),
			func(t *testing.T, s State) {
				if s.Status != StatusBounced || s.Bounce == nil || s.Bounce.Status != "5.1.1" || s.Bounce.Diagnostic != "550 5.1.1 user unknown" {
					t.Errorf("state %+v, bounce %+v", s, s.Bounce)
				}
				// The SMTP server's answer stays what it was.
				if s.Code != 250 || s.Enhanced != "2.0.0" {
					t.Errorf("outcome fields changed: %d %s", s.Code, s.Enhanced)
				}
			}},
		{"the same bounce recorded twice counts once",
			cat(delivered(1, ana, "m1@mla.example"), one(bounce(5, ana, ana, "dsn1@mx.example", "m1@mla.example"), bounce(9, ana, ana, "dsn1@mx.example", "m1@mla.example"))),
			func(t *testing.T, s State) {
				if s.Status != StatusBounced || s.Bounce.Recorded != at(5) || len(s.CopyBounces) != 0 {
					t.Errorf("state %+v", s)
				}
			}},
		{"a bounce naming only the Cc address: still delivered, with a note",
			cat(delivered(1, ana, "m1@mla.example", "cc@justice.example"), one(bounce(5, ana, "cc@justice.example", "dsn1@mx.example", "m1@mla.example"))),
			func(t *testing.T, s State) {
				if s.Status != StatusDelivered || s.Bounce != nil || len(s.CopyBounces) != 1 || s.CopyBounces[0].Recipient != "cc@justice.example" {
					t.Errorf("state %+v", s)
				}
			}},
		{"a bounce of an earlier message changes nothing",
			cat(one(attempt(1, ana, 2, "m1@mla.example"), outcome(2, ana, StatusFailed, FailureTemporary, 451, "4.3.0")),
				delivered(3, ana, "m2@mla.example"), one(bounce(7, ana, ana, "dsn1@mx.example", "m1@mla.example"))),
			func(t *testing.T, s State) {
				if s.Status != StatusDelivered || s.Bounce != nil {
					t.Errorf("state %+v", s)
				}
			}},
		{"an unknown outcome that bounced: the server had it",
			one(attempt(1, ana, 2, "m1@mla.example"), bounce(5, ana, ana, "dsn1@mx.example", "m1@mla.example")),
			func(t *testing.T, s State) {
				if s.Status != StatusBounced {
					t.Errorf("state %+v", s)
				}
			}},
		{"an untrusted bounce changes no status",
			func() []Record {
				b := bounce(5, ana, "someone@else.example", "dsn1@mx.example", "m1@mla.example")
				b.Trusted, b.Reason = false, "names someone@else.example"
				return cat(delivered(1, ana, "m1@mla.example"), one(b))
			}(),
			func(t *testing.T, s State) {
				if s.Status != StatusDelivered || len(s.Untrusted) != 1 || s.Untrusted[0].Reason == "" {
					t.Errorf("state %+v", s)
				}
			}},
		{"a reply from the recipient is an answer; an automatic one is not",
			cat(delivered(1, ana, "m1@mla.example"), one(found(5, TypeAutoReply, ana, "ooo@justice.example", "m1@mla.example", true))),
			func(t *testing.T, s State) {
				if s.Answered() || s.AutoReply == nil || s.AutoReply.MessageID != "ooo@justice.example" || s.Status != StatusDelivered {
					t.Errorf("state %+v", s)
				}
			}},
		{"replies, twice recorded, the later one kept",
			cat(delivered(1, ana, "m1@mla.example"), one(
				found(5, TypeReply, ana, "r1@justice.example", "m1@mla.example", true),
				found(8, TypeReply, ana, "r2@justice.example", "m1@mla.example", true),
				found(9, TypeReply, ana, "r1@justice.example", "m1@mla.example", true))),
			func(t *testing.T, s State) {
				if !s.Answered() || s.Replies != 2 || s.Replied.MessageID != "r2@justice.example" {
					t.Errorf("state %+v, replied %+v", s, s.Replied)
				}
			}},
		{"a forged reply is kept apart with its sender, and is no answer",
			func() []Record {
				r := found(5, TypeReply, ana, "forged@elsewhere.example", "m1@mla.example", false)
				r.From, r.Reason = "mallory@elsewhere.example", "sent by mallory@elsewhere.example, who is not a recipient"
				return cat(delivered(1, ana, "m1@mla.example"), one(r))
			}(),
			func(t *testing.T, s State) {
				if s.Answered() || len(s.Untrusted) != 1 || s.Untrusted[0].From != "mallory@elsewhere.example" {
					t.Errorf("state %+v", s)
				}
			}},
		{"sent again after a bounce: a new message, the reply kept, the bounce gone",
			cat(delivered(1, ana, "m1@mla.example"), one(
				found(4, TypeReply, ana, "r1@justice.example", "m1@mla.example", true),
				bounce(5, ana, ana, "dsn1@mx.example", "m1@mla.example")),
				delivered(10, ana, "m2@mla.example")),
			func(t *testing.T, s State) {
				if s.Status != StatusDelivered || s.Bounce != nil || s.MessageID != "m2@mla.example" || !s.Answered() {
					t.Errorf("state %+v", s)
				}
			}},
		{"a delay notice is a note",
			func() []Record {
				d := bounce(5, ana, ana, "dly@mx.example", "m1@mla.example")
				d.Type, d.Action, d.Enhanced = TypeDelayed, "delayed", "4.4.7"
				return cat(delivered(1, ana, "m1@mla.example"), one(d))
			}(),
			func(t *testing.T, s State) {
				if s.Status != StatusDelivered || s.Delayed == nil || s.Delayed.Status != "4.4.7" {
					t.Errorf("state %+v", s)
				}
			}},
		{"a copy filed, then one that failed, of the current message",
			func() []Record {
				ok := Record{Type: TypeSentCopy, Time: at(5), Campaign: "invitation", Key: ana, MessageID: "m1@mla.example", Folder: "Sent"}
				return cat(delivered(1, ana, "m1@mla.example"), one(ok))
			}(),
			func(t *testing.T, s State) {
				if s.CopiedTo != "Sent" || s.CopyError != "" {
					t.Errorf("state %+v", s)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states := Fold(tt.records, "invitation")
			tt.check(t, states[ana])
			if other := Fold(tt.records, "save-the-date"); len(other) != 0 {
				t.Errorf("another campaign folds to %v", other)
			}
		})
	}
}

func TestMailedLeavesOutBouncedAddress(t *testing.T) {
	records := append(delivered(1, ana, "m1@mla.example", "cc@justice.example"),
		bounce(5, ana, "cc@justice.example", "dsn1@mx.example", "m1@mla.example"))
	got := Mailed(records, "invitation")
	if _, ok := got["cc@justice.example"]; ok || got[ana] != ana {
		t.Errorf("Mailed = %v, want %s only", got, ana)
	}
}

// The records of herald inbox go through Note, are read back as written, and are refused
// without what identifies them.
func TestNote(t *testing.T) {
	l, path := openTemp(t)
	if err := l.Attempt(attempt(1, ana, 2, "m1@mla.example")); err != nil {
		t.Fatal(err)
	}
	b := bounce(5, ana, ana, "dsn1@mx.example", "m1@mla.example")
	cursor := Record{Type: TypeCursor, Time: at(6), Campaign: "invitation", Account: "protocol@mfa.example", Host: "imap.mfa.example", Folder: "INBOX", UIDValidity: 7}
	unmatched := Record{Type: TypeUnmatched, Time: at(7), Campaign: "invitation", Nature: "reply", From: "x@other.example", Reason: "not a recipient", Folder: "INBOX", UIDValidity: 7, UID: 3}
	for _, r := range []Record{b, cursor, unmatched} {
		if err := l.Note(r); err != nil {
			t.Fatalf("Note %s: %v", r.Type, err)
		}
	}
	for _, bad := range []Record{
		{Type: TypeOutcome, Campaign: "invitation", Key: ana, Status: StatusDelivered},
		{Type: TypeReply, Campaign: "invitation"},
		{Type: TypeCursor, Campaign: "invitation", Folder: "INBOX"},
		{Type: TypeBounce, Key: ana},
	} {
		if err := l.Note(bad); err == nil {
			t.Errorf("Note accepted %+v", bad)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), data)
	}
	for _, want := range []string{`"trusted":true`, `"recipient":"ana@justice.example"`, `"enhanced_code":"5.1.1"`, `"date":"2024-01-10T09:30:04.000Z"`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("bounce line %s lacks %s", lines[1], want)
		}
	}
	if !strings.Contains(lines[2], `"last_uid":0`) || !strings.Contains(lines[2], `"key":""`) {
		t.Errorf("cursor line %s", lines[2])
	}
	if strings.Contains(lines[3], "trusted") {
		t.Errorf("unmatched line %s says something of trust", lines[3])
	}
	records, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := records[1]; got.Recipient != ana || !got.Trusted || !got.Date.Equal(at(4)) || got.UID != 5 || got.MatchedID != "m1@mla.example" {
		t.Errorf("bounce read back as %+v", got)
	}
	if got := records[2]; got.Type != TypeCursor || got.UIDValidity != 7 || got.LastUID != 0 {
		t.Errorf("cursor read back as %+v", got)
	}
}
