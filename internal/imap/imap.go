// Package imap reads the sender's mailbox for herald inbox. It is the only package that
// imports an IMAP library, so that the rules below are kept in one place:
//
//   - Read-only, always: folders are opened with EXAMINE, never SELECT, and bodies fetched
//     with BODY.PEEK, so that no flag is set. Nothing here stores flags, copies, moves,
//     expunges or deletes. The one write is [Client.Append], which herald send --copy-to-sent
//     uses to file a copy of a delivered message; reading never calls it.
//   - Encrypted, always: implicit TLS (port 993) or STARTTLS, verified against the system's
//     roots plus an optional CA file. There is no way to skip verification or to log in
//     in clear.
//   - Incremental: [Client.Scan] is given the folder's remembered UIDVALIDITY and last UID
//     and reads only newer messages. A changed UIDVALIDITY means the server renumbered the
//     folder: everything is read again, and the result says so.
//   - Bounded: of each message, at most Config.MaxHeader bytes of its header and
//     Config.MaxBody bytes of its body are fetched (partial FETCH), so a 50 MB message costs
//     no more than a small one. Messages are handed over one at a time.
//   - Resumable: the cursor advances only past messages that were handed over and accepted.
//     A connection lost in the middle of a FETCH leaves it at the last message fully
//     processed, and the next run carries on from there.
//
// Passwords and tokens never appear in an error: what the server says is quoted, what was
// sent to it is not, and anything that would contain a secret is scrubbed of it.
package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	goimap "github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
	"github.com/emersion/go-sasl"

	"github.com/mla-initiative/herald/internal/problem"
)

// TLS modes.
const (
	// ImplicitTLS starts TLS on connecting, on port 993 unless told otherwise.
	ImplicitTLS = "tls"
	// StartTLS connects in clear on port 143 and upgrades before anything else is said.
	StartTLS = "starttls"
)

// Defaults of a Config.
const (
	DefaultMaxHeader = 64 << 10
	DefaultMaxBody   = 256 << 10
	DefaultBatch     = 250
	DefaultTimeout   = 60 * time.Second
)

// Config says where the mailbox is and how to log in.
type Config struct {
	Host string
	// Port defaults to 993 with ImplicitTLS and 143 with StartTLS.
	Port int
	// TLS is ImplicitTLS (the default when empty) or StartTLS.
	TLS string
	// CAFile names a PEM file of certificates trusted besides the system's roots, for a
	// ministry's own certificate authority.
	CAFile string
	User   string
	// Password logs in with PLAIN (or LOGIN, when the server offers no PLAIN).
	Password string
	// Token is an OAuth2 access token; when set, herald logs in with XOAUTH2 and Password
	// is not used.
	Token string
	// Timeout bounds connecting and each command; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxHeader and MaxBody bound what is fetched of one message; defaults when zero.
	MaxHeader int
	MaxBody   int
	// Batch is the number of messages asked for in one FETCH; DefaultBatch when zero.
	Batch int
}

func (cfg *Config) defaults() {
	if cfg.TLS == "" {
		cfg.TLS = ImplicitTLS
	}
	if cfg.Port == 0 {
		cfg.Port = 993
		if cfg.TLS == StartTLS {
			cfg.Port = 143
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxHeader <= 0 {
		cfg.MaxHeader = DefaultMaxHeader
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
}

func (cfg *Config) addr() string { return net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)) }

// Client is a logged-in connection to one mailbox. It is not safe for concurrent use.
type Client struct {
	cfg  Config
	c    *client.Client
	conn net.Conn
	stop func() bool // stops closing the connection when the Dial context ends
}

// Dial connects, secures the connection and logs in. ctx bounds the whole life of the
// client: when it ends, the connection is closed and a command under way fails.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg.defaults()
	if cfg.Host == "" {
		return nil, problem.WithHint(errors.New("imap: no server to connect to"), "set --imap-host")
	}
	if cfg.TLS != ImplicitTLS && cfg.TLS != StartTLS {
		return nil, problem.WithHint(fmt.Errorf("imap: unknown TLS mode %q", cfg.TLS),
			"--imap-tls is tls (port 993) or starttls (port 143)")
	}
	tlsConfig, err := tlsConfig(cfg.Host, cfg.CAFile)
	if err != nil {
		return nil, err
	}
	secrets := []string{cfg.Password, cfg.Token}
	where := fmt.Sprintf("%s (%s)", cfg.addr(), cfg.TLS)

	dialer := &net.Dialer{Timeout: cfg.Timeout}
	var conn net.Conn
	if cfg.TLS == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsConfig}).DialContext(ctx, "tcp", cfg.addr())
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", cfg.addr())
	}
	if err != nil {
		return nil, dialHint(fmt.Errorf("imap: connecting to %s: %w", where, scrub(err, secrets)), cfg)
	}
	// The greeting is read by client.New: a server that never greets must not hang herald.
	_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	c, err := client.New(conn)
	if err != nil {
		conn.Close()
		return nil, dialHint(fmt.Errorf("imap: connecting to %s: %w", where, scrub(err, secrets)), cfg)
	}
	_ = conn.SetDeadline(time.Time{})
	c.Timeout = cfg.Timeout
	// The library logs a lost connection to stderr; herald reports it as an error instead.
	c.ErrorLog = log.New(io.Discard, "", 0)
	cl := &Client{cfg: cfg, c: c, conn: conn}
	cl.stop = context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*Client, error) {
		cl.stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("imap: connecting to %s: %w", where, ctx.Err())
		}
		return nil, err
	}

	if cfg.TLS == StartTLS {
		ok, err := c.SupportStartTLS()
		if err != nil {
			return fail(fmt.Errorf("imap: asking %s for its capabilities: %w", where, scrub(err, secrets)))
		}
		if !ok {
			return fail(problem.WithHint(fmt.Errorf("imap: %s offers no STARTTLS, and herald never logs in in clear", where),
				"use --imap-tls tls with the server's TLS port (usually 993)"))
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return fail(dialHint(fmt.Errorf("imap: starting TLS with %s: %w", where, scrub(err, secrets)), cfg))
		}
	}
	if err := cl.login(); err != nil {
		return fail(fmt.Errorf("imap: logging in to %s as %s: %w", where, cfg.User, scrub(err, secrets)))
	}
	return cl, nil
}

func (cl *Client) login() error {
	cfg := cl.cfg
	if cfg.Token != "" {
		ok, err := cl.c.SupportAuth("XOAUTH2")
		if err != nil {
			return err
		}
		if !ok {
			return problem.WithHint(errors.New("the server does not offer XOAUTH2"),
				"log in with a password instead, or check --imap-host")
		}
		return problem.WithHint(cl.c.Authenticate(xoauth2Client(cfg.User, cfg.Token)),
			"the access token was refused: run herald login again")
	}
	if cfg.Password == "" {
		return problem.WithHint(errors.New("no password"), "give the password the way the SMTP one is given, or use XOAUTH2")
	}
	var err error
	if ok, _ := cl.c.SupportAuth(sasl.Plain); ok {
		err = cl.c.Authenticate(sasl.NewPlainClient("", cfg.User, cfg.Password))
	} else {
		err = cl.c.Login(cfg.User, cfg.Password)
	}
	return problem.WithHint(err, "check --imap-user and the password; a provider that requires OAuth2 refuses passwords")
}

// Close logs out and closes the connection.
func (cl *Client) Close() error {
	defer cl.stop()
	err := cl.c.Logout()
	cl.conn.Close()
	if err != nil && !errors.Is(err, client.ErrAlreadyLoggedOut) {
		return fmt.Errorf("imap: logging out of %s: %w", cl.cfg.addr(), err)
	}
	return nil
}

// Folder is a folder of the mailbox, as LIST gives it.
type Folder struct {
	Name string
	// Attributes are the folder's flags, such as \Junk or \Sent (RFC 6154), which tell
	// which folder is the Junk one whatever its name in the user's language.
	Attributes []string
}

// Folders lists the folders of the mailbox.
func (cl *Client) Folders() ([]Folder, error) {
	ch := make(chan *goimap.MailboxInfo, 16)
	done := make(chan error, 1)
	go func() { done <- cl.c.List("", "*", ch) }()
	var out []Folder
	for m := range ch {
		out = append(out, Folder{Name: m.Name, Attributes: m.Attributes})
	}
	if err := <-done; err != nil {
		return nil, fmt.Errorf("imap: listing the folders of %s: %w", cl.cfg.addr(), err)
	}
	return out, nil
}

// Append files msg in folder, marked as read: the one write of this package, for
// --copy-to-sent. It is never called while reading.
func (cl *Client) Append(folder string, msg []byte) error {
	if err := cl.c.Append(folder, []string{goimap.SeenFlag}, time.Now(), bytes.NewBuffer(msg)); err != nil {
		return problem.WithHint(fmt.Errorf("imap: filing a copy in %q on %s: %w", folder, cl.cfg.addr(), err),
			"check the folder's name with the mail program; the message itself was delivered")
	}
	return nil
}

// tlsConfig trusts the system's roots and the certificates of caFile.
func tlsConfig(host, caFile string) (*tls.Config, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, problem.WithHint(fmt.Errorf("imap: reading the CA file: %w", err),
				"--imap-ca names a PEM file with the certificate of the authority that signed the server's")
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, problem.WithHint(fmt.Errorf("imap: the CA file %s holds no PEM certificate", caFile),
				"--imap-ca names a PEM file (-----BEGIN CERTIFICATE-----)")
		}
	}
	return &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// dialHint adds the advice a failed connection most often needs.
func dialHint(err error, cfg Config) error {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var recordHeader tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownAuthority):
		return problem.WithHint(err, "the server's certificate is signed by an authority this computer does not trust: give its certificate with --imap-ca")
	case errors.As(err, &hostname):
		return problem.WithHint(err, "the certificate is for another name: use the host name it names in --imap-host")
	case errors.As(err, &recordHeader):
		if cfg.TLS == ImplicitTLS {
			return problem.WithHint(err, "the server does not speak TLS on this port: use --imap-tls starttls, or port 993")
		}
	}
	return problem.WithHint(err, "check --imap-host, --imap-port and --imap-tls")
}

// scrub replaces any secret in err's text: a server or a library could echo what it was
// sent, and an error is shown to the user and may be written to a log.
func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if len(s) >= 4 && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
			changed = true
		}
	}
	if !changed {
		return err
	}
	// The original is not kept in the chain, where %+v or errors.Unwrap would find it; its
	// advice is.
	return problem.WithHint(errors.New(msg), problem.Hints(err)...)
}
