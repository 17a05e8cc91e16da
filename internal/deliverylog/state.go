package deliverylog

import (
	"fmt"
	"strings"
	"time"
)

// StatusBounced is the status of a recipient whose delivered message came back: a
// bounce that herald inbox found names one of its To addresses. It never appears in an
// outcome record; only [Fold] gives it.
const StatusBounced = "bounced"

// Inbound is a message herald inbox found about a recipient: a bounce, a delay notice, an
// automatic reply or a reply, as its record has it.
type Inbound struct {
	// Type is bounce, delayed, auto_reply or reply.
	Type string
	// MessageID is the found message's own Message-ID, without <>; "" when it had none.
	MessageID string
	// MatchedID is the campaign's Message-ID the message refers to, "" for a match by
	// address; MatchedBy says what the match rests on.
	MatchedID, MatchedBy string
	// Trusted is false when the sender (for a bounce, the failed address) is not among the
	// recipients of the message it refers to: a colleague it was forwarded to, or a forgery.
	Trusted bool
	// From and FromName are the sender as the From field gives it.
	From, FromName string
	// Date is the message's Date field, zero when it had none or an unreadable one.
	Date    time.Time
	Subject string
	// Recipient, Action, Status (the enhanced status code, such as 5.1.1) and Diagnostic
	// are what a bounce or a delay notice says of the address it names.
	Recipient, Action, Status, Diagnostic string
	// Reason says why the message is untrusted.
	Reason string
	// Folder is the mailbox folder it was found in; Recorded when herald inbox recorded it.
	Folder   string
	Recorded time.Time
}

// State is where one recipient of a campaign stands, folded from the log.
type State struct {
	Key string
	// Status is delivered, bounced, failed, unknown, skipped or pending. A recipient with
	// no record at all is pending too, and is not in the map Fold returns.
	Status string
	// Failure, Code, Enhanced, Reply and Error come from the outcome that set Status.
	Failure  string
	Code     int
	Enhanced string
	Reply    string
	Error    string
	// MessageID, Row, To and Cc describe the last message attempted, or the delivered one.
	MessageID string
	Row       int
	To, Cc    []string
	// Attempts counts attempts, including any made after delivery, and LastAttempt is
	// the time of the last one; Run is the run that made it.
	Attempts    int
	LastAttempt time.Time
	Run         string
	// Tests counts attempts to send this recipient's message to a tester instead.
	Tests int

	// What herald inbox found (see the package documentation for the rules).
	//
	// Bounce is the bounce that made Status bounced, nil otherwise. CopyBounces are bounces
	// of the delivered message that name a Cc or Bcc address only: the recipient has the
	// message, they are notes. Delayed is the latest delay notice of the message.
	Bounce      *Inbound
	CopyBounces []Inbound
	Delayed     *Inbound
	// Replied is the latest reply from a recipient of the message (a trusted one); Replies
	// counts them, each message once. AutoReply is the latest trusted automatic reply,
	// which is never an answer.
	Replied   *Inbound
	Replies   int
	AutoReply *Inbound
	// Untrusted are the replies, automatic replies and bounces that refer to the
	// recipient's message but come from someone who is not among its recipients, with
	// their real sender: shown apart, never taken for the recipient's own.
	Untrusted []Inbound

	// CopiedTo is the IMAP folder that --copy-to-sent filed the delivered message in;
	// CopyError says why the last copy could not be filed ("" when it was, or none was
	// asked for).
	CopiedTo, CopyError string
}

// Answered reports whether a recipient of the message replied: a trusted reply. An
// automatic reply, or a reply from someone else, is no answer.
func (s State) Answered() bool { return s.Replies > 0 }

// Fold returns the state of each recipient of campaign that has a record in records, by key.
// Records of other campaigns, and of types or statuses this version does not know, are
// ignored. The package documentation describes the rules.
func Fold(records []Record, campaign string) map[string]State {
	states := make(map[string]*State)
	// before holds each recipient's state as it was before its latest attempt, which a
	// not_sent outcome restores: the attempt did not reach the server, so the recipient
	// stands where it stood (unknown stays unknown, failed stays failed).
	before := make(map[string]State)
	seen := make(map[string]bool)
	for i := range records {
		r := &records[i]
		if r.Campaign != campaign {
			continue
		}
		switch r.Type {
		case TypeAttempt, TypeOutcome:
		case TypeBounce, TypeDelayed, TypeAutoReply, TypeReply, TypeSentCopy:
			if r.Key == "" || (r.Type != TypeSentCopy && seen[InboundID(r)]) {
				continue
			}
			if r.Type != TypeSentCopy {
				seen[InboundID(r)] = true
			}
			s := states[r.Key]
			if s == nil {
				s = &State{Key: r.Key, Status: StatusPending}
				states[r.Key] = s
			}
			s.found(r)
			continue
		default:
			continue
		}
		s := states[r.Key]
		if s == nil {
			s = &State{Key: r.Key, Status: StatusPending}
			states[r.Key] = s
		}
		switch {
		case r.Test:
			if r.Type == TypeAttempt {
				s.Tests++
			}
		case r.Type == TypeAttempt:
			before[r.Key] = *s
			s.Attempts++
			s.LastAttempt = r.Time
			s.Run = r.Run
			if s.Status == StatusDelivered {
				break
			}
			*s = State{
				Key: s.Key, Status: StatusUnknown,
				MessageID: r.MessageID, Row: r.Row, To: r.To, Cc: r.Cc,
				Attempts: s.Attempts, LastAttempt: s.LastAttempt, Run: s.Run, Tests: s.Tests,
				// Answers are to the campaign, whichever of its messages they quote; what
				// a bounce, delay or copy said was about the message before this one.
				Replied: s.Replied, Replies: s.Replies, AutoReply: s.AutoReply, Untrusted: s.Untrusted,
			}
		case s.Status == StatusDelivered:
			// The recipient has the message; nothing later changes that.
		case r.Status == StatusSkipped:
			// A run skips a recipient because of its state, so skipping only says
			// something about a recipient never attempted.
			if s.Status == StatusPending || s.Status == StatusSkipped {
				s.Status, s.Error = StatusSkipped, r.Error
				s.describe(r)
			}
		case r.Status == StatusNotSent:
			// The attempt before it did not reach the server: undo it. The row and
			// addresses of the latest attempt are kept, as they describe the row now.
			if s.Status == StatusUnknown {
				prev, ok := before[r.Key]
				if !ok {
					prev = State{Key: r.Key, Status: StatusPending}
				}
				prev.Row, prev.To, prev.Cc, prev.Tests = s.Row, s.To, s.Cc, s.Tests
				prev.Replied, prev.Replies, prev.AutoReply, prev.Untrusted = s.Replied, s.Replies, s.AutoReply, s.Untrusted
				*s = prev
			}
		case r.Status == StatusDelivered || r.Status == StatusFailed || r.Status == StatusUnknown:
			s.Status, s.Failure = r.Status, r.Failure
			s.Code, s.Enhanced, s.Reply, s.Error = r.Code, r.Enhanced, r.Reply, r.Error
			s.describe(r)
		}
	}
	out := make(map[string]State, len(states))
	for k, s := range states {
		out[k] = *s
	}
	return out
}

// InboundID identifies a message herald inbox recorded, so that the same message seen
// twice (in two folders, after a rescan, after a run that was cut short) counts once: its
// type, recipient and Message-ID and, for a bounce, the address it names; a message without
// a Message-ID is known by its place in the mailbox instead.
func InboundID(r *Record) string {
	id := r.MessageID
	if id == "" {
		id = fmt.Sprintf("%s/%d/%d", r.Folder, r.UIDValidity, r.UID)
	}
	return r.Type + "\x00" + r.Key + "\x00" + strings.ToLower(id) + "\x00" + r.Recipient
}

func inboundOf(r *Record) Inbound {
	return Inbound{
		Type: r.Type, MessageID: r.MessageID, MatchedID: r.MatchedID, MatchedBy: r.MatchedBy,
		Trusted: r.Trusted, From: r.From, FromName: r.FromName, Date: r.Date, Subject: r.Subject,
		Recipient: r.Recipient, Action: r.Action, Status: r.Enhanced, Diagnostic: r.Diagnostic,
		Reason: r.Reason, Folder: r.Folder, Recorded: r.Time,
	}
}

// found folds a record of herald inbox, or of --copy-to-sent, into s.
func (s *State) found(r *Record) {
	if r.Type == TypeSentCopy {
		if r.MessageID != "" && r.MessageID != s.MessageID {
			return // a copy of an earlier message
		}
		if r.Error == "" {
			s.CopiedTo, s.CopyError = r.Folder, ""
		} else {
			s.CopyError = r.Error
		}
		return
	}
	in := inboundOf(r)
	if !in.Trusted {
		s.Untrusted = append(s.Untrusted, in)
		return
	}
	// A bounce or delay of an earlier message, which a later attempt replaced, says nothing
	// of the message the recipient stands by now.
	current := r.MatchedID == "" || r.MatchedID == s.MessageID
	switch r.Type {
	case TypeReply:
		s.Replies++
		if s.Replied == nil || !in.Date.Before(s.Replied.Date) {
			s.Replied = &in
		}
	case TypeAutoReply:
		if s.AutoReply == nil || !in.Date.Before(s.AutoReply.Date) {
			s.AutoReply = &in
		}
	case TypeDelayed:
		if current {
			s.Delayed = &in
		}
	case TypeBounce:
		switch {
		case !current:
		case r.MatchedID == "" && !in.Date.IsZero() && in.Date.Before(s.LastAttempt):
			// Placed by address, and dated before the message the recipient has now.
		case s.Status == StatusDelivered || (s.Status == StatusUnknown && r.MatchedID != ""):
			// A bounce of a message whose outcome was unknown shows that the server
			// had it: it came back all the same.
			if r.Recipient == "" || isTo(s.To, r.Recipient) || isTo(s.To, r.OriginalRecipient) {
				s.Status, s.Bounce = StatusBounced, &in
			} else {
				s.CopyBounces = append(s.CopyBounces, in)
			}
		case s.Status == StatusBounced && !isTo(s.To, r.Recipient) && !isTo(s.To, r.OriginalRecipient):
			s.CopyBounces = append(s.CopyBounces, in)
		}
	}
}

func isTo(to []string, addr string) bool {
	if addr == "" {
		return false
	}
	for _, a := range to {
		if strings.EqualFold(a, addr) {
			return true
		}
	}
	return false
}

// describe takes from an outcome whatever it says about the message; outcomes usually
// leave that to the attempt before them.
func (s *State) describe(r *Record) {
	if r.MessageID != "" {
		s.MessageID = r.MessageID
	}
	if r.Row != 0 {
		s.Row = r.Row
	}
	if len(r.To) > 0 {
		s.To, s.Cc = r.To, r.Cc
	}
}

// Mailed returns the addresses (lower case) that have campaign's message as a To or Cc
// recipient: those a delivered message was sent to, each with the key of its recipient.
// Withheld addresses were not sent to, test messages went to a tester, and a Bcc copy is a
// blind copy (an archive) that does not stand for the recipient's own.
func Mailed(records []Record, campaign string) map[string]string {
	return sentTo(records, campaign, true)
}

// SentTo is Mailed without the bounces: the addresses a delivered message was sent to,
// whether or not a bounce came back since. A bounced address was sent the campaign's
// message; sending it again from another row, or topping up a row with it, would only
// bounce again.
func SentTo(records []Record, campaign string) map[string]string {
	return sentTo(records, campaign, false)
}

func sentTo(records []Record, campaign string, bounces bool) map[string]string {
	envelope := map[string][]string{} // the last attempt of each key
	lastID := map[string]string{}     // and its Message-ID
	out := map[string]string{}
	for i := range records {
		r := &records[i]
		if r.Campaign != campaign || r.Test {
			continue
		}
		switch {
		case bounces && r.Type == TypeBounce && r.Trusted && r.Recipient != "":
			// The address does not have the message after all.
			if (r.MatchedID == "" || r.MatchedID == lastID[r.Key]) && out[r.Recipient] == r.Key {
				delete(out, r.Recipient)
			}
		case r.Type == TypeAttempt:
			lastID[r.Key] = r.MessageID
			withheld := map[string]bool{}
			for _, a := range r.Withheld {
				withheld[a] = true
			}
			var env []string
			for _, list := range [][]string{r.To, r.Cc} {
				for _, a := range list {
					if a = strings.ToLower(a); !withheld[a] {
						env = append(env, a)
					}
				}
			}
			envelope[r.Key] = env
		case r.Type == TypeOutcome && r.Status == StatusDelivered:
			for _, a := range envelope[r.Key] {
				if _, ok := out[a]; !ok {
					out[a] = r.Key
				}
			}
		}
	}
	return out
}
