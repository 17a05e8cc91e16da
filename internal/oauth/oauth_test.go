package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/problem"
)

// Secrets the fake provider hands out; none may appear in an error or in printed values.
const (
	clientID     = "0b1c2d3e-app-registration"
	clientSecret = "GOCSPX-client-secret-9f8e7d"
	deviceCode   = "device-code-secret-5a4b3c"
	userCode     = "WDJB-MJHT"
)

// provider implements the device authorization and token endpoints of RFC 8628 and the
// refresh grant of RFC 6749, answering the device-code polls from a script.
type provider struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	script  []string // answers to successive device-code polls: an error code, or "ok"
	polls   []time.Time
	refresh string // the refresh token currently valid; "" when revoked
	issued  int    // tokens issued, to make each one different
	secret  string // the client secret to require, if any
}

func newProvider(t *testing.T, script ...string) *provider {
	p := &provider{t: t, script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /devicecode", p.deviceCode)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux) // on 127.0.0.1
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) config(t *testing.T, account string) Config {
	return Config{
		Provider: Provider{Name: "microsoft", DeviceAuthURL: p.srv.URL + "/devicecode", TokenURL: p.srv.URL + "/token",
			Scopes: Microsoft("t").Scopes},
		ClientID: clientID, Account: account, Dir: t.TempDir(), HTTPClient: p.srv.Client(),
	}
}

func (p *provider) deviceCode(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("client_id") != clientID ||
		r.FormValue("scope") != "https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All offline_access" {
		p.fail(w, http.StatusBadRequest, "invalid_client", "unknown client or scope "+r.FormValue("scope"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": deviceCode, "user_code": userCode,
		"verification_uri": "https://microsoft.example/devicelogin", "expires_in": 900, "interval": 1,
		"message": "To sign in, use a web browser to open the page https://microsoft.example/devicelogin and enter the code WDJB-MJHT.",
	})
}

func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.FormValue("client_id") != clientID || r.FormValue("client_secret") != p.secret {
		p.fail(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000218: the request body must contain client_assertion or client_secret")
		return
	}
	switch r.FormValue("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		if r.FormValue("device_code") != deviceCode {
			p.fail(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
			return
		}
		p.polls = append(p.polls, time.Now())
		if len(p.script) == 0 {
			p.t.Error("polled after the script ended")
			p.fail(w, http.StatusBadRequest, "expired_token", "")
			return
		}
		next := p.script[0]
		p.script = p.script[1:]
		if next != "ok" {
			p.fail(w, http.StatusBadRequest, next, "AADSTS70016: "+next)
			return
		}
		p.issue(w)
	case "refresh_token":
		if p.refresh == "" || r.FormValue("refresh_token") != p.refresh {
			p.fail(w, http.StatusBadRequest, "invalid_grant", "AADSTS700082: The refresh token has expired due to inactivity.")
			return
		}
		p.issue(w)
	default:
		p.fail(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

// issue gives an access token and a new refresh token (rotation, as Microsoft does).
func (p *provider) issue(w http.ResponseWriter) {
	p.issued++
	p.refresh = fmt.Sprintf("refresh-token-secret-%d", p.issued)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": 3599, "scope": "https://outlook.office.com/IMAP.AccessAsUser.All",
		"access_token": fmt.Sprintf("access-token-secret-%d", p.issued), "refresh_token": p.refresh,
	})
}

func (p *provider) fail(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// noSecret fails when a secret is in s.
func noSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{clientSecret, deviceCode, "refresh-token-secret", "access-token-secret"} {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows a secret (%s): %s", what, secret, s)
		}
	}
}

func errorText(err error) string {
	return fmt.Sprintf("%v\n%+v\n%s", err, err, strings.Join(problem.Hints(err), "\n"))
}

func TestEndpoints(t *testing.T) {
	m := Microsoft("ministry.example")
	if m.DeviceAuthURL != "https://login.microsoftonline.com/ministry.example/oauth2/v2.0/devicecode" ||
		m.TokenURL != "https://login.microsoftonline.com/ministry.example/oauth2/v2.0/token" ||
		strings.Join(m.Scopes, " ") != "https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All offline_access" {
		t.Errorf("Microsoft: %+v", m)
	}
	if m := Microsoft(""); m.TokenURL != "https://login.microsoftonline.com/organizations/oauth2/v2.0/token" {
		t.Errorf("Microsoft without a tenant: %s", m.TokenURL)
	}
	g := Google()
	if g.DeviceAuthURL != "https://oauth2.googleapis.com/device/code" || g.TokenURL != "https://oauth2.googleapis.com/token" ||
		!slices.Equal(g.Scopes, []string{"https://mail.google.com/"}) {
		t.Errorf("Google: %+v", g)
	}
}

// The whole flow: a pending poll, a slow_down that adds five seconds to the interval, the
// token; then refreshes with rotation, and logout.
func TestDeviceFlow(t *testing.T) {
	p := newProvider(t, "authorization_pending", "slow_down", "ok")
	cfg := p.config(t, "Protocol@Ministry.example")
	a, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(errorText(err))
	}
	if a.UserCode != userCode || a.VerificationURI != "https://microsoft.example/devicelogin" ||
		time.Until(a.Expires) < 14*time.Minute {
		t.Errorf("authorization %+v", a)
	}
	noSecret(t, "the authorization", fmt.Sprintf("%v %+v %#v", a, a, *a))

	waited := time.Now()
	path, err := a.Wait(context.Background())
	if err != nil {
		t.Fatal(errorText(err))
	}
	if len(p.polls) != 3 {
		t.Fatalf("%d polls", len(p.polls))
	}
	// x/oauth2 polls on a ticker: the n-th poll leaves n intervals after Wait began, however
	// long the one before took to answer, so the polls are measured from there.
	if at := p.polls[1].Sub(waited); at < 1900*time.Millisecond || at > 4*time.Second {
		t.Errorf("after authorization_pending the second poll came %v after Wait began, want 2 s (1 s intervals)", at)
	}
	if gap := p.polls[2].Sub(waited); gap < 7900*time.Millisecond {
		t.Errorf("after slow_down the third poll came %v after Wait began, want 8 s (1 s, 1 s, then 1 s + 5 s)", gap)
	}
	if want := filepath.Join(cfg.Dir, "oauth-microsoft-protocol@ministry.example.json"); path != want {
		t.Errorf("token file %s, want %s", path, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v", info.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	var s stored
	if err := json.Unmarshal(b, &s); err != nil || s.RefreshToken != "refresh-token-secret-1" || s.Account != cfg.Account {
		t.Errorf("token file %s: %v", b, err)
	}
	if strings.Contains(string(b), "access-token") {
		t.Errorf("the access token was written: %s", b)
	}

	// Refresh: a new access token each time, the rotated refresh token kept.
	for i := 2; i <= 3; i++ {
		tok, err := AccessToken(context.Background(), cfg)
		if err != nil || tok != fmt.Sprintf("access-token-secret-%d", i) {
			t.Fatalf("refresh %d: %q, %s", i, tok, errorText(err))
		}
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), fmt.Sprintf(`"refresh-token-secret-%d"`, i)) {
			t.Errorf("refresh %d: the rotated refresh token was not kept: %s", i, b)
		}
	}

	// Revoked: the error says to sign in again, and shows no token.
	p.mu.Lock()
	p.refresh = ""
	p.mu.Unlock()
	_, err = AccessToken(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") ||
		!strings.Contains(strings.Join(problem.Hints(err), " "), "run herald login again") {
		t.Errorf("revoked: %s", errorText(err))
	}
	noSecret(t, "the revoked error", errorText(err))

	// Logout forgets the account.
	if had, err := Logout(cfg); !had || err != nil {
		t.Errorf("Logout: %v, %v", had, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the token file is still there: %v", err)
	}
	_, err = AccessToken(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "not signed in to microsoft as Protocol@Ministry.example") ||
		!slices.Contains(problem.Hints(err), "run herald login") {
		t.Errorf("after logout: %s", errorText(err))
	}
	if had, err := Logout(cfg); had || err != nil {
		t.Errorf("second Logout: %v, %v", had, err)
	}
}

// The ends of a device flow that give no token.
func TestDeviceFlowRefused(t *testing.T) {
	tests := []struct {
		script []string
		want   string
		hint   string
	}{
		{[]string{"authorization_pending", "expired_token"}, "expired_token", "not entered in time"},
		{[]string{"access_denied"}, "access_denied", "declined"},
	}
	for _, tt := range tests {
		p := newProvider(t, tt.script...)
		cfg := p.config(t, "protocol@ministry.example")
		a, err := Start(context.Background(), cfg)
		if err != nil {
			t.Fatal(errorText(err))
		}
		_, err = a.Wait(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) ||
			!strings.Contains(strings.Join(problem.Hints(err), " "), tt.hint) {
			t.Errorf("%v: %s", tt.script, errorText(err))
		}
		noSecret(t, "the error", errorText(err))
		if _, err := os.Stat(filepath.Join(cfg.Dir, "oauth-microsoft-protocol@ministry.example.json")); !os.IsNotExist(err) {
			t.Errorf("%v: a token file was written", tt.script)
		}
	}
}

// Waiting stops with its context, saying so.
func TestWaitCancelled(t *testing.T) {
	p := newProvider(t, "authorization_pending", "authorization_pending", "authorization_pending")
	cfg := p.config(t, "protocol@ministry.example")
	a, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err = a.Wait(ctx)
	if err == nil || !strings.Contains(err.Error(), "the code expired before the sign-in was done") {
		t.Errorf("%s", errorText(err))
	}
}

// A client secret (Google's limited-input clients) is sent in the form and never shown.
func TestClientSecret(t *testing.T) {
	p := newProvider(t, "ok")
	p.secret = clientSecret
	cfg := p.config(t, "protocol@ministry.example")
	a, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Wait(context.Background())
	if err == nil || !strings.Contains(err.Error(), "invalid_client") ||
		!strings.Contains(strings.Join(problem.Hints(err), " "), "client ID") {
		t.Fatalf("without the secret: %s", errorText(err))
	}
	p.script = []string{"ok"}
	cfg.ClientSecret = clientSecret
	if a, err = Start(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Wait(context.Background()); err != nil {
		t.Fatalf("with the secret: %s", errorText(err))
	}
}

// One file per provider and account; an account cannot name a file outside the folder.
func TestTokenFiles(t *testing.T) {
	tests := []struct {
		provider, account, want string
	}{
		{"microsoft", "protocol@ministry.example", "oauth-microsoft-protocol@ministry.example.json"},
		{"google", "protocol@ministry.example", "oauth-google-protocol@ministry.example.json"},
		{"microsoft", "Consul@Embassy.example", "oauth-microsoft-consul@embassy.example.json"},
		{"microsoft", "../../etc/passwd", "oauth-microsoft-.._.._etc_passwd.json"},
		{"microsoft", `a\b:c`, "oauth-microsoft-a_b_c.json"},
	}
	for _, tt := range tests {
		path, err := TokenFile(Config{Provider: Provider{Name: tt.provider}, Account: tt.account, Dir: "/cfg"})
		if err != nil || filepath.Base(path) != tt.want || filepath.Dir(path) != filepath.Clean("/cfg") {
			t.Errorf("%s %s: %s, %v", tt.provider, tt.account, path, err)
		}
	}
}

func TestMissingSettings(t *testing.T) {
	for _, cfg := range []Config{
		{Provider: Microsoft("t"), Account: "a@b.example"},
		{Provider: Microsoft("t"), ClientID: clientID},
	} {
		_, err := Start(context.Background(), cfg)
		if err == nil || len(problem.Hints(err)) == 0 {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
