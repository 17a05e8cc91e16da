package deliverylog

import (
	"strings"
	"time"
)

// State is where one recipient of a campaign stands, folded from the log.
type State struct {
	Key string
	// Status is delivered, failed, unknown, skipped or pending. A recipient with no record
	// at all is pending too, and is not in the map Fold returns.
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
}

// Fold returns the state of each recipient of campaign that has a record in records, by key.
// Records of other campaigns, and of types or statuses this version does not know, are
// ignored. The package documentation describes the rules.
func Fold(records []Record, campaign string) map[string]State {
	states := make(map[string]*State)
	// before holds each recipient's state as it was before its latest attempt, which a
	// not_sent outcome restores: the attempt did not reach the server, so the recipient
	// stands where it stood (unknown stays unknown, failed stays failed).
	before := make(map[string]State)
	for i := range records {
		r := &records[i]
		if r.Campaign != campaign || (r.Type != TypeAttempt && r.Type != TypeOutcome) {
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
	envelope := map[string][]string{} // the last attempt of each key
	out := map[string]string{}
	for i := range records {
		r := &records[i]
		if r.Campaign != campaign || r.Test {
			continue
		}
		switch {
		case r.Type == TypeAttempt:
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
