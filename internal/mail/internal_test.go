package mail

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/message"
)

func TestBoundariesAvoidBodies(t *testing.T) {
	m := fullMessageInternal()
	first := boundaries(m)
	if len(first) != 3 {
		t.Fatalf("boundaries = %q, want 3", first)
	}
	for i := range first {
		for j := range i {
			if first[i] == first[j] {
				t.Errorf("layers %d and %d share boundary %q", j, i, first[i])
			}
		}
	}
	m.HTML = "<p>" + first[1] + "</p>"
	second := boundaries(m)
	if second[0] != first[0] || second[1] == first[1] || strings.Contains(m.HTML, second[1]) {
		t.Errorf("with the related boundary in the HTML: %q, want %q changed only in the middle", second, first)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.3.4.5": true, "::1": true, "[::1]": true,
		"smtp.example.org": false, "10.0.0.1": false, "localhost.example.org": false, "": false, "::ffff:10.0.0.1": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSecretRedact(t *testing.T) {
	const user, pw = "jane@example.org", "p@ss w0rd"
	s := newSecret(user, pw)
	b64 := base64.StdEncoding.EncodeToString
	for _, text := range []string{
		"535 auth failed for " + pw,
		"535 bad credentials " + b64([]byte(pw)),
		"535 bad PLAIN response " + b64([]byte("\x00"+user+"\x00"+pw)),
		"535 bad XOAUTH2 " + b64([]byte("user="+user+"\x01auth=Bearer "+pw+"\x01\x01")),
	} {
		got := s.redact(text)
		if strings.Contains(got, pw) || !strings.Contains(got, "[password]") {
			t.Errorf("redact(%q) = %q", text, got)
		}
	}
	if got := newSecret(user, "").redact("nothing " + user); got != "nothing "+user {
		t.Errorf("redact with no password = %q", got)
	}
}

func TestEnhancedIn(t *testing.T) {
	for text, want := range map[string]string{
		"5.1.1 user unknown":  "5.1.1",
		"4.7.0 try later":     "4.7.0",
		"2.0.0 OK":            "2.0.0",
		"5.7.708 restricted":  "5.7.708",
		"user unknown":        "",
		"5.1 user":            "",
		"6.1.1 bad class":     "",
		"5.a.1 not a code":    "",
		"5.1.1234 too long":   "",
		"":                    "",
		"5.1.1":               "5.1.1",
		"Mailbox 5.1.1 later": "",
	} {
		if got := enhancedIn(text); got != want {
			t.Errorf("enhancedIn(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"single line":                      "single line",
		"first\nsecond":                    "first second",
		"5.7.1 first\r\n5.7.1  second\r\n": "5.7.1 first 5.7.1 second",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"port", Config{Host: "smtp.example.org", Port: 70000}, "invalid SMTP port"},
		{"host with space", Config{Host: "smtp example.org"}, "invalid SMTP server name"},
		{"timeout", Config{Host: "smtp.example.org", Timeout: -1}, "invalid timeout"},
		{"HELO", Config{Host: "smtp.example.org", HELO: "a b"}, "invalid HELO"},
		{"auth without user", Config{Host: "smtp.example.org", Auth: "plain"}, "needs a username"},
		{"TLS mode", Config{Host: "smtp.example.org", TLS: TLSMode(9)}, "unknown TLS mode"},
		{"plain text to another host", Config{Host: "127.0.0.1.example.org", TLS: NoTLS, Username: "u", Password: "p"}, "refusing"},
		{"unknown mechanism", Config{Host: "smtp.example.org", Username: "u", Auth: "cram-md5"}, "unknown authentication"},
		{"CA file missing", Config{Host: "smtp.example.org", CAFile: "/nonexistent/ca.pem"}, "read CA file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.c.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func fullMessageInternal() *message.Message {
	return &message.Message{
		From:        message.Address{Addr: "mla@example.org"},
		To:          []message.Address{{Addr: "jane@example.org"}},
		Subject:     "Invitation",
		MessageID:   "a1@example.org",
		Date:        time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC),
		Text:        "Dear Minister,\n",
		HTML:        "<p>Dear Minister,</p>",
		Inline:      []message.File{{Name: "logo.png", ContentType: "image/png", ContentID: "logo@example.org", Data: []byte("png")}},
		Attachments: []message.File{{Name: "letter.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}},
	}
}

// TestNoStartTLSHints: a server without STARTTLS gets advice for both kinds of server, the
// one for a test server on this computer first when the server is this computer.
func TestNoStartTLSHints(t *testing.T) {
	for host, first := range map[string]string{
		"127.0.0.1":        "for a test server on this computer (localhost), use --smtp-tls none",
		"localhost":        "for a test server on this computer (localhost), use --smtp-tls none",
		"smtp.example.org": "for a real mail server, use implicit TLS (--smtp-tls implicit, port 465)",
	} {
		e := dialError(Config{Host: host}, secret{}, stepStartTLS, errNoStartTLS)
		if e.Status != Stop || len(e.Hints) != 2 || !strings.HasPrefix(e.Hints[0], first) {
			t.Errorf("%s: status %v, hints %q; want Stop and the first hint starting %q", host, e.Status, e.Hints, first)
		}
		if want := "connect to SMTP server " + host + ":587: the server does not offer STARTTLS"; e.Error() != want {
			t.Errorf("%s: error %q, want %q", host, e.Error(), want)
		}
	}
}
