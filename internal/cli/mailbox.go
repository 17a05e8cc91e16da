package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/mla-initiative/herald/internal/imap"
	"github.com/mla-initiative/herald/internal/oauth"
	"github.com/mla-initiative/herald/internal/problem"
)

// imapOptions are the settings of the sender's mailbox, for herald inbox and send
// --copy-to-sent. They follow the SMTP ones: the user defaults to the SMTP user, and the
// password comes from the same places.
type imapOptions struct {
	host, tls, user, ca, auth string
	port                      int
}

func (o *imapOptions) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "imap-host", Destination: &o.host, Usage: "the IMAP server's `HOST` name (the sender's mailbox)", EnvVars: []string{"HERALD_IMAP_HOST"}},
		&cli.IntFlag{Name: "imap-port", Destination: &o.port, Usage: "the IMAP server's `PORT` (default 993, or 143 with --imap-tls starttls)", EnvVars: []string{"HERALD_IMAP_PORT"}},
		&cli.StringFlag{Name: "imap-tls", Value: imap.ImplicitTLS, Destination: &o.tls, Usage: "`MODE`: tls (implicit, port 993) or starttls (port 143); never in clear", EnvVars: []string{"HERALD_IMAP_TLS"}},
		&cli.StringFlag{Name: "imap-user", Destination: &o.user, Usage: "log in to IMAP as `USER` (default: the SMTP user); the password comes from HERALD_IMAP_PASSWORD, else as the SMTP one", EnvVars: []string{"HERALD_IMAP_USER"}},
		&cli.StringFlag{Name: "imap-auth", Destination: &o.auth, Usage: "`METHOD`: password, or xoauth2 (the sign-in of herald login); default: xoauth2 when --smtp-auth is xoauth2", EnvVars: []string{"HERALD_IMAP_AUTH"}},
		&cli.StringFlag{Name: "imap-ca", Destination: &o.ca, Usage: "also trust the certificate authority in `FILE` (PEM), for a server with a private CA", EnvVars: []string{"HERALD_IMAP_CA"}},
	}
}

// config checks the settings and turns them into an imap.Config without credentials;
// smtpUser and smtpAuth are the SMTP settings the IMAP ones default to. It also says
// whether to log in with XOAUTH2.
func (o *imapOptions) config(smtpUser, smtpAuth string) (imap.Config, bool, error) {
	cfg := imap.Config{Host: o.host, Port: o.port, TLS: strings.ToLower(o.tls), CAFile: o.ca, User: o.user}
	if cfg.User == "" {
		cfg.User = smtpUser
	}
	switch {
	case cfg.Host == "":
		return cfg, false, usageHint(errors.New("no IMAP server"), "give --imap-host, or imap_host in herald.toml (the server of the sender's mailbox, such as outlook.office365.com or imap.gmail.com)")
	case cfg.TLS != imap.ImplicitTLS && cfg.TLS != imap.StartTLS:
		return cfg, false, usagef("--imap-tls %q: want tls (port 993) or starttls (port 143); herald never logs in in clear", o.tls)
	case cfg.Port < 0 || cfg.Port > 65535:
		return cfg, false, usagef("--imap-port %d is not a port number", cfg.Port)
	case cfg.User == "":
		return cfg, false, usageHint(errors.New("no IMAP user"), "give --imap-user, or --smtp-user (smtp_user in herald.toml), which it defaults to")
	}
	xoauth2 := false
	switch strings.ToLower(o.auth) {
	case "":
		xoauth2 = strings.EqualFold(smtpAuth, "xoauth2")
	case "xoauth2":
		xoauth2 = true
	case "password", "plain", "login":
	default:
		return cfg, false, usagef("--imap-auth %q: want password or xoauth2", o.auth)
	}
	return cfg, xoauth2, nil
}

// oauthOptions name the ministry's app registration for herald login and XOAUTH2.
type oauthOptions struct {
	provider, tenant, clientID string
	// deviceURL and tokenURL replace the provider's endpoints: a national cloud, or a test.
	deviceURL, tokenURL string
}

func (o *oauthOptions) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "oauth-provider", Destination: &o.provider, Usage: "sign in with `PROVIDER`: microsoft (Microsoft 365) or google, for XOAUTH2 (see herald login)", EnvVars: []string{"HERALD_OAUTH_PROVIDER"}},
		&cli.StringFlag{Name: "oauth-tenant", Destination: &o.tenant, Usage: "Microsoft: the `TENANT` (ID or domain) of the app registration (default: organizations)", EnvVars: []string{"HERALD_OAUTH_TENANT"}},
		&cli.StringFlag{Name: "oauth-client-id", Destination: &o.clientID, Usage: "the client (application) `ID` of the ministry's app registration; a client secret, where Google needs one, comes from HERALD_OAUTH_CLIENT_SECRET or oauth_client_secret in herald.toml", EnvVars: []string{"HERALD_OAUTH_CLIENT_ID"}},
		&cli.StringFlag{Name: "oauth-device-url", Destination: &o.deviceURL, Hidden: true, Usage: "the provider's device authorization `URL`, for a national cloud", EnvVars: []string{"HERALD_OAUTH_DEVICE_URL"}},
		&cli.StringFlag{Name: "oauth-token-url", Destination: &o.tokenURL, Hidden: true, Usage: "the provider's token `URL`, for a national cloud", EnvVars: []string{"HERALD_OAUTH_TOKEN_URL"}},
	}
}

// set reports whether a provider is named: XOAUTH2 then uses herald login's sign-in.
func (o *oauthOptions) set() bool { return o.provider != "" }

// config returns the sign-in of account. clientSecret is oauth_client_secret from the
// config file; HERALD_OAUTH_CLIENT_SECRET beats it.
func (o *oauthOptions) config(account, clientSecret string) (oauth.Config, error) {
	var p oauth.Provider
	switch strings.ToLower(o.provider) {
	case "microsoft", "microsoft365", "m365", "office365":
		p = oauth.Microsoft(o.tenant)
	case "google", "gmail":
		p = oauth.Google()
	case "":
		return oauth.Config{}, usageHint(errors.New("no OAuth2 provider"), "give --oauth-provider microsoft or google (oauth_provider in herald.toml)")
	default:
		return oauth.Config{}, usagef("--oauth-provider %q: want microsoft or google", o.provider)
	}
	if o.deviceURL != "" {
		p.DeviceAuthURL = o.deviceURL
	}
	if o.tokenURL != "" {
		p.TokenURL = o.tokenURL
	}
	if s, ok := os.LookupEnv("HERALD_OAUTH_CLIENT_SECRET"); ok && s != "" {
		clientSecret = s
	}
	if account == "" {
		return oauth.Config{}, usageHint(errors.New("no account to sign in"), "give --smtp-user (smtp_user in herald.toml): the sender's mailbox, such as protocol@ministry.example")
	}
	return oauth.Config{Provider: p, ClientID: o.clientID, ClientSecret: clientSecret, Account: account}, nil
}

// secretRequest says where a password, or an OAuth2 access token, may come from, in the
// order tried: variables, password_command, herald login's sign-in (signIn, for XOAUTH2
// with a provider set), a hidden prompt on the terminal.
type secretRequest struct {
	what       string // "SMTP user secretariat", for messages
	user, host string
	envs       []string
	command    string
	signIn     *oauth.Config
	noPrompt   bool
	hint       string // how to give it, when nothing did
}

// findSecret never takes a secret from the command line, where other users of the machine
// could read it.
func findSecret(ctx context.Context, s Streams, req secretRequest) (string, error) {
	for _, name := range req.envs {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			return v, nil
		}
	}
	if cmdline := req.command; cmdline != "" {
		return runPasswordCommand(ctx, cmdline)
	}
	if req.signIn != nil {
		return oauth.AccessToken(ctx, *req.signIn)
	}
	if !s.InteractiveIn || req.noPrompt {
		return "", problem.WithHint(fmt.Errorf("no password for %s", req.what), req.hint)
	}
	f, ok := s.In.(*os.File)
	if !ok {
		return "", fmt.Errorf("no password for %s", req.what)
	}
	fd := int(f.Fd())
	// ReadPassword turns echo off until it returns, and Ctrl-C does not make it return:
	// herald then stops without it, so the terminal is put back here.
	saved, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprintf(s.Err, "Password for %s at %s: ", req.user, req.host)
	pw, err := readOrInterrupt(ctx, func() ([]byte, error) { return term.ReadPassword(fd) })
	fmt.Fprintln(s.Err)
	if errors.Is(err, errInterruptedAtPrompt) {
		_ = term.Restore(fd, saved)
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(pw), nil
}

// imapCredentials completes cfg with the password, or with an access token for XOAUTH2:
// HERALD_IMAP_PASSWORD, else where the SMTP password comes from; for XOAUTH2, herald
// login's sign-in when a provider is set, and never a prompt.
func imapCredentials(ctx context.Context, s Streams, cfg *imap.Config, xoauth2 bool, oo *oauthOptions, settings configSettings) error {
	req := secretRequest{
		what: "IMAP user " + cfg.User, user: cfg.User, host: cfg.Host,
		envs:    []string{"HERALD_IMAP_PASSWORD", "HERALD_SMTP_PASSWORD"},
		command: settings.extra["password-command"],
		hint:    "set HERALD_IMAP_PASSWORD (or HERALD_SMTP_PASSWORD when it is the same), or password_command in herald.toml",
	}
	if xoauth2 {
		req.noPrompt = true
		req.hint = "sign in once with herald login (with oauth_provider and oauth_client_id in herald.toml), or give an access token in HERALD_IMAP_PASSWORD"
		if oo.set() {
			sc, err := oo.config(cfg.User, settings.extra["oauth-client-secret"])
			if err != nil {
				return err
			}
			req.signIn = &sc
		}
	}
	secret, err := findSecret(ctx, s, req)
	if err != nil {
		return err
	}
	if xoauth2 {
		cfg.Token = secret
	} else {
		cfg.Password = secret
	}
	return nil
}

// maxPasswordLine bounds what is read of password_command's output: a password, not a file.
const maxPasswordLine = 4 << 10

// passwordCommandTimeout bounds the wait for password_command's first line; a password
// manager may ask for its own passphrase first, which takes a person some time.
const passwordCommandTimeout = 2 * time.Minute

// runPasswordCommand runs password_command and takes the first line it prints, as msmtp's
// passwordeval does: password managers print the password on the first line and notes after
// it (pass show, gopass). Only that line is read, at most maxPasswordLine bytes of it, and
// the command is not waited for once it has given it: a command that prints without end,
// or stays running, costs nothing.
func runPasswordCommand(ctx context.Context, cmdline string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, passwordCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", cmdline)
	// Killing sh leaves what it started (yes, sleep) holding the output open; Wait does not
	// wait for them longer than this.
	cmd.WaitDelay = time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("password_command: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", problem.WithHint(fmt.Errorf("password_command in the config file failed: %v", err), "run the command yourself to see why; it must print the password on its first line")
	}
	line, readErr := bufio.NewReaderSize(io.LimitReader(out, maxPasswordLine+1), maxPasswordLine+1).ReadSlice('\n')
	pw := strings.TrimRight(string(line), "\r\n")
	// A command that gave its line and ends is judged by its exit status; one that goes on
	// running (or printing) is not waited for.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-time.After(time.Second):
		cancel()
		<-exited
	}
	failed := func(err error) error {
		// What it wrote on stderr is not shown: a password manager may write secrets there.
		return problem.WithHint(fmt.Errorf("password_command in the config file failed: %v", err), "run the command yourself to see why; it must print the password on its first line")
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded && readErr != nil && pw == "":
		return "", problem.WithHint(fmt.Errorf("password_command in the config file printed no line within %s", passwordCommandTimeout), "run the command yourself to see why; it must print the password on its first line")
	case waitErr != nil && ctx.Err() == nil:
		return "", failed(waitErr)
	case len(line) > maxPasswordLine:
		return "", problem.WithHint(errors.New("password_command in the config file printed a first line longer than any password"), "the command must print the password on its first line")
	case pw == "":
		return "", problem.WithHint(errors.New("password_command in the config file printed nothing on its first line"), "the command must print the password on its first line")
	}
	return pw, nil
}
