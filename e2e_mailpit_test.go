//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// mailpitModule is the mailpit the end-to-end test runs, as the issue asks: always this
// version, built from source by go run, so that CI needs nothing but Go.
const mailpitModule = "github.com/axllent/mailpit@v1.33.1"

const (
	mailpitUser     = "secretariat"
	mailpitPassword = "e2e-Mailpit-Pw-4817"
)

// TestMailpit sends the built-in sample through mailpit over STARTTLS with a certificate
// herald trusts only through --smtp-ca, logged in with AUTH, and reads every message back
// through mailpit's API; then it lets mailpit refuse commands at random (chaos) and checks
// that the delivery log tells the truth about what mailpit kept.
func TestMailpit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mailpit with go run (about a minute to build the first time); run without -short")
	}
	mp := startMailpit(t)
	t.Run("builtin", func(t *testing.T) {
		for _, tmpl := range []string{"save-the-date", "invitation"} {
			t.Run(tmpl, func(t *testing.T) { testMailpitBuiltin(t, mp, tmpl) })
		}
	})
	t.Run("bcc-attachment", func(t *testing.T) { testMailpitBccAttachment(t, mp) })
	t.Run("untrusted", func(t *testing.T) { testMailpitUntrusted(t, mp) })
	t.Run("chaos", func(t *testing.T) { testMailpitChaos(t, mp) })
}

// templateHeader reads a header line of the template a row's language selects.
func templateHeader(t *testing.T, tmpl, lang, name string) string {
	t.Helper()
	file := filepath.Join("templates", tmpl, "message."+strings.ToLower(strings.Split(lang, "-")[0])+".md")
	if _, err := os.Stat(file); err != nil || lang == "" || strings.HasPrefix(lang, "en") {
		file = filepath.Join("templates", tmpl, "message.md")
	}
	for _, line := range strings.Split(readFile(t, file), "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
		if line == "" {
			break
		}
	}
	t.Fatalf("%s has no %s line", file, name)
	return ""
}

// plainText undoes what HTML and typography do to a name, so that the text of a cell can
// be found in either part.
func plainText(s string) string {
	s = html.UnescapeString(s)
	return strings.NewReplacer("’", "'", "\u00a0", " ").Replace(s)
}

func testMailpitBuiltin(t *testing.T, mp *mailpit, tmpl string) {
	mp.clear(t)
	dir := t.TempDir()
	res := runHerald(t, dir, mp.env(), mp.sendArgs("--template", tmpl)...)
	if res.code != 0 {
		t.Fatalf("send --template %s: %v", tmpl, res)
	}
	rows := readSample(t)
	if !strings.Contains(res.stdout, fmt.Sprintf("Delivered: %d. Failed: 0. Unknown: 0. Not sent: 0.", len(rows))) {
		t.Errorf("summary:\n%s\nwant Delivered: %d and nothing else", res.stdout, len(rows))
	}

	msgs := mp.messages(t)
	if len(msgs) != len(rows) {
		t.Fatalf("mailpit has %d messages, want %d (one per row)", len(msgs), len(rows))
	}
	byKey := map[string]mailpitSummary{}
	for _, m := range msgs {
		k := addrKey(m.To)
		if _, dup := byKey[k]; dup {
			t.Errorf("two messages to %s", k)
		}
		byKey[k] = m
	}
	delivered := deliveredIDs(t, readLog(t, filepath.Join(dir, tmpl+".delivery.jsonl")))

	for _, row := range rows {
		key := addrKey(row.to)
		sum, ok := byKey[key]
		if !ok {
			t.Errorf("no message to %s", key)
			continue
		}
		if delivered[sum.MessageID] != key {
			t.Errorf("message to %s has Message-ID %s; the log has it delivered to %q", key, sum.MessageID, delivered[sum.MessageID])
		}
		m := mp.message(t, sum.ID)
		// The subject arrives as written, with the no-break space of French typography
		// ("Invitation\u00a0:").
		if want := templateHeader(t, tmpl, row.lang, "Subject"); m.Subject != want {
			t.Errorf("to %s: subject %q, want %q", key, m.Subject, want)
		}
		// The sender is the --from setting: the built-in templates have none.
		from := addressList(t, campaignSettings[1])
		if m.From == nil || m.From.Address != from[0].Address || m.From.Name != from[0].Name {
			t.Errorf("to %s: From %q <%s>, want %q <%s>", key, m.From.Name, m.From.Address, from[0].Name, from[0].Address)
		}
		if m.Username != mailpitUser {
			t.Errorf("to %s: mailpit saw SMTP user %q, want %q (AUTH)", key, m.Username, mailpitUser)
		}
		// Display names are decoded (王明华 arrives as written in the sheet, not as
		// =?utf-8?q?…?=), and Cc holds the row's copies.
		if got, want := names(m.To), names(row.to); got != want {
			t.Errorf("to %s: To %s, want %s", key, got, want)
		}
		if got, want := names(m.Cc), names(row.cc); got != want {
			t.Errorf("to %s: Cc %s, want %s", key, got, want)
		}
		if len(m.Bcc) != 0 {
			t.Errorf("to %s: Bcc %s, want none", key, names(m.Bcc))
		}
		for part, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			body = plainText(body)
			for _, want := range []string{plainText(row.salutation), plainText(row.firstLast), "2024"} {
				if !strings.Contains(body, want) {
					t.Errorf("to %s: %s part lacks %q:\n%s", key, part, want, body)
				}
			}
		}
		if !strings.Contains(m.HTML, "<strong>") || !strings.Contains(m.HTML, "</p>") {
			t.Errorf("to %s: HTML part is not rendered Markdown:\n%s", key, m.HTML)
		}
		mp.checkCalendar(t, key, m)
		raw := mp.raw(t, sum.ID)
		if !strings.Contains(raw, "\r\nMessage-ID: <"+sum.MessageID+">\r\n") {
			t.Errorf("to %s: raw message lacks Message-ID <%s>:\n%s", key, sum.MessageID, head(raw))
		}
		if h := herald(raw); regexp.MustCompile(`(?im)^bcc:`).MatchString(h) {
			t.Errorf("to %s: message has a Bcc header:\n%s", key, h)
		}
	}
}

// names formats an address list for comparison, display names included.
func names(list []*mail.Address) string {
	var s []string
	for _, a := range list {
		s = append(s, strings.TrimSpace(a.Name+" <"+strings.ToLower(a.Address)+">"))
	}
	return "[" + strings.Join(s, "; ") + "]"
}

// checkCalendar finds the calendar entry of the built-in templates: an all-day event on
// 14 and 15 February 2024.
func (mp *mailpit) checkCalendar(t *testing.T, key string, m *mailpitMessage) {
	t.Helper()
	for _, a := range append(m.Attachments, m.Inline...) {
		if !strings.HasPrefix(a.ContentType, "text/calendar") {
			continue
		}
		ics := mp.get(t, "/api/v1/message/"+m.ID+"/part/"+a.PartID)
		unfolded := strings.ReplaceAll(string(ics), "\r\n ", "")
		for _, want := range []string{"BEGIN:VCALENDAR", "METHOD:PUBLISH", "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20240214", "DTEND;VALUE=DATE:20240216", "SUMMARY:"} {
			if !strings.Contains(unfolded, want) {
				t.Errorf("to %s: calendar part %s lacks %q:\n%s", key, a.FileName, want, ics)
			}
		}
		return
	}
	t.Errorf("to %s: no text/calendar part among %+v", key, m.Attachments)
}

// testMailpitBccAttachment sends a workbook with a Bcc column and a template that attaches
// a file: the Bcc address gets the message without appearing in it, and the attachment
// arrives byte for byte.
// longAttachment is the second file of testdata/e2e/template: a name longer than a line,
// not ASCII.
const longAttachment = "Programme — Conférence de signature de la Convention de Ljubljana–La Haye (version définitive).pdf"

func testMailpitBccAttachment(t *testing.T, mp *mailpit) {
	mp.clear(t)
	dir := t.TempDir()
	copyDir(t, filepath.Join("testdata", "e2e"), dir)
	res := runHerald(t, dir, mp.env(), mp.sendArgs("--contacts", "contacts.csv", "--template", "template")...)
	if res.code != 0 {
		t.Fatalf("send: %v", res)
	}
	records, err := csv.NewReader(strings.NewReader(readFile(t, filepath.Join(dir, "contacts.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	pdf := readFile(t, filepath.Join(dir, "template", "programme.pdf"))
	sum := sha256.Sum256([]byte(pdf))

	msgs := mp.messages(t)
	if len(msgs) != len(records)-1 {
		t.Fatalf("mailpit has %d messages, want %d", len(msgs), len(records)-1)
	}
	byKey := map[string]mailpitSummary{}
	for _, m := range msgs {
		byKey[addrKey(m.To)] = m
	}
	for _, r := range records[1:] {
		// Country,Email,Cc,Bcc
		to, bcc := addressList(t, r[1]), addressList(t, r[3])
		key := addrKey(to)
		s, ok := byKey[key]
		if !ok {
			t.Errorf("no message to %s", key)
			continue
		}
		m := mp.message(t, s.ID)
		if got, want := names(m.Cc), names(addressList(t, r[2])); got != want {
			t.Errorf("to %s: Cc %s, want %s", key, got, want)
		}
		// mailpit lists as Bcc the envelope recipients that the headers do not name.
		if got, want := addrKey(m.Bcc), addrKey(bcc); got != want {
			t.Errorf("to %s: envelope-only recipients %q, want the Bcc column %q", key, got, want)
		}
		raw := mp.raw(t, s.ID)
		h := herald(raw)
		for _, b := range bcc {
			if strings.Contains(strings.ToLower(h), strings.ToLower(b.Address)) {
				t.Errorf("to %s: Bcc address %s appears in the message herald sent:\n%s", key, b.Address, h)
			}
		}
		if regexp.MustCompile(`(?im)^bcc:`).MatchString(h) {
			t.Errorf("to %s: message has a Bcc header:\n%s", key, h)
		}
		// The second name is written as RFC 2231 sections, which mailpit must decode.
		for _, name := range []string{"programme.pdf", longAttachment} {
			var found bool
			for _, a := range m.Attachments {
				if a.FileName != name {
					continue
				}
				found = true
				if a.ContentType != "application/pdf" {
					t.Errorf("to %s: %s has type %q, want application/pdf", key, name, a.ContentType)
				}
				if a.Checksums.SHA256 != hex.EncodeToString(sum[:]) {
					t.Errorf("to %s: %s arrived with SHA-256 %s, want %x", key, name, a.Checksums.SHA256, sum)
				}
			}
			if !found {
				t.Errorf("to %s: no attachment %q among %+v", key, name, m.Attachments)
			}
		}
		if want := "Programme for " + r[0]; !strings.Contains(m.Text, want) {
			t.Errorf("to %s: text lacks %q:\n%s", key, want, m.Text)
		}
		mp.checkCalendar(t, key, m)
	}
}

// testMailpitUntrusted checks that the certificate is really checked: without --smtp-ca
// herald refuses mailpit's self-signed certificate, says so, and sends nothing.
func testMailpitUntrusted(t *testing.T, mp *mailpit) {
	mp.clear(t)
	dir := t.TempDir()
	args := mp.sendArgs("--limit", "1")
	i := slices.Index(args, "--smtp-ca")
	args = slices.Delete(args, i, i+2)
	res := runHerald(t, dir, mp.env(), args...)
	if res.code != 1 {
		t.Errorf("send without --smtp-ca: %v\nwant exit 1", res)
	}
	if !strings.Contains(res.stdout+res.stderr, "certificate") {
		t.Errorf("send without --smtp-ca does not mention the certificate:\n%s", res)
	}
	if n := len(mp.messages(t)); n != 0 {
		t.Errorf("mailpit has %d messages after a refused certificate, want 0", n)
	}
}

// testMailpitChaos makes mailpit refuse MAIL FROM (451, temporary) and RCPT TO (550,
// permanent) at random: with 31 messages, some are all but certain to fail and some to get
// through. The run must end with exit 3; every message the log calls delivered
// is in mailpit exactly once and no other; then, with chaos off, --only-failed completes
// the campaign with one message per recipient.
func testMailpitChaos(t *testing.T, mp *mailpit) {
	mp.clear(t)
	dir := t.TempDir()
	mp.chaos(t, `{"Sender":{"ErrorCode":451,"Probability":20},"Recipient":{"ErrorCode":550,"Probability":20}}`)
	chaosOff := false
	t.Cleanup(func() {
		if !chaosOff {
			mp.chaos(t, `{}`)
		}
	})
	logPath := filepath.Join(dir, "save-the-date.delivery.jsonl")
	rows := readSample(t)

	res := runHerald(t, dir, mp.env(), mp.sendArgs("--retries", "1", "--retry-wait", "10ms")...)
	if res.code != 3 {
		t.Fatalf("send under chaos: %v\nwant exit 3 (some not delivered)", res)
	}
	if !strings.Contains(res.stderr, "Chaos") {
		t.Errorf("no failure line quotes mailpit's chaos reply:\n%s", res.stderr)
	}
	states := foldLog(readLog(t, logPath))
	delivered := deliveredIDs(t, readLog(t, logPath))
	counts := map[string]int{}
	for _, m := range mp.messages(t) {
		counts[m.MessageID]++
		if _, ok := delivered[m.MessageID]; !ok {
			t.Errorf("mailpit has %s (to %s), which the log does not call delivered", m.MessageID, addrKey(m.To))
		}
	}
	var nDelivered, nFailed int
	for id, key := range delivered {
		if counts[id] != 1 {
			t.Errorf("log: %s delivered as %s; mailpit has %d copies, want 1", key, id, counts[id])
		}
	}
	for key, st := range states {
		switch st.status {
		case "delivered":
			nDelivered++
		case "failed":
			nFailed++
		default:
			t.Errorf("log: %s is %s after the run, want delivered or failed", key, st.status)
		}
	}
	t.Logf("under chaos: %d delivered, %d failed", nDelivered, nFailed)
	if nDelivered == 0 || nFailed == 0 || nDelivered+nFailed != len(rows) {
		t.Errorf("log: %d delivered and %d failed, want some of each and %d in all", nDelivered, nFailed, len(rows))
	}
	if want := fmt.Sprintf("Delivered: %d. Failed: %d. Unknown: 0. Not sent: 0.", nDelivered, nFailed); !strings.Contains(res.stdout, want) {
		t.Errorf("summary:\n%s\nwant %q", res.stdout, want)
	}

	// A plain send leaves the failed alone.
	res = runHerald(t, dir, mp.env(), mp.sendArgs()...)
	if !strings.Contains(res.stdout, fmt.Sprintf("Nothing to send: %d delivered, %d failed, 0 unknown", nDelivered, nFailed)) || res.code != 3 {
		t.Errorf("plain send after chaos: %v\nwant nothing sent, exit 3", res)
	}

	mp.chaos(t, `{}`)
	chaosOff = true
	res = runHerald(t, dir, mp.env(), mp.sendArgs("--only-failed")...)
	if res.code != 0 {
		t.Fatalf("send --only-failed without chaos: %v", res)
	}
	if want := fmt.Sprintf("Delivered: %d. Failed: 0. Unknown: 0. Not sent: 0.", nFailed); !strings.Contains(res.stdout, want) {
		t.Errorf("summary of --only-failed:\n%s\nwant %q", res.stdout, want)
	}
	perKey := map[string]int{}
	for _, m := range mp.messages(t) {
		perKey[addrKey(m.To)]++
	}
	for _, row := range rows {
		if n := perKey[addrKey(row.to)]; n != 1 {
			t.Errorf("%s got %d copies, want 1", addrKey(row.to), n)
		}
	}
	for key, st := range foldLog(readLog(t, logPath)) {
		if st.status != "delivered" {
			t.Errorf("log: %s is %s after --only-failed, want delivered", key, st.status)
		}
	}
	res = runHerald(t, dir, mp.env(), mp.sendArgs()...)
	if res.code != 0 || !strings.Contains(res.stdout, fmt.Sprintf("Nothing to send: %d delivered, 0 failed, 0 unknown", len(rows))) {
		t.Errorf("plain send after completion: %v\nwant nothing to send, exit 0", res)
	}
}

// herald returns the header block of a raw message as herald sent it: mailpit puts a
// Return-Path and, for envelope recipients the headers do not name, a Bcc line in front.
func herald(raw string) string {
	h, _, _ := strings.Cut(raw, "\r\n\r\n")
	for {
		line, rest, ok := strings.Cut(h, "\r\n")
		if !ok || !(strings.HasPrefix(line, "Bcc: ") || strings.HasPrefix(line, "Return-Path: ")) {
			return h
		}
		h = rest
	}
}

func head(raw string) string {
	h, _, _ := strings.Cut(raw, "\r\n\r\n")
	return h
}

// mailpit is a running mailpit.
type mailpit struct {
	smtpPort int
	api      string // http://127.0.0.1:PORT
	caFile   string
}

func (mp *mailpit) env() []string { return []string{"HERALD_SMTP_PASSWORD=" + mailpitPassword} }

func (mp *mailpit) sendArgs(extra ...string) []string {
	args := append([]string{"send",
		"--smtp-host", "127.0.0.1", "--smtp-port", strconv.Itoa(mp.smtpPort), "--smtp-tls", "starttls",
		"--smtp-ca", mp.caFile, "--smtp-user", mailpitUser, "--rate", "0", "--yes",
	}, campaignSettings...)
	return append(args, extra...)
}

// startMailpit runs mailpit on loopback ports with STARTTLS required (a certificate made
// here for 127.0.0.1), AUTH from a password file, chaos available but off, and no limit on
// the number of messages kept. It is stopped when the test ends.
func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	authFile := filepath.Join(dir, "smtp-auth")
	if err := os.WriteFile(authFile, []byte(mailpitUser+":"+mailpitPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := &mailpit{smtpPort: freePort(t), caFile: certFile}
	httpPort := freePort(t)
	mp.api = "http://127.0.0.1:" + strconv.Itoa(httpPort)

	cmd := exec.Command("go", "run", mailpitModule,
		"--smtp", "127.0.0.1:"+strconv.Itoa(mp.smtpPort),
		"--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--max", "0",
		"--disable-version-check",
		"--smtp-disable-rdns",
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls",
		"--smtp-auth-file", authFile,
		"--enable-chaos",
		"--quiet",
	)
	// Outside the module, so that herald's go.mod plays no part in building mailpit.
	cmd.Dir = dir
	cmd.Env = heraldEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// go run starts mailpit as its child: a process group lets the test stop both.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("go run %s: %v", mailpitModule, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	// The first go run downloads and builds mailpit: minutes on a slow machine.
	deadline := time.After(10 * time.Minute)
	for {
		resp, err := http.Get(mp.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("mailpit exited before it was ready:\n%s", out.String())
		case <-deadline:
			t.Fatalf("mailpit not ready after 10 minutes:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("mailpit ready after %s", time.Since(start).Round(time.Millisecond))
	return mp
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeCert writes mailtest's self-signed certificate for 127.0.0.1 and localhost, and its
// key, for mailpit to load.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM, err := mailtest.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// The parts of mailpit's API answers the test reads.
type (
	mailpitSummary struct {
		ID, MessageID string
		To            []*mail.Address
	}
	mailpitMessage struct {
		ID, MessageID, Subject, Username, Text, HTML string
		From                                         *mail.Address
		To, Cc, Bcc                                  []*mail.Address
		Attachments, Inline                          []mailpitPart
	}
	mailpitPart struct {
		PartID, FileName, ContentType string
		Checksums                     struct{ SHA256 string }
	}
)

func (mp *mailpit) do(t *testing.T, method, path, body string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, mp.api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mailpit %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("mailpit %s %s: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s %s: %s: %s", method, path, resp.Status, data)
	}
	return data
}

func (mp *mailpit) get(t *testing.T, path string) []byte {
	t.Helper()
	return mp.do(t, http.MethodGet, path, "")
}

func (mp *mailpit) clear(t *testing.T) {
	t.Helper()
	mp.do(t, http.MethodDelete, "/api/v1/messages", "")
}

func (mp *mailpit) chaos(t *testing.T, triggers string) {
	t.Helper()
	mp.do(t, http.MethodPut, "/api/v1/chaos", triggers)
}

func (mp *mailpit) messages(t *testing.T) []mailpitSummary {
	t.Helper()
	var list struct {
		Total    int
		Messages []mailpitSummary
	}
	if err := json.Unmarshal(mp.get(t, "/api/v1/messages?limit=1000"), &list); err != nil {
		t.Fatal(err)
	}
	if list.Total != len(list.Messages) {
		t.Fatalf("mailpit lists %d of %d messages", len(list.Messages), list.Total)
	}
	return list.Messages
}

func (mp *mailpit) message(t *testing.T, id string) *mailpitMessage {
	t.Helper()
	var m mailpitMessage
	if err := json.Unmarshal(mp.get(t, "/api/v1/message/"+id), &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func (mp *mailpit) raw(t *testing.T, id string) string {
	t.Helper()
	return string(mp.get(t, "/api/v1/message/"+id+"/raw"))
}
