package imap

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	goimap "github.com/emersion/go-imap"

	"github.com/mla-initiative/herald/internal/problem"
)

// Cursor is how far a folder has been read: the folder's UIDVALIDITY and the highest UID
// handed over. The zero Cursor reads the folder from its start.
type Cursor struct {
	UIDValidity uint32
	LastUID     uint32
}

// Message is one message as fetched: its header and the start of its body, each bounded.
type Message struct {
	Folder       string
	UID          uint32
	UIDValidity  uint32
	Size         uint32    // of the whole message, as the server gives it
	InternalDate time.Time // when the server received it
	Header       []byte    // the header, with the empty line that ends it
	Body         []byte    // the start of the body (BODY[TEXT])
	// Truncated is true when Header or Body were cut to the configured bounds.
	Truncated bool
}

// Result is what a Scan did.
type Result struct {
	Folder string
	// Cursor is where the next Scan of the folder starts. It is valid even when Scan
	// returns an error: it stands at the last message fully processed.
	Cursor Cursor
	// Rescan is true when the folder's UIDVALIDITY was not the remembered one, so it was
	// read again from its start: messages already seen come again (with new UIDs).
	Rescan bool
	// Messages is the number of messages handed to the function.
	Messages int
	// Total is the number of messages in the folder.
	Total uint32
}

// ErrStopped may be returned by a Scan function to stop reading without error; the cursor
// stays before the message it was given.
var ErrStopped = errors.New("stopped")

// Scan opens folder read-only (EXAMINE) and hands each message newer than from to fn, in
// the order of their UIDs, one at a time. When fn returns an error, Scan stops and returns
// it; the cursor stays before that message, so that the next run sees it again.
//
// The same message can be handed over again (after a lost connection, a rescan, or in two
// folders): the caller records what it finds so that seeing it twice changes nothing.
func (cl *Client) Scan(folder string, from Cursor, fn func(Message) error) (Result, error) {
	res := Result{Folder: folder, Cursor: from}
	where := fmt.Sprintf("%s on %s", quote(folder), cl.cfg.addr())
	status, err := cl.c.Select(folder, true)
	if err != nil {
		return res, problem.WithHint(fmt.Errorf("imap: opening %s read-only: %w", where, err),
			"check the folder's name (see the folders your mail program shows; INBOX is always there)")
	}
	if status.UidValidity == 0 {
		// RFC 3501 makes UIDVALIDITY mandatory; without it UIDs cannot be remembered.
		return res, fmt.Errorf("imap: %s gives no UIDVALIDITY, so its messages cannot be told apart between runs", where)
	}
	res.Total = status.Messages
	if from.UIDValidity != status.UidValidity {
		res.Rescan = from.UIDValidity != 0
		res.Cursor = Cursor{UIDValidity: status.UidValidity}
	}
	last := res.Cursor.LastUID
	// UIDNEXT, given with EXAMINE, says at once whether anything is new: a run with nothing
	// new costs one round trip per folder.
	if status.Messages == 0 || (status.UidNext != 0 && status.UidNext <= last+1) {
		return res, nil
	}

	uids, err := cl.newUIDs(last)
	if err != nil {
		return res, fmt.Errorf("imap: listing the new messages of %s: %w", where, err)
	}
	for start := 0; start < len(uids); start += cl.cfg.Batch {
		batch := uids[start:min(start+cl.cfg.Batch, len(uids))]
		n, err := cl.fetch(folder, status.UidValidity, batch, fn, &res)
		res.Messages += n
		if err != nil {
			if errors.Is(err, ErrStopped) {
				return res, nil
			}
			return res, err
		}
	}
	return res, nil
}

// newUIDs returns the UIDs above last, in order. "UID last+1:*" also matches the highest
// UID when it is below last+1 (RFC 3501 section 6.4.8), hence the filter.
func (cl *Client) newUIDs(last uint32) ([]uint32, error) {
	crit := goimap.NewSearchCriteria()
	crit.Uid = new(goimap.SeqSet)
	crit.Uid.AddRange(last+1, 0)
	found, err := cl.c.UidSearch(crit)
	if err != nil {
		return nil, err
	}
	uids := found[:0]
	for _, u := range found {
		if u > last {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// fetch fetches one batch and hands its messages to fn as they arrive. The cursor advances
// over the batch's UIDs in order, past each message handed over and accepted: servers
// answer in UID order in practice, but nothing requires it, and a message received after
// a gap must not carry the cursor past the gap.
func (cl *Client) fetch(folder string, validity uint32, batch []uint32, fn func(Message) error, res *Result) (int, error) {
	header := &goimap.BodySectionName{BodyPartName: goimap.BodyPartName{Specifier: goimap.HeaderSpecifier},
		Peek: true, Partial: []int{0, cl.cfg.MaxHeader}}
	text := &goimap.BodySectionName{BodyPartName: goimap.BodyPartName{Specifier: goimap.TextSpecifier},
		Peek: true, Partial: []int{0, cl.cfg.MaxBody}}
	items := []goimap.FetchItem{goimap.FetchUid, goimap.FetchRFC822Size, goimap.FetchInternalDate,
		header.FetchItem(), text.FetchItem()}

	set := new(goimap.SeqSet)
	set.AddNum(batch...)
	ch := make(chan *goimap.Message, 1)
	done := make(chan error, 1)
	go func() { done <- cl.c.UidFetch(set, items, ch) }()

	handled := make(map[uint32]bool, len(batch))
	next := 0 // batch[next] is the first UID not yet handled
	advance := func() {
		for next < len(batch) && handled[batch[next]] {
			res.Cursor.LastUID = batch[next]
			next++
		}
	}
	n := 0
	var fnErr error
	for m := range ch {
		if fnErr != nil || m.Uid == 0 || !slices.Contains(batch, m.Uid) || handled[m.Uid] {
			// After an error the rest is drained, unread, so that the FETCH can end; a
			// FETCH response without a UID, or for another message, is a flag update.
			continue
		}
		msg := Message{Folder: folder, UID: m.Uid, UIDValidity: validity, Size: m.Size, InternalDate: m.InternalDate}
		msg.Header, msg.Truncated = readSection(m.GetBody(header), cl.cfg.MaxHeader)
		var cut bool
		msg.Body, cut = readSection(m.GetBody(text), cl.cfg.MaxBody)
		msg.Truncated = msg.Truncated || cut
		if err := fn(msg); err != nil {
			fnErr = err
			continue
		}
		n++
		handled[m.Uid] = true
		advance()
	}
	err := <-done
	if fnErr != nil {
		return n, fnErr
	}
	if err != nil {
		return n, problem.WithHint(fmt.Errorf("imap: reading %s on %s (messages %d to %d): %w",
			quote(folder), cl.cfg.addr(), batch[0], batch[len(batch)-1], err),
			"run herald inbox again: it carries on after the last message it read")
	}
	// The FETCH completed: a UID it did not answer for was expunged meanwhile.
	for _, u := range batch {
		handled[u] = true
	}
	advance()
	return n, nil
}

// readSection reads a fetched section, at most limit bytes (the server was asked for no
// more; one that sends more is not believed).
func readSection(l goimap.Literal, limit int) ([]byte, bool) {
	if l == nil {
		return nil, false
	}
	b, _ := io.ReadAll(io.LimitReader(l, int64(limit)+1))
	if len(b) > limit {
		return b[:limit], true
	}
	return b, len(b) == limit
}

func quote(folder string) string { return fmt.Sprintf("%q", folder) }
