package mailtest_test

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"slices"
	"testing"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

const msg = "Message-ID: <one@example.org>\r\nSubject: hi\r\n\r\nHello\r\n..dot\r\n"

// TestServer drives the server with net/smtp, independently of the mail package, to check
// the faults and the counting that the mail package's tests rely on.
func TestServer(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnRcpt("Jane@Example.org", mailtest.Step{Reply: &mailtest.Reply{Code: 550, Enhanced: "5.1.1", Text: "no such user"}})

	err := smtp.SendMail(srv.Addr, nil, "from@example.org", []string{"jane@example.org"}, []byte(msg))
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) || tpErr.Code != 550 || tpErr.Msg != "5.1.1 no such user" {
		t.Fatalf("first send: %v, want 550 5.1.1 no such user", err)
	}
	if n := srv.Total(); n != 0 {
		t.Fatalf("server kept %d messages after a refusal, want 0", n)
	}

	// The step is used up: the same recipient is now accepted.
	if err := smtp.SendMail(srv.Addr, nil, "from@example.org", []string{"jane@example.org", "bob@example.org"}, []byte(msg)); err != nil {
		t.Fatalf("second send: %v", err)
	}
	if n := srv.Count("one@example.org"); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("Messages has %d entries, want 1", len(got))
	}
	if got[0].From != "from@example.org" || !slices.Equal(got[0].To, []string{"jane@example.org", "bob@example.org"}) {
		t.Errorf("envelope = %q → %q", got[0].From, got[0].To)
	}
	// The client doubles the leading dot on the wire; the server must undo it.
	if string(got[0].Data) != msg {
		t.Errorf("data = %q, want %q", got[0].Data, msg)
	}
}

func TestServerHangUpAfterData(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	srv.OnData(mailtest.Step{NoReply: true, HangUp: true})
	err := smtp.SendMail(srv.Addr, nil, "from@example.org", []string{"jane@example.org"}, []byte(msg))
	if err == nil {
		t.Fatal("send succeeded although the server hung up before replying")
	}
	if n := srv.Count("one@example.org"); n != 1 {
		t.Errorf("server kept %d copies, want 1 (it hung up after the final dot)", n)
	}
}

func TestServerAuth(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Username: "u", Password: "p"})
	err := smtp.SendMail(srv.Addr, nil, "from@example.org", []string{"jane@example.org"}, []byte(msg))
	if err == nil {
		t.Fatal("send without AUTH succeeded, want it refused")
	}
	// net/smtp allows PLAIN without TLS to localhost only, and the server is on 127.0.0.1.
	auth := smtp.PlainAuth("", "u", "p", "127.0.0.1")
	if err := smtp.SendMail(srv.Addr, auth, "from@example.org", []string{"jane@example.org"}, []byte(msg)); err != nil {
		t.Fatalf("send with AUTH: %v", err)
	}
	if got := srv.Logins(); !slices.Equal(got, []string{"PLAIN"}) {
		t.Errorf("Logins = %q, want [PLAIN]", got)
	}
}
