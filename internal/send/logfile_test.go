package send_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/send"
)

// TestSendLogReplaced deletes, replaces or rewrites the log while the server holds the third
// message. The run must stop with an error that names the log and says what happened, write
// nothing to whatever is at the path now, and save its records, so that putting them back
// lets the next run send exactly the rest (regression: the run went on writing to a file
// that was no longer the log, ended with no error, and the next run mailed everyone again).
func TestSendLogReplaced(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows does not let an open file be deleted or replaced")
	}
	tests := []struct {
		name   string
		change func(t *testing.T, path string)
		what   string
	}{
		{"deleted", func(t *testing.T, path string) { must(t, os.Remove(path)) }, "was deleted"},
		{"saved over by an editor", func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			must(t, err)
			must(t, os.WriteFile(path+"~", data, 0o600))
			must(t, os.Rename(path+"~", path))
		}, "was replaced by another file"},
		{"truncated and written again", func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			must(t, err)
			must(t, os.WriteFile(path, data[:len(data)/2], 0o600))
		}, "was changed by another program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 8
			in := campaignDir(t, recipientRows(n))
			srv := mailtest.Start(t, mailtest.Options{})
			arrived := make(chan struct{})
			srv.OnData(mailtest.Step{}, mailtest.Step{}, mailtest.Step{Arrived: arrived, Delay: 400 * time.Millisecond})
			opt := options(srv, in)
			changed := make(chan []byte, 1)
			go func() {
				<-arrived
				tt.change(t, opt.LogPath)
				data, _ := os.ReadFile(opt.LogPath)
				changed <- data
			}()
			res, err := send.Run(context.Background(), mustPrepare(t, in), opt)
			if !errors.Is(err, deliverylog.ErrReplaced) || !strings.Contains(err.Error(), opt.LogPath+" "+tt.what) {
				t.Fatalf("Run() error = %v, want ErrReplaced saying the log %s", err, tt.what)
			}
			if res == nil || res.Delivered != 3 || res.Pending != n-3 || !strings.Contains(res.Stopped, tt.what) {
				t.Fatalf("result %+v, want 3 delivered (the third was on the wire), the rest pending, stopped", res)
			}
			if got := srv.Total(); got != 3 {
				t.Errorf("server has %d messages, want 3", got)
			}
			now, _ := os.ReadFile(opt.LogPath)
			if before := <-changed; string(now) != string(before) {
				t.Errorf("herald wrote to the file now at the log's path:\n%s\nwas\n%s", now, before)
			}
			hints := strings.Join(problem.Hints(err), "\n")
			saved := ""
			if i := strings.Index(hints, opt.LogPath+".saved-"); i >= 0 {
				saved = strings.TrimRight(strings.Fields(hints[i:])[0], ",.;:")
			}
			recs, rerr := deliverylog.Read(saved)
			if saved == "" || rerr != nil {
				t.Fatalf("the hints name no saved copy that reads (%v):\n%s", rerr, hints)
			}
			if st := deliverylog.Fold(recs, "conference"); len(st) != 3 {
				t.Errorf("saved copy has %d recipients, want the 3 sent", len(st))
			}

			// The user puts the saved records back: the next run sends the rest, once each.
			must(t, os.Rename(saved, opt.LogPath))
			res = mustSend(t, mustPrepare(t, in), opt)
			if res.Delivered != n-3 {
				t.Errorf("run after restoring the log delivered %d, want %d", res.Delivered, n-3)
			}
			for i := 1; i <= n; i++ {
				if c := copies(srv)[fmt.Sprintf("r%d@n%d.test", i, i)]; c != 1 {
					t.Errorf("r%d received %d copies, want 1", i, c)
				}
			}
		})
	}
}

// TestSendRefusedAfterLogDeleted: while a run holds the log, deleting it must not let a
// second run start (regression: the second made a new log and both mailed everyone).
func TestSendRefusedAfterLogDeleted(t *testing.T) {
	in := campaignDir(t, recipientRows(4))
	srv := mailtest.Start(t, mailtest.Options{})
	arrived, release := make(chan struct{}), make(chan struct{})
	srv.OnData(mailtest.Step{Arrived: arrived, Delay: 1500 * time.Millisecond})
	opt := options(srv, in)
	first := make(chan error, 1)
	go func() {
		_, err := send.Run(context.Background(), mustPrepare(t, in), opt)
		<-release
		first <- err
	}()
	<-arrived
	must(t, os.Remove(opt.LogPath))
	res, err := send.Run(context.Background(), mustPrepare(t, in), opt)
	close(release)
	if !errors.Is(err, deliverylog.ErrLocked) {
		t.Errorf("second run while the first holds the deleted log: result %+v, error %v; want ErrLocked", res, err)
	}
	if err := <-first; !errors.Is(err, deliverylog.ErrReplaced) {
		t.Errorf("first run: error %v, want ErrReplaced", err)
	}
	if got := srv.Total(); got != 1 {
		t.Errorf("server has %d messages, want the 1 sent before the log was deleted", got)
	}
}

// TestSendHugeReply: a reply of any size leaves a log line of a few KiB, and a detail of at
// most about a KiB for the screen (regression: a 200 MB reply gave a 210 MB log line).
func TestSendHugeReply(t *testing.T) {
	in := campaignDir(t, recipientRows(2))
	srv := mailtest.Start(t, mailtest.Options{})
	text := strings.Repeat("no such mailbox here ", 3000) // 63 KB
	srv.OnRcpt("r1@n1.test", step550("5.1.1", text))
	opt := options(srv, in)
	var details []string
	opt.Progress = func(p send.Progress) { details = append(details, p.Detail) }
	res := mustSend(t, mustPrepare(t, in), opt)
	if res.Failed != 1 || res.Delivered != 1 {
		t.Fatalf("result %+v, want 1 failed and 1 delivered", res)
	}
	data, err := os.ReadFile(opt.LogPath)
	must(t, err)
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if len(line) > 6<<10 {
			t.Errorf("log line %d is %d bytes, want at most 6 KiB", i+1, len(line))
		}
	}
	st := deliverylog.Fold(readLog(t, opt.LogPath), "conference")["r1@n1.test"]
	if !strings.Contains(st.Reply, "no such mailbox here") || !strings.Contains(st.Reply, "[cut by herald: ") {
		t.Errorf("reply in the log %q…, want its start and a word that it was cut", st.Reply[:min(len(st.Reply), 80)])
	}
	for _, d := range details {
		if len(d) > 1100 {
			t.Errorf("progress detail of %d bytes, want about a KiB at most", len(d))
		}
	}
}

// TestSendReportsRepair: a log whose last line is not a record (no newline: a crash cut it
// short) is repaired, and the run says what it removed (regression: it was cut without a
// word).
func TestSendReportsRepair(t *testing.T) {
	in := campaignDir(t, recipientRows(2))
	srv := mailtest.Start(t, mailtest.Options{})
	opt := options(srv, in)
	torn := `{"type":"attempt","time":"2024-01-10T09:30:01.000Z","campaign":"conf`
	must(t, os.WriteFile(opt.LogPath, []byte(torn), 0o600))
	res := mustSend(t, mustPrepare(t, in), opt)
	if res.Delivered != 2 {
		t.Errorf("result %+v, want 2 delivered", res)
	}
	for _, want := range []string{opt.LogPath, fmt.Sprintf("%d bytes", len(torn)), `"campaign\":\"conf"`} {
		if !strings.Contains(res.Selection.LogRepaired, want) {
			t.Errorf("Selection.LogRepaired = %q, want it to contain %q", res.Selection.LogRepaired, want)
		}
	}
	if res = mustSend(t, mustPrepare(t, in), opt); res.Selection.LogRepaired != "" {
		t.Errorf("LogRepaired = %q on a clean log, want empty", res.Selection.LogRepaired)
	}
}

// TestSendLeavesNoEmptyLog: a run that sends nothing (declined, or the login refused)
// leaves no log (regression: herald status listed such empty logs as campaigns).
func TestSendLeavesNoEmptyLog(t *testing.T) {
	in := campaignDir(t, recipientRows(2))
	srv := mailtest.Start(t, mailtest.Options{Username: "secretariat", Password: "right"})
	opt := options(srv, in)
	opt.Confirm = func(*send.Selection) (bool, error) { return false, nil }
	if res := mustSend(t, mustPrepare(t, in), opt); !res.Declined {
		t.Fatalf("result %+v, want declined", res)
	}
	opt.Confirm = nil
	opt.SMTP.Username, opt.SMTP.Password = "secretariat", "wrong"
	if res := mustSend(t, mustPrepare(t, in), opt); res.Stopped == "" || res.Pending != 2 {
		t.Fatalf("result %+v, want stopped by the refused login with 2 pending", res)
	}
	if _, err := os.Stat(opt.LogPath); err == nil {
		t.Errorf("runs that sent nothing left a log at %s", opt.LogPath)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
