package deliverylog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// holdEnv makes the test binary a helper process that holds a log open; see TestMain.
const holdEnv = "DELIVERYLOG_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		l, err := Open(path)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the test closes stdin
		l.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func openTemp(t testing.TB) (*Log, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "invitation.log")
	l, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s) error = %v", path, err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
}

// hasHint reports whether err carries a hint containing part, as package problem finds it.
func hasHint(err error, part string) bool {
	var h interface{ HintList() []string }
	if !errors.As(err, &h) {
		return false
	}
	for _, s := range h.HintList() {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestAppendAndReadBack(t *testing.T) {
	l, path := openTemp(t)
	a := attempt(1, ana, 2, "m1@mla.example")
	o := outcome(2, ana, StatusDelivered, "", 250, "2.0.0")
	o.Reply = "2.0.0 Ok: queued as <4TzX1>"
	if err := l.Attempt(a); err != nil {
		t.Fatalf("Attempt() error = %v", err)
	}
	if err := l.Outcome(o); err != nil {
		t.Fatalf("Outcome() error = %v", err)
	}
	// Outcomes reach the file at once, before any Sync, so that killing herald keeps them.
	want := `{"type":"attempt","time":"2024-01-10T09:30:01.000Z","campaign":"invitation","run":"r1","key":"ana@justice.example","row":2,"to":["ana@justice.example"],"message_id":"m1@mla.example"}` + "\n" +
		`{"type":"outcome","time":"2024-01-10T09:30:02.000Z","campaign":"invitation","run":"r1","key":"ana@justice.example","status":"delivered","code":250,"enhanced_code":"2.0.0","reply":"2.0.0 Ok: queued as <4TzX1>"}` + "\n"
	if got := readFile(t, path); got != want {
		t.Errorf("file after Attempt and Outcome:\n%s\nwant\n%s", got, want)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}

	records, err := Read(path)
	if err != nil {
		t.Fatalf("Read() error = %v", err)
	}
	a.Type, o.Type = TypeAttempt, TypeOutcome
	if want := []Record{a, o}; !reflect.DeepEqual(records, want) {
		t.Errorf("Read() =\n%+v\nwant\n%+v", records, want)
	}

	l, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer l.Close()
	if got := l.Records(); !reflect.DeepEqual(got, records) {
		t.Errorf("Records() after reopening =\n%+v\nwant\n%+v", got, records)
	}
	if got := l.States("invitation")[ana].Status; got != StatusDelivered {
		t.Errorf("States()[%s].Status = %q, want %q", ana, got, StatusDelivered)
	}
	if d := l.Dropped(); d != nil {
		t.Errorf("Dropped() = %q for a log that ends cleanly, want nil", d)
	}
}

func TestRecordsIncludeAppended(t *testing.T) {
	l, _ := openTemp(t)
	when := time.Date(2024, 1, 10, 10, 30, 0, 123_456_789, time.FixedZone("CET", 3600))
	to := []string{ana}
	r := Record{Time: when, Campaign: "invitation", Key: ana, To: to}
	if err := l.Attempt(r); err != nil {
		t.Fatal(err)
	}
	to[0] = "changed@later.example"
	if err := l.Outcome(Record{Campaign: "invitation", Key: ana, Status: StatusDelivered}); err != nil {
		t.Fatal(err)
	}
	got := l.Records()
	if len(got) != 2 {
		t.Fatalf("Records() has %d records, want 2", len(got))
	}
	wantTime := time.Date(2024, 1, 10, 9, 30, 0, 123_000_000, time.UTC)
	if got[0].Type != TypeAttempt || !got[0].Time.Equal(wantTime) || got[0].Time.Location() != time.UTC || got[0].To[0] != ana {
		t.Errorf("Records()[0] = %+v, want an attempt at %v to %s, as it reads back from the file", got[0], wantTime, ana)
	}
	if got[1].Type != TypeOutcome || time.Since(got[1].Time) > time.Minute {
		t.Errorf("Records()[1] = %+v, want an outcome stamped now", got[1])
	}
}

func TestTornTailRepair(t *testing.T) {
	first := attempt(1, ana, 2, "m1@mla.example")
	whole := outcome(2, ana, StatusDelivered, "", 250, "")
	line1 := string(first.appendJSON(nil)) + "\n"
	line2 := string(whole.appendJSON(nil))
	next := attempt(3, ben, 3, "m2@mla.example")
	line3 := string(next.appendJSON(nil)) + "\n"

	tests := []struct {
		name    string
		content string
		kept    int    // records Open finds
		want    string // the file after appending next
		dropped string // what Open cut from the end
	}{
		{name: "clean end", content: line1, kept: 1, want: line1 + line3},
		{name: "half a line", content: line1 + line2[:len(line2)/2], kept: 1, want: line1 + line3, dropped: line2[:len(line2)/2]},
		{name: "half of the only line", content: line2[:10], kept: 0, want: line3, dropped: line2[:10]},
		{name: "whole record without its newline", content: line1 + line2, kept: 2, want: line1 + line2 + "\n" + line3},
		{name: "zeros after a power cut", content: line1 + "\x00\x00\x00\x00\x00\x00", kept: 1, want: line1 + line3, dropped: "\x00\x00\x00\x00\x00\x00"},
		{name: "empty file", content: "", kept: 0, want: line3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.log")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(path)
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			if got := len(l.Records()); got != tt.kept {
				t.Errorf("Open() found %d records, want %d", got, tt.kept)
			}
			if got := string(l.Dropped()); got != tt.dropped {
				t.Errorf("Dropped() = %q, want %q", got, tt.dropped)
			}
			if err := l.Attempt(next); err != nil {
				t.Fatalf("Attempt() error = %v", err)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close() error = %v", err)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("file:\n%q\nwant\n%q", got, tt.want)
			}
			records, err := Read(path)
			if err != nil || len(records) != tt.kept+1 || records[tt.kept].MessageID != "m2@mla.example" {
				t.Errorf("Read() = %d records (%v), want %d ending with the new attempt", len(records), err, tt.kept+1)
			}
		})
	}
}

func TestOpenDamagedLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	a := attempt(1, ana, 2, "m1@mla.example")
	line := string(a.appendJSON(nil)) + "\n"
	content := line + line + `{"type":"attempt","time":` + "\n" + line
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path)
	if err == nil {
		l.Close()
		t.Fatal("Open() of a log with a damaged third line succeeded")
	}
	if want := path + ", line 3: not a valid record"; !strings.Contains(err.Error(), want) {
		t.Errorf("Open() error = %q, want it to contain %q", err, want)
	}
	if !hasHint(err, "correct or delete that line") {
		t.Errorf("Open() error %v carries no hint on fixing the line", err)
	}
	if got := readFile(t, path); got != content {
		t.Errorf("Open() changed a damaged log to %q", got)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("Read() error = %v, want one naming line 3", err)
	}
	// The lock must have gone with the failed Open.
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = Open(path)
	if err != nil {
		t.Fatalf("Open() after fixing the file: %v", err)
	}
	l.Close()
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no mode bits")
	}
	l, path := openTemp(t)
	if err := l.Attempt(attempt(1, ana, 2, "m1@mla.example")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, lockName(path)} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s = %v, want -rw-------", name, got)
		}
	}
}

func TestOpenMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "c.log")
	l, err := Open(path)
	if err == nil {
		l.Close()
		t.Fatal("Open() in a missing folder succeeded")
	}
	if want := "folder " + dir + " does not exist"; !strings.Contains(err.Error(), want) {
		t.Errorf("Open() error = %q, want it to contain %q", err, want)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("Open() created the folder %s", dir)
	}
}

func TestLockConflict(t *testing.T) {
	first, path := openTemp(t)
	second, err := Open(path)
	if err == nil {
		second.Close()
		t.Fatal("second Open() of a log in use succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("second Open() error = %v, want ErrLocked", err)
	}
	want := "is in use by another herald run"
	if runtime.GOOS == "linux" {
		want += fmt.Sprintf(" (process %d)", os.Getpid())
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("second Open() error = %q, want it to contain %q", err, want)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err = Open(path)
	if err != nil {
		t.Fatalf("Open() after the first was closed: %v", err)
	}
	second.Close()
}

func TestLockHeldByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "c.log")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper process said %q, want %q", line, "locked\n")
	}

	l, err := Open(path)
	if err == nil {
		l.Close()
		t.Fatal("Open() of a log held by another process succeeded")
	}
	want := "in use by another herald run"
	if runtime.GOOS == "linux" {
		want += fmt.Sprintf(" (process %d)", cmd.Process.Pid)
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), want) {
		t.Errorf("Open() error = %q, want ErrLocked containing %q", err, want)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	l, err = Open(path)
	if err != nil {
		t.Fatalf("Open() after the other process ended: %v", err)
	}
	l.Close()
}

func TestInvalidRecords(t *testing.T) {
	l, path := openTemp(t)
	tests := []struct {
		name    string
		outcome bool
		r       Record
		want    string
	}{
		{name: "no campaign", r: Record{Key: ana}, want: "campaign is empty"},
		{name: "no key", r: Record{Campaign: "c"}, want: "recipient key is empty"},
		{name: "attempt with a status", r: Record{Campaign: "c", Key: ana, Status: StatusDelivered}, want: "an attempt has no status"},
		{name: "outcome without status", outcome: true, r: Record{Campaign: "c", Key: ana}, want: `unknown status ""`},
		{name: "outcome with a made-up status", outcome: true, r: Record{Campaign: "c", Key: ana, Status: "sent"}, want: `unknown status "sent"`},
		{name: "failure without class", outcome: true, r: Record{Campaign: "c", Key: ana, Status: StatusFailed}, want: `failure "" is neither temporary nor permanent`},
		{name: "delivered with a failure", outcome: true, r: Record{Campaign: "c", Key: ana, Status: StatusDelivered, Failure: FailureTemporary}, want: `failure "temporary" given with status delivered`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.outcome {
				err = l.Outcome(tt.r)
			} else {
				err = l.Attempt(tt.r)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(path); err == nil || len(l.Records()) != 0 {
		t.Errorf("invalid records were written: %q", readFile(t, path))
	}
}

func TestClosedLog(t *testing.T) {
	l, _ := openTemp(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Attempt": l.Attempt(attempt(1, ana, 2, "m1@mla.example")),
		"Outcome": l.Outcome(outcome(2, ana, StatusDelivered, "", 250, "")),
		"Sync":    l.Sync(),
		"Close":   l.Close(),
	} {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s() on a closed log: error = %v, want os.ErrClosed", name, err)
		}
	}
}

func TestFsyncFailureStopsTheLog(t *testing.T) {
	l, _ := openTemp(t)
	diskErr := errors.New("input/output error")
	l.sync = func(*os.File) error { return diskErr }
	err := l.Attempt(attempt(1, ana, 2, "m1@mla.example"))
	if !errors.Is(err, diskErr) {
		t.Fatalf("Attempt() error = %v, want the fsync error", err)
	}
	if !hasHint(err, "stop sending") {
		t.Errorf("Attempt() error %v has no hint to stop sending", err)
	}
	// Even if the disk recovers, nothing after a failed fsync can be trusted.
	l.sync = (*os.File).Sync
	if err := l.Attempt(attempt(2, ben, 3, "m2@mla.example")); !errors.Is(err, diskErr) {
		t.Errorf("Attempt() after a failed fsync: error = %v, want the first failure", err)
	}
	if err := l.Outcome(outcome(3, ana, StatusDelivered, "", 250, "")); !errors.Is(err, diskErr) {
		t.Errorf("Outcome() after a failed fsync: error = %v, want the first failure", err)
	}
	if err := l.Close(); !errors.Is(err, diskErr) {
		t.Errorf("Close() after a failed fsync: error = %v, want the first failure", err)
	}
}

// TestOneFsyncPerMessage checks the budget for one connection: the attempt is fsynced, the
// outcome rides along with the next attempt.
func TestOneFsyncPerMessage(t *testing.T) {
	l, _ := openTemp(t)
	const n = 20
	for i := range n {
		key := fmt.Sprintf("r%d@justice.example", i)
		if err := l.Attempt(attempt(2*i, key, i+2, "")); err != nil {
			t.Fatal(err)
		}
		if err := l.Outcome(outcome(2*i+1, key, StatusDelivered, "", 250, "")); err != nil {
			t.Fatal(err)
		}
	}
	if l.syncs != n {
		t.Errorf("%d messages took %d fsyncs, want %d", n, l.syncs, n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.syncs != n+1 {
		t.Errorf("Close() left %d fsyncs in all, want %d: the last outcome must be made durable", l.syncs, n+1)
	}
}

func TestSync(t *testing.T) {
	l, _ := openTemp(t)
	if err := l.Sync(); err != nil || l.syncs != 0 {
		t.Errorf("Sync() of an empty log = %v after %d fsyncs, want nil after none", err, l.syncs)
	}
	if err := l.Attempt(attempt(1, ana, 2, "m1@mla.example")); err != nil {
		t.Fatal(err)
	}
	if err := l.Outcome(outcome(2, ana, StatusDelivered, "", 250, "")); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil || l.syncs != 2 {
		t.Errorf("Sync() after an outcome = %v after %d fsyncs, want nil after 2", err, l.syncs)
	}
	if err := l.Sync(); err != nil || l.syncs != 2 {
		t.Errorf("second Sync() = %v after %d fsyncs, want nil and no new fsync", err, l.syncs)
	}
}

// TestGroupCommit holds the first fsync until three more attempts are waiting, and expects
// those three to share a single fsync.
func TestGroupCommit(t *testing.T) {
	l, _ := openTemp(t)
	release := make(chan struct{})
	var calls atomic.Int32
	l.sync = func(f *os.File) error {
		if calls.Add(1) == 1 {
			<-release
		}
		return f.Sync()
	}
	errs := make(chan error, 4)
	send := func(i int) {
		errs <- l.Attempt(attempt(i, fmt.Sprintf("r%d@justice.example", i), i+2, ""))
	}
	go send(0)
	waitFor(t, "the first fsync to start", func() bool { return calls.Load() == 1 })
	for i := 1; i <= 3; i++ {
		go send(i)
	}
	waitFor(t, "three attempts to wait", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.waiting == 3
	})
	close(release)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("4 attempts took %d fsyncs, want 2", got)
	}
	if got := len(l.Records()); got != 4 {
		t.Errorf("log has %d records, want 4", got)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// TestConcurrentAppends is meant for go test -race: senders on several connections append
// at once, and every record must land exactly once, on a line of its own.
func TestConcurrentAppends(t *testing.T) {
	l, path := openTemp(t)
	const senders, each = 6, 40
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("s%d-%d@justice.example", s, i)
				id := fmt.Sprintf("%d.%d@mla.example", s, i)
				if err := l.Attempt(Record{Campaign: "invitation", Key: key, MessageID: id}); err != nil {
					t.Error(err)
					return
				}
				if err := l.Outcome(Record{Campaign: "invitation", Key: key, MessageID: id, Status: StatusDelivered}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	data := []byte(readFile(t, path))
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != 2*senders*each {
		t.Fatalf("file has %d lines, want %d", len(lines), 2*senders*each)
	}
	seen := make(map[string]int) // type and message ID → line
	for i, line := range lines {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		k := r.Type + " " + r.MessageID
		if prev, ok := seen[k]; ok {
			t.Errorf("line %d repeats line %d: %s", i+1, prev+1, k)
		}
		seen[k] = i
		if r.Type == TypeOutcome {
			if a, ok := seen[TypeAttempt+" "+r.MessageID]; !ok || a > i {
				t.Errorf("line %d: outcome of %s comes before its attempt", i+1, r.MessageID)
			}
		}
	}
	states := Fold(l.Records(), "invitation")
	if len(states) != senders*each {
		t.Errorf("Fold() has %d recipients, want %d", len(states), senders*each)
	}
	for k, s := range states {
		if s.Status != StatusDelivered || s.Attempts != 1 {
			t.Errorf("state of %s = %s after %d attempts, want delivered after 1", k, s.Status, s.Attempts)
		}
	}
}

// BenchmarkAttemptOutcome measures one connection: an attempt and an outcome per message.
func BenchmarkAttemptOutcome(b *testing.B) {
	l, _ := openTemp(b)
	r := Record{Campaign: "invitation", Run: "r1", Row: 12, To: []string{ana}, Cc: []string{cleo},
		MessageID: "4c1e9d20c4b7@mla-initiative.example"}
	i := 0
	for b.Loop() {
		r.Key = fmt.Sprintf("r%d@justice.example", i)
		i++
		r.Status, r.Code, r.Reply = "", 0, ""
		if err := l.Attempt(r); err != nil {
			b.Fatal(err)
		}
		r.Status, r.Code, r.Reply = StatusDelivered, 250, "2.0.0 Ok: queued as 4TzX1"
		if err := l.Outcome(r); err != nil {
			b.Fatal(err)
		}
	}
	report(b, l, i)
}

// BenchmarkAttemptOutcomeParallel4 measures four connections sharing one log.
func BenchmarkAttemptOutcomeParallel4(b *testing.B) {
	l, _ := openTemp(b)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 4 {
		wg.Go(func() {
			r := Record{Campaign: "invitation", Run: "r1", Row: 12, To: []string{ana}, MessageID: "4c1e9d20c4b7@mla-initiative.example"}
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				r.Key = fmt.Sprintf("r%d@justice.example", i)
				r.Status, r.Code = "", 0
				if err := l.Attempt(r); err != nil {
					b.Error(err)
					return
				}
				r.Status, r.Code = StatusDelivered, 250
				if err := l.Outcome(r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	report(b, l, b.N)
}

func report(b *testing.B, l *Log, pairs int) {
	b.ReportMetric(float64(pairs)/b.Elapsed().Seconds(), "msgs/s")
	l.mu.Lock()
	defer l.mu.Unlock()
	b.ReportMetric(float64(l.syncs)/float64(pairs), "fsyncs/msg")
}
