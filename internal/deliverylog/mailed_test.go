package deliverylog

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMailed: the addresses that have a campaign's message are the To and Cc of delivered
// messages, without those withheld; failures, tests, Bcc copies and other campaigns count
// for nothing.
func TestMailed(t *testing.T) {
	rec := func(typ, key, status string, to, cc, bcc, withheld []string, test bool, campaign string) Record {
		return Record{Type: typ, Campaign: campaign, Key: key, Status: status, To: to, Cc: cc, Bcc: bcc, Withheld: withheld, Test: test}
	}
	records := []Record{
		rec(TypeAttempt, "ana@a.test", "", []string{"Ana@A.test"}, []string{"desk@a.test"}, []string{"archive@x.test"}, nil, false, "c"),
		rec(TypeOutcome, "ana@a.test", StatusDelivered, nil, nil, nil, nil, false, "c"),
		rec(TypeAttempt, "ana@a.test,bea@a.test", "", []string{"ana@a.test", "bea@a.test"}, nil, nil, []string{"ana@a.test"}, false, "c"),
		rec(TypeOutcome, "ana@a.test,bea@a.test", StatusDelivered, nil, nil, nil, nil, false, "c"),
		rec(TypeAttempt, "cid@c.test", "", []string{"cid@c.test"}, nil, nil, nil, false, "c"),
		rec(TypeOutcome, "cid@c.test", StatusFailed, nil, nil, nil, nil, false, "c"),
		rec(TypeAttempt, "dan@d.test", "", []string{"tester@t.test"}, nil, nil, nil, true, "c"),
		rec(TypeOutcome, "dan@d.test", StatusDelivered, nil, nil, nil, nil, true, "c"),
		rec(TypeAttempt, "eve@e.test", "", []string{"eve@e.test"}, nil, nil, nil, false, "other"),
		rec(TypeOutcome, "eve@e.test", StatusDelivered, nil, nil, nil, nil, false, "other"),
	}
	records[5].Failure = FailurePermanent
	want := map[string]string{"ana@a.test": "ana@a.test", "desk@a.test": "ana@a.test", "bea@a.test": "ana@a.test,bea@a.test"}
	if got := Mailed(records, "c"); !maps.Equal(got, want) {
		t.Errorf("Mailed = %v, want %v", got, want)
	}
	line := records[2].appendJSON(nil)
	back, _, err := parse(append(line, '\n'), "log")
	if err != nil || len(back) != 1 || len(back[0].Withheld) != 1 || back[0].Withheld[0] != "ana@a.test" {
		t.Errorf("withheld does not survive a round trip: %s -> %+v, %v", line, back, err)
	}
}

// TestOpenKeepsWhatIsNotACutRecord: Open drops a last line only when a crash can have left
// it (the start of one record); a log saved with CR line ends is one "line" without a line
// feed, and dropping it would wipe the log and mail everyone again.
func TestOpenKeepsWhatIsNotACutRecord(t *testing.T) {
	whole := `{"type":"attempt","time":"2024-01-10T09:30:00.120Z","campaign":"c","key":"a@x.test","to":["a@x.test"]}` + "\n" +
		`{"type":"outcome","time":"2024-01-10T09:30:01.004Z","campaign":"c","key":"a@x.test","status":"delivered"}` + "\n"
	tests := []struct {
		name, data string
		dropped    int // bytes dropped; -1 for an error
	}{
		{"cut record", whole + `{"type":"attempt","time":"2024-01-10T09:3`, len(`{"type":"attempt","time":"2024-01-10T09:3`)},
		{"CR line ends", strings.ReplaceAll(whole, "\n", "\r"), -1},
		{"CRLF then a cut", strings.ReplaceAll(whole, "\n", "\r\n") + "{\"type\":\"att\r", -1},
		{"not herald's", whole + "garbage", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.delivery.jsonl")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(path)
			if tt.dropped < 0 {
				if err == nil {
					l.Close()
					t.Fatalf("Open accepted the log")
				}
				data, _ := os.ReadFile(path)
				if string(data) != tt.data {
					t.Errorf("the log was changed: %q", data)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if got := len(l.Dropped()); got != tt.dropped {
				t.Errorf("dropped %d bytes, want %d", got, tt.dropped)
			}
		})
	}
}

// TestLogBounded: a log larger than MaxSize is refused before it is read, by Read and Open
// (regression: a 180 MB log took 1.35 GB).
func TestLogBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.delivery.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "more than a delivery log may be") {
		t.Errorf("Read: %v", err)
	}
	if l, err := Open(path); err == nil || !strings.Contains(err.Error(), "more than a delivery log may be") {
		if l != nil {
			l.Close()
		}
		t.Errorf("Open: %v", err)
	}
}
