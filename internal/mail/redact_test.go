package mail

import (
	"errors"
	"net/textproto"
	"strings"
	"testing"
)

// TestRedactBeforeOneLine: a server that repeats the password in a multi-line reply gets
// its lines joined for the log, which folds runs of spaces; a password with two spaces in
// a row must be removed before that, or it would be shown with one space.
func TestRedactBeforeOneLine(t *testing.T) {
	const user, pw = "jane@example.org", "two  spaces"
	sec := newSecret(user, pw)
	folded := strings.Join(strings.Fields(pw), " ")
	tests := []struct {
		name string
		err  error
		text func(error) string
	}{
		{"dial error", &textproto.Error{Code: 535, Msg: "5.7.8 bad credentials\n5.7.8 you said " + pw}, func(err error) string {
			return dialError(Config{Host: "smtp.example.org", Username: user, Password: pw}, sec, stepAuth, err).Error()
		}},
		{"send error", errors.New("unexpected reply\r\nyou said " + pw), func(err error) string {
			s := &Sender{secret: sec}
			return s.outcome(stepDot, []failed{s.failure("end of message", err)}).Err.Error()
		}},
		{"send reply", &textproto.Error{Code: 550, Msg: "5.7.1 refused\n5.7.1 you said " + pw}, func(err error) string {
			s := &Sender{secret: sec}
			return s.outcome(stepRcpt, []failed{s.failure("RCPT TO:<a@example.org>", err)}).Reply
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.text(tt.err)
			if strings.Contains(got, folded) || strings.Contains(got, pw) || !strings.Contains(got, "[password]") {
				t.Errorf("error %q shows the password %q (or no [password] in its place)", got, pw)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("error %q is not on one line", got)
			}
		})
	}
	s := &Sender{secret: sec}
	if got := s.outcome(stepMail, []failed{s.failure("MAIL FROM:<a@example.org>", errors.New("plain"))}).Err.Error(); got != "MAIL FROM:<a@example.org>: plain" {
		t.Errorf("an error without a password became %q", got)
	}
}
