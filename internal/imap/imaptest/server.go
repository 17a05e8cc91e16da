// Package imaptest starts real IMAP servers for tests, bound to 127.0.0.1: Dovecot, when
// it is installed, for the behaviour of a production server; and an in-process server built
// on go-imap's server package for the faults a production server cannot be made to show on
// demand (a connection lost in the middle of a FETCH, a renumbered folder), with a record
// of every command a client sent.
package imaptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap"
	"github.com/emersion/go-imap/backend"
	"github.com/emersion/go-imap/backend/backendutil"
	"github.com/emersion/go-imap/server"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-sasl"
)

// The one user of the in-process server.
const (
	User     = "protocol@herald.example"
	Password = "correct horse battery staple"
	Token    = "ya29.test-access-token-0123456789"
)

// Server is an in-process IMAP server over TLS on 127.0.0.1.
type Server struct {
	Host   string
	Port   int
	CAFile string

	mu        sync.Mutex
	folders   map[string]*folder
	commands  []string
	sent      int64
	dropAfter int // close the connection once this many FETCH responses were sent; 0 never
	conns     []*recordingConn
}

type folder struct {
	validity uint32
	nextUID  uint32
	msgs     []*message
}

type message struct {
	uid   uint32
	date  time.Time
	flags []string
	body  []byte
}

// NewServer starts a server with an empty INBOX; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	certs := NewCerts(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Host:    "127.0.0.1",
		Port:    ln.Addr().(*net.TCPAddr).Port,
		CAFile:  certs.CAFile,
		folders: map[string]*folder{"INBOX": {validity: 1000, nextUID: 1}},
	}
	srv := server.New(&backendT{s})
	// The listener below hands over connections that are TLS already, wrapped to record
	// them, where go-imap cannot see the TLS: it would otherwise refuse to log in.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.EnableAuth("XOAUTH2", func(conn server.Conn) sasl.Server {
		return &xoauth2Server{conn: conn, s: s}
	})
	tl := tls.NewListener(ln, certs.ServerConfig)
	go srv.Serve(&recordingListener{Listener: tl, s: s})
	t.Cleanup(func() { srv.Close() })
	return s
}

// Add appends a message to a folder (created if need be) and returns its UID.
func (s *Server) Add(name string, raw []byte) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.folder(name)
	m := &message{uid: f.nextUID, date: time.Date(2024, 1, 10, 9, 30, 0, 0, time.UTC), body: raw}
	f.nextUID++
	f.msgs = append(f.msgs, m)
	return m.uid
}

func (s *Server) folder(name string) *folder {
	f := s.folders[name]
	if f == nil {
		f = &folder{validity: 2000 + uint32(len(s.folders)), nextUID: 1}
		s.folders[name] = f
	}
	return f
}

// CreateFolder makes an empty folder, such as Sent.
func (s *Server) CreateFolder(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.folder(name)
}

// Renumber gives a folder a new UIDVALIDITY and numbers its messages from 1 again, as a
// server does when its index is rebuilt.
func (s *Server) Renumber(name string) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.folder(name)
	f.validity += 7
	f.nextUID = 1
	for _, m := range f.msgs {
		m.uid = f.nextUID
		f.nextUID++
	}
	return f.validity
}

// Expunge removes the message with the given UID, as another client would.
func (s *Server) Expunge(name string, uid uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.folder(name)
	f.msgs = slices.DeleteFunc(f.msgs, func(m *message) bool { return m.uid == uid })
}

// DropAfter makes the server close the connection in the middle of the next FETCH, right
// after its n-th message response: the client has n messages, whole, and then nothing.
func (s *Server) DropAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter = n
}

// Commands returns the commands clients sent, one line each without the tag, arguments
// of LOGIN and AUTHENTICATE left out.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// BytesSent returns the bytes the server wrote to clients, after TLS is taken off.
func (s *Server) BytesSent() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// Flags returns the flags of every message of a folder, by UID: reading must change none.
func (s *Server) Flags(name string) map[uint32][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[uint32][]string{}
	for _, m := range s.folder(name).msgs {
		out[m.uid] = slices.Clone(m.flags)
	}
	return out
}

// recordingListener wraps each connection to record what the client says and count what
// the server says, and to cut the connection for DropAfter.
type recordingListener struct {
	net.Listener
	s *Server
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recordingConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns = append(l.s.conns, rc)
	l.s.mu.Unlock()
	return rc, nil
}

type recordingConn struct {
	net.Conn
	s       *Server
	in      bytes.Buffer // client bytes not yet a whole line
	fetches int          // FETCH responses written on this connection
	tail    []byte       // the end of the last write, for a marker split between writes
}

// fetchMarker starts every FETCH response line; test messages must not contain it.
var fetchMarker = []byte(" FETCH (")

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Write(p[:n])
	for {
		line, rerr := c.in.ReadString('\n')
		if rerr != nil {
			// Not a whole line yet: put it back.
			rest := []byte(line)
			c.in.Reset()
			c.in.Write(rest)
			break
		}
		c.record(strings.TrimRight(line, "\r\n"))
	}
	return n, err
}

func (c *recordingConn) record(line string) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return // a literal's continuation, or a SASL response
	}
	cmd := strings.ToUpper(fields[1])
	switch cmd {
	case "LOGIN", "AUTHENTICATE":
		line = cmd
		if cmd == "AUTHENTICATE" && len(fields) > 2 {
			line += " " + fields[2]
		}
	default:
		_, line, _ = strings.Cut(line, " ")
	}
	c.s.mu.Lock()
	c.s.commands = append(c.s.commands, line)
	c.s.mu.Unlock()
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.s.mu.Lock()
	drop := c.s.dropAfter
	c.s.mu.Unlock()
	if drop > 0 {
		// Find the start of FETCH response number drop+1 and cut the connection there.
		buf := append(slices.Clone(c.tail), p...)
		off := len(c.tail)
		for i := 0; ; {
			j := bytes.Index(buf[i:], fetchMarker)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(fetchMarker)
			if at+len(fetchMarker) <= off {
				continue // counted with the previous write
			}
			c.fetches++
			if c.fetches > drop {
				// Everything before the "* N" of this response goes out; then nothing.
				lineStart := bytes.LastIndexByte(buf[:at], '\n') + 1
				keep := max(lineStart-off, 0)
				n, _ := c.Conn.Write(p[:keep])
				c.count(n)
				c.s.mu.Lock()
				c.s.dropAfter = 0
				c.s.mu.Unlock()
				c.Conn.Close()
				return n, errors.New("imaptest: connection dropped on purpose")
			}
		}
		c.tail = buf[max(len(buf)-len(fetchMarker), 0):]
	}
	n, err := c.Conn.Write(p)
	c.count(n)
	return n, err
}

func (c *recordingConn) count(n int) {
	c.s.mu.Lock()
	c.s.sent += int64(n)
	c.s.mu.Unlock()
}

// The backend: one user, folders of messages in memory.

type backendT struct{ s *Server }

func (b *backendT) Login(_ *goimap.ConnInfo, username, password string) (backend.User, error) {
	if username != User || password != Password {
		return nil, backend.ErrInvalidCredentials
	}
	return &userT{b.s}, nil
}

type userT struct{ s *Server }

func (u *userT) Username() string { return User }

func (u *userT) ListMailboxes(bool) ([]backend.Mailbox, error) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	var out []backend.Mailbox
	for name := range u.s.folders {
		out = append(out, &mailboxT{s: u.s, name: name})
	}
	return out, nil
}

func (u *userT) GetMailbox(name string) (backend.Mailbox, error) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if u.s.folders[name] == nil {
		return nil, backend.ErrNoSuchMailbox
	}
	return &mailboxT{s: u.s, name: name}, nil
}

func (u *userT) CreateMailbox(name string) error {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.s.folder(name)
	return nil
}

func (u *userT) DeleteMailbox(string) error         { return errors.New("not in this test server") }
func (u *userT) RenameMailbox(string, string) error { return errors.New("not in this test server") }
func (u *userT) Logout() error                      { return nil }

type mailboxT struct {
	s    *Server
	name string
}

func (m *mailboxT) Name() string { return m.name }

func (m *mailboxT) Info() (*goimap.MailboxInfo, error) {
	attrs := []string{}
	if m.name == "Junk" {
		attrs = append(attrs, "\\Junk")
	}
	return &goimap.MailboxInfo{Attributes: attrs, Delimiter: "/", Name: m.name}, nil
}

func (m *mailboxT) Status(items []goimap.StatusItem) (*goimap.MailboxStatus, error) {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	f := m.s.folder(m.name)
	st := goimap.NewMailboxStatus(m.name, items)
	st.Flags = []string{goimap.SeenFlag, goimap.AnsweredFlag, goimap.FlaggedFlag, goimap.DeletedFlag}
	st.PermanentFlags = st.Flags
	for _, it := range items {
		switch it {
		case goimap.StatusMessages:
			st.Messages = uint32(len(f.msgs))
		case goimap.StatusUidNext:
			st.UidNext = f.nextUID
		case goimap.StatusUidValidity:
			st.UidValidity = f.validity
		}
	}
	return st, nil
}

func (m *mailboxT) SetSubscribed(bool) error { return nil }
func (m *mailboxT) Check() error             { return nil }

func (m *mailboxT) snapshot() []message {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	var out []message
	for _, msg := range m.s.folder(m.name).msgs {
		out = append(out, *msg)
	}
	return out
}

func (m *mailboxT) ListMessages(uid bool, set *goimap.SeqSet, items []goimap.FetchItem, ch chan<- *goimap.Message) error {
	defer close(ch)
	for i, msg := range m.snapshot() {
		seq := uint32(i + 1)
		id := seq
		if uid {
			id = msg.uid
		}
		if !set.Contains(id) {
			continue
		}
		out := goimap.NewMessage(seq, items)
		for _, item := range items {
			switch item {
			case goimap.FetchUid:
				out.Uid = msg.uid
			case goimap.FetchRFC822Size:
				out.Size = uint32(len(msg.body))
			case goimap.FetchInternalDate:
				out.InternalDate = msg.date
			case goimap.FetchFlags:
				out.Flags = msg.flags
			default:
				section, err := goimap.ParseBodySectionName(item)
				if err != nil {
					continue
				}
				r := bufio.NewReader(bytes.NewReader(msg.body))
				hdr, err := textproto.ReadHeader(r)
				if err != nil {
					return err
				}
				l, err := backendutil.FetchBodySection(hdr, r, section)
				if err != nil {
					l = bytes.NewReader(nil)
				}
				out.Body[section] = l
			}
		}
		ch <- out
	}
	return nil
}

func (m *mailboxT) SearchMessages(uid bool, c *goimap.SearchCriteria) ([]uint32, error) {
	var out []uint32
	for i, msg := range m.snapshot() {
		if c.Uid != nil && !c.Uid.Contains(msg.uid) {
			continue
		}
		if uid {
			out = append(out, msg.uid)
		} else {
			out = append(out, uint32(i+1))
		}
	}
	return out, nil
}

func (m *mailboxT) CreateMessage(flags []string, date time.Time, body goimap.Literal) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	uid := m.s.Add(m.name, b)
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	for _, msg := range m.s.folder(m.name).msgs {
		if msg.uid == uid {
			msg.flags, msg.date = flags, date
		}
	}
	return nil
}

func (m *mailboxT) UpdateMessagesFlags(uid bool, set *goimap.SeqSet, op goimap.FlagsOp, flags []string) error {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	for i, msg := range m.s.folder(m.name).msgs {
		id := uint32(i + 1)
		if uid {
			id = msg.uid
		}
		if set.Contains(id) {
			msg.flags = backendutil.UpdateFlags(msg.flags, op, flags)
		}
	}
	return nil
}

func (m *mailboxT) CopyMessages(bool, *goimap.SeqSet, string) error {
	return errors.New("not in this test server")
}

func (m *mailboxT) Expunge() error { return errors.New("not in this test server") }

// xoauth2Server accepts the one Token for the one User.
type xoauth2Server struct {
	conn   server.Conn
	s      *Server
	failed bool
}

func (x *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, errors.New("invalid credentials")
	}
	if response == nil {
		return []byte{}, false, nil
	}
	want := fmt.Sprintf("user=%s\x01auth=Bearer %s\x01\x01", User, Token)
	if string(response) != want {
		// As Gmail does: a JSON challenge, then NO once the client has answered it.
		x.failed = true
		return []byte(`{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`), false, nil
	}
	x.conn.Context().User = &userT{x.s}
	return nil, true, nil
}
