package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/mla-initiative/herald/internal/message"
)

// A DialError is a failure to connect, secure the connection or log in. Status is
// TempFailure when trying again later may work (the server could not be reached or is
// busy) and Stop when the configuration or the account must be fixed first.
type DialError struct {
	Status   Status
	Code     int
	Enhanced string
	// Hints say what to do about it, each a sentence of its own; they are not part of the
	// error's text. problem.Hints finds them along an Unwrap chain.
	Hints []string
	msg   string // already free of the password
	err   error
}

func (e *DialError) Error() string { return e.msg }

// Unwrap gives access to the cause (a certificate error, a *textproto.Error, ...). The
// cause's own text is what the server or the network said; Error is the one to show.
func (e *DialError) Unwrap() error { return e.err }

// HintList returns Hints, for problem.Hints.
func (e *DialError) HintList() []string { return e.Hints }

// Check reports what Dial would refuse in c before connecting: a bad server name, port or
// CA file, an unknown login method, or a password to be sent without encryption to
// another machine. The error never holds the password.
func (c Config) Check() error {
	if _, err := c.settings(); err != nil {
		return errors.New(newSecret(c.Username, c.Password).redact(err.Error()))
	}
	return nil
}

// settings are a checked Config.
type settings struct {
	port     int
	timeout  time.Duration
	tls      *tls.Config
	loopback bool
	auth     string // "", "plain", "login" or "xoauth2"
}

func (c Config) settings() (settings, error) {
	var st settings
	if c.Host == "" {
		return st, errors.New("no SMTP server given")
	}
	if message.ContainsControl(c.Host) || strings.ContainsAny(c.Host, " /") {
		return st, fmt.Errorf("invalid SMTP server name %q", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		return st, fmt.Errorf("invalid SMTP port %d", c.Port)
	}
	st.port = port(c)
	st.loopback = isLoopback(c.Host)
	switch c.TLS {
	case StartTLS, ImplicitTLS:
	case NoTLS:
		if c.Username != "" && !st.loopback {
			return st, fmt.Errorf("refusing to send the password for %q to %s without encryption; "+
				"use STARTTLS or implicit TLS, or a relay on this machine (localhost)", c.Username, c.Host)
		}
	default:
		return st, fmt.Errorf("unknown TLS mode %d", c.TLS)
	}
	st.timeout = c.Timeout
	if st.timeout == 0 {
		st.timeout = DefaultTimeout
	}
	if st.timeout < 0 {
		return st, fmt.Errorf("invalid timeout %v", c.Timeout)
	}
	if c.HELO != "" && (message.ContainsControl(c.HELO) || strings.ContainsAny(c.HELO, " <>")) {
		return st, fmt.Errorf("invalid HELO name %q", c.HELO)
	}
	var err error
	if st.tls, err = tlsConfig(c.Host, c.CAFile); err != nil {
		return st, err
	}
	st.auth = strings.ToLower(c.Auth)
	switch {
	case c.Username == "" && st.auth != "":
		return st, fmt.Errorf("authentication %q needs a username", c.Auth)
	case st.auth != "" && st.auth != "plain" && st.auth != "login" && st.auth != "xoauth2":
		return st, fmt.Errorf("unknown authentication %q (plain, login or xoauth2)", c.Auth)
	}
	return st, nil
}

// port returns the configured port or the usual one for the TLS mode.
func port(c Config) int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.TLS == ImplicitTLS:
		return 465
	case c.TLS == NoTLS:
		return 25
	}
	return 587
}

func tlsConfig(host, caFile string) (*tls.Config, error) {
	conf := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return conf, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
	}
	conf.RootCAs = pool
	return conf, nil
}

// isLoopback reports whether host is this machine by its literal name or address; a name
// that merely resolves to a loopback address does not count.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// The steps of Dial, for the errors.
type dialStep int

const (
	stepConnect  dialStep = iota // TCP, implicit TLS, greeting, EHLO
	stepStartTLS                 // STARTTLS and its handshake
	stepAuth                     // AUTH
)

var (
	// errNoStartTLS: the server does not offer STARTTLS.
	errNoStartTLS = errors.New("the server does not offer STARTTLS")
	// errNoAuth: the server offers no AUTH on this connection.
	errNoAuth = errors.New("the server offers no login (AUTH) on this connection")
)

// noMechanismError: the server offers AUTH, but not with the mechanism asked for.
type noMechanismError struct{ want, offered string }

func (e *noMechanismError) Error() string {
	return fmt.Sprintf("the server offers no %s login on this connection (it offers %s)", e.want, e.offered)
}

// Dial connects to the server, secures the connection and logs in.
//
// go-mail connects and says EHLO (Client.DialToSMTPClientWithContext); STARTTLS and AUTH
// are then asked of its smtp.Client here, step by step, rather than by go-mail's dial: its
// errors for a server without STARTTLS or AUTH are bare text, whereas here each step's
// failure is known for what it is.
func Dial(ctx context.Context, c Config) (*Sender, error) {
	sec := newSecret(c.Username, c.Password)
	st, err := c.settings()
	if err != nil {
		return nil, &DialError{Status: Stop, msg: sec.redact(err.Error()), err: err}
	}
	d := &dialer{}
	if c.TLS == ImplicitTLS {
		d.tls = st.tls
	}
	opts := []gomail.Option{
		gomail.WithPort(st.port),
		gomail.WithTimeout(st.timeout),
		gomail.WithTLSPolicy(gomail.NoTLS), // STARTTLS comes below
		// Every address is ASCII (internationalised domains are in xn-- form).
		gomail.WithoutSMTPUTF8(),
		gomail.WithDialContextFunc(d.dial),
	}
	if c.HELO != "" {
		opts = append(opts, gomail.WithHELO(c.HELO))
	}
	gm, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, &DialError{Status: Stop, msg: sec.redact("configure SMTP client: " + err.Error()), err: err}
	}
	client, err := gm.DialToSMTPClientWithContext(ctx)
	if err != nil {
		d.close()
		return nil, dialError(c, sec, stepConnect, err)
	}
	s := &Sender{client: client, timeout: st.timeout, secret: sec}
	// STARTTLS and AUTH run under go-mail's connection deadline; a cancelled context ends
	// them at once.
	stop := context.AfterFunc(ctx, d.expire)
	step, err := stepStartTLS, s.startTLS(c, st)
	if err == nil {
		step, err = stepAuth, s.login(c, st)
	}
	if !stop() && ctx.Err() != nil {
		// Cancelled: whatever the steps said, the connection's deadline has passed.
		err = ctx.Err()
	}
	if err != nil {
		d.close()
		return nil, dialError(c, sec, step, err)
	}
	return s, nil
}

func (s *Sender) startTLS(c Config, st settings) error {
	if c.TLS != StartTLS {
		return nil
	}
	if ok, _ := s.client.Extension("STARTTLS"); !ok {
		return errNoStartTLS
	}
	return s.client.StartTLS(st.tls)
}

// login authenticates with PLAIN or LOGIN (whichever the server offers, PLAIN first, unless
// Config.Auth names one) or XOAUTH2, with go-mail's implementations.
func (s *Sender) login(c Config, st settings) error {
	if c.Username == "" {
		return nil
	}
	ok, offered := s.client.Extension("AUTH")
	if !ok {
		return errNoAuth
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	// go-mail's PLAIN and LOGIN refuse a connection without TLS except to "localhost",
	// "127.0.0.1" and "::1"; settings has already limited NoTLS to loopback addresses.
	unencrypted := c.TLS == NoTLS && st.loopback
	want := st.auth
	if want == "" {
		want = "plain"
		if !slices.Contains(mechs, "PLAIN") && slices.Contains(mechs, "LOGIN") {
			want = "login"
		}
	}
	if !slices.Contains(mechs, strings.ToUpper(want)) {
		return &noMechanismError{want: strings.ToUpper(want), offered: strings.Join(mechs, " ")}
	}
	var auth smtp.Auth
	switch want {
	case "plain":
		auth = smtp.PlainAuth("", c.Username, c.Password, c.Host, unencrypted)
	case "login":
		auth = smtp.LoginAuth(c.Username, c.Password, c.Host, unencrypted)
	default:
		auth = smtp.XOAuth2Auth(c.Username, c.Password)
	}
	return s.client.Auth(auth)
}

// dialError classifies a failure of Dial and says what to do about it.
func dialError(c Config, sec secret, step dialStep, err error) *DialError {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(port(c)))
	e := &DialError{Status: TempFailure, err: err}
	var (
		tpErr   *textproto.Error
		certErr *tls.CertificateVerificationError
		hostErr x509.HostnameError
		authErr x509.UnknownAuthorityError
		recErr  tls.RecordHeaderError
		mechErr *noMechanismError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authErr):
		e.Status = Stop
		e.Hints = []string{"the server's certificate is not trusted; if it comes from a private authority, give its certificate as the CA file"}
	case errors.As(err, &recErr):
		e.Status = Stop
		e.Hints = []string{"the server does not speak TLS on this port; check the port and the TLS mode (STARTTLS on 587, implicit TLS on 465)"}
	case errors.Is(err, errNoStartTLS):
		e.Status = Stop
		local := "for a test server on this computer (localhost), use --smtp-tls none: mail then goes unencrypted, which is safe only when it does not leave this computer"
		remote := "for a real mail server, use implicit TLS (--smtp-tls implicit, port 465) if it offers it"
		e.Hints = []string{remote, local}
		if isLoopback(c.Host) {
			e.Hints = []string{local, remote}
		}
	case errors.Is(err, errNoAuth), errors.As(err, &mechErr), errors.Is(err, smtp.ErrUnencrypted):
		e.Status = Stop
		e.Hints = []string{"check the port, the TLS mode and the authentication setting (--smtp-auth)"}
	case errors.As(err, &tpErr):
		e.Code = tpErr.Code
		e.Enhanced = enhancedIn(tpErr.Msg)
		switch {
		case tpErr.Code/100 == 4:
			e.Hints = []string{"the server is busy or limiting connections; try again later"}
		case step == stepAuth:
			e.Status = Stop
			e.Hints = []string{"check the username and password (or token)"}
		default:
			e.Status = Stop
		}
	case errors.Is(err, context.Canceled):
	case errors.Is(err, errReplyTooLong):
		e.Hints = []string{"check that the server and port are those of an SMTP server"}
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, context.DeadlineExceeded):
		e.Hints = []string{"check the server name and port, and that this network allows outgoing SMTP"}
	default:
		e.Status = Stop
	}
	msg := fmt.Sprintf("connect to SMTP server %s: ", addr)
	if step == stepAuth {
		msg += fmt.Sprintf("log in as %q: ", c.Username)
	}
	text := err.Error()
	if tpErr != nil {
		// textproto quotes the server's text; show it as the server sent it, cut to size.
		text = strings.Replace(text, tpErr.Error(), strconv.Itoa(tpErr.Code)+" "+cutReply(sec.redact(tpErr.Msg)), 1)
	}
	// Redact before joining lines: oneLine folds runs of spaces, and a password with two
	// spaces in a row would then no longer be found.
	e.msg = oneLine(sec.redact(msg + text))
	if red := sec.redact(err.Error()); red != err.Error() {
		// The server repeated the password: keep no cause that would show it.
		e.err = errors.New(red)
	}
	return e
}

// dialer opens the connection for go-mail: TCP, limited by limitConn, and TLS for
// implicit TLS. It keeps the TCP connection to close it if Dial fails half-way.
type dialer struct {
	tls  *tls.Config // nil unless implicit TLS
	conn net.Conn
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	raw, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.conn = raw
	conn := net.Conn(&limitConn{Conn: raw})
	if d.tls != nil {
		tc := tls.Client(conn, d.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		conn = tc
	}
	return conn, nil
}

func (d *dialer) close() {
	if d.conn != nil {
		_ = d.conn.Close()
	}
}

func (d *dialer) expire() {
	if d.conn != nil {
		_ = d.conn.SetDeadline(time.Unix(1, 0))
	}
}
