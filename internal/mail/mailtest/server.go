// Package mailtest runs an in-process SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 for tests, with faults injected per command: a reply code for a recipient, a
// delay or a dropped connection after the final dot, a connection closed instead of
// answering RSET, a reply of megabytes. It counts the messages it keeps per Message-ID, which is what tests of
// "never two copies" need.
//
// It is a normal package so that the tests of several packages can share it; only tests
// import it.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	// StartTLS offers STARTTLS with a self-signed certificate for 127.0.0.1 and localhost.
	StartTLS bool
	// ImplicitTLS speaks TLS from the first byte, with the same certificate.
	ImplicitTLS bool
	// Username and Password, when Username is set, make AUTH PLAIN and LOGIN mandatory with
	// these credentials. AUTH is allowed without TLS (the server is on loopback).
	Username, Password string
	// EchoAuth makes a failed AUTH quote the credentials it received in its reply, as a
	// badly behaved server might, for tests that a client never repeats a password.
	EchoAuth bool
	// Discard keeps no message data and does not parse it, for benchmarks; only Total counts.
	Discard bool
	// XOAUTH2 also offers AUTH XOAUTH2 (Microsoft 365, Google Workspace), which accepts
	// Username with Password as the access token.
	XOAUTH2 bool
}

// Reply is an SMTP reply other than acceptance.
type Reply struct {
	Code     int    // 421, 451, 550, ...
	Enhanced string // RFC 3463 code such as "5.1.1"; "" for none
	Text     string
}

// Step says what the server does with one command instead of accepting it normally.
type Step struct {
	Delay   time.Duration // wait this long before answering
	Reply   *Reply        // answer with this; nil accepts (and, for DATA, keeps the message)
	NoReply bool          // give no answer at all (use with HangUp)
	HangUp  bool          // close the connection after answering, or instead of it with NoReply
	// Early applies to DATA: close the connection as soon as the client starts sending the
	// message, before the final dot; nothing is kept.
	Early bool
	// Arrived, when not nil, is closed as the command arrives (for DATA: once the message
	// is read), so that a test can act while the client waits for the reply.
	Arrived chan struct{}
	// Flood answers with a reply of about this many bytes instead: lines of Reply's code
	// (250 without a Reply) that never end the reply, written straight to the connection
	// until it is closed or Flood is reached, then the connection is closed. For DATA the
	// message is kept first. It is a server that answers with megabytes.
	Flood int
}

// Message is a message the server kept.
type Message struct {
	From      string
	To        []string
	MessageID string // without angle brackets
	Data      []byte // as received, CRLF line ends, dot-stuffing removed
}

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	Host string // "127.0.0.1"
	Port int
	Addr string // Host:Port
	// CertPEM is the server's self-signed certificate when TLS is on, and CAFile a file
	// holding it, to be trusted by clients.
	CertPEM []byte
	CAFile  string

	opts Options
	srv  *smtp.Server

	mu       sync.Mutex
	mail     []Step
	rcpt     map[string][]Step
	data     []Step
	failRset int
	kept     []Message
	count    map[string]int
	total    int
	sessions int
	logins   []string
}

// Start starts a server on 127.0.0.1 with a free port; it stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, rcpt: map[string][]Step{}, count: map[string]int{}}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxLineLength = 10000
	srv.ErrorLog = quietLog{}
	s.srv = srv

	var tlsConf *tls.Config
	if opts.StartTLS || opts.ImplicitTLS {
		certPEM, keyPEM, err := SelfSigned()
		if err != nil {
			t.Fatalf("mailtest: generate certificate: %v", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatalf("mailtest: load certificate: %v", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.CertPEM = certPEM
		s.CAFile = filepath.Join(t.TempDir(), "mailtest-ca.pem")
		if err := os.WriteFile(s.CAFile, certPEM, 0o600); err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		if opts.StartTLS {
			srv.TLSConfig = tlsConf
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	if opts.ImplicitTLS {
		l = tls.NewListener(l, tlsConf)
	}
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port, s.Addr = "127.0.0.1", addr.Port, l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// go-smtp's Close closes the listeners Serve has registered; a Serve that has not
		// started yet would register it afterwards and wait in Accept for ever.
		_ = l.Close()
		<-done
	})
	return s
}

// OnMail queues steps for the next MAIL FROM commands, one each.
func (s *Server) OnMail(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mail = append(s.mail, steps...)
}

// OnRcpt queues steps for the next RCPT TO commands naming addr (case-insensitive), one
// each; a recipient with no step left is accepted.
func (s *Server) OnRcpt(addr string, steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(addr)
	s.rcpt[k] = append(s.rcpt[k], steps...)
}

// OnData queues steps for the next messages, one each; then messages are accepted.
func (s *Server) OnData(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = append(s.data, steps...)
}

// FailReset makes RSET fail for the next n messages: the server answers 250 to the final
// dot, keeps the message, and closes the connection, so the client's RSET finds it closed.
func (s *Server) FailReset(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRset += n
}

// Count returns how many messages with this Message-ID (without angle brackets) the server
// has kept.
func (s *Server) Count(messageID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[messageID]
}

// Total returns how many messages the server has kept.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Messages returns the kept messages in the order received (none with Discard).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.kept...)
}

// Logins returns the mechanism of each successful AUTH, in order ("PLAIN", "LOGIN",
// "XOAUTH2").
func (s *Server) Logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.logins...)
}

// Sessions returns how many SMTP sessions (EHLO on a new connection) the server has seen.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

func (s *Server) next(q *[]Step) (Step, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*q) == 0 {
		return Step{}, false
	}
	st := (*q)[0]
	*q = (*q)[1:]
	return st, true
}

func (s *Server) nextRcpt(addr string) (Step, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(addr)
	q := s.rcpt[k]
	if len(q) == 0 {
		return Step{}, false
	}
	s.rcpt[k] = q[1:]
	return q[0], true
}

func (s *Server) keep(from string, to []string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if s.opts.Discard {
		return
	}
	id := ""
	if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		id = strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>")
	}
	s.count[id]++
	s.kept = append(s.kept, Message{From: from, To: to, MessageID: id, Data: data})
}

func (s *Server) takeFailReset() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failRset == 0 {
		return false
	}
	s.failRset--
	return true
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.sessions++
	b.s.mu.Unlock()
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	if ss.s.opts.XOAUTH2 {
		return []string{sasl.Plain, sasl.Login, xoauth2}
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			if ss.s.opts.EchoAuth {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
					Message: fmt.Sprintf("Authentication failed for %s with password %s", user, pass)}
			}
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		ss.s.mu.Lock()
		ss.s.logins = append(ss.s.logins, mech)
		ss.s.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	case xoauth2:
		if ss.s.opts.XOAUTH2 {
			return &xoauth2Server{check: check}, nil
		}
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	if st, ok := ss.s.next(&ss.s.mail); ok {
		if err := ss.apply(st); err != nil {
			return err
		}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if st, ok := ss.s.nextRcpt(to); ok {
		if err := ss.apply(st); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	st, _ := ss.s.next(&ss.s.data)
	if st.Early {
		if st.Arrived != nil {
			close(st.Arrived)
		}
		ss.hangUp()
		return errHungUp
	}
	var data []byte
	var err error
	if ss.s.opts.Discard {
		_, err = io.Copy(io.Discard, r)
	} else {
		data, err = io.ReadAll(r)
	}
	if err != nil {
		return err
	}
	if st.Reply == nil {
		ss.s.keep(ss.from, ss.to, data)
		if !st.HangUp && ss.s.takeFailReset() {
			st.HangUp = true
		}
	}
	return ss.apply(st)
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

var errHungUp = errors.New("mailtest: connection closed on purpose")

// apply carries out st for the command being answered. It returns the error go-smtp turns
// into the reply, or errHungUp once the connection is closed (go-smtp's reply then goes
// nowhere).
func (ss *session) apply(st Step) error {
	if st.Arrived != nil {
		close(st.Arrived)
	}
	if st.Delay > 0 {
		time.Sleep(st.Delay)
	}
	if st.Flood > 0 {
		code := 250
		if st.Reply != nil {
			code = st.Reply.Code
		}
		line := []byte(fmt.Sprintf("%d-%s\r\n", code, strings.Repeat("x", 1018)))
		for sent := 0; sent < st.Flood; sent += len(line) {
			if _, err := ss.conn.Conn().Write(line); err != nil {
				break
			}
		}
		ss.hangUp()
		return errHungUp
	}
	if !st.HangUp {
		if st.Reply != nil {
			return st.Reply.smtpError()
		}
		return nil
	}
	if !st.NoReply {
		// go-smtp writes its reply after this method returns, too late to close the
		// connection behind it; so write the reply here.
		line := "250 2.0.0 OK"
		if st.Reply != nil {
			line = st.Reply.line()
		}
		_, _ = io.WriteString(ss.conn.Conn(), line+"\r\n")
	}
	ss.hangUp()
	return errHungUp
}

func (ss *session) hangUp() {
	_ = ss.conn.Conn().Close()
}

func (r *Reply) smtpError() *smtp.SMTPError {
	e := &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.NoEnhancedCode, Message: r.Text}
	if r.Enhanced != "" {
		var a, b, c int
		if _, err := fmt.Sscanf(r.Enhanced, "%d.%d.%d", &a, &b, &c); err == nil {
			e.EnhancedCode = smtp.EnhancedCode{a, b, c}
		}
	}
	return e
}

func (r *Reply) line() string {
	if r.Enhanced == "" {
		return fmt.Sprintf("%d %s", r.Code, r.Text)
	}
	return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text)
}

// loginServer is the server side of AUTH LOGIN, which go-sasl no longer provides.
type loginServer struct {
	check      func(user, pass string) error
	step       int
	user, pass string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if len(response) > 0 { // initial response holds the username
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	default:
		l.pass = string(response)
		return nil, true, l.check(l.user, l.pass)
	}
}

const xoauth2 = "XOAUTH2"

// xoauth2Server is the server side of AUTH XOAUTH2: one response,
// "user=NAME\x01auth=Bearer TOKEN\x01\x01". A refused token gets the 535 at once rather
// than Google's JSON challenge, which clients answer with an empty line anyway.
type xoauth2Server struct {
	check func(user, token string) error
}

func (x *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if len(response) == 0 {
		return []byte{}, false, nil
	}
	var user, token string
	for _, f := range strings.Split(string(response), "\x01") {
		if v, ok := strings.CutPrefix(f, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			token = v
		}
	}
	return nil, true, x.check(user, token)
}

// SelfSigned makes a certificate and its key, in PEM, for 127.0.0.1, ::1 and localhost,
// valid for a day: this server's, and one for another test server (mailpit) to load.
func SelfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

type quietLog struct{}

func (quietLog) Printf(string, ...interface{}) {}
func (quietLog) Println(...interface{})        {}

// FirstConnectionOnly forwards the first connection to target and closes every later one at
// once, as a server that went away does. It returns its port on 127.0.0.1.
func FirstConnectionOnly(t testing.TB, target string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for n := 0; ; n++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if n > 0 {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Go(func() { io.Copy(s, c); s.Close() })
			wg.Go(func() { io.Copy(c, s); c.Close() })
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}
