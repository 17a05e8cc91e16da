package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/oauth"
	"github.com/mla-initiative/herald/internal/screen"
)

// loginOptions are the settings of herald login and herald logout.
type loginOptions struct {
	config                      string
	oauth                       oauthOptions
	smtpUser, imapUser, account string
	fromConfig                  configSettings
}

func (o *loginOptions) flags() []cli.Flag {
	return slices.Concat([]cli.Flag{
		&cli.StringFlag{Name: "config", Destination: &o.config, Usage: "read settings from `FILE` (default ./herald.toml when present)", EnvVars: []string{"HERALD_CONFIG"}},
		&cli.StringFlag{Name: "account", Destination: &o.account, Usage: "the mailbox to sign in, `ADDRESS` (default: --smtp-user, else --imap-user)"},
		&cli.StringFlag{Name: "smtp-user", Destination: &o.smtpUser, Usage: "the SMTP `USER`: the account signed in by default", EnvVars: []string{"HERALD_SMTP_USER"}},
		&cli.StringFlag{Name: "imap-user", Destination: &o.imapUser, Usage: "the IMAP `USER`, when there is no SMTP user", EnvVars: []string{"HERALD_IMAP_USER"}},
	}, o.oauth.flags())
}

func (o *loginOptions) before(cfg *configFile) cli.BeforeFunc {
	return func(c *cli.Context) error {
		settings, err := cfg.apply(c, o.config)
		o.fromConfig = settings
		return err
	}
}

// signIn is the sign-in the options name.
func (o *loginOptions) signIn() (oauth.Config, error) {
	account := o.account
	for _, a := range []string{o.smtpUser, o.imapUser} {
		if account == "" {
			account = a
		}
	}
	return o.oauth.config(account, o.fromConfig.extra["oauth-client-secret"])
}

func loginCommand(s Streams, cfg *configFile) *cli.Command {
	o := &loginOptions{}
	return &cli.Command{
		Name:  "login",
		Usage: "sign in to Microsoft 365 or Google once, for XOAUTH2 on SMTP and IMAP",
		Description: `Signs the sender's mailbox in with the OAuth2 device authorization grant: herald shows
an address and a code, you open the address on any device, enter the code and sign in.
herald keeps the refresh token it is given in a file readable by you only, in your
settings folder (on Linux ~/.config/herald, on Windows %AppData%\herald, on macOS
~/Library/Application Support/herald), and gets a fresh access token from it for each run:
--smtp-auth xoauth2 without a password, and herald inbox with --imap-auth xoauth2, use it.

It needs the ministry's own app registration: --oauth-provider microsoft (with
--oauth-tenant) or google, and --oauth-client-id; Google's "TVs and Limited Input devices"
clients also need their client secret, in HERALD_OAUTH_CLIENT_SECRET or
oauth_client_secret in herald.toml. The README lists the permissions the registration needs.

Examples:
   herald login --oauth-provider microsoft --oauth-tenant ministry.example \
                --oauth-client-id 0b1c2d3e-... --smtp-user protocol@ministry.example
   herald logout`,
		Before: o.before(cfg),
		Flags:  o.flags(),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runLogin(c.Context, s, o)
		},
	}
}

func logoutCommand(s Streams, cfg *configFile) *cli.Command {
	o := &loginOptions{}
	return &cli.Command{
		Name:  "logout",
		Usage: "forget the sign-in of herald login",
		Description: `Removes the file in which herald login kept the sign-in of the account. The provider
keeps the grant until it expires; revoke it in the account's security settings to end it
at once.`,
		Before: o.before(cfg),
		Flags:  o.flags(),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runLogout(s, o)
		},
	}
}

func runLogin(ctx context.Context, s Streams, o *loginOptions) error {
	sc, err := o.signIn()
	if err != nil {
		return err
	}
	if sc.ClientID == "" {
		return usageHint(errors.New("no client ID"), "give --oauth-client-id (oauth_client_id in herald.toml): the client (application) ID of the ministry's app registration, as the README describes")
	}
	a, err := oauth.Start(ctx, sc)
	if err != nil {
		return err
	}
	// The address and the user code are meant to be seen: nothing else of the exchange is
	// ever shown.
	fmt.Fprintf(s.Err, "To sign in %s to %s, open this address on any device:\n\n    %s\n\nand enter the code  %s\n\n",
		sc.Account, sc.Provider.Name, screen.CleanLine(a.VerificationURI), screen.CleanLine(a.UserCode))
	if a.VerificationURIComplete != "" && a.VerificationURIComplete != a.VerificationURI {
		fmt.Fprintf(s.Err, "(or open %s, which holds the code)\n", screen.CleanLine(a.VerificationURIComplete))
	}
	if !a.Expires.IsZero() {
		fmt.Fprintf(s.Err, "The code works until %s. Waiting for the sign-in (Ctrl-C stops)…\n", a.Expires.Local().Format("15:04"))
	}
	path, err := a.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: not signed in (%w)", ctx.Err())
		}
		return err
	}
	fmt.Fprintf(s.Out, "Signed in %s to %s. herald keeps the sign-in in %s (readable by you only) and renews access tokens itself; herald logout forgets it.\n",
		sc.Account, sc.Provider.Name, path)
	return nil
}

func runLogout(s Streams, o *loginOptions) error {
	sc, err := o.signIn()
	if err != nil {
		return err
	}
	path, err := oauth.TokenFile(sc)
	if err != nil {
		return err
	}
	found, err := oauth.Logout(sc)
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(s.Out, "No sign-in of %s to %s was kept (%s).\n", sc.Account, sc.Provider.Name, path)
		return nil
	}
	fmt.Fprintf(s.Out, "Signed out %s from %s: removed %s. The provider keeps the grant until it expires; revoke it in the account's security settings to end it now.\n",
		sc.Account, sc.Provider.Name, path)
	return nil
}
