package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mla-initiative/herald/internal/imap/imaptest"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// Secrets of the fake identity provider: none may be shown, or written anywhere but the
// token file (the refresh token).
const (
	fakeClientID     = "0b1c2d3e-ministry-app"
	fakeClientSecret = "GOCSPX-client-secret-4f3e2d"
	fakeDeviceCode   = "device-code-secret-8a7b6c"
	fakeUserCode     = "WDJB-MJHT"
)

// fakeProvider is the device authorization and token endpoints of RFC 8628 and the refresh
// grant of RFC 6749, on 127.0.0.1: it answers authorization_pending once, then signs the
// user in; each token it issues rotates the refresh token. The access token is the one the
// test IMAP server, and the SMTP server, accept.
type fakeProvider struct {
	srv     *httptest.Server
	mu      sync.Mutex
	pending bool
	refresh string
	issued  int
}

func newFakeProvider(t *testing.T) *fakeProvider {
	p := &fakeProvider{pending: true}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /devicecode", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("client_id") != fakeClientID {
			reply(w, 400, map[string]string{"error": "invalid_client"})
			return
		}
		reply(w, 200, map[string]any{"device_code": fakeDeviceCode, "user_code": fakeUserCode,
			"verification_uri": "https://login.microsoft.example/device", "expires_in": 900, "interval": 1})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.FormValue("client_id") != fakeClientID || r.FormValue("client_secret") != fakeClientSecret {
			reply(w, 401, map[string]string{"error": "invalid_client"})
			return
		}
		switch r.FormValue("grant_type") {
		case "urn:ietf:params:oauth:grant-type:device_code":
			if r.FormValue("device_code") != fakeDeviceCode {
				reply(w, 400, map[string]string{"error": "invalid_grant"})
				return
			}
			if p.pending {
				p.pending = false
				reply(w, 400, map[string]string{"error": "authorization_pending"})
				return
			}
		case "refresh_token":
			if p.refresh == "" || r.FormValue("refresh_token") != p.refresh {
				reply(w, 400, map[string]string{"error": "invalid_grant", "error_description": "AADSTS700082: expired"})
				return
			}
		default:
			reply(w, 400, map[string]string{"error": "unsupported_grant_type"})
			return
		}
		p.issued++
		p.refresh = fmt.Sprintf("refresh-token-secret-%d", p.issued)
		reply(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": imaptest.Token, "refresh_token": p.refresh})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeProvider) args() []string {
	return []string{"--oauth-provider", "microsoft", "--oauth-tenant", "ministry.test", "--oauth-client-id", fakeClientID,
		"--oauth-device-url", p.srv.URL + "/devicecode", "--oauth-token-url", p.srv.URL + "/token"}
}

// TestLoginXOAUTH2 signs in with the device flow, then sends over SMTP and reads the
// mailbox over IMAP with XOAUTH2 from the kept sign-in, and signs out; no secret of the
// exchange is shown or written but the refresh token, in its own file, readable by the
// user only.
func TestLoginXOAUTH2(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("AppData", home)
	t.Setenv("HERALD_OAUTH_CLIENT_SECRET", fakeClientSecret)
	t.Setenv("HERALD_SMTP_PASSWORD", "")
	t.Setenv("HERALD_IMAP_PASSWORD", "")
	p := newFakeProvider(t)
	e := newSendEnv(t, fiveRows(), mailtest.Options{Username: imaptest.User, Password: imaptest.Token, XOAUTH2: true})
	s := imaptest.NewServer(t)
	var shown strings.Builder

	bare := func(args ...string) result {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"herald"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		return result{code, out.String(), errOut.String()}
	}
	login := func(command string) result {
		r := bare(append([]string{command}, append(p.args(), "--smtp-user", imaptest.User)...)...)
		shown.WriteString(r.out + r.errOut)
		return r
	}
	r := login("login")
	if r.code != ExitOK || !strings.Contains(r.errOut, "https://login.microsoft.example/device") || !strings.Contains(r.errOut, "enter the code  "+fakeUserCode) ||
		!strings.Contains(r.out, "Signed in "+imaptest.User+" to microsoft.") {
		t.Fatalf("login: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	file := filepath.Join(home, "herald", "oauth-microsoft-"+imaptest.User+".json")
	fi, err := os.Stat(file)
	if err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("token file: %v %v", fi, err)
	}

	r = e.send(t, append(p.args(), "--smtp-user", imaptest.User, "--smtp-auth", "xoauth2")...)
	shown.WriteString(r.out + r.errOut)
	if r.code != ExitOK || e.srv.Total() != 5 || e.srv.Logins()[0] != "XOAUTH2" {
		t.Fatalf("send with the sign-in: exit %d, server has %d, logins %v\n%s%s", r.code, e.srv.Total(), e.srv.Logins(), r.out, r.errOut)
	}
	r = e.main(t, "inbox", append(append(p.args(), serverArgs(s)...), "--smtp-auth", "xoauth2")...)
	shown.WriteString(r.out + r.errOut)
	if r.code != ExitOK || !strings.Contains(r.out, "INBOX:      nothing new") {
		t.Fatalf("inbox with the sign-in: exit %d\n%s%s", r.code, r.out, r.errOut)
	}

	r = login("logout")
	if r.code != ExitOK || !strings.Contains(r.out, "Signed out "+imaptest.User+" from microsoft: removed "+file) {
		t.Errorf("logout: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the token file is still there: %v", err)
	}
	if r := login("logout"); r.code != ExitOK || !strings.Contains(r.out, "No sign-in of "+imaptest.User+" to microsoft was kept") {
		t.Errorf("second logout: exit %d\n%s", r.code, r.out)
	}
	r = e.main(t, "inbox", append(append(p.args(), serverArgs(s)...), "--smtp-auth", "xoauth2")...)
	shown.WriteString(r.out + r.errOut)
	if r.code != ExitFailure || !strings.Contains(r.errOut, "not signed in to microsoft as "+imaptest.User) || !strings.Contains(r.errOut, "herald: hint: run herald login") {
		t.Errorf("inbox after logout: exit %d\n%s", r.code, r.errOut)
	}

	log, _ := os.ReadFile(e.log)
	for _, secret := range []string{fakeClientSecret, fakeDeviceCode, "refresh-token-secret", imaptest.Token} {
		if strings.Contains(shown.String(), secret) || strings.Contains(string(log), secret) {
			t.Errorf("%q is shown or logged:\n%s", secret, shown.String())
		}
	}

	if r := bare("login", "--oauth-provider", "yahoo", "--smtp-user", imaptest.User); r.code != ExitUsage {
		t.Errorf("unknown provider: exit %d\n%s", r.code, r.errOut)
	}
	if r := bare("login", "--oauth-provider", "google", "--smtp-user", imaptest.User); r.code != ExitUsage || !strings.Contains(r.errOut, "no client ID") {
		t.Errorf("no client ID: exit %d\n%s", r.code, r.errOut)
	}
}
