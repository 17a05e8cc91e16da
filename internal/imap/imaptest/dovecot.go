package imaptest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Dovecot is a Dovecot IMAP server started for one test, from a configuration of its own:
// its own base_dir, a certificate from NewCerts, one passwd-file user, maildirs under a
// temporary folder, listening on 127.0.0.1 only. The system's configuration and any
// system Dovecot are left alone.
type Dovecot struct {
	Host         string
	Port         int // implicit TLS
	StartTLSPort int
	CAFile       string
	User         string
	Password     string

	dir      string
	uid, gid int // owner of the mail files, when running as root
	seq      atomic.Int64
}

// dovecotBinary finds Debian's dovecot, which is in /usr/sbin, outside a user's PATH.
func dovecotBinary() string {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/dovecot"); err == nil {
		return "/usr/sbin/dovecot"
	}
	return ""
}

// StartDovecot starts Dovecot and waits until it accepts connections; it is stopped when
// the test ends. The test is skipped when Dovecot is not installed, unless
// HERALD_REQUIRE_DOVECOT is set (CI sets it, having installed Dovecot): then it fails.
func StartDovecot(t testing.TB) *Dovecot {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("HERALD_REQUIRE_DOVECOT") != "" {
		skip = t.Fatalf
	}
	bin := dovecotBinary()
	if bin == "" {
		skip("dovecot is not installed (Debian: apt-get install dovecot-imapd); skipping the test against a real IMAP server")
	}
	// Dovecot's own files need short paths (UNIX sockets are limited to about 100 bytes),
	// and its processes, running as other users when started as root, must reach them.
	dir, err := os.MkdirTemp("", "herald-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	certs := NewCerts(t)
	d := &Dovecot{Host: "127.0.0.1", CAFile: certs.CAFile, User: "protocol@herald.example",
		Password: "dovecot test password 7f3a", dir: dir}
	d.Port, d.StartTLSPort = freePort(t), freePort(t)

	internalUser, loginUser, group := "", "", ""
	d.uid, d.gid = os.Getuid(), os.Getgid()
	if d.uid == 0 {
		// As root, Dovecot runs its processes as its own users, and refuses mail access
		// as root: the mail belongs to the dovecot user.
		u, err := user.Lookup("dovecot")
		if err != nil {
			skip("running as root, and the dovecot user is missing (%v): is dovecot-core installed?", err)
		}
		d.uid, _ = strconv.Atoi(u.Uid)
		d.gid, _ = strconv.Atoi(u.Gid)
		internalUser, loginUser, group = "dovecot", "dovenull", "dovecot"
		if _, err := user.Lookup("dovenull"); err != nil {
			loginUser = "dovecot"
		}
	} else {
		// Unprivileged, every process runs as the current user.
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		g, err := user.LookupGroupId(strconv.Itoa(d.gid))
		if err != nil {
			t.Fatal(err)
		}
		internalUser, loginUser, group = u.Username, u.Username, g.Name
	}
	for _, sub := range []string{"run", "state", "mail", "home"} {
		d.mkdir(t, filepath.Join(dir, sub))
	}
	// Dovecot reads the certificate and key as root before dropping privileges.
	for _, f := range []string{certs.CertFile, certs.KeyFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s::::::\n", d.User, d.Password)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(dovecotConf, dir, internalUser, loginUser, group, d.uid, d.gid, d.StartTLSPort, d.Port)
	confFile := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "-F", "-c", confFile)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dovecot: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM lets the master stop its children; a master that does not is killed.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot exited at start (%v):\n%s\n%s", err, out.String(), log)
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), time.Second)
		if err == nil {
			c.Close()
			return d
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot does not accept connections on %d after 20 s:\n%s\n%s", d.Port, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Arguments, in order: the folder, the internal user, the login user, their group, the
// mail uid and gid, the STARTTLS port, the implicit TLS port.
const dovecotConf = `# A throwaway configuration written by herald's tests; nothing of the system's is read.
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = %[2]s
default_login_user = %[3]s
default_internal_group = %[4]s
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:%[1]s/mail/%%u
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[5]d gid=%[6]d home=%[1]s/home/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[7]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[8]d
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service anvil {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 50
}
`

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (d *Dovecot) mkdir(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(path, d.uid, d.gid); err != nil && os.Getuid() == 0 {
		t.Fatal(err)
	}
}

// Maildir returns the maildir of a folder: INBOX is the root, others are ".Name".
func (d *Dovecot) Maildir(folder string) string {
	root := filepath.Join(d.dir, "mail", d.User)
	if strings.EqualFold(folder, "INBOX") {
		return root
	}
	return filepath.Join(root, "."+folder)
}

// Deliver puts messages in a folder as a delivery agent would: files in the maildir's
// new/ folder, which Dovecot numbers the next time the folder is opened.
func (d *Dovecot) Deliver(t testing.TB, folder string, msgs ...[]byte) {
	t.Helper()
	md := d.Maildir(folder)
	if _, err := os.Stat(filepath.Join(md, "new")); err != nil {
		for _, p := range []string{filepath.Join(d.dir, "mail", d.User), md, filepath.Join(md, "new"),
			filepath.Join(md, "cur"), filepath.Join(md, "tmp")} {
			d.mkdir(t, p)
		}
	}
	for _, m := range msgs {
		// Maildir names are unique and sort by delivery: Dovecot gives UIDs in that order.
		name := fmt.Sprintf("%d.M%06dP%d.herald-test", time.Now().Unix(), d.seq.Add(1), os.Getpid())
		path := filepath.Join(md, "new", name)
		if err := os.WriteFile(path, m, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(path, d.uid, d.gid); err != nil && os.Getuid() == 0 {
			t.Fatal(err)
		}
	}
}

// Expunge removes the message files of a folder that contain match, as another client
// expunging them would; Dovecot notices the next time the folder is opened.
func (d *Dovecot) Expunge(t testing.TB, folder string, match []byte) int {
	t.Helper()
	n := 0
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(d.Maildir(folder), sub)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, match) {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	return n
}

// Seen returns the names of message files of a folder that carry the Seen flag (an "S"
// after ":2,"), the mark a client leaves by reading without BODY.PEEK.
func (d *Dovecot) Seen(t testing.TB, folder string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(d.Maildir(folder), sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, info, ok := strings.Cut(e.Name(), ":2,"); ok && strings.Contains(info, "S") {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

// Log returns Dovecot's log so far, for a failing test to show.
func (d *Dovecot) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
	return string(b)
}
