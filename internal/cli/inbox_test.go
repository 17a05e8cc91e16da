package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/imap/imaptest"
	"github.com/mla-initiative/herald/internal/inbox/inboxtest"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// main runs herald with the env's campaign: its workbook, template and log.
func (e *sendEnv) main(t *testing.T, command string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	all := append([]string{"herald", command, "--contacts", e.contacts, "--template", e.template, "--log", e.log}, args...)
	code := Main(context.Background(), all, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return result{code, out.String(), errOut.String()}
}

// messageIDs returns the Message-ID each recipient was sent, by key.
func (e *sendEnv) messageIDs(t *testing.T) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for key, st := range e.states(t) {
		ids[key] = st.MessageID
	}
	return ids
}

func dovecotArgs(d *imaptest.Dovecot) []string {
	return []string{"--imap-host", d.Host, "--imap-port", strconv.Itoa(d.Port), "--imap-ca", d.CAFile, "--imap-user", d.User}
}

func serverArgs(s *imaptest.Server) []string {
	return []string{"--imap-host", s.Host, "--imap-port", strconv.Itoa(s.Port), "--imap-ca", s.CAFile, "--imap-user", imaptest.User}
}

func logSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// TestInboxDovecot sends a campaign, puts what comes back into a real Dovecot mailbox
// (INBOX and Junk), and runs herald inbox over it: each recipient ends in the right state,
// nothing is marked read, a second run reads nothing, a message seen in two folders counts
// once, and send treats the bounce like a permanent failure.
func TestInboxDovecot(t *testing.T) {
	e := newSendEnv(t, numberedRows(6), mailtest.Options{})
	if r := e.send(t); r.code != ExitOK {
		t.Fatalf("send: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	ids := e.messageIDs(t)
	d := imaptest.StartDovecot(t)
	t.Setenv("HERALD_IMAP_PASSWORD", d.Password)
	bounce := inboxtest.Bounce(1, "r1@n1.test", ids["r1@n1.test"], "5.1.1", "550 5.1.1 <r1@n1.test>: Recipient address rejected: User unknown")
	d.Deliver(t, "INBOX",
		bounce,
		inboxtest.AutoReply(2, "r2@n2.test", ids["r2@n2.test"]),
		inboxtest.Reply(3, "r3@n3.test", "Minister Three", ids["r3@n3.test"], "Re: Conference Name 3"),
		// A reply quoting r4's Message-ID from an address the campaign never wrote to.
		inboxtest.Reply(4, "mallory@forger.test", "Name 4", ids["r4@n4.test"], "Re: Conference Name 4"),
		inboxtest.Delayed(5, "r5@n5.test", ids["r5@n5.test"]),
		inboxtest.Unrelated(6),
		// A bounce of another campaign's message, naming an address of this one.
		inboxtest.Bounce(7, "r6@n6.test", "other-campaign-1@conference.example.org", "5.1.1", "550 5.1.1 gone"),
	)
	d.Deliver(t, "Junk", bounce, inboxtest.Malformed(8, "r6@n6.test", ids["r6@n6.test"]))
	imapArgs := append(dovecotArgs(d), "--folder", "INBOX", "--folder", "Junk")

	r := e.main(t, "inbox", imapArgs...)
	if r.code != ExitOK {
		t.Fatalf("inbox: exit %d\n%s%s\n%s", r.code, r.out, r.errOut, d.Log())
	}
	mustContain(t, "inbox output", r.out,
		"INBOX:      7 messages new: 1 bounce, 1 delay notice, 1 automatic reply, 2 replies, 2 unmatched\n",
		"1 from someone other than the recipient of the message it answers",
		"Junk:       2 messages new: 1 bounce, 1 reply\n",
		"1 recorded already",
		"Campaign:   1 bounced, 2 replied, 1 with an automatic reply only",
		"Unmatched:  2 messages could not be placed with a recipient (2 in this run): herald inbox --unmatched lists them")
	if seen := d.Seen(t, "INBOX"); len(seen) != 0 {
		t.Errorf("herald inbox marked messages read: %v", seen)
	}

	st := e.states(t)
	check := func(key string, ok bool, what string) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %s; state %+v", key, what, st[key])
		}
	}
	check("r1@n1.test", st["r1@n1.test"].Status == deliverylog.StatusBounced && st["r1@n1.test"].Bounce.Status == "5.1.1", "want bounced, 5.1.1")
	check("r2@n2.test", st["r2@n2.test"].Status == deliverylog.StatusDelivered && !st["r2@n2.test"].Answered() && st["r2@n2.test"].AutoReply != nil, "want delivered, an automatic reply, no answer")
	check("r3@n3.test", st["r3@n3.test"].Answered() && st["r3@n3.test"].Replied.FromName == "Minister Three" && st["r3@n3.test"].Replied.Subject == "Re: Conference Name 3", "want replied by Minister Three")
	check("r4@n4.test", !st["r4@n4.test"].Answered() && len(st["r4@n4.test"].Untrusted) == 1 && st["r4@n4.test"].Untrusted[0].From == "mallory@forger.test", "want the forged reply apart, from mallory")
	check("r5@n5.test", st["r5@n5.test"].Status == deliverylog.StatusDelivered && st["r5@n5.test"].Delayed != nil, "want delivered with a delay note")
	check("r6@n6.test", st["r6@n6.test"].Status == deliverylog.StatusDelivered && st["r6@n6.test"].Answered(), "want the malformed reply read as a reply, the other campaign's bounce ignored")

	r = e.main(t, "inbox", "--unmatched")
	mustContain(t, "inbox --unmatched", r.out, "news@bulletin.example", "Weekly bulletin 6", "mailer-daemon@mx.mfa.example",
		"the returned message <other-campaign-1@conference.example.org> is not of this campaign")
	if r.code != ExitOK || strings.Contains(r.out, "r1@n1.test") {
		t.Errorf("inbox --unmatched: exit %d\n%s", r.code, r.out)
	}

	// Nothing new: nothing read, nothing written.
	size := logSize(t, e.log)
	r = e.main(t, "inbox", imapArgs...)
	mustContain(t, "second inbox", r.out, "INBOX:      nothing new (7 messages in the folder)", "Junk:       nothing new (2 messages in the folder)")
	if r.code != ExitOK || logSize(t, e.log) != size {
		t.Errorf("second inbox: exit %d, log %d → %d bytes\n%s%s", r.code, size, logSize(t, e.log), r.out, r.errOut)
	}
	// Something new: only that is read.
	d.Deliver(t, "INBOX", inboxtest.Reply(9, "r5@n5.test", "Name 5", ids["r5@n5.test"], "Re: Conference Name 5"))
	r = e.main(t, "inbox", imapArgs...)
	mustContain(t, "third inbox", r.out, "INBOX:      1 message new: 1 reply\n", "Campaign:   1 bounced, 3 replied")

	r = e.main(t, "status", "--format", "json")
	if r.code != ExitNotDelivered {
		t.Errorf("status: exit %d, want %d", r.code, ExitNotDelivered)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.out), &list); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, r.out)
	}
	got := map[string]string{}
	for _, rc := range list {
		got[rc["key"].(string)] = fmt.Sprintf("%s replied=%v auto=%v others=%d", rc["status"], rc["replied"], rc["auto_reply"], len(rc["other_replies"].([]any)))
	}
	want := map[string]string{
		"r1@n1.test": "bounced replied=false auto=false others=0",
		"r2@n2.test": "delivered replied=false auto=true others=0",
		"r3@n3.test": "delivered replied=true auto=false others=0",
		"r4@n4.test": "delivered replied=false auto=false others=1",
		"r5@n5.test": "delivered replied=true auto=false others=0",
		"r6@n6.test": "delivered replied=true auto=false others=0",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("status of %s: %s, want %s", k, got[k], w)
		}
	}

	// A plain send leaves the bounced recipient, as it would a permanent failure, and says so;
	// --only-failed sends to it again.
	r = e.send(t)
	mustContain(t, "send after the bounce", r.out, "Nothing to send: 5 delivered", "1 delivered earlier came back (bounced)")
	if r.code != ExitNotDelivered {
		t.Errorf("send after the bounce: exit %d, want %d", r.code, ExitNotDelivered)
	}
	r = e.send(t, "--only-failed")
	if r.code != ExitOK || e.copies()["r1@n1.test"] != 2 || e.srv.Total() != 7 {
		t.Errorf("--only-failed: exit %d, copies %v\n%s%s", r.code, e.copies(), r.out, r.errOut)
	}
	if s := e.states(t)["r1@n1.test"]; s.Status != deliverylog.StatusDelivered || s.Bounce != nil {
		t.Errorf("r1 after sending again: %+v", s)
	}
}

// TestInboxHostile runs herald inbox over what a mailbox can throw at it, end to end: a
// 50 MB message, a connection dropped in the middle of a FETCH (the next run carries on
// without losing or repeating anything) and a folder the server renumbered.
func TestInboxHostile(t *testing.T) {
	e := newSendEnv(t, numberedRows(6), mailtest.Options{})
	if r := e.send(t); r.code != ExitOK {
		t.Fatalf("send: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	ids := e.messageIDs(t)

	t.Run("50 MB message", func(t *testing.T) {
		d := imaptest.StartDovecot(t)
		t.Setenv("HERALD_IMAP_PASSWORD", d.Password)
		d.Deliver(t, "INBOX", inboxtest.Huge(1, "r2@n2.test", ids["r2@n2.test"], 50<<20),
			inboxtest.Reply(2, "r3@n3.test", "Name 3", ids["r3@n3.test"], "Re: after the big one"))
		r := e.main(t, "inbox", dovecotArgs(d)...)
		mustContain(t, "inbox", r.out, "INBOX:      2 messages new: 2 replies")
		st := e.states(t)
		if r.code != ExitOK || !st["r2@n2.test"].Answered() || !strings.Contains(st["r2@n2.test"].Replied.Subject, "full powers attached") || !st["r3@n3.test"].Answered() {
			t.Errorf("exit %d, r2 %+v\n%s%s", r.code, st["r2@n2.test"].Replied, r.out, r.errOut)
		}
		if data, _ := os.ReadFile(e.log); bytes.Contains(data, []byte("QUJDQUJD")) || len(data) > 64<<10 {
			t.Errorf("the log holds %d bytes, or the attachment", len(data))
		}
	})

	s := imaptest.NewServer(t)
	t.Setenv("HERALD_IMAP_PASSWORD", imaptest.Password)
	for i := 1; i <= 5; i++ {
		key := fmt.Sprintf("r%d@n%d.test", i, i)
		s.Add("INBOX", inboxtest.Reply(10+i, key, "Name", ids[key], fmt.Sprintf("Re: dropped %d", i)))
	}
	replies := func() int {
		n := 0
		records, err := deliverylog.Read(e.log)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if r.Type == deliverylog.TypeReply && strings.HasPrefix(r.Subject, "Re: dropped") {
				n++
			}
		}
		return n
	}

	t.Run("dropped mid-FETCH", func(t *testing.T) {
		s.DropAfter(2)
		r := e.main(t, "inbox", serverArgs(s)...)
		if r.code != ExitFailure || !strings.Contains(r.errOut, "run herald inbox again: it carries on after the last message it read") {
			t.Errorf("dropped: exit %d\n%s%s", r.code, r.out, r.errOut)
		}
		if n := replies(); n != 2 {
			t.Errorf("after the drop %d replies are recorded, want the 2 read whole", n)
		}
		r = e.main(t, "inbox", serverArgs(s)...)
		mustContain(t, "inbox after the drop", r.out, "INBOX:      3 messages new: 3 replies")
		if n := replies(); r.code != ExitOK || n != 5 {
			t.Errorf("resumed: exit %d, %d replies recorded, want 5\n%s%s", r.code, n, r.out, r.errOut)
		}
	})

	t.Run("renumbered", func(t *testing.T) {
		s.Renumber("INBOX")
		r := e.main(t, "inbox", serverArgs(s)...)
		mustContain(t, "inbox after renumbering", r.out, "the server renumbered this folder", "5 messages new: 5 replies", "5 recorded already")
		if n := replies(); r.code != ExitOK || n != 5 {
			t.Errorf("renumbered: exit %d, %d replies recorded, want still 5\n%s%s", r.code, n, r.out, r.errOut)
		}
		r = e.main(t, "inbox", serverArgs(s)...)
		mustContain(t, "inbox after renumbering, again", r.out, "nothing new (5 messages in the folder)")
	})
}

// TestInboxExitCodes checks the exit code of each way herald inbox can end.
func TestInboxExitCodes(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	s := imaptest.NewServer(t)
	t.Setenv("HERALD_IMAP_PASSWORD", imaptest.Password)
	r := e.main(t, "inbox", serverArgs(s)...)
	if r.code != ExitFailure || !strings.Contains(r.errOut, "nothing has been sent in campaign conference") {
		t.Errorf("before any send: exit %d\n%s", r.code, r.errOut)
	}
	if r := e.send(t); r.code != ExitOK {
		t.Fatalf("send: exit %d", r.code)
	}
	tests := []struct {
		name string
		env  string // HERALD_IMAP_PASSWORD
		args []string
		code int
		says string
	}{
		{"read", imaptest.Password, serverArgs(s), ExitOK, "INBOX:      nothing new (0 messages in the folder)"},
		{"unmatched, offline", "", []string{"--unmatched", "--imap-host", "192.0.2.1"}, ExitOK, "herald inbox has recorded no message it could not place in campaign conference"},
		{"unknown flag", imaptest.Password, []string{"--imap-pasword", "x"}, ExitUsage, "flag provided but not defined"},
		{"no server", imaptest.Password, nil, ExitUsage, "no IMAP server"},
		{"in clear", imaptest.Password, append(serverArgs(s), "--imap-tls", "none"), ExitUsage, "never logs in in clear"},
		{"unknown folder", imaptest.Password, append(serverArgs(s), "--folder", "Spam"), ExitFailure, `opening "Spam"`},
		{"wrong password", "not-" + imaptest.Password, serverArgs(s), ExitFailure, "logging in to"},
		{"no password", "", serverArgs(s), ExitFailure, "no password for IMAP user " + imaptest.User},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HERALD_IMAP_PASSWORD", tt.env)
			t.Setenv("HERALD_SMTP_PASSWORD", "")
			r := e.main(t, "inbox", tt.args...)
			if r.code != tt.code || !strings.Contains(r.out+r.errOut, tt.says) {
				t.Errorf("exit %d, want %d and %q\n%s%s", r.code, tt.code, tt.says, r.out, r.errOut)
			}
			if strings.Contains(r.out+r.errOut, imaptest.Password) {
				t.Errorf("the password is shown:\n%s%s", r.out, r.errOut)
			}
		})
	}
}
