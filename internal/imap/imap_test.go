package imap_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/imap"
	"github.com/mla-initiative/herald/internal/imap/imaptest"
	"github.com/mla-initiative/herald/internal/problem"
)

// reply makes a small message, numbered so that tests can tell which came back.
func reply(n int) []byte {
	return fmt.Appendf(nil, "From: Minister %d <minister%d@justice.example>\r\n"+
		"To: invitations@herald.example\r\n"+
		"Subject: Re: Invitation %d\r\n"+
		"Date: Wed, 10 Jan 2024 10:00:00 +0100\r\n"+
		"Message-ID: <reply-%d@justice.example>\r\n"+
		"In-Reply-To: <invitation-%d@herald.example>\r\n"+
		"Content-Type: text/plain; charset=UTF-8\r\n"+
		"\r\n"+
		"The Minister accepts with pleasure (%d).\r\n", n, n, n, n, n, n)
}

// subjects collects what a Scan hands over, by subject, checking each message as it goes.
type collector struct {
	t        testing.TB
	subjects []string
	uids     []uint32
}

func (c *collector) fn(m imap.Message) error {
	i := bytes.Index(m.Header, []byte("Subject: "))
	if i < 0 {
		c.t.Errorf("UID %d: no Subject in the header %q", m.UID, m.Header)
		return nil
	}
	line, _, _ := bytes.Cut(m.Header[i+len("Subject: "):], []byte("\r\n"))
	c.subjects = append(c.subjects, string(line))
	c.uids = append(c.uids, m.UID)
	if !bytes.HasSuffix(m.Header, []byte("\r\n\r\n")) {
		c.t.Errorf("UID %d: header does not end with its empty line: %q", m.UID, m.Header)
	}
	return nil
}

func subjectsOf(ns ...int) []string {
	var out []string
	for _, n := range ns {
		out = append(out, fmt.Sprintf("Re: Invitation %d", n))
	}
	return out
}

func serverConfig(s *imaptest.Server) imap.Config {
	return imap.Config{Host: s.Host, Port: s.Port, CAFile: s.CAFile, User: imaptest.User, Password: imaptest.Password}
}

func dial(t testing.TB, cfg imap.Config) *imap.Client {
	t.Helper()
	c, err := imap.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v (hints %q)", err, problem.Hints(err))
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Against Dovecot: implicit TLS and STARTTLS, incremental reads, nothing new, a second
// folder, and not a flag changed.
func TestDovecot(t *testing.T) {
	d := imaptest.StartDovecot(t)
	for i := 1; i <= 5; i++ {
		d.Deliver(t, "INBOX", reply(i))
	}
	d.Deliver(t, "Junk", reply(100))
	tls := imap.Config{Host: d.Host, Port: d.Port, CAFile: d.CAFile, User: d.User, Password: d.Password}
	starttls := tls
	starttls.TLS, starttls.Port = imap.StartTLS, d.StartTLSPort

	for _, cfg := range []imap.Config{tls, starttls} {
		t.Run(map[string]string{"": "tls", imap.StartTLS: "starttls"}[cfg.TLS], func(t *testing.T) {
			c := dial(t, cfg)
			col := &collector{t: t}
			res, err := c.Scan("INBOX", imap.Cursor{}, col.fn)
			if err != nil {
				t.Fatalf("Scan: %v\n%s", err, d.Log())
			}
			if !slices.Equal(col.subjects, subjectsOf(1, 2, 3, 4, 5)) || res.Messages != 5 || res.Rescan {
				t.Fatalf("first scan: %q, %+v", col.subjects, res)
			}
			if res.Cursor.UIDValidity == 0 || res.Cursor.LastUID != col.uids[4] {
				t.Fatalf("cursor %+v after UIDs %v", res.Cursor, col.uids)
			}
			folders, err := c.Folders()
			if err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, f := range folders {
				names = append(names, f.Name)
			}
			if !slices.Contains(names, "INBOX") || !slices.Contains(names, "Junk") {
				t.Errorf("folders %q", names)
			}
			junk := &collector{t: t}
			if _, err := c.Scan("Junk", imap.Cursor{}, junk.fn); err != nil || !slices.Equal(junk.subjects, subjectsOf(100)) {
				t.Errorf("Junk: %q, %v", junk.subjects, err)
			}
			// Nothing new: nothing handed over, the cursor where it was.
			again := &collector{t: t}
			res2, err := c.Scan("INBOX", res.Cursor, again.fn)
			if err != nil || len(again.subjects) != 0 || res2.Cursor != res.Cursor {
				t.Errorf("nothing new: %q, %+v, %v", again.subjects, res2, err)
			}
		})
	}

	// New mail: only it is read.
	c := dial(t, tls)
	first := &collector{t: t}
	res, err := c.Scan("INBOX", imap.Cursor{}, first.fn)
	if err != nil {
		t.Fatal(err)
	}
	d.Deliver(t, "INBOX", reply(6), reply(7))
	next := &collector{t: t}
	res2, err := c.Scan("INBOX", res.Cursor, next.fn)
	if err != nil || !slices.Equal(next.subjects, subjectsOf(6, 7)) || res2.Rescan {
		t.Errorf("after new mail: %q, %+v, %v", next.subjects, res2, err)
	}
	if res2.Cursor.UIDValidity != res.Cursor.UIDValidity || res2.Cursor.LastUID <= res.Cursor.LastUID {
		t.Errorf("cursor %+v after %+v", res2.Cursor, res.Cursor)
	}
	// A message numbered (UID last+1) but expunged by another client before herald reads
	// it: "UID last+1:*" then matches the highest UID, which herald has read already.
	d.Deliver(t, "INBOX", reply(8))
	if _, err := c.Scan("INBOX", imap.Cursor{}, func(imap.Message) error { return imap.ErrStopped }); err != nil {
		t.Fatal(err)
	}
	if n := d.Expunge(t, "INBOX", []byte("Subject: Re: Invitation 8\r\n")); n != 1 {
		t.Fatalf("expunged %d", n)
	}
	res3, err := c.Scan("INBOX", res2.Cursor, func(m imap.Message) error {
		t.Errorf("UID %d handed over again after an expunge", m.UID)
		return nil
	})
	if err != nil || res3.Cursor != res2.Cursor {
		t.Errorf("after the expunge: %+v, %v", res3, err)
	}

	if seen := append(d.Seen(t, "INBOX"), d.Seen(t, "Junk")...); len(seen) > 0 {
		t.Errorf("reading marked messages as seen: %q", seen)
	}
}

// A 50 MB message in Dovecot: what the client allocates to read it is bounded by the
// header and MaxBody, not by the message (Dovecot is another process, so the allocation
// counter counts the client alone).
func TestDovecotHugeMessage(t *testing.T) {
	d := imaptest.StartDovecot(t)
	huge := append(reply(2), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 50<<20/66)...)
	d.Deliver(t, "INBOX", reply(1), huge, reply(3))
	cfg := imap.Config{Host: d.Host, Port: d.Port, CAFile: d.CAFile, User: d.User, Password: d.Password, MaxBody: 64 << 10}
	c := dial(t, cfg)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var sizes, bodies []int
	_, err := c.Scan("INBOX", imap.Cursor{}, func(m imap.Message) error {
		sizes, bodies = append(sizes, int(m.Size)), append(bodies, len(m.Body))
		return nil
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || sizes[1] != len(huge) || bodies[1] != 64<<10 {
		t.Fatalf("sizes %v, bodies %v", sizes, bodies)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 4<<20 {
		t.Errorf("reading a %d-byte message allocated %d bytes", sizes[1], alloc)
	}
	t.Logf("three messages, one of %d bytes: %d bytes allocated", sizes[1], alloc)
}

// A wrong password is refused, and neither it nor the right one appears in the error.
func TestDovecotWrongPassword(t *testing.T) {
	d := imaptest.StartDovecot(t)
	cfg := imap.Config{Host: d.Host, Port: d.Port, CAFile: d.CAFile, User: d.User, Password: "wrong-" + d.Password}
	_, err := imap.Dial(context.Background(), cfg)
	if err == nil {
		t.Fatal("logged in with a wrong password")
	}
	text := err.Error() + strings.Join(problem.Hints(err), "\n")
	if strings.Contains(text, d.Password) || !strings.Contains(text, "logging in to 127.0.0.1") {
		t.Errorf("error %q", text)
	}
}

// Without the CA file, the test server's certificate is not trusted: herald says how to
// trust it rather than offering to skip verification.
func TestUntrustedCertificate(t *testing.T) {
	s := imaptest.NewServer(t)
	cfg := serverConfig(s)
	cfg.CAFile = ""
	_, err := imap.Dial(context.Background(), cfg)
	if err == nil {
		t.Fatal("connected to a server signed by an unknown authority")
	}
	hints := strings.Join(problem.Hints(err), "\n")
	if !strings.Contains(err.Error(), "connecting to 127.0.0.1:") || !strings.Contains(hints, "--imap-ca") {
		t.Errorf("error %q, hints %q", err, hints)
	}
}

// Reading is read-only: EXAMINE, BODY.PEEK with a partial range, never a command that
// changes the mailbox, and no flag changed.
func TestReadOnly(t *testing.T) {
	s := imaptest.NewServer(t)
	for i := 1; i <= 3; i++ {
		s.Add("INBOX", reply(i))
	}
	c := dial(t, serverConfig(s))
	col := &collector{t: t}
	if _, err := c.Scan("INBOX", imap.Cursor{}, col.fn); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(col.subjects, subjectsOf(1, 2, 3)) {
		t.Fatalf("got %q", col.subjects)
	}
	c.Close()
	var sawExamine, sawFetch bool
	for _, cmd := range s.Commands() {
		verb := strings.ToUpper(strings.Fields(cmd)[0])
		if verb == "UID" {
			verb += " " + strings.ToUpper(strings.Fields(cmd)[1])
		}
		switch verb {
		case "EXAMINE":
			sawExamine = true
		case "UID FETCH":
			sawFetch = true
			if strings.Contains(strings.ReplaceAll(cmd, "BODY.PEEK[", ""), "BODY[") ||
				!strings.Contains(cmd, "BODY.PEEK[HEADER]<0.") || !strings.Contains(cmd, "BODY.PEEK[TEXT]<0.") {
				t.Errorf("a FETCH that is not a bounded peek: %s", cmd)
			}
		case "SELECT", "STORE", "UID STORE", "COPY", "UID COPY", "MOVE", "UID MOVE", "EXPUNGE",
			"UID EXPUNGE", "APPEND", "DELETE", "RENAME", "CREATE":
			t.Errorf("reading sent %s", cmd)
		}
	}
	if !sawExamine || !sawFetch {
		t.Errorf("commands %q", s.Commands())
	}
	for uid, flags := range s.Flags("INBOX") {
		if len(flags) > 0 {
			t.Errorf("UID %d now has flags %q", uid, flags)
		}
	}
}

// A 50 MB message costs what its header and the first MaxBody bytes cost, on the wire and
// in what is handed over.
func TestHugeMessage(t *testing.T) {
	s := imaptest.NewServer(t)
	s.Add("INBOX", reply(1))
	huge := append(reply(2), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 50<<20/66)...)
	s.Add("INBOX", huge)
	s.Add("INBOX", reply(3))
	cfg := serverConfig(s)
	cfg.MaxBody = 64 << 10
	c := dial(t, cfg)
	before := s.BytesSent()
	var got []imap.Message
	_, err := c.Scan("INBOX", imap.Cursor{}, func(m imap.Message) error {
		got = append(got, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d messages", len(got))
	}
	m := got[1]
	if int(m.Size) != len(huge) || len(m.Body) != cfg.MaxBody || !m.Truncated || got[0].Truncated {
		t.Errorf("huge message: size %d, body %d bytes, truncated %v (small one truncated %v)",
			m.Size, len(m.Body), m.Truncated, got[0].Truncated)
	}
	if sent := s.BytesSent() - before; sent > 256<<10 {
		t.Errorf("the server sent %d bytes for a scan of a %d-byte message", sent, len(huge))
	}
}

// A connection lost in the middle of a FETCH: the cursor stands at the last message handed
// over, and the next run reads the rest, nothing lost and nothing twice.
func TestDropMidFetch(t *testing.T) {
	s := imaptest.NewServer(t)
	for i := 1; i <= 20; i++ {
		s.Add("INBOX", reply(i))
	}
	cfg := serverConfig(s)
	cfg.Batch = 8
	// The first batch of 8 goes through whole; of the second, messages 9 to 11 arrive,
	// then nothing.
	s.DropAfter(11)
	c := dial(t, cfg)
	first := &collector{t: t}
	res, err := c.Scan("INBOX", imap.Cursor{}, first.fn)
	if err == nil {
		t.Fatal("Scan of a dropped connection returned no error")
	}
	if !slices.Equal(first.subjects, subjectsOf(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)) {
		t.Errorf("before the drop: %q", first.subjects)
	}
	if res.Cursor.LastUID != 11 || res.Messages != 11 {
		t.Errorf("cursor after the drop: %+v", res)
	}
	if hints := problem.Hints(err); !slices.ContainsFunc(hints, func(h string) bool { return strings.Contains(h, "run herald inbox again") }) {
		t.Errorf("error %v, hints %q", err, hints)
	}
	c2 := dial(t, cfg)
	rest := &collector{t: t}
	res2, err := c2.Scan("INBOX", res.Cursor, rest.fn)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rest.subjects, subjectsOf(12, 13, 14, 15, 16, 17, 18, 19, 20)) || res2.Cursor.LastUID != 20 {
		t.Errorf("after the drop: %q, %+v", rest.subjects, res2)
	}
}

// A function that fails stops the scan before the message it failed on.
func TestFunctionError(t *testing.T) {
	s := imaptest.NewServer(t)
	for i := 1; i <= 5; i++ {
		s.Add("INBOX", reply(i))
	}
	c := dial(t, serverConfig(s))
	diskFull := errors.New("delivery log: disk full")
	n := 0
	res, err := c.Scan("INBOX", imap.Cursor{}, func(imap.Message) error {
		if n++; n == 3 {
			return diskFull
		}
		return nil
	})
	if !errors.Is(err, diskFull) || res.Cursor.LastUID != 2 || res.Messages != 2 {
		t.Fatalf("got %+v, %v", res, err)
	}
	// ErrStopped stops without error, at the same place.
	res, err = c.Scan("INBOX", res.Cursor, func(imap.Message) error { return imap.ErrStopped })
	if err != nil || res.Cursor.LastUID != 2 {
		t.Fatalf("ErrStopped: %+v, %v", res, err)
	}
	// The connection is still usable: the FETCH was drained, not abandoned.
	col := &collector{t: t}
	if _, err := c.Scan("INBOX", res.Cursor, col.fn); err != nil || !slices.Equal(col.subjects, subjectsOf(3, 4, 5)) {
		t.Fatalf("resumed: %q, %v", col.subjects, err)
	}
}

// A changed UIDVALIDITY: the folder is read again from its start, and the result says so.
func TestUIDValidityChange(t *testing.T) {
	s := imaptest.NewServer(t)
	for i := 1; i <= 3; i++ {
		s.Add("INBOX", reply(i))
	}
	c := dial(t, serverConfig(s))
	res, err := c.Scan("INBOX", imap.Cursor{}, (&collector{t: t}).fn)
	if err != nil {
		t.Fatal(err)
	}
	validity := s.Renumber("INBOX")
	s.Add("INBOX", reply(4))
	col := &collector{t: t}
	res2, err := c.Scan("INBOX", res.Cursor, col.fn)
	if err != nil {
		t.Fatal(err)
	}
	if !res2.Rescan || res2.Cursor != (imap.Cursor{UIDValidity: validity, LastUID: 4}) ||
		!slices.Equal(col.subjects, subjectsOf(1, 2, 3, 4)) {
		t.Errorf("after renumbering: %q, %+v", col.subjects, res2)
	}
}

// Nothing new costs an EXAMINE: no SEARCH, no FETCH.
func TestNothingNewIsOneCommand(t *testing.T) {
	s := imaptest.NewServer(t)
	s.Add("INBOX", reply(1))
	c := dial(t, serverConfig(s))
	res, err := c.Scan("INBOX", imap.Cursor{}, (&collector{t: t}).fn)
	if err != nil {
		t.Fatal(err)
	}
	before := len(s.Commands())
	res2, err := c.Scan("INBOX", res.Cursor, func(imap.Message) error {
		t.Error("a message was handed over again")
		return nil
	})
	if err != nil || res2.Cursor != res.Cursor {
		t.Fatalf("%+v, %v", res2, err)
	}
	if cmds := s.Commands()[before:]; len(cmds) != 1 || !strings.HasPrefix(cmds[0], "EXAMINE") {
		t.Errorf("second scan sent %q", cmds)
	}
}

// A folder that does not exist is an error that names it.
func TestUnknownFolder(t *testing.T) {
	s := imaptest.NewServer(t)
	c := dial(t, serverConfig(s))
	_, err := c.Scan("Spam", imap.Cursor{}, (&collector{t: t}).fn)
	if err == nil || !strings.Contains(err.Error(), `opening "Spam" on 127.0.0.1:`) || len(problem.Hints(err)) == 0 {
		t.Errorf("error %v, hints %q", err, problem.Hints(err))
	}
}

// XOAUTH2: the token logs in; a wrong one is refused without showing either.
func TestXOAUTH2(t *testing.T) {
	s := imaptest.NewServer(t)
	s.Add("INBOX", reply(1))
	cfg := serverConfig(s)
	cfg.Password, cfg.Token = "", imaptest.Token
	c := dial(t, cfg)
	col := &collector{t: t}
	if _, err := c.Scan("INBOX", imap.Cursor{}, col.fn); err != nil || len(col.subjects) != 1 {
		t.Fatalf("%q, %v", col.subjects, err)
	}
	if !slices.Contains(s.Commands(), "AUTHENTICATE XOAUTH2") {
		t.Errorf("commands %q", s.Commands())
	}
	cfg.Token = "ya29.stolen-or-expired-token-4242"
	_, err := imap.Dial(context.Background(), cfg)
	if err == nil {
		t.Fatal("logged in with a wrong token")
	}
	text := err.Error() + strings.Join(problem.Hints(err), "\n")
	if strings.Contains(text, cfg.Token) || strings.Contains(text, imaptest.Token) || !strings.Contains(text, "herald login") {
		t.Errorf("error %q", text)
	}
}

func TestWrongPassword(t *testing.T) {
	s := imaptest.NewServer(t)
	cfg := serverConfig(s)
	cfg.Password = "not " + imaptest.Password
	_, err := imap.Dial(context.Background(), cfg)
	if err == nil {
		t.Fatal("logged in with a wrong password")
	}
	if text := fmt.Sprintf("%v %+v %q", err, err, problem.Hints(err)); strings.Contains(text, imaptest.Password) {
		t.Errorf("the password is in the error: %s", text)
	}
}

// Append is the one write, for --copy-to-sent: the copy is filed as read.
func TestAppend(t *testing.T) {
	s := imaptest.NewServer(t)
	s.CreateFolder("Sent")
	c := dial(t, serverConfig(s))
	if err := c.Append("Sent", reply(1)); err != nil {
		t.Fatal(err)
	}
	flags := s.Flags("Sent")
	if len(flags) != 1 || !slices.Contains(flags[1], "\\Seen") {
		t.Errorf("Sent holds %v", flags)
	}
}

// A cancelled context ends the connection, and a command under way fails.
func TestContextEndsConnection(t *testing.T) {
	s := imaptest.NewServer(t)
	s.Add("INBOX", reply(1))
	ctx, cancel := context.WithCancel(context.Background())
	c, err := imap.Dial(ctx, serverConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := c.Scan("INBOX", imap.Cursor{}, (&collector{t: t}).fn); err == nil {
		t.Error("Scan after the context ended succeeded")
	}
}
