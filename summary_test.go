package main

import (
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// TestSendSummaryAndExit checks what herald send tells the person running it, before and
// after, against a server that loses one reply: the confirmation names the sender as people
// write it, and a run that leaves a recipient unknown (from this run or an earlier one) ends
// with exit 3, "some recipients not delivered", whatever else it sent.
func TestSendSummaryAndExit(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	args := plainSend(srv, "--rate", "0")

	// The server keeps the first message and hangs up instead of answering: unknown.
	srv.OnData(mailtest.Step{NoReply: true, HangUp: true})
	res := runHerald(t, dir, nil, append(args, "--limit", "2")...)
	if res.code != 3 || !strings.Contains(res.stdout, "Delivered: 1. Failed: 0. Unknown: 1.") {
		t.Errorf("send --limit 2, the first reply lost: %v\nwant 1 delivered, 1 unknown, exit 3", res)
	}
	// The sender is written as people read it, not as an encoded header (=?utf-8?q?…?=).
	if want := "Sender:     Secretaría de Protocolo <protocol@mfa.example>\n"; !strings.Contains(res.stderr, want) {
		t.Errorf("confirmation:\n%s\nwant the line %q", res.stderr, want)
	}

	// The rest is delivered, the unknown recipient still is not: exit 3, as when nothing
	// is left to send.
	res = runHerald(t, dir, nil, args...)
	if !strings.Contains(res.stderr, "Not now:    1 with unknown outcome") || !strings.Contains(res.stdout, "Delivered: 28. Failed: 0. Unknown: 0. Not sent: 0.") {
		t.Fatalf("plain send after an unknown: %v\nwant 28 delivered, 1 unknown left alone", res)
	}
	if res.code != 3 {
		t.Errorf("plain send that leaves an earlier unknown recipient: exit %d, want 3 (not all delivered)", res.code)
	}
	res = runHerald(t, dir, nil, args...)
	if res.code != 3 || !strings.Contains(res.stdout, "Nothing to send: 29 delivered, 0 failed, 1 unknown") {
		t.Errorf("plain send with nothing left: %v\nwant exit 3", res)
	}
	if n := srv.Total(); n != 30 {
		t.Errorf("the server kept %d messages, want 30", n)
	}
}
