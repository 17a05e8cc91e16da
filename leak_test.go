package main

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// leakPassword is distinctive enough that finding it anywhere can only mean a leak.
const (
	leakUser     = "secretariat"
	leakPassword = "Canary-9fQ2-xTz7-Wk41"
)

// TestPasswordLeak runs herald with a password from HERALD_SMTP_PASSWORD and from a
// password_command, against a server that accepts it and one that refuses it while quoting
// what it received (as a badly behaved server might), and with --dry-run; then it looks for
// the password, as it is and in the base64 forms AUTH PLAIN, LOGIN and XOAUTH2 carry it,
// in standard output and error and in every file the run left in its folder and HOME.
func TestPasswordLeak(t *testing.T) {
	accept := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: leakUser, Password: leakPassword})
	refuse := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: leakUser, Password: "not-" + leakPassword, EchoAuth: true, XOAUTH2: true})
	refusePlain := mailtest.Start(t, mailtest.Options{Username: leakUser, Password: "not-" + leakPassword, EchoAuth: true})

	smtp := func(s *mailtest.Server, extra ...string) []string {
		args := append([]string{"send", "--smtp-host", s.Host, "--smtp-port", strconv.Itoa(s.Port), "--smtp-user", leakUser, "--rate", "0", "--yes"}, campaignSettings...)
		if s.CAFile != "" {
			args = append(args, "--smtp-ca", s.CAFile)
		} else {
			args = append(args, "--smtp-tls", "none")
		}
		return append(args, extra...)
	}
	// The config file holds a command that prints the password, not the password: it is
	// rot13-encoded there, so that the file itself is no false alarm.
	rot13 := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, leakPassword)
	decode := "printf '%s\\n' '" + rot13 + "' | tr 'A-Za-z' 'N-ZA-Mn-za-m'"

	tests := []struct {
		name    string
		env     bool   // HERALD_SMTP_PASSWORD holds the password
		command string // password_command in herald.toml
		args    []string
		code    int
		// output is a text the output must hold, to show the run went where meant; for the
		// server that quotes the password in its refusal, that herald blotted it out.
		output string
	}{
		{name: "env/accepted", env: true, args: smtp(accept), code: 0, output: "Delivered: 30."},
		{name: "command/accepted", command: decode, args: smtp(accept, "--limit", "3"), code: 0, output: "Delivered: 3."},
		{name: "env/refused", env: true, args: smtp(refuse), code: 1, output: "with password [password]"},
		{name: "env/refused-login", env: true, args: smtp(refuse, "--smtp-auth", "login"), code: 1, output: "with password [password]"},
		{name: "env/refused-xoauth2", env: true, args: smtp(refuse, "--smtp-auth", "xoauth2"), code: 1, output: "with password [password]"},
		{name: "command/refused", command: decode, args: smtp(refuse), code: 1, output: "with password [password]"},
		{name: "env/refused-plaintext", env: true, args: smtp(refusePlain), code: 1, output: "with password [password]"},
		{name: "command/fails", command: decode + "; " + decode + " >&2; exit 3", args: smtp(accept), code: 1, output: "password_command"},
		{name: "env/dry-run", env: true, args: smtp(accept, "--dry-run"), code: 0, output: "nothing was sent"},
		{name: "command/dry-run", command: decode, args: smtp(accept, "--dry-run"), code: 0, output: "nothing was sent"},
		{name: "env/preview", env: true, args: []string{"preview"}, code: 0, output: "nothing was sent"},
	}
	forms := passwordForms(leakUser, leakPassword)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_CACHE_HOME=" + home}
			if tt.env {
				env = append(env, "HERALD_SMTP_PASSWORD="+leakPassword)
			}
			if tt.command != "" {
				toml := "password_command = " + strconv.Quote(tt.command) + "\n"
				if err := os.WriteFile(filepath.Join(dir, "herald.toml"), []byte(toml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res := runHerald(t, dir, env, tt.args...)
			if res.code != tt.code || !strings.Contains(res.stdout+res.stderr, tt.output) {
				t.Fatalf("herald %s: %v\nwant exit %d and %q in the output", strings.Join(tt.args, " "), res, tt.code, tt.output)
			}
			findLeaks(t, "stdout", res.stdout, forms)
			findLeaks(t, "stderr", res.stderr, forms)
			files := 0
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
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
			if files == 0 {
				t.Errorf("the run left no file to look in")
			}
		})
	}
}

// passwordForms returns the password and the base64 texts an SMTP exchange carries it in:
// alone (LOGIN), in PLAIN's and XOAUTH2's initial responses, and the part of any base64
// text that the password fixes whatever comes before it.
func passwordForms(user, pw string) []string {
	b64 := base64.StdEncoding.EncodeToString
	forms := []string{
		pw,
		b64([]byte(pw)),
		b64([]byte("\x00" + user + "\x00" + pw)),
		b64([]byte(user + "\x00" + user + "\x00" + pw)),
		b64([]byte("user=" + user + "\x01auth=Bearer " + pw + "\x01\x01")),
	}
	for k := range 3 {
		e := b64(append(make([]byte, k), pw...))
		// Leave out the characters that also encode the bytes before and after.
		e = strings.TrimRight(e, "=")
		forms = append(forms, e[4:len(e)-3])
	}
	return forms
}

func findLeaks(t *testing.T, where, text string, forms []string) {
	t.Helper()
	for _, f := range forms {
		if i := strings.Index(text, f); i >= 0 {
			t.Errorf("%s holds the password as %q: …%s…", where, f, text[max(i-80, 0):min(i+len(f)+40, len(text))])
		}
	}
}
