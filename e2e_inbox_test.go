package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/imap/imaptest"
	"github.com/mla-initiative/herald/internal/inbox/inboxtest"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// inboxContacts are seven authorities, each to end in a different state once their answers
// are read: bounced, delayed (a note), out of office, replied (from the Cc), a reply forged
// by someone else, a reply in broken MIME, and silence.
const inboxContacts = `Country,Authority,Salutation,Title,Full name,Position,Email,Cc,Language
Arcadia,Ministry of Justice,Dear Minister,H.E.,Ana Arce,Minister of Justice,minister@justice.arcadia.example,,en
Borduria,Ministry of Foreign Affairs,Dear Director,Mr,Boris Bek,Director of Legal Affairs,legal@mfa.borduria.example,,en
Carpania,Office of the Prosecutor,Madame la Procureure,Mme,Claire Cazal,Procureure générale,procureure@justice.carpania.example,,fr
Dalmia,Ministry of Justice,Estimada Directora,Dra.,Dolores Díaz,Directora de Cooperación,cooperacion@mj.dalmia.example,secretaria@mj.dalmia.example,es
Elbonia,Ministry of the Interior,Dear Secretary,Ms,Ella Eng,Permanent Secretary,ps@interior.elbonia.example,,en
Freedonia,Ministry of Justice,Dear Counsellor,Mr,Felix Fry,Legal Counsellor,counsel@justice.freedonia.example,,en
Genovia,Ministry of Foreign Affairs,Dear Ambassador,H.E.,Gia Gal,Ambassador-at-Large,ambassador@mfa.genovia.example,,en
`

// TestInboxEndToEnd is issue #11's end-to-end test, with the real binary: a campaign is sent
// to a mix of addresses, its bounces, automatic replies and replies are delivered into a
// Dovecot mailbox, herald inbox reads them, herald status shows every recipient right, a
// second herald inbox finds nothing new, and a reminder goes to the unanswered only.
func TestInboxEndToEnd(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "contacts.csv"), []byte(inboxContacts), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := mailtest.Start(t, mailtest.Options{})
	d := imaptest.StartDovecot(t)
	smtp := []string{"--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port), "--smtp-tls", "none", "--rate", "0", "--yes"}
	inputs := append([]string{"--contacts", "contacts.csv"}, campaignSettings...)
	imapArgs := []string{"--contacts", "contacts.csv", "--imap-host", d.Host, "--imap-port", strconv.Itoa(d.Port), "--imap-ca", d.CAFile,
		"--imap-user", d.User, "--folder", "INBOX", "--folder", "Junk"}
	env := []string{"HERALD_IMAP_PASSWORD=" + d.Password}

	res := runHerald(t, dir, nil, slices.Concat([]string{"send"}, inputs, smtp)...)
	if res.code != 0 || srv.Total() != 7 {
		t.Fatalf("send: %v", res)
	}
	records, err := deliverylog.Read(filepath.Join(dir, "save-the-date.delivery.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]string{}
	for key, st := range deliverylog.Fold(records, "save-the-date") {
		id[key] = st.MessageID
	}
	const (
		arcadia  = "minister@justice.arcadia.example"
		borduria = "legal@mfa.borduria.example"
		carpania = "procureure@justice.carpania.example"
		dalmia   = "cooperacion@mj.dalmia.example"
		elbonia  = "ps@interior.elbonia.example"
		freedon  = "counsel@justice.freedonia.example"
		genovia  = "ambassador@mfa.genovia.example"
	)
	d.Deliver(t, "INBOX",
		inboxtest.Delayed(1, borduria, id[borduria]),
		inboxtest.AutoReply(2, carpania, id[carpania]),
		inboxtest.Reply(3, "secretaria@mj.dalmia.example", "Secretaría", id[dalmia], "RE: Signing Conference"),
		inboxtest.Reply(4, "someone@forger.example", "Ella Eng", id[elbonia], "Re: Signing Conference"),
		inboxtest.Malformed(5, freedon, id[freedon]),
		inboxtest.Unrelated(6),
	)
	d.Deliver(t, "Junk",
		inboxtest.Bounce(7, arcadia, id[arcadia], "5.1.1", "550 5.1.1 <"+arcadia+">: Recipient address rejected: User unknown"),
		inboxtest.Bounce(8, genovia, "another-campaign@mfa.example", "5.2.2", "552 5.2.2 mailbox full"),
	)

	res = runHerald(t, dir, env, append([]string{"inbox"}, imapArgs...)...)
	for _, want := range []string{
		"INBOX:      6 messages new: 1 delay notice, 1 automatic reply, 3 replies, 1 unmatched\n",
		"Junk:       2 messages new: 1 bounce, 1 unmatched\n",
		"Campaign:   1 bounced, 2 replied, 1 with an automatic reply only",
	} {
		if res.code != 0 || !strings.Contains(res.stdout, want) {
			t.Fatalf("inbox: want %q\n%v", want, res)
		}
	}

	res = runHerald(t, dir, nil, slices.Concat([]string{"status", "--format", "json"}, inputs)...)
	if res.code != 3 {
		t.Errorf("status: %v", res)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, res.stdout)
	}
	got := map[string]string{}
	for _, rc := range list {
		s := fmt.Sprint(rc["status"])
		if rc["replied"] == true {
			s += " replied by " + fmt.Sprint(rc["reply_from"])
		}
		if rc["auto_reply"] == true {
			s += " auto-reply"
		}
		if rc["delayed_at"] != nil {
			s += " delayed"
		}
		if rc["bounce_status"] != "" {
			s += " " + fmt.Sprint(rc["bounce_status"])
		}
		for _, o := range rc["other_replies"].([]any) {
			s += " other: " + fmt.Sprint(o.(map[string]any)["from"])
		}
		got[rc["key"].(string)] = s
	}
	want := map[string]string{
		arcadia:  "bounced 5.1.1",
		borduria: "delivered delayed",
		carpania: "delivered auto-reply",
		dalmia:   "delivered replied by secretaria@mj.dalmia.example",
		elbonia:  "delivered other: someone@forger.example",
		freedon:  "delivered replied by " + freedon,
		genovia:  "delivered",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("status of %s: %q, want %q", k, got[k], w)
		}
	}
	res = runHerald(t, dir, nil, slices.Concat([]string{"status"}, inputs)...)
	for _, want := range []string{"  bounced        1", "  replied        2   and 1 with an automatic reply only", "correct the address, then herald send"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("status table lacks %q:\n%s", want, res.stdout)
		}
	}

	res = runHerald(t, dir, env, append([]string{"inbox"}, imapArgs...)...)
	if res.code != 0 || !strings.Contains(res.stdout, "INBOX:      nothing new (6 messages in the folder)") || !strings.Contains(res.stdout, "Junk:       nothing new (2 messages in the folder)") {
		t.Errorf("second inbox: %v", res)
	}
	res = runHerald(t, dir, nil, "inbox", "--contacts", "contacts.csv", "--unmatched")
	if res.code != 0 || !strings.Contains(res.stdout, "2 messages that herald inbox could not place") || !strings.Contains(res.stdout, "another-campaign@mfa.example") {
		t.Errorf("inbox --unmatched: %v", res)
	}

	// The reminder: to the delivered that did not bounce and have not replied.
	res = runHerald(t, dir, nil, slices.Concat([]string{"send", "--template", "reminder", "--unanswered", "save-the-date"}, inputs, smtp)...)
	if res.code != 0 {
		t.Fatalf("reminder: %v", res)
	}
	records, err = deliverylog.Read(filepath.Join(dir, "reminder.delivery.jsonl"))
	if err != nil {
		t.Fatalf("the reminder's own log: %v", err)
	}
	var reminded []string
	for key, st := range deliverylog.Fold(records, "reminder") {
		for _, m := range srv.Messages() {
			if m.MessageID == st.MessageID && st.Status == deliverylog.StatusDelivered {
				reminded = append(reminded, key)
			}
		}
	}
	slices.Sort(reminded)
	if wantTo := []string{genovia, carpania, borduria, elbonia}; !slices.Equal(reminded, slices.Sorted(slices.Values(wantTo))) {
		t.Errorf("reminded %v, want %v", reminded, wantTo)
	}
	for _, want := range []string{"4 recipients still unanswered", "Left out:   1 bounced, 2 replied", "Included:   1 with an automatic reply only"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("the reminder's confirmation lacks %q:\n%s", want, res.stderr)
		}
	}
	res = runHerald(t, dir, nil, slices.Concat([]string{"send", "--template", "reminder", "--unanswered", "save-the-date"}, inputs, smtp)...)
	if res.code != 0 || !strings.Contains(res.stdout, "Nothing to send: 4 delivered") || srv.Total() != 11 {
		t.Errorf("second reminder: %v (server has %d)", res, srv.Total())
	}
}
