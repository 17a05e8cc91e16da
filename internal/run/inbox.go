package run

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/imap"
	"github.com/mla-initiative/herald/internal/inbox"
	"github.com/mla-initiative/herald/internal/problem"
)

// InboxOptions say which campaign's log to record in and which mailbox to read.
type InboxOptions struct {
	Campaign string
	LogPath  string
	IMAP     imap.Config
	// Folders are read in this order; INBOX when empty.
	Folders []string
}

// What herald inbox counts in a folder: the kinds of inbox.Classify, and more.
const (
	FoundBounce    = "bounce"
	FoundDelayed   = "delayed"
	FoundNotice    = "notice"
	FoundAutoReply = "auto_reply"
	FoundReply     = "reply"
	FoundUnmatched = "unmatched"
	// FoundUntrusted counts the replies, automatic replies and bounces about a recipient
	// from someone who is not among its recipients (also counted in their own kind).
	FoundUntrusted = "untrusted"
	// FoundOwnCopy counts copies of the campaign's own messages (a Bcc to the sender, say):
	// neither an answer nor unmatched, and not recorded.
	FoundOwnCopy = "own_copy"
	// FoundAlready counts messages recorded by an earlier run (also counted in their kind).
	FoundAlready = "already"
)

// FolderResult is what one folder held that was new.
type FolderResult struct {
	Folder string
	// Read is the number of messages read; Total those in the folder.
	Read  int
	Total uint32
	// Rescan is true when the folder's UIDVALIDITY had changed: it was read from its start.
	Rescan bool
	// Found counts the messages read by what they are (the Found* names).
	Found map[string]int
}

// InboxResult is what a run of herald inbox did.
type InboxResult struct {
	Folders []FolderResult
	// States are the recipients of the campaign as the log now has them.
	States map[string]deliverylog.State
	// Unmatched is the number of messages the log holds that could not be placed, this
	// run's and earlier ones'.
	Unmatched int
	// LogRepaired says what was cut from the end of the log as it was opened, or "".
	LogRepaired string
}

// ErrNoLog is returned by Inbox when the campaign has no delivery log: nothing was sent.
var ErrNoLog = errors.New("no delivery log")

// Inbox reads the mailbox of opt.IMAP, read-only, and records in the campaign's log what it
// finds there about the campaign's messages: bounces, delay notices, automatic replies,
// replies and what it cannot place (see deliverylog for the records). It reads each folder
// from where the log's last cursor for it stands, records what it finds as it goes and,
// however the reading ends, where it stopped: a second run reads only what is new, and a
// message seen twice is recorded once. An error after a folder was read in part comes with
// the result so far.
func Inbox(ctx context.Context, opt InboxOptions) (*InboxResult, error) {
	if _, err := os.Stat(opt.LogPath); errors.Is(err, fs.ErrNotExist) {
		return nil, problem.WithHint(fmt.Errorf("%w at %s: nothing has been sent in campaign %s, so there is no answer to look for", ErrNoLog, opt.LogPath, opt.Campaign),
			"name the campaign as herald send did: the same --template (or --campaign) and --contacts, or --log")
	}
	log, err := deliverylog.Open(opt.LogPath)
	if err != nil {
		return nil, err
	}
	res := &InboxResult{}
	if d := log.Dropped(); d != nil {
		res.LogRepaired = fmt.Sprintf("the delivery log %s ended in %d bytes that were not a whole record, as a crash leaves them; herald removed them", opt.LogPath, len(d))
	}
	err = inboxRun(ctx, opt, log, res)
	records := log.Records()
	if cerr := log.Close(); err == nil {
		err = cerr
	}
	res.States = deliverylog.Fold(records, opt.Campaign)
	res.Unmatched = len(Unmatched(records, opt.Campaign))
	return res, err
}

func inboxRun(ctx context.Context, opt InboxOptions, log *deliverylog.Log, res *InboxResult) error {
	records := log.Records()
	lookup, own := lookupOf(records, opt.Campaign)
	seen := map[string]bool{}
	cursors := map[string]imap.Cursor{}
	for i := range records {
		r := &records[i]
		if r.Campaign != opt.Campaign {
			continue
		}
		switch {
		case r.Type == deliverylog.TypeCursor:
			cursors[cursorKey(r.Account, r.Host, r.Folder)] = imap.Cursor{UIDValidity: r.UIDValidity, LastUID: r.LastUID}
		case r.Type != deliverylog.TypeSentCopy && r.Type != deliverylog.TypeAttempt && r.Type != deliverylog.TypeOutcome:
			seen[deliverylog.InboundID(r)] = true
		}
	}
	folders := opt.Folders
	if len(folders) == 0 {
		folders = []string{"INBOX"}
	}
	c, err := imap.Dial(ctx, opt.IMAP)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, folder := range folders {
		fr := FolderResult{Folder: folder, Found: map[string]int{}}
		from := cursors[cursorKey(opt.IMAP.User, opt.IMAP.Host, folder)]
		scan, err := c.Scan(folder, from, func(m imap.Message) error {
			return record(log, opt, lookup, own, seen, m, fr.Found)
		})
		fr.Read, fr.Total, fr.Rescan = scan.Messages, scan.Total, scan.Rescan
		res.Folders = append(res.Folders, fr)
		if scan.Cursor.UIDValidity != 0 && (scan.Cursor != from || scan.Rescan) {
			cerr := log.Note(deliverylog.Record{
				Type: deliverylog.TypeCursor, Campaign: opt.Campaign, Account: opt.IMAP.User, Host: opt.IMAP.Host,
				Folder: folder, UIDValidity: scan.Cursor.UIDValidity, LastUID: scan.Cursor.LastUID, Rescan: scan.Rescan,
			})
			if err == nil {
				err = cerr
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func cursorKey(account, host, folder string) string {
	return strings.ToLower(account) + "\x00" + strings.ToLower(host) + "\x00" + folder
}

// lookupOf indexes the campaign's messages, as sent: tests went to a tester, and withheld
// addresses were not sent to. own holds their Message-IDs.
func lookupOf(records []deliverylog.Record, campaign string) (*inbox.Lookup, map[string]bool) {
	var sent []inbox.Sent
	own := map[string]bool{}
	for i := range records {
		r := &records[i]
		if r.Campaign != campaign || r.Type != deliverylog.TypeAttempt || r.Test || r.MessageID == "" {
			continue
		}
		var addrs []string
		for _, list := range [][]string{r.To, r.Cc, r.Bcc} {
			for _, a := range list {
				if !slices.Contains(r.Withheld, strings.ToLower(a)) {
					addrs = append(addrs, a)
				}
			}
		}
		sent = append(sent, inbox.Sent{MessageID: r.MessageID, Key: r.Key, Addresses: addrs})
		own[r.MessageID] = true
	}
	return inbox.NewLookup(sent), own
}

// record classifies one message and records what it is, unless it is recorded already.
func record(log *deliverylog.Log, opt InboxOptions, l *inbox.Lookup, own, seen map[string]bool, m imap.Message, found map[string]int) error {
	c := inbox.Classify(m.Header, m.Body, l)
	base := deliverylog.Record{
		Campaign: opt.Campaign, Key: c.Key, MessageID: c.MessageID,
		Folder: m.Folder, UIDValidity: m.UIDValidity, UID: m.UID,
		MatchedID: c.MatchedID, MatchedBy: string(c.MatchedBy), Trusted: c.Trusted,
		From: c.From, FromName: c.FromName, Date: c.Date, Subject: c.Subject, Reason: c.Reason,
	}
	var out []deliverylog.Record
	kind := string(c.Kind)
	switch c.Kind {
	case inbox.Notice:
		// A report that something was delivered or relayed: nothing to record.
	case inbox.Unmatched:
		if own[c.MessageID] && c.MessageID != "" {
			kind = FoundOwnCopy
			break
		}
		r := base
		r.Type, r.Nature, r.MatchedBy, r.Trusted = deliverylog.TypeUnmatched, string(c.Nature), "", false
		out = append(out, r)
	case inbox.Bounce, inbox.Delayed:
		for _, f := range c.Failures {
			typ := deliverylog.TypeBounce
			switch f.Action {
			case "delayed":
				typ = deliverylog.TypeDelayed
			case "delivered", "relayed", "expanded":
				continue
			}
			if f.Key == "" {
				continue // a recipient of another campaign, or of none
			}
			r := base
			r.Type, r.Key, r.Recipient, r.Action, r.Enhanced, r.Diagnostic = typ, f.Key, f.Recipient, f.Action, f.Status, f.Diagnostic
			if f.OriginalRecipient != f.Recipient {
				r.OriginalRecipient = f.OriginalRecipient
			}
			out = append(out, r)
		}
		if len(c.Failures) == 0 && c.Key != "" {
			// A report that names its message and no address: the message came back.
			r := base
			r.Type = deliverylog.TypeBounce
			if c.Kind == inbox.Delayed {
				r.Type = deliverylog.TypeDelayed
			}
			out = append(out, r)
		}
	case inbox.AutoReply:
		r := base
		r.Type = deliverylog.TypeAutoReply
		out = append(out, r)
	case inbox.Reply:
		r := base
		r.Type = deliverylog.TypeReply
		out = append(out, r)
	}
	found[kind]++
	if !c.Trusted && c.Kind != inbox.Unmatched && c.Kind != inbox.Notice {
		found[FoundUntrusted]++
	}
	already := len(out) > 0
	for _, r := range out {
		id := deliverylog.InboundID(&r)
		if seen[id] {
			continue
		}
		already = false
		if err := log.Note(r); err != nil {
			return err
		}
		seen[id] = true
	}
	if already {
		found[FoundAlready]++
	}
	return nil
}

// Unmatched returns the messages herald inbox could not place with a recipient of
// campaign, each once, in the order found.
func Unmatched(records []deliverylog.Record, campaign string) []deliverylog.Record {
	var out []deliverylog.Record
	seen := map[string]bool{}
	for i := range records {
		r := &records[i]
		if r.Campaign != campaign || r.Type != deliverylog.TypeUnmatched {
			continue
		}
		if id := deliverylog.InboundID(r); !seen[id] {
			seen[id] = true
			out = append(out, *r)
		}
	}
	return out
}
