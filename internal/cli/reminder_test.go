package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/imap"
	"github.com/mla-initiative/herald/internal/imap/imaptest"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// note records what herald inbox would have found about key.
func (e *sendEnv) note(t *testing.T, records ...deliverylog.Record) {
	t.Helper()
	l, err := deliverylog.Open(e.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		r.Campaign = "conference"
		if err := l.Note(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReminder sends a campaign, records a bounce, a reply, an automatic reply and a
// reply from someone else, and sends a reminder with --unanswered: it goes to those who
// were delivered and have not answered (the automatic reply and the other's reply count as
// no answer), says whom it left out and why, and is a campaign of its own that nobody gets
// twice.
func TestReminder(t *testing.T) {
	e := newSendEnv(t, numberedRows(6), mailtest.Options{})
	e.srv.OnRcpt("r5@n5.test", step(550, "5.1.1", "no such user"))
	if r := e.send(t, "--retries", "0"); r.code != ExitNotDelivered {
		t.Fatalf("send: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	ids := e.messageIDs(t)
	in := func(typ, key, from string, trusted bool) deliverylog.Record {
		return deliverylog.Record{Type: typ, Key: key, MessageID: typ + "-" + key, MatchedID: ids[key], MatchedBy: "in-reply-to",
			Trusted: trusted, From: from, Subject: "Re: Conference", Folder: "INBOX", UIDValidity: 1}
	}
	b := in(deliverylog.TypeBounce, "r1@n1.test", "mailer-daemon@mx.n1.test", true)
	b.Recipient, b.Enhanced = "r1@n1.test", "5.1.1"
	e.note(t, b,
		in(deliverylog.TypeReply, "r2@n2.test", "r2@n2.test", true),
		in(deliverylog.TypeAutoReply, "r3@n3.test", "r3@n3.test", true),
		in(deliverylog.TypeReply, "r4@n4.test", "colleague@n4.test", false))

	reminder := filepath.Join(e.dir, "reminder")
	if err := os.Mkdir(reminder, 0o700); err != nil {
		t.Fatal(err)
	}
	e.write(t, "reminder/message.md", "Subject: Reminder {{.Name}}\nFrom: Secretariat <secretariat@conference.example.org>\n\nDear {{.Name}},\n\nmay we have your answer?\n")
	remind := func(args ...string) result {
		t.Helper()
		var out, errOut bytes.Buffer
		all := append([]string{"herald", "send", "--contacts", e.contacts, "--template", reminder,
			"--smtp-host", e.srv.Host, "--smtp-port", fmt.Sprint(e.srv.Port), "--smtp-tls", "none", "--rate", "0", "--yes"}, args...)
		code := Main(context.Background(), all, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		return result{code, out.String(), errOut.String()}
	}
	reminded := func() []string {
		var to []string
		for _, m := range e.srv.Messages() {
			if bytes.Contains(m.Data, []byte("Subject: Reminder")) {
				to = append(to, m.To...)
			}
		}
		slices.Sort(to)
		return to
	}

	r := remind("--unanswered", "conference")
	if r.code != ExitOK {
		t.Fatalf("reminder: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if got, want := reminded(), []string{"r3@n3.test", "r4@n4.test", "r6@n6.test"}; !slices.Equal(got, want) {
		t.Errorf("reminded %v, want %v", got, want)
	}
	mustContain(t, "confirmation", r.errOut,
		"Reminder:   of campaign conference (log "+e.log+"): 3 recipients still unanswered\n",
		"Left out:   1 not delivered, 1 bounced, 1 replied\n",
		"Included:   1 with an automatic reply only: an out-of-office is no answer, so they count as unanswered\n",
		"Included:   1 with a reply from someone other than the recipient only")
	if _, err := os.Stat(filepath.Join(e.dir, "reminder.delivery.jsonl")); err != nil {
		t.Errorf("the reminder has no log of its own: %v", err)
	}

	// Nobody gets two reminders, even after answering the first campaign meanwhile.
	e.note(t, in(deliverylog.TypeReply, "r6@n6.test", "r6@n6.test", true))
	r = remind("--unanswered", "conference")
	if r.code != ExitOK || len(reminded()) != 3 || !strings.Contains(r.out, "Nothing to send: 3 delivered") {
		t.Errorf("second reminder: exit %d, reminded %v\n%s%s", r.code, reminded(), r.out, r.errOut)
	}
	// Its status lists the reminder's recipients, delivered.
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"herald", "status", "--contacts", e.contacts, "--template", reminder, "--unanswered", "conference", "--format", "json"},
		Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	var list []map[string]any
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	delivered := 0
	for _, rc := range list {
		if rc["status"] == "delivered" {
			delivered++
		}
	}
	if delivered != 3 || len(list) != 3 || code != ExitOK {
		t.Errorf("status of the reminder: exit %d, %d of %d delivered, want 3 of 3 and exit 0\n%s%s", code, delivered, len(list), out.String(), errOut.String())
	}

	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--unanswered-log", e.log}, ExitUsage, "--unanswered-log needs --unanswered NAME"},
		{[]string{"--unanswered", "gala"}, ExitFailure, "no delivery log of campaign gala at " + filepath.Join(e.dir, "gala.delivery.jsonl")},
		{[]string{"--unanswered", "reminder"}, ExitFailure, "a reminder is a campaign of its own"},
	} {
		r := remind(tt.args...)
		if r.code != tt.code || !strings.Contains(r.errOut, tt.says) {
			t.Errorf("%v: exit %d, want %d and %q\n%s", tt.args, r.code, tt.code, tt.says, r.errOut)
		}
	}
}

// TestCopyToSent files a copy of each delivered message in the IMAP folder, the bytes that
// were sent; a folder that does not exist stops the run before anything is sent, and a
// copy that cannot be filed is said and recorded, and sends nothing again.
func TestCopyToSent(t *testing.T) {
	s := imaptest.NewServer(t)
	s.CreateFolder("Sent")
	t.Setenv("HERALD_IMAP_PASSWORD", imaptest.Password)
	e := newSendEnv(t, fiveRows(), mailtest.Options{})

	r := e.send(t, append(serverArgs(s), "--copy-to-sent", "Outbox")...)
	if r.code != ExitFailure || e.srv.Total() != 0 || !strings.Contains(r.errOut, `nothing was sent: --copy-to-sent "Outbox"`) ||
		!strings.Contains(r.errOut, "the folders of "+imaptest.User+" are: ") {
		t.Errorf("unknown folder: exit %d, server has %d\n%s", r.code, e.srv.Total(), r.errOut)
	}

	r = e.send(t, append(serverArgs(s), "--copy-to-sent", "Sent")...)
	if r.code != ExitOK || !strings.Contains(r.out, "Copies filed in Sent: 5.") {
		t.Fatalf("send: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	sent := map[string][]byte{}
	for _, m := range e.srv.Messages() {
		sent[m.MessageID] = m.Data
	}
	c, err := imap.Dial(context.Background(), imap.Config{Host: s.Host, Port: s.Port, CAFile: s.CAFile, User: imaptest.User, Password: imaptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	filed, same := 0, 0
	_, err = c.Scan("Sent", imap.Cursor{}, func(m imap.Message) error {
		filed++
		whole := append(append([]byte{}, m.Header...), m.Body...)
		for id, data := range sent {
			if bytes.Contains(m.Header, []byte("<"+id+">")) {
				if bytes.Equal(whole, data) {
					same++
				} else {
					t.Errorf("the copy of %s differs from what was sent", id)
				}
			}
		}
		return nil
	})
	if err != nil || filed != 5 || same != 5 {
		t.Errorf("Sent holds %d messages (%v), %d of them byte for byte as sent; want 5", filed, err, same)
	}
	for key, st := range e.states(t) {
		if st.CopiedTo != "Sent" || st.CopyError != "" {
			t.Errorf("%s: copied to %q, error %q", key, st.CopiedTo, st.CopyError)
		}
	}
}

// TestCopyToSentFails: Dovecot lists a folder that cannot take messages (a parent that
// only holds others, \Noselect); each delivered message is reported and recorded as not
// filed, and nothing is sent twice.
func TestCopyToSentFails(t *testing.T) {
	d := imaptest.StartDovecot(t)
	d.Deliver(t, "Archive.2024") // makes Archive a folder that only holds another
	t.Setenv("HERALD_IMAP_PASSWORD", d.Password)
	e := newSendEnv(t, numberedRows(2), mailtest.Options{})
	r := e.send(t, append(dovecotArgs(d), "--copy-to-sent", "Archive")...)
	if r.code != ExitOK || e.srv.Total() != 2 || !strings.Contains(r.out, "Copies filed in Archive: 0. Not filed: 2 (the messages were delivered and are not sent again):") {
		t.Fatalf("send: exit %d, server has %d\n%s%s\n%s", r.code, e.srv.Total(), r.out, r.errOut, d.Log())
	}
	for key, st := range e.states(t) {
		if st.Status != deliverylog.StatusDelivered || st.CopiedTo != "" || !strings.Contains(st.CopyError, `filing a copy in "Archive"`) {
			t.Errorf("%s: %+v", key, st)
		}
	}
	if r := e.send(t); r.code != ExitOK || e.srv.Total() != 2 {
		t.Errorf("send again: exit %d, server has %d", r.code, e.srv.Total())
	}
}
