package mail

import (
	"errors"
	"net/textproto"
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"
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
			return dialError(Config{Host: "smtp.example.org", Username: user, Password: pw}, sec, err).Error()
		}},
		{"send error", errors.New("unexpected reply\r\nyou said " + pw), func(err error) string {
			return classify(gomail.NewMsg(), err, sec).Err.Error()
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
	if got := classify(gomail.NewMsg(), errors.New("plain"), sec).Err.Error(); got != "plain" {
		t.Errorf("classify changed an error without a password: %q", got)
	}
}
