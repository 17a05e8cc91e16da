package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/imap"
	"github.com/mla-initiative/herald/internal/imap/imaptest"
)

const inboxBenchMessages = 10000

// inboxBench starts Dovecot with a folder of inboxBenchMessages replies to a campaign of as
// many recipients, every tenth an automatic reply, each about 3 KB, and writes the
// campaign's delivery log (an attempt and a delivered outcome per recipient). It returns
// the options of a herald inbox run and the log's text, which each run starts from.
func inboxBench(b *testing.B) (InboxOptions, []byte) {
	b.Helper()
	d := imaptest.StartDovecot(b)
	body := strings.Repeat("The Minister thanks you for the invitation and will attend. ", 32)
	msgs := make([][]byte, 0, inboxBenchMessages)
	var log []byte
	t0 := time.Date(2024, 1, 10, 9, 30, 0, 0, time.UTC)
	for i := range inboxBenchMessages {
		key := fmt.Sprintf("r%d@ministry%d.example", i, i%50)
		id := fmt.Sprintf("inv-%d@herald.example", i)
		auto := ""
		if i%10 == 0 {
			auto = "Auto-Submitted: auto-replied\r\n"
		}
		msgs = append(msgs, fmt.Appendf(nil, "Return-Path: <%[1]s>\r\n"+
			"Received: from mx.ministry%[2]d.example by mx.herald.example (Postfix) with ESMTPS id 4Tz%[3]d\r\n"+
			"\tfor <invitations@herald.example>; Wed, 10 Jan 2024 10:00:00 +0100 (CET)\r\n"+
			"From: Recipient %[3]d <%[1]s>\r\n"+
			"To: Protocol Office <invitations@herald.example>\r\n"+
			"Subject: Re: Invitation to the signing ceremony\r\n"+
			"Date: Wed, 10 Jan 2024 10:00:00 +0100\r\n"+
			"Message-ID: <reply-%[3]d@ministry%[2]d.example>\r\n"+
			"In-Reply-To: <%[4]s>\r\n"+
			"References: <%[4]s>\r\n"+
			"%[5]sMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=UTF-8\r\n"+
			"\r\n%[6]s\r\n", key, i%50, i, id, auto, body))
		for _, r := range []deliverylog.Record{
			{Type: deliverylog.TypeAttempt, Time: t0, Campaign: "invitation", Run: "r1", Key: key, Row: i + 2, To: []string{key}, MessageID: id},
			{Type: deliverylog.TypeOutcome, Time: t0, Campaign: "invitation", Run: "r1", Key: key, MessageID: id, Status: deliverylog.StatusDelivered, Code: 250},
		} {
			line, _ := r.MarshalJSON()
			log = append(append(log, line...), '\n')
		}
	}
	d.Deliver(b, "INBOX", msgs...)
	cfg := imap.Config{Host: d.Host, Port: d.Port, CAFile: d.CAFile, User: d.User, Password: d.Password}
	// Dovecot indexes the folder the first time it is opened, as a mailbox in use has been.
	c, err := imap.Dial(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Scan("INBOX", imap.Cursor{}, func(imap.Message) error { return imap.ErrStopped }); err != nil {
		b.Fatal(err)
	}
	c.Close()
	return InboxOptions{Campaign: "invitation", LogPath: filepath.Join(b.TempDir(), "invitation.delivery.jsonl"), IMAP: cfg}, log
}

func runInbox(b *testing.B, opt InboxOptions) *InboxResult {
	res, err := Inbox(context.Background(), opt)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkInboxDovecot10000 is a first herald inbox over a folder of 10,000 messages:
// read, classify, record each, and fold the log of 10,000 recipients and 10,000 answers.
func BenchmarkInboxDovecot10000(b *testing.B) {
	opt, log := inboxBench(b)
	for b.Loop() {
		b.StopTimer()
		if err := os.WriteFile(opt.LogPath, log, 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res := runInbox(b, opt)
		replied, auto := 0, 0
		for _, st := range res.States {
			if st.Answered() {
				replied++
			} else if st.AutoReply != nil {
				auto++
			}
		}
		if res.Folders[0].Read != inboxBenchMessages || replied != inboxBenchMessages*9/10 || auto != inboxBenchMessages/10 {
			b.Fatalf("read %d, %d replied, %d automatic replies", res.Folders[0].Read, replied, auto)
		}
	}
	b.ReportMetric(float64(inboxBenchMessages*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkInboxNothingNew is the next herald inbox: the same folder, nothing new since.
func BenchmarkInboxNothingNew(b *testing.B) {
	opt, log := inboxBench(b)
	if err := os.WriteFile(opt.LogPath, log, 0o600); err != nil {
		b.Fatal(err)
	}
	runInbox(b, opt)
	fi, _ := os.Stat(opt.LogPath)
	for b.Loop() {
		if res := runInbox(b, opt); res.Folders[0].Read != 0 {
			b.Fatalf("read %d", res.Folders[0].Read)
		}
	}
	if after, _ := os.Stat(opt.LogPath); after.Size() != fi.Size() {
		b.Errorf("the log grew from %d to %d bytes with nothing new", fi.Size(), after.Size())
	}
}
