package deliverylog

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestLogReplaced changes the file under an open log in the ways people and editors do. The
// next record must fail with ErrReplaced and leave the new file alone; Close must save every
// record the log holds, the outcome of the message then on the wire included.
func TestLogReplaced(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows does not let an open file be deleted or replaced")
	}
	o := attempt(9, cleo, 9, "other@mla.example")
	other := string(o.appendJSON(nil)) + "\n"
	tests := []struct {
		name   string
		change func(t *testing.T, path string)
		what   string // in the error
		left   string // the file at path afterwards; "-" for none
	}{
		{"deleted", func(t *testing.T, path string) { mustDo(t, os.Remove(path)) }, "was deleted", "-"},
		{"replaced by a copy, as an editor saves", func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			mustDo(t, err)
			mustDo(t, os.WriteFile(path+".tmp", append(data, other...), 0o600))
			mustDo(t, os.Rename(path+".tmp", path))
		}, "was replaced by another file", "copy"},
		{"truncated and written again", func(t *testing.T, path string) {
			mustDo(t, os.WriteFile(path, []byte(other), 0o600))
		}, "was changed by another program", other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.log")
			l, err := Open(path)
			mustDo(t, err)
			mustDo(t, l.Attempt(attempt(1, ana, 2, "m1@mla.example")))
			mustDo(t, l.Outcome(outcome(2, ana, StatusDelivered, "", 250, "")))
			mustDo(t, l.Attempt(attempt(3, ben, 3, "m2@mla.example")))
			tt.change(t, path)
			before, _ := os.ReadFile(path)

			// Another connection's message was on the wire: its outcome is kept.
			if err := l.Outcome(outcome(4, ben, StatusDelivered, "", 250, "")); !errors.Is(err, ErrReplaced) {
				t.Errorf("Outcome() after the change: error = %v, want ErrReplaced", err)
			}
			err = l.Attempt(attempt(5, cleo, 4, "m3@mla.example"))
			if !errors.Is(err, ErrReplaced) || !strings.Contains(err.Error(), path+" "+tt.what) {
				t.Errorf("Attempt() after the change: error = %v, want ErrReplaced saying %q", err, tt.what)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(before) {
				t.Errorf("herald wrote to the file now at the path:\n%s", after)
			}
			if tt.left == "-" {
				if _, err := os.Stat(path); err == nil {
					t.Errorf("a log was made again at %s", path)
				}
			}

			err = l.Close()
			saved := path + ".saved-" + l.Run()
			next := "keep the complete one under the name " + path
			if tt.left == "-" {
				next = "move that file to " + path
			}
			if !errors.Is(err, ErrReplaced) || !hasHint(err, saved) || !hasHint(err, next) {
				t.Fatalf("Close() error = %v (hints %v), want ErrReplaced naming the saved copy %s", err, hints(err), saved)
			}
			recs, err := Read(saved)
			mustDo(t, err)
			var got []string
			for _, r := range recs {
				got = append(got, r.Type+" "+r.Key)
			}
			want := "attempt " + ana + ",outcome " + ana + ",attempt " + ben + ",outcome " + ben
			if strings.Join(got, ",") != want {
				t.Errorf("saved copy has %q, want %q", got, want)
			}
			if fi, err := os.Stat(saved); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
				t.Errorf("saved copy has mode %v, want -rw-------", fi.Mode().Perm())
			}
			// The lock went with Close.
			l, err = Open(path)
			mustDo(t, err)
			l.Close()
		})
	}
}

// TestLockSurvivesDeletion: deleting the log, or its lock file, while a run has it open
// must not let a second run in (regression: the second run made a new log and both mailed
// everyone).
func TestLockSurvivesDeletion(t *testing.T) {
	for _, tt := range []struct {
		name   string
		before bool   // a record written before the deletion
		remove string // "log" or "lock"
	}{
		{"log deleted", true, "log"},
		{"lock file deleted", true, "lock"},
		{"before the log exists", false, "lock"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			first, path := openTemp(t)
			if tt.before {
				mustDo(t, first.Attempt(attempt(1, ana, 2, "m1@mla.example")))
			}
			name := path
			if tt.remove == "lock" {
				name = lockName(path)
			}
			mustDo(t, os.Remove(name))
			second, err := Open(path)
			if err == nil {
				second.Close()
				if tt.before || tt.remove == "log" {
					t.Fatalf("a second Open() succeeded after the %s was deleted", tt.remove)
				}
				// Without a log, the second run has a lock file of its own; the first
				// must then refuse to make the log over it.
				return
			}
			if !errors.Is(err, ErrLocked) {
				t.Errorf("second Open() error = %v, want ErrLocked", err)
			}
		})
	}
}

// TestSecondRunWithoutLog: with the lock file gone before the log exists, two runs may
// both open; the one that comes second to write must not write into the other's log.
func TestSecondRunWithoutLog(t *testing.T) {
	first, path := openTemp(t)
	mustDo(t, os.Remove(lockName(path)))
	second, err := Open(path)
	mustDo(t, err)
	defer second.Close()
	mustDo(t, first.Attempt(attempt(1, ana, 2, "m1@mla.example")))
	if err := second.Attempt(attempt(2, ana, 2, "m2@mla.example")); err == nil {
		t.Fatal("both runs wrote to the log")
	}
	recs, err := Read(path)
	mustDo(t, err)
	if len(recs) != 1 || recs[0].MessageID != "m1@mla.example" {
		t.Errorf("log has %+v, want the first run's attempt only", recs)
	}
}

// TestNoLogUntilFirstRecord: a run that records nothing leaves no log behind (regression:
// empty logs of runs that sent nothing were listed by herald status as campaigns).
func TestNoLogUntilFirstRecord(t *testing.T) {
	l, path := openTemp(t)
	mustDo(t, l.Sync())
	mustDo(t, l.Close())
	if _, err := os.Stat(path); err == nil {
		t.Errorf("Open() and Close() with no record left a log at %s", path)
	}
	if _, err := os.Stat(lockName(path)); err != nil {
		t.Errorf("lock file: %v, want it kept", err)
	}
}

// TestLongTextCut: a reply of any size becomes a line of a few KiB that says it was cut
// (regression: a 200 MB reply made a 210 MB line).
func TestLongTextCut(t *testing.T) {
	l, path := openTemp(t)
	huge := strings.Repeat("é", 1<<19) // 1 MiB of two-byte characters
	o := outcome(2, ana, StatusFailed, FailurePermanent, 550, "5.7.1")
	o.Reply, o.Error = "550 "+huge, huge
	mustDo(t, l.Attempt(attempt(1, ana, 2, "m1@mla.example")))
	mustDo(t, l.Outcome(o))
	mustDo(t, l.Close())
	data := readFile(t, path)
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if len(lines) != 2 || len(lines[1]) > 3*maxText {
		t.Fatalf("log has %d lines, the outcome %d bytes; want 2 lines, the outcome under %d", len(lines), len(lines[len(lines)-1]), 3*maxText)
	}
	recs, err := Read(path)
	mustDo(t, err)
	r := recs[1]
	for name, s := range map[string]string{"reply": strings.TrimPrefix(r.Reply, "550 "), "error": r.Error} {
		if !strings.HasSuffix(s, "bytes in all]") || !strings.Contains(s, "[cut by herald: ") || !utf8.ValidString(s) || !strings.HasPrefix(s, huge[:100]) {
			t.Errorf("%s: %d bytes ending %q, want the start of the text, whole characters, and a word that it was cut", name, len(s), s[max(0, len(s)-60):])
		}
	}
	if !strings.HasPrefix(r.Reply, "550 ") || !strings.Contains(r.Reply, "[cut by herald: 1048580 bytes in all]") {
		t.Errorf("reply ends %q, want the length of the reply", r.Reply[len(r.Reply)-50:])
	}
}

// TestHolding: herald status learns from Holding that a run has the log open, its process
// and its run ID, whether the log exists yet or not.
func TestHolding(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	if h, err := Holding(path); h != nil || err != nil {
		t.Fatalf("Holding() with nothing there = %+v, %v; want nil, nil", h, err)
	}
	l, err := Open(path)
	mustDo(t, err)
	for _, when := range []string{"before the first record", "after it"} {
		h, err := Holding(path)
		if err != nil || h == nil {
			t.Fatalf("Holding() %s = %+v, %v; want the run", when, h, err)
		}
		if h.PID != os.Getpid() || h.Run != l.Run() || time.Since(h.Since) > time.Minute {
			t.Errorf("Holding() %s = %+v, want process %d, run %s, since a moment ago", when, h, os.Getpid(), l.Run())
		}
		mustDo(t, l.Attempt(attempt(1, ana, 2, "m1@mla.example")))
	}
	mustDo(t, l.Close())
	if h, err := Holding(path); h != nil || err != nil {
		t.Errorf("Holding() after Close = %+v, %v; want nil, nil", h, err)
	}
}

// TestHoldingAnotherProcess: the process that holds the log is named, and Open, racing
// with Holding's test, is not refused because of it.
func TestHoldingAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "c.log")
	cmd, done := holdInProcess(t, path)
	h, err := Holding(path)
	if err != nil || h == nil || h.PID != cmd.Process.Pid || h.Run == "" {
		t.Errorf("Holding() = %+v, %v; want process %d with its run", h, err, cmd.Process.Pid)
	}
	done()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				Holding(path)
			}
		}
	}()
	defer close(stop)
	for range 20 {
		l, err := Open(path)
		if err != nil {
			t.Fatalf("Open() while herald status looks: %v", err)
		}
		l.Close()
	}
}

// holdInProcess has the test binary hold the log at path open (see TestMain) until done.
func holdInProcess(t *testing.T, path string) (*exec.Cmd, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	mustDo(t, err)
	stdout, err := cmd.StdoutPipe()
	mustDo(t, err)
	mustDo(t, cmd.Start())
	buf := make([]byte, len("locked\n"))
	if _, err := stdout.Read(buf); err != nil || string(buf) != "locked\n" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("helper process said %q (%v), want %q", buf, err, "locked\n")
	}
	var once bool
	done := func() {
		if !once {
			once = true
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("helper process: %v", err)
			}
		}
	}
	t.Cleanup(done)
	return cmd, done
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func hints(err error) []string {
	var h interface{ HintList() []string }
	if errors.As(err, &h) {
		return h.HintList()
	}
	return nil
}
