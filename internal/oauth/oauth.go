// Package oauth signs herald in to Microsoft 365 and Google with the OAuth2 device
// authorization grant (RFC 8628), for XOAUTH2 over SMTP and IMAP where the provider no
// longer takes passwords.
//
// herald login calls [Start], shows the user the verification address and the user code
// (they are meant to be seen; nothing else here is), and calls [Authorization.Wait], which
// polls the token endpoint at the interval the provider asks for, slowing down when told
// to. The refresh token it gets is kept in a file of its own per provider and account,
// mode 0600, in os.UserConfigDir()/herald; access tokens are never written anywhere:
// [AccessToken] gets a fresh one from the refresh token for each run, and keeps the new
// refresh token when the provider rotates it. herald logout calls [Logout].
//
// No token, device code, client secret or refresh token appears in an error or in what a
// value of this package prints; the provider's error code and description do.
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mla-initiative/herald/internal/problem"
)

// Provider is an identity provider's device authorization and token endpoints, and the
// scopes herald asks for.
type Provider struct {
	// Name is "microsoft" or "google"; it names the token file.
	Name          string
	DeviceAuthURL string
	TokenURL      string
	Scopes        []string
}

// Microsoft is Microsoft 365 (Entra ID) for the given tenant (its ID or domain, from the
// ministry's app registration), with the permissions to send by SMTP and read by IMAP.
// offline_access is what gives a refresh token. An empty tenant is "organizations", any
// work or school account, which only an app registered for several tenants accepts.
func Microsoft(tenant string) Provider {
	if tenant == "" {
		tenant = "organizations"
	}
	base := "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0"
	return Provider{
		Name:          "microsoft",
		DeviceAuthURL: base + "/devicecode",
		TokenURL:      base + "/token",
		Scopes: []string{"https://outlook.office.com/SMTP.Send",
			"https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"},
	}
}

// Google is Google Workspace or Gmail; https://mail.google.com/ is the one scope that covers
// SMTP and IMAP.
func Google() Provider {
	return Provider{
		Name:          "google",
		DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
		TokenURL:      "https://oauth2.googleapis.com/token",
		Scopes:        []string{"https://mail.google.com/"},
	}
}

// Config is one sign-in: a provider, the ministry's app registration, and the account.
type Config struct {
	Provider Provider
	// ClientID is the app registration's client (application) ID.
	ClientID string
	// ClientSecret is needed by Google's "TVs and Limited Input devices" clients; Microsoft
	// public clients have none.
	ClientSecret string
	// Account is the mailbox signed in, such as protocol@ministry.example: each account
	// has its own token file.
	Account string
	// Dir holds the token files; os.UserConfigDir()/herald when empty.
	Dir string
	// HTTPClient is used for every request; http.DefaultClient when nil.
	HTTPClient *http.Client
}

func (cfg Config) oauth2() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Scopes:       cfg.Provider.Scopes,
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: cfg.Provider.DeviceAuthURL,
			TokenURL:      cfg.Provider.TokenURL,
			// Both providers take the client in the form; auto-detection would try a
			// Basic header first and, with a public client, send an empty secret.
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

func (cfg Config) context(ctx context.Context) context.Context {
	if cfg.HTTPClient != nil {
		return context.WithValue(ctx, oauth2.HTTPClient, cfg.HTTPClient)
	}
	return ctx
}

func (cfg Config) check() error {
	switch {
	case cfg.Provider.Name == "" || cfg.Provider.TokenURL == "":
		return errors.New("oauth: no provider")
	case cfg.ClientID == "":
		return problem.WithHint(fmt.Errorf("oauth: no client ID for %s", cfg.Provider.Name),
			"set the client ID of the ministry's app registration (see the README)")
	case cfg.Account == "":
		return problem.WithHint(fmt.Errorf("oauth: no account to sign in to %s", cfg.Provider.Name),
			"the account is the sender's mailbox, the SMTP user")
	}
	return nil
}

// Authorization is a device authorization under way: show VerificationURI and UserCode
// to the user, then Wait.
type Authorization struct {
	// VerificationURI is where the user signs in, on any device.
	VerificationURI string
	// VerificationURIComplete, when the provider gives it, has the code in it already.
	VerificationURIComplete string
	// UserCode is the code the user types there.
	UserCode string
	// Expires is when the code stops working.
	Expires time.Time

	cfg Config
	// The device code is a secret: behind a pointer, %v and %+v print its address only.
	device *oauth2.DeviceAuthResponse
}

// Start asks the provider for a device code and the user code to show.
func Start(ctx context.Context, cfg Config) (*Authorization, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	da, err := cfg.oauth2().DeviceAuth(cfg.context(ctx))
	if err != nil {
		return nil, describe(fmt.Sprintf("asking %s for a sign-in code", cfg.Provider.Name), err, cfg)
	}
	return &Authorization{
		VerificationURI:         da.VerificationURI,
		VerificationURIComplete: da.VerificationURIComplete,
		UserCode:                da.UserCode,
		Expires:                 da.Expiry,
		cfg:                     cfg,
		device:                  da,
	}, nil
}

// Wait polls until the user has signed in (or declined, or the code expired), at the
// provider's interval, five seconds more after each slow_down, and keeps the refresh
// token. It returns the token file's path.
func (a *Authorization) Wait(ctx context.Context) (string, error) {
	cfg := a.cfg
	tok, err := cfg.oauth2().DeviceAccessToken(cfg.context(ctx), a.device)
	if err != nil {
		return "", describe(fmt.Sprintf("waiting for the sign-in to %s as %s", cfg.Provider.Name, cfg.Account), err, cfg,
			a.device.DeviceCode)
	}
	if tok.RefreshToken == "" {
		return "", problem.WithHint(fmt.Errorf("oauth: %s gave no refresh token", cfg.Provider.Name),
			"the app registration must allow offline access (scope offline_access)")
	}
	return save(cfg, tok.RefreshToken)
}

// AccessToken returns a fresh access token for XOAUTH2, from the kept refresh token. The
// access token is for this run only: it is not written anywhere.
func AccessToken(ctx context.Context, cfg Config) (string, error) {
	if err := cfg.check(); err != nil {
		return "", err
	}
	stored, path, err := load(cfg)
	if err != nil {
		return "", err
	}
	tok, err := cfg.oauth2().TokenSource(cfg.context(ctx), &oauth2.Token{RefreshToken: stored.RefreshToken}).Token()
	if err != nil {
		return "", describe(fmt.Sprintf("renewing the sign-in to %s as %s", cfg.Provider.Name, cfg.Account), err, cfg,
			stored.RefreshToken)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != stored.RefreshToken {
		// Microsoft rotates refresh tokens: the old one stops working some time later.
		if _, err := save(cfg, tok.RefreshToken); err != nil {
			return "", err
		}
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("oauth: %s gave no access token (token file %s)", cfg.Provider.Name, path)
	}
	return tok.AccessToken, nil
}

// Logout forgets the sign-in: the token file is removed. It reports whether there was one.
// The provider keeps the grant until it expires or is revoked in the account's settings.
func Logout(cfg Config) (bool, error) {
	path, err := TokenFile(cfg)
	if err != nil {
		return false, err
	}
	err = os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("oauth: removing the token file: %w", err)
	}
	return true, nil
}

// TokenFile returns the path of the token file of cfg's provider and account.
func TokenFile(cfg Config) (string, error) {
	dir := cfg.Dir
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", problem.WithHint(fmt.Errorf("oauth: finding the folder for herald's settings: %w", err),
				"set HOME (or %AppData% on Windows)")
		}
		dir = filepath.Join(base, "herald")
	}
	return filepath.Join(dir, "oauth-"+cfg.Provider.Name+"-"+fileSafe(cfg.Account)+".json"), nil
}

// fileSafe keeps an account readable in a file name and unable to leave the folder: no
// separator survives, and the name starts with "oauth-".
func fileSafe(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("@.+_-", c) >= 0) {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// stored is the token file.
type stored struct {
	Provider     string    `json:"provider"`
	Account      string    `json:"account"`
	ClientID     string    `json:"client_id"`
	TokenURL     string    `json:"token_url"`
	RefreshToken string    `json:"refresh_token"`
	Saved        time.Time `json:"saved"`
}

// save writes the token file, mode 0600, through a temporary file renamed over the old
// one: a crash leaves the old token or the new one, never half of one.
func save(cfg Config, refresh string) (string, error) {
	path, err := TokenFile(cfg)
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(stored{Provider: cfg.Provider.Name, Account: cfg.Account, ClientID: cfg.ClientID,
		TokenURL: cfg.Provider.TokenURL, RefreshToken: refresh, Saved: time.Now().UTC()}, "", "  ")
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("oauth: making the folder for the token file: %w", err)
	}
	f, err := os.CreateTemp(dir, ".oauth-*.tmp") // CreateTemp makes it 0600
	if err != nil {
		return "", fmt.Errorf("oauth: writing the token file: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("oauth: writing the token file %s: %w", path, err)
	}
	return path, nil
}

func load(cfg Config) (stored, string, error) {
	var s stored
	path, err := TokenFile(cfg)
	if err != nil {
		return s, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, path, problem.WithHint(fmt.Errorf("oauth: not signed in to %s as %s", cfg.Provider.Name, cfg.Account),
			"run herald login")
	}
	if err != nil {
		return s, path, fmt.Errorf("oauth: reading the token file: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil || s.RefreshToken == "" {
		// The file's text is not quoted: it holds a token.
		return s, path, problem.WithHint(fmt.Errorf("oauth: the token file %s is damaged", path),
			"run herald logout, then herald login")
	}
	return s, path, nil
}

// describe turns an oauth2 error into one that says what was being done, without the
// response body (oauth2.RetrieveError quotes it when it has no error code) and scrubbed
// of any secret, with advice for the errors RFC 6749 and RFC 8628 name.
func describe(doing string, err error, cfg Config, secrets ...string) error {
	var re *oauth2.RetrieveError
	var msg string
	var hints []string
	switch {
	case errors.As(err, &re):
		switch {
		case re.ErrorCode != "":
			msg = re.ErrorCode
			if re.ErrorDescription != "" {
				msg += ": " + firstLine(re.ErrorDescription)
			}
		case re.Response != nil:
			msg = "the server answered " + re.Response.Status
		default:
			msg = "the server refused"
		}
		switch re.ErrorCode {
		case "expired_token":
			hints = append(hints, "the code was not entered in time: run herald login again")
		case "access_denied":
			hints = append(hints, "the sign-in was declined; run herald login again to retry")
		case "invalid_grant":
			hints = append(hints, "the sign-in has expired or was revoked: run herald login again")
		case "invalid_client", "unauthorized_client":
			hints = append(hints, "check the client ID (and, for Google, the client secret) of the app registration, and that it allows the device code flow (\"public client\" in Microsoft Entra)")
		case "invalid_scope":
			hints = append(hints, "the app registration must be granted the permissions the README lists")
		}
	case errors.Is(err, context.DeadlineExceeded):
		msg = "the code expired before the sign-in was done"
		hints = append(hints, "run herald login again")
	case errors.Is(err, context.Canceled):
		msg = "stopped"
	default:
		msg = err.Error()
		hints = append(hints, "check the connection to "+hostOf(cfg.Provider.TokenURL))
	}
	for _, s := range append(secrets, cfg.ClientSecret) {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return problem.WithHint(fmt.Errorf("oauth: %s: %s", doing, msg), hints...)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}
