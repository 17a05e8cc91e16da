package imap_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/imap"
	"github.com/mla-initiative/herald/internal/imap/imaptest"
	"github.com/mla-initiative/herald/internal/inbox"
)

const benchMessages = 10000

// benchMailbox starts Dovecot with benchMessages messages in INBOX, each about 3 KB like a
// short reply with its Received lines, every tenth an automatic reply, and a lookup of the
// campaign they answer. Dovecot has indexed the folder when it returns, as a mailbox in use
// has been.
func benchMailbox(b *testing.B) (imap.Config, *inbox.Lookup) {
	b.Helper()
	d := imaptest.StartDovecot(b)
	body := strings.Repeat("The Minister thanks you for the invitation and will attend. ", 32)
	msgs := make([][]byte, 0, benchMessages)
	sent := make([]inbox.Sent, 0, benchMessages)
	for i := range benchMessages {
		auto := ""
		if i%10 == 0 {
			auto = "Auto-Submitted: auto-replied\r\n"
		}
		msgs = append(msgs, fmt.Appendf(nil, "Return-Path: <r%[1]d@ministry%[2]d.example>\r\n"+
			"Received: from mx.ministry%[2]d.example (mx.ministry%[2]d.example [192.0.2.%[3]d])\r\n"+
			"\tby mx.herald.example (Postfix) with ESMTPS id 4Tz%[1]d\r\n"+
			"\tfor <invitations@herald.example>; Wed, 10 Jan 2024 10:00:00 +0100 (CET)\r\n"+
			"From: Recipient %[1]d <r%[1]d@ministry%[2]d.example>\r\n"+
			"To: Protocol Office <invitations@herald.example>\r\n"+
			"Subject: Re: Invitation to the signing ceremony\r\n"+
			"Date: Wed, 10 Jan 2024 10:00:00 +0100\r\n"+
			"Message-ID: <reply-%[1]d@ministry%[2]d.example>\r\n"+
			"In-Reply-To: <inv-%[1]d@herald.example>\r\n"+
			"References: <inv-%[1]d@herald.example>\r\n"+
			"%[4]sMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=UTF-8\r\n"+
			"\r\n%[5]s\r\n", i, i%50, i%250+1, auto, body))
		sent = append(sent, inbox.Sent{MessageID: fmt.Sprintf("inv-%d@herald.example", i),
			Key: fmt.Sprintf("r%d@ministry%d.example", i, i%50), Addresses: []string{fmt.Sprintf("r%d@ministry%d.example", i, i%50)}})
	}
	d.Deliver(b, "INBOX", msgs...)
	cfg := imap.Config{Host: d.Host, Port: d.Port, CAFile: d.CAFile, User: d.User, Password: d.Password}
	c, err := imap.Dial(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Scan("INBOX", imap.Cursor{}, func(imap.Message) error { return imap.ErrStopped }); err != nil {
		b.Fatal(err)
	}
	c.Close()
	return cfg, inbox.NewLookup(sent)
}

// run is one herald inbox run over INBOX: connect, read what is new, classify it, log out.
func run(b *testing.B, cfg imap.Config, l *inbox.Lookup, from imap.Cursor) (imap.Result, map[inbox.Kind]int) {
	c, err := imap.Dial(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	kinds := map[inbox.Kind]int{}
	res, err := c.Scan("INBOX", from, func(m imap.Message) error {
		kinds[inbox.Classify(m.Header, m.Body, l).Kind]++
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return res, kinds
}

// BenchmarkDovecotScan10000 reads and classifies a folder of 10,000 messages from its start.
func BenchmarkDovecotScan10000(b *testing.B) {
	cfg, l := benchMailbox(b)
	for b.Loop() {
		res, kinds := run(b, cfg, l, imap.Cursor{})
		if res.Messages != benchMessages || kinds[inbox.Reply] != benchMessages*9/10 || kinds[inbox.AutoReply] != benchMessages/10 {
			b.Fatalf("%+v %v", res, kinds)
		}
	}
	b.ReportMetric(float64(benchMessages*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDovecotNothingNew is the second run: the same folder, nothing new since.
func BenchmarkDovecotNothingNew(b *testing.B) {
	cfg, l := benchMailbox(b)
	first, _ := run(b, cfg, l, imap.Cursor{})
	for b.Loop() {
		res, _ := run(b, cfg, l, first.Cursor)
		if res.Messages != 0 || res.Cursor != first.Cursor {
			b.Fatalf("%+v", res)
		}
	}
}
