package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// TestCrash kills herald with SIGKILL at several points of a send — before the first
// message, at MAIL FROM, while the server holds a message it has read but not yet
// answered, and at a random moment — then runs plain herald send until the log says there
// is nothing left. Every recipient must have exactly one copy, except those reported unknown
// (an attempt with no outcome: the server may have the message or not), and nobody is
// missing.
func TestCrash(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	args := plainSend(srv, "--rate", "0")
	hold := mailtest.Step{Delay: 50 * time.Millisecond}
	// A step the test acts on: the server holds the command long enough for the kill to
	// land before it answers, however loaded the machine.
	long := func(arrived chan struct{}) mailtest.Step {
		return mailtest.Step{Delay: 3 * time.Second, Arrived: arrived}
	}

	// As soon as herald connects, before its first message.
	sessions := srv.Sessions()
	killAfter(t, dir, args, "on connecting", func(*exec.Cmd) {
		for deadline := time.Now().Add(time.Minute); srv.Sessions() == sessions && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	})

	// At the first MAIL FROM of a run: the attempt is logged, nothing was received.
	mailArrived := make(chan struct{})
	srv.OnMail(long(mailArrived))
	killAfter(t, dir, args, "at MAIL FROM", waitFor(t, mailArrived))

	// While the server holds the third message of the run, read whole and not answered:
	// the server has it, herald does not know.
	dataArrived := make(chan struct{})
	srv.OnData(hold, hold, long(dataArrived))
	killAfter(t, dir, args, "holding the 3rd message", waitFor(t, dataArrived))

	// After a few messages, at a random point around the fifth one's reply; the messages
	// after it are held too, so that the run is still going.
	fifth := make(chan struct{})
	srv.OnData(hold, hold, hold, hold, mailtest.Step{Delay: hold.Delay, Arrived: fifth})
	srv.OnData(slices.Repeat([]mailtest.Step{hold}, 20)...)
	killAfter(t, dir, args, "around the 5th message", func(cmd *exec.Cmd) {
		waitFor(t, fifth)(cmd)
		time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond)
	})

	// Then plain sends, as staff would run them, until the log says there is nothing left.
	rows := readSample(t)
	srv.OnData(slices.Repeat([]mailtest.Step{hold}, len(rows))...)
	var last result
	for run := 1; ; run++ {
		if run > 3 {
			t.Fatalf("still sending after %d plain runs; last:\n%s", run-1, last)
		}
		last = runHerald(t, dir, nil, args...)
		if strings.HasPrefix(last.stdout, "Nothing to send") {
			break
		}
		if strings.Contains(last.stdout, "Failed: ") && !strings.Contains(last.stdout, "Failed: 0.") {
			t.Fatalf("plain send after the crashes:\n%s", last)
		}
	}

	recs := readLog(t, dir+"/save-the-date.delivery.jsonl")
	states := foldLog(recs)
	keyOf := map[string]string{} // Message-ID → recipient, from the attempts
	for _, r := range recs {
		if r.Type == "attempt" {
			keyOf[r.MessageID] = r.Key
		}
	}
	copies := map[string]int{}
	for _, m := range srv.Messages() {
		key, ok := keyOf[m.MessageID]
		if !ok {
			t.Errorf("the server has %s (to %v), which no attempt in the log announced", m.MessageID, m.To)
			continue
		}
		copies[key]++
	}

	var delivered, unknown, unknownReceived int
	for _, row := range rows {
		key := addrKey(row.to)
		st, ok := states[key]
		switch {
		case !ok:
			t.Errorf("%s: missing from the log, never sent", key)
		case st.status == "delivered":
			delivered++
			if copies[key] != 1 {
				t.Errorf("%s: delivered, with %d copies on the server, want 1", key, copies[key])
			}
		case st.status == "unknown":
			unknown++
			unknownReceived += copies[key]
			if copies[key] > 1 {
				t.Errorf("%s: unknown, with %d copies on the server, want 0 or 1", key, copies[key])
			}
		default:
			t.Errorf("%s: %s after the runs, want delivered or unknown", key, st.status)
		}
	}
	if len(states) != len(rows) {
		t.Errorf("the log names %d recipients, want %d", len(states), len(rows))
	}
	// The kill at MAIL FROM and the one during the hold leave an unknown each.
	if unknown < 2 {
		t.Errorf("%d unknown recipients, want at least 2 (the kill at MAIL FROM and the one during the hold)", unknown)
	}
	t.Logf("%d delivered, %d unknown (%d of them received by the server)", delivered, unknown, unknownReceived)
	want := fmt.Sprintf("Nothing to send: %d delivered, 0 failed, %d unknown", delivered, unknown)
	if !strings.Contains(last.stdout, want) || last.code != 3 {
		t.Errorf("last plain send: %v\nwant %q and exit 3", last, want)
	}

	// --resend-unknown sends to exactly those, once each: staff decide, and those the
	// server already had now have two copies, which is why it is never automatic.
	before := srv.Total()
	res := runHerald(t, dir, nil, append(args, "--resend-unknown")...)
	if res.code != 0 {
		t.Errorf("send --resend-unknown: %v", res)
	}
	if got := srv.Total() - before; got != unknown {
		t.Errorf("--resend-unknown sent %d messages, want %d (the unknown)", got, unknown)
	}
	for key, st := range foldLog(readLog(t, dir+"/save-the-date.delivery.jsonl")) {
		if st.status != "delivered" {
			t.Errorf("%s: %s after --resend-unknown, want delivered", key, st.status)
		}
	}
}

// plainSend is the command line of herald send to srv, without TLS and confirmed in
// advance, then extra. It has no room to spare, so that each append to it makes a copy.
func plainSend(srv *mailtest.Server, extra ...string) []string {
	return plainSendTo(srv.Host, srv.Port, extra...)
}

// plainSendTo is plainSend to a server at host and port.
func plainSendTo(host string, port int, extra ...string) []string {
	args := append([]string{"send", "--smtp-host", host, "--smtp-port", strconv.Itoa(port),
		"--smtp-tls", "none", "--yes"}, campaignSettings...)
	return slices.Clip(append(args, extra...))
}

// killAfter starts a plain send, waits for the moment, kills herald with SIGKILL and checks
// that it was still running then.
func killAfter(t *testing.T, dir string, args []string, moment string, wait func(*exec.Cmd)) {
	t.Helper()
	cmd := exec.Command(heraldBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = heraldEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := make(chan struct{})
	go func() {
		wait(cmd)
		close(waited)
	}()
	select {
	case err := <-exited:
		t.Fatalf("herald ended before the kill %s (%v):\n%s", moment, err, out.String())
	case <-waited:
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill herald %s: %v", moment, err)
	}
	if err := <-exited; err == nil {
		t.Fatalf("herald finished before the kill %s:\n%s", moment, out.String())
	}
	if regexp.MustCompile(`(?m)^(Delivered|Nothing to send)`).MatchString(out.String()) {
		t.Fatalf("herald finished the run before the kill %s:\n%s", moment, out.String())
	}
}

// waitFor waits for the server to see a command, for at most a minute.
func waitFor(t *testing.T, arrived chan struct{}) func(*exec.Cmd) {
	return func(*exec.Cmd) {
		select {
		case <-arrived:
		case <-time.After(time.Minute):
			t.Errorf("the server saw no command within a minute")
		}
	}
}

// TestCrashRateLimited kills herald while the server holds a message, with a rate limit
// setting the pace as it does in real use (30/min by default): only that message may be
// unknown, because no attempt is recorded ahead of its turn.
func TestCrashRateLimited(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	args := plainSend(srv)
	held := make(chan struct{})
	srv.OnData(mailtest.Step{Delay: 20 * time.Millisecond}, mailtest.Step{Delay: 3 * time.Second, Arrived: held})
	killAfter(t, dir, append(args, "--rate", "5/s"), "holding the 2nd message", waitFor(t, held))

	recs := readLog(t, dir+"/save-the-date.delivery.jsonl")
	var unknown []string
	for key, st := range foldLog(recs) {
		if st.status == "unknown" {
			unknown = append(unknown, key)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 2 || len(unknown) != 1 {
		t.Fatalf("after the kill: the server has %d messages, the log %d unknown %v; want 2 and 1 (the one held)", len(msgs), len(unknown), unknown)
	}
	if st := foldLog(recs)[unknown[0]]; st.messageID != msgs[1].MessageID {
		t.Errorf("unknown: %s (Message-ID %s), want the held message %s", unknown[0], st.messageID, msgs[1].MessageID)
	}

	res := runHerald(t, dir, nil, append(args, "--rate", "0")...)
	rows := readSample(t)
	if want := fmt.Sprintf("Delivered: %d. Failed: 0. Unknown: 0. Not sent: 0.", len(rows)-2); !strings.Contains(res.stdout, want) {
		t.Errorf("send after the kill: %v\nwant %q", res, want)
	}
	perKey := map[string]int{}
	keyOf := map[string]string{}
	for _, r := range readLog(t, dir+"/save-the-date.delivery.jsonl") {
		if r.Type == "attempt" {
			keyOf[r.MessageID] = r.Key
		}
	}
	for _, m := range srv.Messages() {
		perKey[keyOf[m.MessageID]]++
	}
	for _, row := range rows {
		if n := perKey[addrKey(row.to)]; n != 1 {
			t.Errorf("%s: %d copies, want 1", addrKey(row.to), n)
		}
	}
}

// TestCrashConnections kills herald send --connections 4 at random moments of a run against
// a fast server, then once while the server holds a message on every connection. Each kill
// may leave at most one unknown recipient per connection (regression: a kill left 16
// unknown, 12 of them never sent, because attempts were recorded far ahead of the
// connections). Every unknown is either on the server once or not at all; the figures are
// logged. Plain sends then finish the campaign without a second copy for anyone, and
// --resend-unknown sends exactly the unknown ones.
func TestCrashConnections(t *testing.T) {
	const rows, conns = 300, 4
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("Email,Name\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&csv, "r%d@n%d.test,Name %d\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "contacts.csv"), []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "letter"), 0o700); err != nil {
		t.Fatal(err)
	}
	tmpl := "Subject: Conference {{.Name}}\nFrom: Secretariat <secretariat@conference.example.org>\n\nDear {{.Name}},\n\nsee you in Geneva.\n"
	if err := os.WriteFile(filepath.Join(dir, "letter", "message.md"), []byte(tmpl), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "letter.delivery.jsonl")
	args := plainSend(srv, "--rate", "0", "--connections", strconv.Itoa(conns), "--contacts", "contacts.csv", "--template", "letter", "--log", logPath)

	unknownNow := func() map[string]string { // key → Message-ID
		out := map[string]string{}
		if _, err := os.Stat(logPath); err != nil {
			return out
		}
		for key, st := range foldLog(readLog(t, logPath)) {
			if st.status == "unknown" {
				out[key] = st.messageID
			}
		}
		return out
	}
	// check counts the unknown recipients a kill left and whether the server has them.
	var totalUnknown, totalReached int
	check := func(kill string, before map[string]string) (n, reached int) {
		for key, id := range unknownNow() {
			if _, ok := before[key]; ok {
				continue
			}
			n++
			switch c := srv.Count(id); c {
			case 0:
			case 1:
				reached++
			default:
				t.Errorf("%s: unknown %s is on the server %d times", kill, key, c)
			}
		}
		t.Logf("%s: %d unknown, %d of them on the server, %d never sent", kill, n, reached, n-reached)
		if n > conns {
			t.Errorf("%s left %d unknown recipients, want at most %d (one per connection)", kill, n, conns)
		}
		totalUnknown += n
		totalReached += reached
		return n, reached
	}

	// At random moments of runs against a server that answers at once.
	for k := 1; k <= 3; k++ {
		before := unknownNow()
		start := srv.Total()
		kill := fmt.Sprintf("kill %d (at random)", k)
		killAfter(t, dir, args, kill, func(*exec.Cmd) {
			for deadline := time.Now().Add(time.Minute); srv.Total() < start+10+rand.IntN(20) && time.Now().Before(deadline); {
				time.Sleep(50 * time.Microsecond)
			}
		})
		check(kill, before)
	}

	// While the server holds a message, read whole and not answered, on every connection:
	// each is unknown, and the server has each.
	before := unknownNow()
	held := make([]chan struct{}, conns)
	steps := make([]mailtest.Step, conns)
	for i := range held {
		held[i] = make(chan struct{})
		steps[i] = mailtest.Step{Delay: 3 * time.Second, Arrived: held[i]}
	}
	srv.OnData(steps...)
	killAfter(t, dir, args, "kill 4 (holding a message on every connection)", func(cmd *exec.Cmd) {
		for _, c := range held {
			waitFor(t, c)(cmd)
		}
	})
	if n, reached := check("kill 4 (holding a message on every connection)", before); n != conns || reached != conns {
		t.Errorf("kill while every connection's message is held: %d unknown, %d on the server; want %d and %d", n, reached, conns, conns)
	}

	// Plain sends until nothing is left: nobody gets a second copy.
	var last result
	for run := 1; ; run++ {
		if run > 3 {
			t.Fatalf("still sending after %d plain runs; last:\n%s", run-1, last)
		}
		last = runHerald(t, dir, nil, args...)
		if strings.HasPrefix(last.stdout, "Nothing to send") {
			break
		}
	}
	keyOf := map[string]string{}
	for _, r := range readLog(t, logPath) {
		if r.Type == "attempt" {
			keyOf[r.MessageID] = r.Key
		}
	}
	copies := map[string]int{}
	for _, m := range srv.Messages() {
		copies[keyOf[m.MessageID]]++
	}
	states := foldLog(readLog(t, logPath))
	unknown := 0
	for i := 1; i <= rows; i++ {
		key := fmt.Sprintf("r%d@n%d.test", i, i)
		switch st := states[key]; {
		case st == nil:
			t.Errorf("%s: missing from the log", key)
		case st.status == "delivered" && copies[key] != 1:
			t.Errorf("%s: delivered, with %d copies on the server", key, copies[key])
		case st.status == "unknown":
			unknown++
			if copies[key] > 1 {
				t.Errorf("%s: unknown, with %d copies", key, copies[key])
			}
		case st.status != "delivered" && st.status != "unknown":
			t.Errorf("%s: %s after the runs", key, st.status)
		}
	}
	if unknown != totalUnknown {
		t.Errorf("%d unknown after the runs, want the %d the kills left", unknown, totalUnknown)
	}
	before2 := srv.Total()
	if res := runHerald(t, dir, nil, append(args, "--resend-unknown")...); res.code != 0 {
		t.Errorf("send --resend-unknown: %v", res)
	}
	if got := srv.Total() - before2; got != unknown {
		t.Errorf("--resend-unknown sent %d messages, want %d", got, unknown)
	}
	t.Logf("in all: %d unknown after 4 kills with %d connections, %d of them on the server (so %d duplicates after --resend-unknown), %d never sent", totalUnknown, conns, totalReached, totalReached, totalUnknown-totalReached)
}
