package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mla-initiative/herald/internal/imap/imaptest"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// leakFiles looks for the forms in every file under dir but those skip names.
func leakFiles(t *testing.T, dir string, forms []string, skip ...string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, s := range skip {
			if path == s {
				return nil
			}
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		findLeaks(t, rel, string(data), forms)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestIMAPPasswordLeak runs herald inbox and send --copy-to-sent with the IMAP password from
// HERALD_IMAP_PASSWORD and from a password_command, against a server that takes it and one
// that refuses it, and looks for it, in the forms IMAP's LOGIN, PLAIN and XOAUTH2 carry it,
// in the output and in every file the runs left.
func TestIMAPPasswordLeak(t *testing.T) {
	s := imaptest.NewServer(t)
	s.CreateFolder("Sent")
	srv := mailtest.Start(t, mailtest.Options{})
	imapArgs := []string{"--imap-host", s.Host, "--imap-port", strconv.Itoa(s.Port), "--imap-ca", s.CAFile, "--imap-user", imaptest.User}
	// password_command prints the password through tr, as in TestPasswordLeak, so that the
	// config file itself is no false alarm.
	command := func(pw string) string {
		enc := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return 'a' + (r-'a'+13)%26
			case r >= 'A' && r <= 'Z':
				return 'A' + (r-'A'+13)%26
			}
			return r
		}, pw)
		return "printf '%s\\n' '" + enc + "' | tr 'A-Za-z' 'N-ZA-Mn-za-m'"
	}
	tests := []struct {
		name     string
		password string
		env      bool
		args     []string
		code     int
		output   string
	}{
		{"inbox/env/accepted", imaptest.Password, true, append([]string{"inbox", "--contacts", "contacts.csv"}, imapArgs...), 0, "INBOX:"},
		{"inbox/command/accepted", imaptest.Password, false, append([]string{"inbox", "--contacts", "contacts.csv"}, imapArgs...), 0, "INBOX:"},
		{"inbox/env/refused", leakPassword, true, append([]string{"inbox", "--contacts", "contacts.csv"}, imapArgs...), 1, "logging in to"},
		{"inbox/command/refused", leakPassword, false, append([]string{"inbox", "--contacts", "contacts.csv"}, imapArgs...), 1, "logging in to"},
		{"copy/env/refused", leakPassword, true, append(append([]string{"send", "--contacts", "contacts.csv", "--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port),
			"--smtp-tls", "none", "--rate", "0", "--yes", "--copy-to-sent", "Sent"}, imapArgs...), campaignSettings...), 1, "nothing was sent"},
		{"copy/env/accepted", imaptest.Password, true, append(append([]string{"send", "--contacts", "contacts.csv", "--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port),
			"--smtp-tls", "none", "--rate", "0", "--yes", "--copy-to-sent", "Sent"}, imapArgs...), campaignSettings...), 0, "Copies filed in Sent: 2."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			contacts := "Country,Authority,Salutation,Title,Full name,Position,Email,Cc,Language\n" +
				"Arcadia,Ministry,Dear Minister,H.E.,Ana Arce,Minister,minister@justice.arcadia.example,,en\n" +
				"Borduria,Ministry,Dear Director,Mr,Boris Bek,Director,legal@mfa.borduria.example,,en\n"
			if err := os.WriteFile(filepath.Join(dir, "contacts.csv"), []byte(contacts), 0o600); err != nil {
				t.Fatal(err)
			}
			// A log, so that inbox has a campaign to read for.
			log := `{"type":"attempt","time":"2024-01-10T09:30:00.000Z","campaign":"save-the-date","key":"x@y.example","to":["x@y.example"],"message_id":"m@herald.example"}` + "\n"
			if !strings.HasPrefix(tt.name, "copy") {
				if err := os.WriteFile(filepath.Join(dir, "save-the-date.delivery.jsonl"), []byte(log), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home}
			if tt.env {
				env = append(env, "HERALD_IMAP_PASSWORD="+tt.password)
			} else if err := os.WriteFile(filepath.Join(dir, "herald.toml"), []byte("password_command = "+strconv.Quote(command(tt.password))+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			res := runHerald(t, dir, env, tt.args...)
			if res.code != tt.code || !strings.Contains(res.stdout+res.stderr, tt.output) {
				t.Fatalf("herald %s: %v\nwant exit %d and %q", strings.Join(tt.args, " "), res, tt.code, tt.output)
			}
			forms := passwordForms(imaptest.User, tt.password)
			findLeaks(t, "stdout", res.stdout, forms)
			findLeaks(t, "stderr", res.stderr, forms)
			if leakFiles(t, dir, forms) == 0 {
				t.Errorf("the run left no file to look in")
			}
		})
	}
}

// oauthSecrets are what the fake identity provider of TestOAuthLeak hands out or is given.
const (
	oauthClientID     = "7f6e5d4c-ministry-registration"
	oauthClientSecret = "GOCSPX-Leak-Canary-Secret-31"
	oauthDeviceCode   = "Leak-Canary-Device-Code-92"
	oauthUserCode     = "HRLD-LEAK"
	oauthRefresh      = "Leak-Canary-Refresh-Token-"
)

// TestOAuthLeak signs in with herald login against a device-flow provider on 127.0.0.1,
// then sends and reads the mailbox with XOAUTH2 from the sign-in, signs out, and looks for
// the client secret, the device code, the refresh tokens and the access token in the output
// and in every file left, but the token file, which holds the refresh token by design
// (mode 0600) and is gone after herald logout.
func TestOAuthLeak(t *testing.T) {
	var mu sync.Mutex
	issued, refresh := 0, ""
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /devicecode", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"device_code": oauthDeviceCode, "user_code": oauthUserCode,
			"verification_uri": "https://login.provider.example/device", "expires_in": 600, "interval": 1})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		ok := r.FormValue("client_id") == oauthClientID && r.FormValue("client_secret") == oauthClientSecret &&
			(r.FormValue("device_code") == oauthDeviceCode || (refresh != "" && r.FormValue("refresh_token") == refresh))
		if !ok {
			// As a provider that quotes what it got: herald must not repeat it.
			reply(w, 400, map[string]string{"error": "invalid_grant", "error_description": "bad grant " + r.FormValue("refresh_token") + " for " + r.FormValue("client_secret")})
			return
		}
		issued++
		refresh = fmt.Sprintf("%s%d", oauthRefresh, issued)
		reply(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": imaptest.Token, "refresh_token": refresh})
	})
	provider := httptest.NewServer(mux)
	defer provider.Close()

	s := imaptest.NewServer(t)
	srv := mailtest.Start(t, mailtest.Options{Username: imaptest.User, Password: imaptest.Token, XOAUTH2: true})
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf("oauth_provider = \"microsoft\"\noauth_tenant = \"ministry.example\"\noauth_client_id = %q\noauth_client_secret = %q\nsmtp_user = %q\n",
		oauthClientID, oauthClientSecret, imaptest.User)
	if err := os.WriteFile(filepath.Join(dir, "herald.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home,
		"HERALD_OAUTH_DEVICE_URL=" + provider.URL + "/devicecode", "HERALD_OAUTH_TOKEN_URL=" + provider.URL + "/token"}
	tokenFile := filepath.Join(home, "herald", "oauth-microsoft-"+imaptest.User+".json")
	var shown strings.Builder
	run := func(code int, args ...string) result {
		t.Helper()
		res := runHerald(t, dir, env, args...)
		shown.WriteString(res.stdout + res.stderr)
		if res.code != code {
			t.Fatalf("herald %s: %v\nwant exit %d", strings.Join(args, " "), res, code)
		}
		return res
	}
	if res := run(0, "login"); !strings.Contains(res.stderr, oauthUserCode) {
		t.Errorf("login does not show the user code:\n%s", res.stderr)
	}
	if fi, err := os.Stat(tokenFile); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("token file: %v %v", fi, err)
	}
	run(0, append([]string{"send", "--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port), "--smtp-tls", "none",
		"--smtp-auth", "xoauth2", "--rate", "0", "--yes", "--limit", "2"}, campaignSettings...)...)
	run(0, "inbox", "--smtp-auth", "xoauth2", "--imap-host", s.Host, "--imap-port", strconv.Itoa(s.Port), "--imap-ca", s.CAFile)
	// A revoked sign-in: the provider quotes the refresh token and client secret it got.
	mu.Lock()
	refresh = "revoked"
	mu.Unlock()
	run(1, "inbox", "--smtp-auth", "xoauth2", "--imap-host", s.Host, "--imap-port", strconv.Itoa(s.Port), "--imap-ca", s.CAFile)
	if data, err := os.ReadFile(tokenFile); err != nil || !strings.Contains(string(data), oauthRefresh) {
		t.Errorf("the token file does not hold the refresh token: %v", err)
	}
	run(0, "logout")

	forms := []string{oauthClientSecret, oauthDeviceCode, oauthRefresh, imaptest.Token}
	forms = append(forms, passwordForms(imaptest.User, imaptest.Token)...)
	findLeaks(t, "output", shown.String(), forms)
	if leakFiles(t, dir, forms, filepath.Join(dir, "herald.toml")) == 0 {
		t.Errorf("the runs left no file to look in")
	}
	if _, err := os.Stat(tokenFile); !os.IsNotExist(err) {
		t.Errorf("the token file is still there after herald logout: %v", err)
	}
}
