package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
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

	"github.com/mla-initiative/herald/internal/message"
)

// TLSMode says how the connection to the SMTP server is encrypted.
type TLSMode int

const (
	// StartTLS connects in plain text and upgrades with STARTTLS before anything else; a
	// server that does not offer it is an error. Default port 587.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte. Default port 465.
	ImplicitTLS
	// NoTLS never encrypts. Credentials are then only sent to a relay on this machine.
	// Default port 25.
	NoTLS
)

func (t TLSMode) String() string {
	switch t {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "implicit"
	case NoTLS:
		return "none"
	}
	return "TLSMode(" + strconv.Itoa(int(t)) + ")"
}

// DefaultTimeout bounds each SMTP exchange, the wait after the final dot included. RFC 5321
// allows a server 10 minutes there; a message abandoned early may still be delivered, so
// the default is generous.
const DefaultTimeout = 5 * time.Minute

// Config says how to reach and log in to the SMTP server.
type Config struct {
	Host string
	Port int // 0: 587, 465 or 25 according to TLS
	TLS  TLSMode

	Username string
	// Password never appears in an error or in an Outcome.
	Password string
	// Auth is the mechanism: "" picks PLAIN or LOGIN (whichever the server offers) when
	// Username is set, "plain", "login", or "xoauth2" (Password then holds the access token).
	Auth string
	// CAFile is a PEM file of certificates trusted besides the system's, for a server with
	// a private certificate authority. Certificate checks cannot be turned off.
	CAFile string
	// Timeout for each exchange with the server; 0 means DefaultTimeout.
	Timeout time.Duration
	// HELO is the name the client announces; "" means this machine's host name.
	HELO string
}

// Status is what happened to one message.
type Status int

const (
	// Delivered: the server took responsibility for the message (250 after the final dot).
	Delivered Status = iota
	// TempFailure: nothing was delivered; the same message may be sent again later.
	TempFailure
	// PermFailure: the server refused this message for good; sending it again as it is
	// will fail again.
	PermFailure
	// Unknown: the connection failed after the whole message was sent and before the
	// server's reply. The server may have kept it, so it must not be sent again without a
	// person deciding to.
	Unknown
	// Stop: the reply concerns the sender or the session (authentication, sending policy,
	// quota), so every following message would fail the same way. The message was not
	// delivered; the run must stop and leave the rest pending.
	Stop
)

func (s Status) String() string {
	switch s {
	case Delivered:
		return "delivered"
	case TempFailure:
		return "temporary failure"
	case PermFailure:
		return "permanent failure"
	case Unknown:
		return "unknown"
	case Stop:
		return "stop"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Outcome is the result of sending one message.
type Outcome struct {
	Status   Status
	Code     int    // the server's reply code, 0 when there was no reply (network failure)
	Enhanced string // RFC 3463 code such as "5.1.1", when the server gives one
	// Reply is what the server said, as "550 5.1.1 text" with the lines of a multi-line
	// reply joined by spaces; several replies (one per refused recipient) are separated by
	// "; ". On success it is the reply to the final dot, which often names the queue ID.
	Reply string
	Err   error // nil when Delivered without incident
	// Redial: the connection is unusable; dial again before the next message.
	Redial bool
}

// A DialError is a failure to connect, secure the connection or log in. Status is
// TempFailure when trying again later may work (the server could not be reached or is
// busy) and Stop when the configuration or the account must be fixed first.
type DialError struct {
	Status   Status
	Code     int
	Enhanced string
	msg      string // already free of the password
	err      error
}

func (e *DialError) Error() string { return e.msg }

// Unwrap gives access to the cause (a certificate error, a *textproto.Error, ...). The
// cause's own text is what the server or the network said; Error is the one to show.
func (e *DialError) Unwrap() error { return e.err }

// Sender delivers messages over one SMTP connection. It is not safe for concurrent use;
// parallel sending needs one Sender per connection.
type Sender struct {
	client *gomail.Client
	secret secret
	broken error // set once an Outcome asked for a redial
}

// Check reports what Dial would refuse in c before connecting: a bad server name, port or
// CA file, an unknown login method, or a password to be sent without encryption to
// another machine. The error never holds the password.
func (c Config) Check() error {
	if _, err := clientOptions(c); err != nil {
		return errors.New(newSecret(c.Username, c.Password).redact(err.Error()))
	}
	return nil
}

// Dial connects to the server, secures the connection and logs in.
func Dial(ctx context.Context, c Config) (*Sender, error) {
	sec := newSecret(c.Username, c.Password)
	opts, err := clientOptions(c)
	if err != nil {
		return nil, &DialError{Status: Stop, msg: sec.redact(err.Error()), err: err}
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, &DialError{Status: Stop, msg: sec.redact("configure SMTP client: " + err.Error()), err: err}
	}
	if err := client.DialWithContext(ctx); err != nil {
		return nil, dialError(c, sec, err)
	}
	return &Sender{client: client, secret: sec}, nil
}

func clientOptions(c Config) ([]gomail.Option, error) {
	if c.Host == "" {
		return nil, errors.New("no SMTP server given")
	}
	if message.ContainsControl(c.Host) || strings.ContainsAny(c.Host, " /") {
		return nil, fmt.Errorf("invalid SMTP server name %q", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, fmt.Errorf("invalid SMTP port %d", c.Port)
	}
	opts := []gomail.Option{
		gomail.WithPort(port(c)),
		// A NOOP before and after each message would cost two round trips per message and
		// find nothing that the next command does not find as well.
		gomail.WithoutNoop(),
		// Every address is ASCII (internationalised domains are in xn-- form).
		gomail.WithoutSMTPUTF8(),
	}
	loopback := isLoopback(c.Host)
	switch c.TLS {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		if c.Username != "" && !loopback {
			return nil, fmt.Errorf("refusing to send the password for %q to %s without encryption; "+
				"use STARTTLS or implicit TLS, or a relay on this machine (localhost)", c.Username, c.Host)
		}
	default:
		return nil, fmt.Errorf("unknown TLS mode %d", c.TLS)
	}

	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("invalid timeout %v", c.Timeout)
	}
	opts = append(opts, gomail.WithTimeout(timeout))

	if c.HELO != "" {
		if message.ContainsControl(c.HELO) || strings.ContainsAny(c.HELO, " <>") {
			return nil, fmt.Errorf("invalid HELO name %q", c.HELO)
		}
		opts = append(opts, gomail.WithHELO(c.HELO))
	}

	tlsConf, err := tlsConfig(c.Host, c.CAFile)
	if err != nil {
		return nil, err
	}
	opts = append(opts, gomail.WithTLSConfig(tlsConf))

	auth, err := authOptions(c, loopback)
	if err != nil {
		return nil, err
	}
	return append(opts, auth...), nil
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

func authOptions(c Config, loopback bool) ([]gomail.Option, error) {
	mech := strings.ToLower(c.Auth)
	if c.Username == "" {
		if mech != "" {
			return nil, fmt.Errorf("authentication %q needs a username", c.Auth)
		}
		return nil, nil
	}
	// go-mail's PLAIN and LOGIN refuse a connection without TLS except to "localhost",
	// "127.0.0.1" and "::1"; clientOptions has already limited NoTLS to loopback addresses.
	plain, login := gomail.SMTPAuthPlain, gomail.SMTPAuthLogin
	if c.TLS == NoTLS && loopback {
		plain, login = gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc
	}
	creds := []gomail.Option{gomail.WithUsername(c.Username), gomail.WithPassword(c.Password)}
	switch mech {
	case "":
		return append(creds, gomail.WithOpportunisticSMTPAuth(plain, login)), nil
	case "plain":
		return append(creds, gomail.WithSMTPAuth(plain)), nil
	case "login":
		return append(creds, gomail.WithSMTPAuth(login)), nil
	case "xoauth2":
		return append(creds, gomail.WithSMTPAuth(gomail.SMTPAuthXOAUTH2)), nil
	}
	return nil, fmt.Errorf("unknown authentication %q (plain, login or xoauth2)", c.Auth)
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

// dialError classifies a failure of DialWithContext and says what to do about it.
func dialError(c Config, sec secret, err error) *DialError {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(port(c)))
	e := &DialError{Status: TempFailure, err: err}
	var (
		tpErr   *textproto.Error
		certErr *tls.CertificateVerificationError
		hostErr x509.HostnameError
		authErr x509.UnknownAuthorityError
		recErr  tls.RecordHeaderError
		netErr  net.Error
		hint    string
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authErr):
		e.Status = Stop
		hint = "the server's certificate is not trusted; if it comes from a private authority, give its certificate as the CA file"
	case errors.As(err, &recErr):
		e.Status = Stop
		hint = "the server does not speak TLS on this port; check the port and the TLS mode (STARTTLS on 587, implicit TLS on 465)"
	case errors.As(err, &tpErr):
		e.Code = tpErr.Code
		e.Enhanced = enhancedIn(tpErr.Msg)
		switch {
		case tpErr.Code == 421 || tpErr.Code/100 == 4:
			hint = "the server is busy or limiting connections; try again later"
		case strings.Contains(err.Error(), "SMTP AUTH failed"):
			e.Status = Stop
			hint = "check the username and password (or token)"
		default:
			e.Status = Stop
		}
	case strings.Contains(err.Error(), "STARTTLS"):
		e.Status = Stop
		hint = "the server does not offer STARTTLS; use implicit TLS (port 465) if it supports it"
	case strings.Contains(err.Error(), "does not support SMTP AUTH"),
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered):
		e.Status = Stop
		hint = "the server offers no matching login method on this connection; check the port, the TLS mode and the authentication setting"
	case errors.Is(err, context.Canceled):
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, context.DeadlineExceeded):
		hint = "check the server name and port, and that this network allows outgoing SMTP"
	default:
		e.Status = Stop
	}
	msg := fmt.Sprintf("connect to SMTP server %s: %v", addr, err)
	if tpErr != nil {
		// textproto quotes the server's text; show it as the server sent it.
		msg = strings.Replace(msg, tpErr.Error(), strconv.Itoa(tpErr.Code)+" "+tpErr.Msg, 1)
	}
	if hint != "" {
		msg += " (hint: " + hint + ")"
	}
	// Redact before joining lines: oneLine folds runs of spaces, and a password with two
	// spaces in a row would then no longer be found.
	e.msg = oneLine(sec.redact(msg))
	if red := sec.redact(err.Error()); red != err.Error() {
		// The server repeated the password: keep no cause that would show it.
		e.err = errors.New(red)
	}
	return e
}

// Send delivers one message. A context already cancelled sends nothing; once the
// transaction has started it runs to its end (bounded by the timeout), because abandoning
// it after the final dot would leave the message in an unknown state.
func (s *Sender) Send(ctx context.Context, m *message.Message) Outcome {
	if s.broken != nil {
		return Outcome{Status: TempFailure, Redial: true, Err: s.broken}
	}
	if err := ctx.Err(); err != nil {
		return Outcome{Status: TempFailure, Err: fmt.Errorf("send message: %w", err)}
	}
	b, err := build(m, true)
	if err != nil {
		return Outcome{Status: PermFailure, Err: err}
	}
	o := classify(b.msg, s.client.Send(b.msg), s.secret)
	if o.Redial {
		s.broken = errors.New("connection closed after an earlier failure; dial again")
	}
	return o
}

// Close ends the session politely. It is safe to call on a broken connection.
func (s *Sender) Close() error {
	if err := s.client.Close(); err != nil && s.broken == nil {
		return errors.New(s.secret.redact("close SMTP connection: " + err.Error()))
	}
	return nil
}

// classify turns go-mail's result into an Outcome, following the rules in doc.go.
func classify(gm *gomail.Msg, err error, sec secret) Outcome {
	if err == nil {
		r := accepted(gm, sec)
		return Outcome{Status: Delivered, Code: 250, Enhanced: enhancedIn(strings.TrimPrefix(r, "250 ")), Reply: r}
	}
	o := Outcome{Err: errors.New(oneLine(sec.redact(err.Error())))}
	if gm.IsDelivered() {
		// The server answered 250 to the final dot; what failed came after it (the RSET),
		// and left the connection in doubt.
		o.Status, o.Code, o.Redial = Delivered, 250, true
		o.Reply = accepted(gm, sec)
		o.Enhanced = enhancedIn(strings.TrimPrefix(o.Reply, "250 "))
		return o
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		// go-mail returns only SendErrors from Send; anything else is unexpected, and
		// nothing says whether the message went out.
		o.Status, o.Redial = Unknown, true
		return o
	}
	replies := parseReplies(se, sec)
	texts := make([]string, len(replies))
	for i, r := range replies {
		texts[i] = r.String()
	}
	o.Reply = strings.Join(texts, "; ")
	// The reply that decides is the first permanent one (of several refused recipients),
	// else the first from the server; a network error (code 0) comes last, as it may only
	// be the RSET that go-mail sends after a refusal finding the connection closed.
	decisive := reply{code: se.ErrorCode(), enhanced: se.EnhancedStatusCode()}
	if i := slices.IndexFunc(replies, func(r reply) bool { return r.code/100 == 5 }); i >= 0 {
		decisive = replies[i]
	} else if i := slices.IndexFunc(replies, func(r reply) bool { return r.code != 0 }); i >= 0 {
		decisive = replies[i]
	} else if len(replies) > 0 {
		decisive = replies[0]
	}
	for _, r := range replies {
		if r.code == 0 || r.code == 421 {
			o.Redial = true
		}
	}
	o.Code, o.Enhanced = decisive.code, decisive.enhanced

	switch se.Reason {
	case gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
		if o.Code == 0 {
			// The message may have reached the server whole; only its reply was lost.
			o.Status, o.Redial = Unknown, true
			return o
		}
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrConnCheck:
		if o.Code == 0 {
			// Nothing was sent: the connection failed before the message.
			o.Status, o.Redial = TempFailure, true
			return o
		}
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		o.Status = PermFailure
		return o
	default:
		o.Status, o.Redial = Unknown, true
		return o
	}
	switch {
	case o.Code/100 == 5 && stopsRun(se.Reason, o.Code, o.Enhanced):
		o.Status = Stop
	case o.Code/100 == 5:
		o.Status = PermFailure
	default:
		o.Status = TempFailure
	}
	return o
}

// accepted returns the server's reply to the final dot, often with its queue ID.
func accepted(gm *gomail.Msg, sec secret) string {
	return "250 " + oneLine(sec.redact(gm.ServerResponse()))
}

// stopsRun reports whether a permanent reply concerns the sender or the session rather than
// this message, so that every following message would get it too.
func stopsRun(reason gomail.SendErrReason, code int, enhanced string) bool {
	switch {
	case code == 530 || code == 534 || code == 535 || code == 538:
		// Authentication required, too weak, failed, or needs encryption.
		return true
	case enhanced == "5.4.5" || enhanced == "5.2.0":
		// Sending quota (Gmail 5.4.5; Exchange 5.2.0 SubmissionQuotaExceeded).
		return true
	case reason == gomail.ErrSMTPMailFrom:
		// MAIL FROM carries only the sender, the same for every message.
		return true
	case strings.HasPrefix(enhanced, "5.7.") && reason != gomail.ErrSMTPRcptTo:
		// Policy on the sender or the content (send-as denied, spam), which the next
		// message shares; a 5.7.x on RCPT concerns that recipient.
		return true
	}
	return false
}

// reply is one server reply, or a network failure (code 0) in its place.
type reply struct {
	code     int
	enhanced string
	text     string // without the code
}

func (r reply) String() string {
	if r.code == 0 {
		return r.text
	}
	return strconv.Itoa(r.code) + " " + r.text
}

// parseReplies returns the replies in a SendError, one per failed command, without the
// password. go-mail keeps them unexported; its Error method lists them after the reason,
// as `550 "text"` (the form of *textproto.Error) or a network error's text, separated by
// ", ", then the affected recipients and message ID.
func parseReplies(se *gomail.SendError, sec secret) []reply {
	s := se.Error()
	s = strings.TrimPrefix(s, se.Reason.String())
	s = strings.TrimPrefix(s, ": ")
	if id := se.MessageID(); id != "" {
		s = strings.TrimSuffix(s, ", affected message ID: "+id)
	}
	var out []reply
	for s != "" && !strings.HasPrefix(s, ", affected recipient(s): ") {
		s = strings.TrimPrefix(s, ", ")
		if len(s) > 4 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && s[3] == ' ' && s[4] == '"' {
			if q, err := strconv.QuotedPrefix(s[4:]); err == nil {
				text, _ := strconv.Unquote(q)
				code, _ := strconv.Atoi(s[:3])
				text = oneLine(sec.redact(text))
				out = append(out, reply{code: code, enhanced: enhancedIn(text), text: text})
				s = s[4+len(q):]
				continue
			}
		}
		// A network error: up to the next reply or the list of recipients.
		end := len(s)
		for i := 0; i+2 < len(s); i++ {
			if s[i] == ',' && s[i+1] == ' ' && (isReplyStart(s[i+2:]) || strings.HasPrefix(s[i:], ", affected recipient(s): ")) {
				end = i
				break
			}
		}
		out = append(out, reply{text: oneLine(sec.redact(s[:end]))})
		s = s[end:]
	}
	return out
}

// isReplyStart reports whether s starts like a quoted *textproto.Error.
func isReplyStart(s string) bool {
	return len(s) >= 5 && s[0] >= '2' && s[0] <= '5' && isDigit(s[1]) && isDigit(s[2]) && s[3] == ' ' && s[4] == '"'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// enhancedIn returns the RFC 3463 code at the start of a reply text, or "".
func enhancedIn(text string) string {
	f, _, _ := strings.Cut(text, " ")
	parts := strings.Split(f, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || !strings.Contains("245", parts[0]) {
		return ""
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return ""
		}
	}
	return f
}

// oneLine joins the lines of a multi-line reply so that logs keep one entry per line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

// secret removes the password from texts, in the forms an SMTP exchange carries it: as it
// is, in base64 (LOGIN), and inside the PLAIN and XOAUTH2 initial responses.
type secret struct{ forms []string }

func newSecret(user, password string) secret {
	if password == "" {
		return secret{}
	}
	b64 := base64.StdEncoding.EncodeToString
	return secret{forms: []string{
		password,
		b64([]byte(password)),
		b64([]byte("\x00" + user + "\x00" + password)),
		b64([]byte("user=" + user + "\x01auth=Bearer " + password + "\x01\x01")),
	}}
}

func (s secret) redact(text string) string {
	for _, f := range s.forms {
		if f != "" && strings.Contains(text, f) {
			text = strings.ReplaceAll(text, f, "[password]")
		}
	}
	return text
}
