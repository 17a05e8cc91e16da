package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	heraldmail "github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/problem"
)

const (
	testUser     = "mla-initiative@example.org"
	testPassword = "s3cret-Pa55word"
)

func dial(t *testing.T, srv *mailtest.Server, c heraldmail.Config) *heraldmail.Sender {
	t.Helper()
	if c.Host == "" {
		c.Host, c.Port = srv.Host, srv.Port
	}
	if c.HELO == "" {
		c.HELO = "client.test"
	}
	s, err := heraldmail.Dial(context.Background(), c)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func plainConfig() heraldmail.Config { return heraldmail.Config{TLS: heraldmail.NoTLS} }

// TestSendTransmitsPreview checks that what the server receives is byte for byte the
// preview, and that the envelope lists To, Cc and Bcc while no header names a Bcc.
func TestSendTransmitsPreview(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: testUser, Password: testPassword})
			s := dial(t, srv, heraldmail.Config{CAFile: srv.CAFile, Username: testUser, Password: testPassword})
			m := tc.msg()
			o := s.Send(context.Background(), m)
			if o.Status != heraldmail.Delivered || o.Err != nil || o.Code != 250 || o.Enhanced != "2.0.0" || !strings.HasPrefix(o.Reply, "250 2.0.0") || o.Redial {
				t.Fatalf("Send = %+v, want delivered with a 250 reply", o)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("server kept %d messages, want 1", len(got))
			}
			eml, err := writeEML(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[0].Data, eml) {
				t.Errorf("received message differs from the preview (AppendEML):\n%s", firstDiff(got[0].Data, eml))
			}
			if got[0].From != m.From.Addr {
				t.Errorf("MAIL FROM = %q, want %q", got[0].From, m.From.Addr)
			}
			var want []string
			seen := map[string]bool{}
			for _, a := range slices.Concat(m.To, m.Cc, m.Bcc) {
				if !seen[a.Key()] {
					seen[a.Key()] = true
					want = append(want, a.Addr)
				}
			}
			if !slices.Equal(got[0].To, want) {
				t.Errorf("RCPT TO = %q, want %q", got[0].To, want)
			}
		})
	}
}

func TestSendManyOverOneConnection(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := dial(t, srv, plainConfig())
	for i := range 5 {
		m := asciiMessage()
		m.MessageID = "msg-" + strconv.Itoa(i) + "@example.org"
		if o := s.Send(context.Background(), m); o.Status != heraldmail.Delivered {
			t.Fatalf("message %d: %+v", i, o)
		}
		if n := srv.Count(m.MessageID); n != 1 {
			t.Errorf("message %d received %d times, want once", i, n)
		}
	}
	if n := srv.Sessions(); n != 1 {
		t.Errorf("server saw %d sessions, want 1", n)
	}
}

func reply(code int, enhanced, text string) *mailtest.Reply {
	return &mailtest.Reply{Code: code, Enhanced: enhanced, Text: text}
}

// TestSendClassification sends one message per case against a server with one fault, then
// checks the Outcome, how many copies the server kept, and what the next message gets,
// on the same connection or a new one as the Outcome says.
func TestSendClassification(t *testing.T) {
	const to = "jane.doe@justice.example"
	tests := []struct {
		name      string
		timeout   time.Duration
		msg       func() *message.Message
		setup     func(srv *mailtest.Server)
		status    heraldmail.Status
		code      int
		enhanced  string
		reply     string // a part of Outcome.Reply
		redial    bool
		copies    int
		resendNow bool // a resend of the same message on the same connection is delivered
	}{
		{
			name: "550 user unknown",
			setup: func(srv *mailtest.Server) {
				srv.OnRcpt(to, mailtest.Step{Reply: reply(550, "5.1.1", "<jane.doe@justice.example>: user unknown")})
			},
			status: heraldmail.PermFailure, code: 550, enhanced: "5.1.1", reply: "550 5.1.1 <jane.doe@justice.example>: user unknown",
		},
		{
			name: "451 greylisted once, then accepted",
			setup: func(srv *mailtest.Server) {
				srv.OnRcpt(to, mailtest.Step{Reply: reply(451, "4.7.1", "greylisted, try again in 5 minutes")})
			},
			status: heraldmail.TempFailure, code: 451, enhanced: "4.7.1", reply: "greylisted",
			resendNow: true,
		},
		{
			name: "452 too many recipients",
			setup: func(srv *mailtest.Server) {
				srv.OnRcpt(to, mailtest.Step{Reply: reply(452, "4.5.3", "too many recipients")})
			},
			status: heraldmail.TempFailure, code: 452, enhanced: "4.5.3",
			resendNow: true,
		},
		{
			name: "one of several recipients refused",
			msg:  fullMessage,
			setup: func(srv *mailtest.Server) {
				srv.OnRcpt("protocol@bmj.example", mailtest.Step{Reply: reply(550, "5.1.1", "no such user, sorry")})
				srv.OnRcpt("archive@example.org", mailtest.Step{Reply: reply(451, "4.3.0", "try later")})
			},
			status: heraldmail.PermFailure, code: 550, enhanced: "5.1.1", reply: "550 5.1.1 no such user, sorry; 451 4.3.0 try later",
			resendNow: true,
		},
		{
			name: "550 5.7.1 relay denied for a recipient",
			setup: func(srv *mailtest.Server) {
				srv.OnRcpt(to, mailtest.Step{Reply: reply(550, "5.7.1", "relaying denied")})
			},
			status: heraldmail.PermFailure, code: 550, enhanced: "5.7.1",
			resendNow: true,
		},
		{
			name: "421 and hang-up at RCPT",
			setup: func(srv *mailtest.Server) {
				srv.OnRcpt(to, mailtest.Step{Reply: reply(421, "4.4.2", "closing, too many errors"), HangUp: true})
			},
			status: heraldmail.TempFailure, code: 421, enhanced: "4.4.2", redial: true,
		},
		{
			name: "421 and hang-up at MAIL FROM",
			setup: func(srv *mailtest.Server) {
				srv.OnMail(mailtest.Step{Reply: reply(421, "4.7.0", "too many connections"), HangUp: true})
			},
			status: heraldmail.TempFailure, code: 421, enhanced: "4.7.0", redial: true,
		},
		{
			name:   "connection dropped at MAIL FROM",
			setup:  func(srv *mailtest.Server) { srv.OnMail(mailtest.Step{NoReply: true, HangUp: true}) },
			status: heraldmail.TempFailure, redial: true,
		},
		{
			name:   "connection dropped at RCPT",
			setup:  func(srv *mailtest.Server) { srv.OnRcpt(to, mailtest.Step{NoReply: true, HangUp: true}) },
			status: heraldmail.TempFailure, redial: true,
		},
		{
			name:   "hang-up after the final dot",
			setup:  func(srv *mailtest.Server) { srv.OnData(mailtest.Step{NoReply: true, HangUp: true}) },
			status: heraldmail.Unknown, redial: true, copies: 1,
		},
		{
			name:   "hang-up before the final dot",
			msg:    realisticMessage,
			setup:  func(srv *mailtest.Server) { srv.OnData(mailtest.Step{Early: true}) },
			status: heraldmail.Unknown, redial: true, copies: 0,
		},
		{
			name:    "no reply within the timeout",
			timeout: 300 * time.Millisecond,
			setup:   func(srv *mailtest.Server) { srv.OnData(mailtest.Step{Delay: time.Second}) },
			status:  heraldmail.Unknown, redial: true, copies: 1,
		},
		{
			name:   "RSET fails after 250",
			setup:  func(srv *mailtest.Server) { srv.FailReset(1) },
			status: heraldmail.Delivered, code: 250, enhanced: "2.0.0", reply: "250 2.0.0", redial: true, copies: 1,
		},
		{
			name:   "451 after the final dot",
			setup:  func(srv *mailtest.Server) { srv.OnData(mailtest.Step{Reply: reply(451, "4.3.0", "queue full")}) },
			status: heraldmail.TempFailure, code: 451, enhanced: "4.3.0",
			resendNow: true,
		},
		{
			name:   "552 message too big",
			setup:  func(srv *mailtest.Server) { srv.OnData(mailtest.Step{Reply: reply(552, "5.3.4", "message too big")}) },
			status: heraldmail.PermFailure, code: 552, enhanced: "5.3.4",
			resendNow: true,
		},
		{
			name: "554 5.7.1 rejected as spam",
			setup: func(srv *mailtest.Server) {
				srv.OnData(mailtest.Step{Reply: reply(554, "5.7.1", "message rejected as spam")})
			},
			status: heraldmail.Stop, code: 554, enhanced: "5.7.1",
		},
		{
			name: "554 5.2.0 Exchange submission quota",
			setup: func(srv *mailtest.Server) {
				srv.OnData(mailtest.Step{Reply: reply(554, "5.2.0", "STOREDRV.Submission.Exception:SubmissionQuotaExceededException")})
			},
			status: heraldmail.Stop, code: 554, enhanced: "5.2.0", reply: "SubmissionQuotaExceeded",
		},
		{
			name: "550 5.4.5 Gmail sending quota",
			setup: func(srv *mailtest.Server) {
				srv.OnMail(mailtest.Step{Reply: reply(550, "5.4.5", "Daily user sending quota exceeded.")})
			},
			status: heraldmail.Stop, code: 550, enhanced: "5.4.5",
		},
		{
			name: "553 5.7.1 sender not allowed",
			setup: func(srv *mailtest.Server) {
				srv.OnMail(mailtest.Step{Reply: reply(553, "5.7.1", "Sender address rejected: not owned by user")})
			},
			status: heraldmail.Stop, code: 553, enhanced: "5.7.1",
		},
		{
			name: "530 authentication required",
			setup: func(srv *mailtest.Server) {
				srv.OnMail(mailtest.Step{Reply: reply(530, "5.7.0", "Authentication required")})
			},
			status: heraldmail.Stop, code: 530, enhanced: "5.7.0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{})
			c := plainConfig()
			c.Timeout = tc.timeout
			s := dial(t, srv, c)
			newMsg := asciiMessage
			if tc.msg != nil {
				newMsg = tc.msg
			}
			m := newMsg()
			tc.setup(srv)
			o := s.Send(context.Background(), m)
			if o.Status != tc.status || o.Code != tc.code || o.Enhanced != tc.enhanced || o.Redial != tc.redial {
				t.Errorf("Send = {%v %d %q redial=%v}, want {%v %d %q redial=%v}; reply %q, err %v",
					o.Status, o.Code, o.Enhanced, o.Redial, tc.status, tc.code, tc.enhanced, tc.redial, o.Reply, o.Err)
			}
			if !strings.Contains(o.Reply, tc.reply) {
				t.Errorf("Reply = %q, want it to contain %q", o.Reply, tc.reply)
			}
			if (o.Err == nil) != (tc.status == heraldmail.Delivered && !tc.redial) {
				t.Errorf("Err = %v for status %v", o.Err, o.Status)
			}
			if n := srv.Count(m.MessageID); n != tc.copies {
				t.Errorf("server kept %d copies, want %d", n, tc.copies)
			}

			// The next message: on the same connection unless it must be redialled.
			next := newMsg()
			next.MessageID = "next-" + m.MessageID
			if o.Redial {
				if o2 := s.Send(context.Background(), next); o2.Status != heraldmail.TempFailure || !o2.Redial {
					t.Errorf("Send on a connection to redial = %+v, want a temporary failure asking to redial", o2)
				}
				s = dial(t, srv, c)
			}
			if o2 := s.Send(context.Background(), next); o2.Status != heraldmail.Delivered {
				t.Errorf("next message: %+v, want delivered", o2)
			}
			if tc.resendNow {
				if o3 := s.Send(context.Background(), m); o3.Status != heraldmail.Delivered || srv.Count(m.MessageID) != 1 {
					t.Errorf("resend: %+v, %d copies; want delivered once", o3, srv.Count(m.MessageID))
				}
			}
		})
	}
}

func TestSendInvalidMessage(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := dial(t, srv, plainConfig())
	m := asciiMessage()
	m.Subject = "line\r\nBcc: evil@example.org"
	o := s.Send(context.Background(), m)
	if o.Status != heraldmail.PermFailure || o.Err == nil || !strings.Contains(o.Err.Error(), "control character") || o.Redial {
		t.Errorf("Send = %+v, want a permanent failure for the control character", o)
	}
	if srv.Total() != 0 {
		t.Errorf("server kept %d messages, want 0", srv.Total())
	}
}

func TestSendCancelledContext(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := dial(t, srv, plainConfig())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := s.Send(ctx, asciiMessage())
	if o.Status != heraldmail.TempFailure || !errors.Is(o.Err, context.Canceled) || o.Redial {
		t.Errorf("Send = %+v, want a temporary failure for the cancelled context", o)
	}
	if srv.Total() != 0 {
		t.Errorf("server kept %d messages, want 0", srv.Total())
	}
	if o := s.Send(context.Background(), asciiMessage()); o.Status != heraldmail.Delivered {
		t.Errorf("Send after the cancelled one = %+v, want delivered", o)
	}
}

func TestDial(t *testing.T) {
	tlsSrv := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: testUser, Password: testPassword})
	implicitSrv := mailtest.Start(t, mailtest.Options{ImplicitTLS: true, Username: testUser, Password: testPassword})
	plainSrv := mailtest.Start(t, mailtest.Options{Username: testUser, Password: testPassword})
	openSrv := mailtest.Start(t, mailtest.Options{})

	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	tests := []struct {
		name   string
		srv    *mailtest.Server
		config heraldmail.Config
		status heraldmail.Status // of the DialError; Delivered means Dial succeeds
		code   int
		want   string // part of the error text, or the AUTH mechanism used when Dial succeeds
		hint   string // part of a hint
	}{
		{
			name:   "STARTTLS with the CA file, PLAIN chosen",
			srv:    tlsSrv,
			config: heraldmail.Config{CAFile: tlsSrv.CAFile, Username: testUser, Password: testPassword},
			status: heraldmail.Delivered, want: "PLAIN",
		},
		{
			name:   "STARTTLS with LOGIN",
			srv:    tlsSrv,
			config: heraldmail.Config{CAFile: tlsSrv.CAFile, Username: testUser, Password: testPassword, Auth: "login"},
			status: heraldmail.Delivered, want: "LOGIN",
		},
		{
			name:   "STARTTLS without the CA file",
			srv:    tlsSrv,
			config: heraldmail.Config{Username: testUser, Password: testPassword},
			status: heraldmail.Stop, want: "certificate", hint: "CA file",
		},
		{
			name:   "STARTTLS to a server without it",
			srv:    openSrv,
			config: heraldmail.Config{},
			status: heraldmail.Stop, want: "the server does not offer STARTTLS", hint: "for a test server on this computer (localhost), use --smtp-tls none",
		},
		{
			name:   "wrong password",
			srv:    tlsSrv,
			config: heraldmail.Config{CAFile: tlsSrv.CAFile, Username: testUser, Password: testPassword + "x"},
			status: heraldmail.Stop, code: 535, want: `log in as "mla-initiative@example.org": 535 5.7.8 Authentication failed`, hint: "check the username and password",
		},
		{
			name:   "implicit TLS with the CA file",
			srv:    implicitSrv,
			config: heraldmail.Config{TLS: heraldmail.ImplicitTLS, CAFile: implicitSrv.CAFile, Username: testUser, Password: testPassword},
			status: heraldmail.Delivered, want: "PLAIN",
		},
		{
			name:   "implicit TLS without the CA file",
			srv:    implicitSrv,
			config: heraldmail.Config{TLS: heraldmail.ImplicitTLS, Username: testUser, Password: testPassword},
			status: heraldmail.Stop, want: "certificate signed by unknown authority", hint: "give its certificate as the CA file",
		},
		{
			name:   "implicit TLS to a plain-text port",
			srv:    openSrv,
			config: heraldmail.Config{TLS: heraldmail.ImplicitTLS},
			status: heraldmail.Stop, want: "first record does not look like a TLS handshake", hint: "does not speak TLS on this port",
		},
		{
			name:   "credentials in plain text to 127.0.0.1",
			srv:    plainSrv,
			config: heraldmail.Config{TLS: heraldmail.NoTLS, Username: testUser, Password: testPassword},
			status: heraldmail.Delivered, want: "PLAIN",
		},
		{
			name:   "credentials in plain text to localhost",
			srv:    plainSrv,
			config: heraldmail.Config{Host: "localhost", Port: plainSrv.Port, TLS: heraldmail.NoTLS, Username: testUser, Password: testPassword, Auth: "login"},
			status: heraldmail.Delivered, want: "LOGIN",
		},
		{
			name:   "credentials in plain text to another host",
			config: heraldmail.Config{Host: "smtp.example.org", TLS: heraldmail.NoTLS, Username: testUser, Password: testPassword},
			status: heraldmail.Stop, want: "refusing to send the password",
		},
		{
			name:   "server requires AUTH, none given",
			srv:    plainSrv,
			config: heraldmail.Config{TLS: heraldmail.NoTLS},
			status: heraldmail.Delivered, // MAIL FROM is what fails, with a 530: see TestSendClassification
		},
		{
			name:   "unknown mechanism",
			srv:    tlsSrv,
			config: heraldmail.Config{CAFile: tlsSrv.CAFile, Username: testUser, Password: testPassword, Auth: "cram-md5"},
			status: heraldmail.Stop, want: "unknown authentication",
		},
		{
			name:   "XOAUTH2 not offered",
			srv:    tlsSrv,
			config: heraldmail.Config{CAFile: tlsSrv.CAFile, Username: testUser, Password: testPassword, Auth: "xoauth2"},
			status: heraldmail.Stop, want: "the server offers no XOAUTH2 login on this connection (it offers PLAIN LOGIN)", hint: "--smtp-auth",
		},
		{
			name:   "CA file without a certificate",
			srv:    tlsSrv,
			config: heraldmail.Config{CAFile: notPEM, Username: testUser, Password: testPassword},
			status: heraldmail.Stop, want: "holds no PEM certificate",
		},
		{
			name:   "nothing listening",
			config: heraldmail.Config{Host: "127.0.0.1", Port: closedPort, TLS: heraldmail.NoTLS, Timeout: 5 * time.Second},
			status: heraldmail.TempFailure, want: "connection refused", hint: "check the server name and port",
		},
		{
			name:   "no host",
			config: heraldmail.Config{Host: ""},
			status: heraldmail.Stop, want: "no SMTP server",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.config
			c.HELO = "client.test"
			if tc.srv != nil && c.Host == "" {
				c.Host, c.Port = tc.srv.Host, tc.srv.Port
			}
			var logins []string
			if tc.srv != nil {
				logins = tc.srv.Logins()
			}
			s, err := heraldmail.Dial(context.Background(), c)
			if tc.status == heraldmail.Delivered {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer s.Close()
				var used string
				if all := tc.srv.Logins(); len(all) > len(logins) {
					used = strings.Join(all[len(logins):], ",")
				}
				if used != tc.want {
					t.Errorf("AUTH mechanisms used: %q, want %q", used, tc.want)
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("Dial succeeded, want an error containing %q", tc.want)
			}
			var de *heraldmail.DialError
			if !errors.As(err, &de) {
				t.Fatalf("Dial error %T %v is not a *DialError", err, err)
			}
			if de.Status != tc.status || de.Code != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dial error = %v (status %v, code %d), want status %v, code %d, text containing %q",
					err, de.Status, de.Code, tc.status, tc.code, tc.want)
			}
			// Advice travels as hints, never in the text.
			hints := problem.Hints(err)
			if tc.hint != "" && !slices.ContainsFunc(hints, func(h string) bool { return strings.Contains(h, tc.hint) }) {
				t.Errorf("hints %q, want one containing %q", hints, tc.hint)
			}
			if strings.Contains(err.Error(), "hint") || len(hints) > 0 && strings.Contains(err.Error(), hints[0]) {
				t.Errorf("Dial error %q holds its hint", err)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("Dial error %q shows the password", err)
			}
		})
	}
}

func TestSendWithoutAuthGets530Stop(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Username: testUser, Password: testPassword})
	s := dial(t, srv, plainConfig())
	o := s.Send(context.Background(), asciiMessage())
	if o.Status != heraldmail.Stop || o.Code != 502 && o.Code != 530 {
		// go-smtp answers MAIL FROM without AUTH with 502 5.7.0.
		t.Errorf("Send = %+v, want Stop", o)
	}
}

// TestPasswordNeverShown makes a server quote the credentials in its refusal, for each
// mechanism, and checks that the error shows neither the password nor its base64 forms.
func TestPasswordNeverShown(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: testUser, Password: "right", EchoAuth: true})
	for _, mech := range []string{"", "plain", "login"} {
		_, err := heraldmail.Dial(context.Background(), heraldmail.Config{
			Host: srv.Host, Port: srv.Port, CAFile: srv.CAFile, HELO: "client.test",
			Username: testUser, Password: testPassword, Auth: mech,
		})
		if err == nil {
			t.Fatalf("auth %q: Dial succeeded with a wrong password", mech)
		}
		if text := err.Error(); strings.Contains(text, testPassword) || !strings.Contains(text, "[password]") {
			t.Errorf("auth %q: error %q, want the password replaced by [password]", mech, text)
		}
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), testPassword) {
				t.Errorf("auth %q: the error's cause %q shows the password", mech, e)
			}
		}
	}
}

func TestTLSModeString(t *testing.T) {
	for m, want := range map[heraldmail.TLSMode]string{
		heraldmail.StartTLS: "starttls", heraldmail.ImplicitTLS: "implicit", heraldmail.NoTLS: "none", heraldmail.TLSMode(7): "TLSMode(7)",
	} {
		if got := m.String(); got != want {
			t.Errorf("TLSMode(%d).String() = %q, want %q", int(m), got, want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[heraldmail.Status]string{
		heraldmail.Delivered: "delivered", heraldmail.TempFailure: "temporary failure",
		heraldmail.PermFailure: "permanent failure", heraldmail.Unknown: "unknown", heraldmail.Stop: "stop",
	} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

// BenchmarkSend sends over one connection to an in-process server that discards the data.
func BenchmarkSend(b *testing.B) {
	srv := mailtest.Start(b, mailtest.Options{Discard: true})
	s, err := heraldmail.Dial(context.Background(), heraldmail.Config{Host: srv.Host, Port: srv.Port, TLS: heraldmail.NoTLS, HELO: "client.test"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := realisticMessage()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if o := s.Send(ctx, m); o.Status != heraldmail.Delivered {
			b.Fatalf("Send: %+v", o)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// TestSendLongReplies: a reply that is read whole is kept cut to its first KiB, saying so;
// a reply of megabytes is not read past heraldmail.MaxReplyRead, and the command fails as
// if the connection were lost: after the final dot Unknown, before it a temporary failure.
func TestSendLongReplies(t *testing.T) {
	const to = "jane.doe@justice.example"
	long := strings.Repeat("é", 50_000) // 100,000 bytes
	tests := []struct {
		name   string
		setup  func(srv *mailtest.Server)
		status heraldmail.Status
		code   int
		reply  string // the end of Outcome.Reply
		err    string // part of Outcome.Err
		copies int
	}{
		{
			name:   "100 KB refusal of a recipient",
			setup:  func(srv *mailtest.Server) { srv.OnRcpt(to, mailtest.Step{Reply: reply(550, "5.1.1", long)}) },
			status: heraldmail.PermFailure, code: 550, reply: "é … [reply cut: 100,006 bytes]",
		},
		{
			name:   "100 KB acceptance",
			setup:  func(srv *mailtest.Server) { srv.OnData(mailtest.Step{Reply: reply(250, "2.0.0", long)}) },
			status: heraldmail.Delivered, code: 250, reply: "é … [reply cut: 100,006 bytes]", copies: 0,
		},
		{
			name:   "200 MB reply to MAIL FROM",
			setup:  func(srv *mailtest.Server) { srv.OnMail(mailtest.Step{Reply: reply(451, "", ""), Flood: 200 << 20}) },
			status: heraldmail.TempFailure, err: "MAIL FROM:<mla-initiative@example.org>: the server's reply is longer than 1,048,576 bytes",
		},
		{
			name:   "200 MB reply to RCPT TO",
			setup:  func(srv *mailtest.Server) { srv.OnRcpt(to, mailtest.Step{Reply: reply(550, "", ""), Flood: 200 << 20}) },
			status: heraldmail.TempFailure, err: "RCPT TO:<jane.doe@justice.example>: the server's reply is longer than 1,048,576 bytes",
		},
		{
			name:   "200 MB reply after the final dot",
			setup:  func(srv *mailtest.Server) { srv.OnData(mailtest.Step{Flood: 200 << 20}) },
			status: heraldmail.Unknown, err: "end of message: the server's reply is longer than 1,048,576 bytes", copies: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{})
			s := dial(t, srv, plainConfig())
			m := asciiMessage()
			tc.setup(srv)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			o := s.Send(context.Background(), m)
			runtime.ReadMemStats(&after)
			if o.Status != tc.status || o.Code != tc.code {
				t.Errorf("Send = {%v %d}, want {%v %d}; reply %.80q…, err %v", o.Status, o.Code, tc.status, tc.code, o.Reply, o.Err)
			}
			if !strings.HasSuffix(o.Reply, tc.reply) || len(o.Reply) > heraldmail.MaxReplyKept+100 {
				t.Errorf("Reply is %d bytes ending in %q, want at most %d ending in %q", len(o.Reply), o.Reply[max(0, len(o.Reply)-40):], heraldmail.MaxReplyKept+100, tc.reply)
			}
			if tc.err != "" && (o.Err == nil || !strings.Contains(o.Err.Error(), tc.err)) {
				t.Errorf("Err = %v, want it to contain %q", o.Err, tc.err)
			}
			if o.Err != nil && len(o.Err.Error()) > 2*heraldmail.MaxReplyKept {
				t.Errorf("Err is %d bytes long", len(o.Err.Error()))
			}
			if tc.err != "" && !o.Redial {
				t.Errorf("Redial = false after a reply that was not read to its end")
			}
			// The client reads at most MaxReplyRead of the 200 MB.
			if got := after.TotalAlloc - before.TotalAlloc; got > 16*heraldmail.MaxReplyRead {
				t.Errorf("Send allocated %d bytes", got)
			}
			if n := srv.Count(m.MessageID); n != tc.copies {
				t.Errorf("server kept %d copies, want %d", n, tc.copies)
			}
		})
	}
}

// TestDialLongReplies: a greeting of megabytes fails the dial without being read to its
// end; a long refusal is kept cut.
func TestDialLongReplies(t *testing.T) {
	tests := []struct {
		name   string
		greet  func(w io.Writer) error
		status heraldmail.Status
		code   int
		want   string
	}{
		{
			name: "200 MB greeting",
			greet: func(w io.Writer) error {
				line := []byte("220-" + strings.Repeat("x", 1020) + "\r\n")
				for range 200 << 10 {
					if _, err := w.Write(line); err != nil {
						return err
					}
				}
				return nil
			},
			status: heraldmail.TempFailure, want: "the server's reply is longer than 1,048,576 bytes; it was not read",
		},
		{
			name: "100 KB refusal",
			greet: func(w io.Writer) error {
				_, err := io.WriteString(w, "554 5.3.2 "+strings.Repeat("z", 100_000)+"\r\n")
				return err
			},
			status: heraldmail.Stop, code: 554, want: "z … [reply cut: 100,006 bytes]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				_ = tc.greet(c)
			}()
			t.Cleanup(func() { l.Close(); <-done })
			port := l.Addr().(*net.TCPAddr).Port
			_, err = heraldmail.Dial(context.Background(), heraldmail.Config{Host: "127.0.0.1", Port: port, TLS: heraldmail.NoTLS, HELO: "client.test"})
			var de *heraldmail.DialError
			if !errors.As(err, &de) {
				t.Fatalf("Dial error = %v, want a *DialError", err)
			}
			if de.Status != tc.status || de.Code != tc.code || !strings.HasSuffix(err.Error(), tc.want) || len(err.Error()) > heraldmail.MaxReplyKept+200 {
				t.Errorf("Dial error (%v, %d) is %d bytes ending in %q; want (%v, %d) ending in %q",
					de.Status, de.Code, len(err.Error()), err.Error()[max(0, len(err.Error())-60):], tc.status, tc.code, tc.want)
			}
		})
	}
}
