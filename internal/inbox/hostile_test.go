package inbox

import (
	"strings"
	"testing"
	"time"
)

// Shapes of input that would be quadratic, or deep, in a naive parser. Each must be read in
// about the time a linear pass takes; a generous bound catches a quadratic one (minutes).
func TestHostileShapes(t *testing.T) {
	const n = 1 << 20
	tests := []struct {
		name      string
		hdr, body string
	}{
		{"continuation lines", "Subject: a\r\n" + strings.Repeat(" b\r\n", n/4) + "\r\n", ""},
		{"many fields", strings.Repeat("X-A: b\r\n", n/8) + "\r\n", ""},
		{"many references", "In-Reply-To: " + strings.Repeat("<a@b> ", n/6) + "\r\n\r\n", ""},
		{"unclosed references", "References: " + strings.Repeat("<a@b ", n/5) + "\r\n\r\n", ""},
		{"many parts", "Content-Type: multipart/mixed; boundary=b\r\n\r\n", strings.Repeat("--b\r\n\r\n", n/7)},
		{"deep nesting", "Content-Type: multipart/mixed; boundary=b\r\n\r\n",
			strings.Repeat("--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n", n/48)},
		{"delivery status blocks", "Content-Type: message/delivery-status\r\n\r\n",
			strings.Repeat("Final-Recipient: rfc822; a@b.example\r\n\r\n", n/40)},
		{"exim list", "Content-Type: text/plain\r\n\r\n",
			eximIntro + "\nThe following address(es) failed:\n" + strings.Repeat("  a@b.example\n    550 5.1.1 no\n", n/30)},
		{"qmail list", "Content-Type: text/plain\r\n\r\n",
			qmailIntro + "\n\n" + strings.Repeat("<a@b.example>:\n550 no\n\n", n/24)},
		{"long subject", "Subject: " + strings.Repeat("=?utf-8?q?a?= ", n/14) + "\r\n\r\n", ""},
		{"base64 part", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			strings.Repeat("QUJD\r\n", n/6)},
	}
	l := NewLookup(campaign)
	for _, tt := range tests {
		start := time.Now()
		r := Classify([]byte(tt.hdr), []byte(tt.body), l)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: %v for %d bytes", tt.name, d, len(tt.hdr)+len(tt.body))
		}
		if len(r.Failures) > maxFailure || len(r.Subject) > 4*maxText+3 {
			t.Errorf("%s: %d failures, subject of %d bytes: bounds not kept", tt.name, len(r.Failures), len(r.Subject))
		}
	}
}
