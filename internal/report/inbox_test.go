package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
	"github.com/mla-initiative/herald/internal/send"
)

const answersCSV = `Email,Name,Cc
gone@a.test,Ana,
yes@b.test,Bea,
ooo@c.test,Carl,
fwd@d.test,Dora,desk@d.test
quiet@e.test,Emil,
`

// answered sends answersCSV to a real SMTP server, then records what herald inbox would
// have found: a bounce of row 2, a reply from row 3, an automatic reply from row 4, a
// reply to row 5's message from a colleague and a bounce of its Cc address.
func answered(t *testing.T) *report.Report {
	t.Helper()
	in := campaign(t, answersCSV)
	p := prepare(t, in)
	srv := mailtest.Start(t, mailtest.Options{})
	opt := send.Options{LogPath: run.LogPath(in), Connections: 1, Rate: rate.Inf, RetryWait: time.Millisecond,
		SMTP: mail.Config{Host: srv.Host, Port: srv.Port, TLS: mail.NoTLS, HELO: "client.test", Timeout: 20 * time.Second}}
	if res, err := send.Run(context.Background(), p, opt); err != nil || res.Delivered != 5 {
		t.Fatalf("send: %v %+v", err, res)
	}
	l, err := deliverylog.Open(opt.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for key, st := range l.States("conference") {
		ids[key] = st.MessageID
	}
	date := time.Date(2024, 1, 12, 8, 30, 0, 0, time.UTC)
	found := func(typ, key, from string, trusted bool) deliverylog.Record {
		return deliverylog.Record{Type: typ, Campaign: "conference", Key: key, MessageID: typ + "." + key,
			MatchedID: ids[key], MatchedBy: "in-reply-to", Trusted: trusted, From: from, Date: date,
			Subject: "Re: Conference", Folder: "INBOX", UIDValidity: 9}
	}
	b := found(deliverylog.TypeBounce, "gone@a.test", "mailer-daemon@mx.a.test", true)
	b.MatchedBy, b.Recipient, b.Action, b.Enhanced, b.Diagnostic = "returned-headers", "gone@a.test", "failed", "5.1.1", "550 5.1.1 <gone@a.test>: user unknown"
	reply := found(deliverylog.TypeReply, "yes@b.test", "yes@b.test", true)
	reply.FromName, reply.Subject = "Bea", "Re: Conference Bea"
	auto := found(deliverylog.TypeAutoReply, "ooo@c.test", "ooo@c.test", true)
	other := found(deliverylog.TypeReply, "fwd@d.test", "colleague@d.test", false)
	other.Reason = "sent by colleague@d.test, who is not a recipient of the message"
	cc := found(deliverylog.TypeBounce, "fwd@d.test", "mailer-daemon@mx.d.test", true)
	cc.Recipient, cc.Enhanced, cc.Diagnostic = "desk@d.test", "5.2.2", "mailbox full"
	for _, r := range []deliverylog.Record{b, reply, auto, other, cc, reply} {
		if err := l.Note(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return load(t, p, opt.LogPath)
}

func TestReportAnswers(t *testing.T) {
	r := answered(t)
	c := r.Counts
	if c.Delivered != 4 || c.Bounced != 1 || c.Replied != 1 || c.AutoReplyOnly != 1 || c.Untrusted != 1 || r.AllDelivered() {
		t.Fatalf("counts %+v", c)
	}

	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	gone, yes, ooo, fwd, quiet := list[0], list[1], list[2], list[3], list[4]
	if gone["status"] != "bounced" || gone["bounce_status"] != "5.1.1" || gone["bounce_recipient"] != "gone@a.test" ||
		gone["code"] != 250.0 || gone["bounced_at"] != "2024-01-12T08:30:00.000Z" || gone["action"] != "correct the address, then herald send" {
		t.Errorf("bounced row: %v", gone)
	}
	if yes["status"] != "delivered" || yes["replied"] != true || yes["replies"] != 1.0 || yes["reply_from"] != "yes@b.test" ||
		yes["reply_from_name"] != "Bea" || yes["reply_subject"] != "Re: Conference Bea" || yes["replied_at"] != "2024-01-12T08:30:00.000Z" {
		t.Errorf("replied row: %v", yes)
	}
	if ooo["replied"] != false || ooo["auto_reply"] != true || ooo["auto_replied_at"] == nil {
		t.Errorf("automatic reply row: %v", ooo)
	}
	others, _ := fwd["other_replies"].([]any)
	if fwd["replied"] != false || fwd["status"] != "delivered" || len(others) != 1 ||
		others[0].(map[string]any)["from"] != "colleague@d.test" || len(fwd["cc_bounced"].([]any)) != 1 {
		t.Errorf("forwarded row: %v", fwd)
	}
	if quiet["replied"] != false || quiet["auto_reply"] != false || quiet["bounced_at"] != nil || len(quiet["other_replies"].([]any)) != 0 {
		t.Errorf("quiet row: %v", quiet)
	}

	buf.Reset()
	if err := r.WriteTable(&buf, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"bounced        1   came back",
		"bounced: gone@a.test: 550 5.1.1 <gone@a.test>: user unknown",
		"replied        1   and 1 with an automatic reply only (no answer)",
		"1 with messages from someone other than the recipient",
		"Found in the mailbox by herald inbox (4):",
		"3    yes@b.test  replied                    Bea <yes@b.test>",
		"automatic reply",
		"from someone else (reply)  colleague@d.test — sent by colleague@d.test, who is not a recipient",
		"cc bounced",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	path := filepath.Join(t.TempDir(), "report.xlsx")
	if err := r.Export(path); err != nil {
		t.Fatal(err)
	}
	tb, err := contacts.Read(path, contacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cell := func(row int, header string) string {
		for i, c := range tb.Columns {
			if c.Header == header {
				return tb.Rows[row].Values[i]
			}
		}
		t.Fatalf("no column %q", header)
		return ""
	}
	if got := cell(0, "Bounce"); got != "gone@a.test: 550 5.1.1 <gone@a.test>: user unknown" || cell(0, "Status") != "bounced" {
		t.Errorf("row 2: Bounce %q, Status %q", got, cell(0, "Status"))
	}
	if cell(1, "Replied") != "yes" || cell(1, "Reply from") != "Bea <yes@b.test>" || cell(1, "Replied at") != "2024-01-12 08:30:00 UTC" {
		t.Errorf("row 3: %q %q %q", cell(1, "Replied"), cell(1, "Reply from"), cell(1, "Replied at"))
	}
	if cell(2, "Replied") != "automatic reply only" {
		t.Errorf("row 4: Replied %q", cell(2, "Replied"))
	}
	if cell(3, "Replied") != "from someone else only" || !strings.Contains(cell(3, "Reply from"), "colleague@d.test (not a recipient") ||
		!strings.Contains(cell(3, "Bounce"), "cc desk@d.test: 5.2.2 mailbox full") {
		t.Errorf("row 5: %q %q %q", cell(3, "Replied"), cell(3, "Reply from"), cell(3, "Bounce"))
	}
	if cell(4, "Replied") != "" || cell(4, "Bounce") != "" {
		t.Errorf("row 6: %q %q", cell(4, "Replied"), cell(4, "Bounce"))
	}
}
