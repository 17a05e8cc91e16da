package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"

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
	// reply joined by spaces, cut after 4 KiB; several replies (one per refused recipient)
	// are separated by "; ". On success it is the reply to the final dot, which often names
	// the queue ID. It is empty when no reply came.
	Reply string
	// Err names each failed command and what happened ("RCPT TO:<a@example.org>: 550 …",
	// "end of message: the server closed the connection"); it unwraps to the causes
	// (*textproto.Error, network errors). Nil when Delivered without incident.
	Err error
	// Redial: the connection is unusable; dial again before the next message.
	Redial bool
}

// Sender delivers messages over one SMTP connection: go-mail's smtp.Client, after Dial has
// connected, secured and logged in. It is not safe for concurrent use; parallel sending
// needs one Sender per connection.
type Sender struct {
	client  *smtp.Client
	timeout time.Duration
	secret  secret
	buf     []byte // the message being sent; kept for the next one
	broken  error  // set once an Outcome asked for a redial
	closed  bool
}

// Send delivers one message: MAIL FROM, RCPT TO for each recipient, DATA with the bytes of
// AppendEML, each a command of go-mail's smtp.Client whose refusal is a *textproto.Error
// with the server's code, so that the outcome follows from the step and the code alone
// (see the package documentation).
//
// A context already cancelled sends nothing; once the transaction has started it runs to
// its end (bounded by the timeout), because abandoning it after the final dot would leave
// the message in an unknown state.
func (s *Sender) Send(ctx context.Context, m *message.Message) Outcome {
	if s.broken != nil {
		return Outcome{Status: TempFailure, Redial: true, Err: s.broken}
	}
	if err := ctx.Err(); err != nil {
		return Outcome{Status: TempFailure, Err: fmt.Errorf("send message: %w", err)}
	}
	data, err := AppendEML(s.buf[:0], m)
	if err != nil {
		return Outcome{Status: PermFailure, Err: err}
	}
	if len(envelope(m)) == 0 {
		return Outcome{Status: PermFailure, Err: errors.New("every recipient of the message is withheld: nobody to send it to")}
	}
	if cap(data) <= maxKeptBuffer {
		s.buf = data
	}
	o := s.transact(m, data)
	if o.Redial {
		s.broken = errors.New("connection closed after an earlier failure; dial again")
	}
	return o
}

// maxKeptBuffer: a Sender keeps the buffer of its last message for the next one, unless
// a large attachment made it bigger than this.
const maxKeptBuffer = 1 << 20

// Close ends the session politely with QUIT, or just closes a broken connection. It is
// safe to call more than once.
func (s *Sender) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.broken != nil {
		_ = s.client.Close()
		return nil
	}
	// QUIT is a courtesy: it is not worth the full timeout.
	_ = s.client.UpdateDeadline(min(s.timeout, quitTimeout))
	if err := s.client.Quit(); err != nil {
		_ = s.client.Close()
		return errors.New(s.secret.redact("close SMTP connection: " + err.Error()))
	}
	return nil
}

const quitTimeout = 10 * time.Second

// The steps of a transaction.
type step int

const (
	stepMail    step = iota // MAIL FROM
	stepRcpt                // RCPT TO
	stepData                // the DATA command, before the message
	stepContent             // writing the message
	stepDot                 // the reply to the final dot
)

// failed is one failed command: the server's reply, or no reply (code 0) and why.
type failed struct {
	command string
	reply   reply
	err     error
}

// transact runs one SMTP transaction.
func (s *Sender) transact(m *message.Message, data []byte) Outcome {
	c := s.client
	// go-mail's Mail and Rcpt write the path as given: in angle brackets, with no quoting
	// needed (check has made sure of that).
	from := "<" + m.From.Addr + ">"
	if err := c.UpdateDeadline(s.timeout); err != nil {
		return s.outcome(stepMail, []failed{s.failure("MAIL FROM:"+from, err)})
	}
	if err := c.Mail(from); err != nil {
		return s.reset(s.outcome(stepMail, []failed{s.failure("MAIL FROM:"+from, err)}))
	}
	// Every refusal is collected, so that the bad addresses can be fixed at once; a
	// connection that is gone ends the loop.
	var refused []failed
	for _, to := range envelope(m) {
		_ = c.UpdateDeadline(s.timeout)
		if err := c.Rcpt("<" + to + ">"); err != nil {
			f := s.failure("RCPT TO:<"+to+">", err)
			refused = append(refused, f)
			if f.reply.code == 0 || f.reply.code == 421 {
				break
			}
		}
	}
	if len(refused) > 0 {
		return s.reset(s.outcome(stepRcpt, refused))
	}
	_ = c.UpdateDeadline(s.timeout)
	w, err := c.Data()
	if err != nil {
		return s.reset(s.outcome(stepData, []failed{s.failure("DATA", err)}))
	}
	_ = c.UpdateDeadline(s.timeout)
	if _, err := w.Write(data); err != nil {
		// Some of the message may have gone; its end has not.
		return s.outcome(stepContent, []failed{s.failure("sending the message", err)})
	}
	// The wait after the final dot gets the whole timeout (RFC 5321 allows 10 minutes).
	_ = c.UpdateDeadline(s.timeout)
	err = w.Close()
	var tpErr *textproto.Error
	if err != nil && (!errors.As(err, &tpErr) || tpErr.Code/100 != 2) {
		return s.outcome(stepDot, []failed{s.failure("end of message", err)})
	}
	// Accepted: 250, or any 2xx (which textproto reports as an error).
	o := Outcome{Status: Delivered, Code: 250}
	text := ""
	if tpErr != nil {
		o.Code, text = tpErr.Code, tpErr.Msg
	} else if dc, ok := w.(*smtp.DataCloser); ok {
		text = dc.ServerResponse()
	}
	o.Reply = s.replyText(o.Code, text)
	o.Enhanced = enhancedIn(strings.TrimPrefix(o.Reply, strconv.Itoa(o.Code)+" "))
	// go-mail resets after each message; so does this client, to find a connection the
	// server closed behind its 250 now rather than at the next message.
	_ = c.UpdateDeadline(s.timeout)
	if err := c.Reset(); err != nil {
		o.Redial = true
		o.Err = s.sendError([]failed{s.failure("RSET after the message was delivered", err)})
	}
	return o
}

// reset ends a refused transaction with RSET, unless the connection is to be redialled
// anyway. A failed RSET asks for a redial.
func (s *Sender) reset(o Outcome) Outcome {
	if o.Redial {
		return o
	}
	_ = s.client.UpdateDeadline(s.timeout)
	if err := s.client.Reset(); err != nil {
		o.Redial = true
		f := s.failure("RSET", err)
		o.Err = &sendError{text: o.Err.Error() + "; " + f.String(), errs: []error{o.Err, f.err}}
	}
	return o
}

// envelope returns the RCPT TO addresses: To, Cc and Bcc, each mailbox once (a mailbox
// named twice in one envelope can receive two copies on some servers), but those withheld.
func envelope(m *message.Message) []string {
	out := make([]string, 0, len(m.To)+len(m.Cc)+len(m.Bcc))
	seen := make(map[string]bool, cap(out))
	for _, k := range m.Withheld {
		seen[k] = true
	}
	for _, list := range [][]message.Address{m.To, m.Cc, m.Bcc} {
		for _, a := range list {
			if k := a.Key(); !seen[k] {
				seen[k] = true
				out = append(out, a.Addr)
			}
		}
	}
	return out
}

// failure describes a failed command.
func (s *Sender) failure(command string, err error) failed {
	f := failed{command: command, err: err}
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) && tpErr.Code != 0 {
		text := s.replyText(tpErr.Code, tpErr.Msg)
		f.reply = reply{code: tpErr.Code, enhanced: enhancedIn(strings.TrimPrefix(text, strconv.Itoa(tpErr.Code)+" ")), text: text}
		return f
	}
	f.reply = reply{text: oneLine(s.secret.redact(noReply(err, s.timeout)))}
	return f
}

func (f failed) String() string { return f.command + ": " + f.reply.text }

// replyText is a reply as the server sent it, "550 5.1.1 text" on one line, without the
// password, cut to maxReplyKept.
func (s *Sender) replyText(code int, text string) string {
	// Redact first: a cut could leave the start of the password.
	return strconv.Itoa(code) + " " + oneLine(cutReply(s.secret.redact(text)))
}

// noReply says why no reply came.
func noReply(err error, timeout time.Duration) string {
	var netErr net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "no reply within " + timeout.String()
	}
	return err.Error()
}

// outcome classifies the failure of a transaction at step, following the rules in doc.go.
func (s *Sender) outcome(at step, fs []failed) Outcome {
	var o Outcome
	var replies []string
	for _, f := range fs {
		if f.reply.code != 0 {
			replies = append(replies, f.reply.text)
		}
		if f.reply.code == 0 || f.reply.code == 421 {
			o.Redial = true
		}
	}
	o.Reply = strings.Join(replies, "; ")
	o.Err = s.sendError(fs)
	// The reply that decides is the first permanent one (of several refused recipients),
	// else the first from the server; a lost connection comes last.
	decisive := fs[0].reply
	if i := slices.IndexFunc(fs, func(f failed) bool { return f.reply.code/100 == 5 }); i >= 0 {
		decisive = fs[i].reply
	} else if i := slices.IndexFunc(fs, func(f failed) bool { return f.reply.code != 0 }); i >= 0 {
		decisive = fs[i].reply
	}
	o.Code, o.Enhanced = decisive.code, decisive.enhanced
	switch {
	case o.Code == 0 && at >= stepContent:
		// The message may have reached the server whole; only its reply was lost.
		o.Status = Unknown
	case o.Code == 0:
		// Nothing was sent: the connection failed before the message.
		o.Status = TempFailure
	case o.Code/100 == 5 && stopsRun(at, o.Code, o.Enhanced):
		o.Status = Stop
	case o.Code/100 == 5:
		o.Status = PermFailure
	default:
		o.Status = TempFailure
	}
	return o
}

// stopsRun reports whether a permanent reply concerns the sender or the session rather than
// this message, so that every following message would get it too.
func stopsRun(at step, code int, enhanced string) bool {
	switch {
	case code == 530 || code == 534 || code == 535 || code == 538:
		// Authentication required, too weak, failed, or needs encryption.
		return true
	case enhanced == "5.4.5" || enhanced == "5.2.0":
		// Sending quota (Gmail 5.4.5; Exchange 5.2.0 SubmissionQuotaExceeded).
		return true
	case at == stepMail:
		// MAIL FROM carries only the sender, the same for every message.
		return true
	case strings.HasPrefix(enhanced, "5.7.") && at != stepRcpt:
		// Policy on the sender or the content (send-as denied, spam), which the next
		// message shares; a 5.7.x on RCPT concerns that recipient.
		return true
	}
	return false
}

// reply is one server reply, or a lost connection (code 0) in its place.
type reply struct {
	code     int
	enhanced string
	text     string // "550 5.1.1 text", or why no reply came
}

// sendError is an Outcome's error: every failed command with what the server said, free of
// the password. It unwraps to the causes (a *textproto.Error, a network error) unless the
// server repeated the password in them.
type sendError struct {
	text string
	errs []error
}

func (e *sendError) Error() string   { return e.text }
func (e *sendError) Unwrap() []error { return e.errs }

func (s *Sender) sendError(fs []failed) error {
	texts := make([]string, len(fs))
	errs := make([]error, 0, len(fs))
	for i, f := range fs {
		texts[i] = f.String()
		if s.secret.redact(f.err.Error()) == f.err.Error() {
			errs = append(errs, f.err)
		}
	}
	return &sendError{text: strings.Join(texts, "; "), errs: errs}
}

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
