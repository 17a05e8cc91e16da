package deliverylog

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRecordLine(t *testing.T) {
	amsterdam := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		r    Record
		want string
	}{
		{
			name: "attempt",
			r: Record{Type: TypeAttempt, Time: time.Date(2024, 1, 10, 10, 30, 0, 120_999_999, amsterdam),
				Campaign: "invitation", Run: "r1", Key: ana + "," + ben, Row: 7,
				To: []string{ana, ben}, Cc: []string{cleo}, Bcc: []string{"archive@mla.example"}, MessageID: "m1@mla.example"},
			want: `{"type":"attempt","time":"2024-01-10T09:30:00.120Z","campaign":"invitation","run":"r1",` +
				`"key":"ana@justice.example,ben@foreign.example","row":7,"to":["ana@justice.example","ben@foreign.example"],` +
				`"cc":["cleo@interior.example"],"bcc":["archive@mla.example"],"message_id":"m1@mla.example"}`,
		},
		{
			name: "failed outcome",
			r: Record{Type: TypeOutcome, Time: t0, Campaign: "invitation", Key: ana, Status: StatusFailed, Failure: FailurePermanent,
				Code: 550, Enhanced: "5.1.1", Reply: "5.1.1 <ana@justice.example>: Recipient address rejected", Error: "x & y"},
			want: `{"type":"outcome","time":"2024-01-10T09:30:00.000Z","campaign":"invitation","key":"ana@justice.example",` +
				`"status":"failed","failure":"permanent","code":550,"enhanced_code":"5.1.1",` +
				`"reply":"5.1.1 <ana@justice.example>: Recipient address rejected","error":"x & y"}`,
		},
		{
			name: "test send",
			r:    Record{Type: TypeOutcome, Time: t0, Campaign: "c", Key: ana, Status: StatusDelivered, Test: true},
			want: `{"type":"outcome","time":"2024-01-10T09:30:00.000Z","campaign":"c","key":"ana@justice.example","status":"delivered","test":true}`,
		},
		{
			name: "characters that need escaping",
			r:    Record{Type: TypeOutcome, Time: t0, Campaign: "c", Key: "k", Error: "\"q\" \\ \n\r\t\x00\x1f\x7f é \u2028\u2029 \xff"},
			want: `{"type":"outcome","time":"2024-01-10T09:30:00.000Z","campaign":"c","key":"k",` +
				`"error":"\"q\" \\ \n\r\t\u0000\u001f` + "\x7f é " + `\u2028\u2029 \ufffd"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.r.appendJSON(nil))
			if got != tt.want {
				t.Errorf("line:\n%s\nwant\n%s", got, tt.want)
			}
			var back Record
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("the line does not decode: %v", err)
			}
			// What encoding/json makes of the same record is what the line must decode to.
			want := tt.r
			want.Time = want.Time.UTC().Truncate(time.Millisecond)
			want.Error = strings.ToValidUTF8(want.Error, "\ufffd")
			if !reflect.DeepEqual(back, want) {
				t.Errorf("decoded:\n%+v\nwant\n%+v", back, want)
			}
			marshalled, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			// json.Marshal escapes <, > and & in what MarshalJSON returns; decoding undoes it.
			var fromMarshal Record
			if err := json.Unmarshal(marshalled, &fromMarshal); err != nil || !reflect.DeepEqual(fromMarshal, back) {
				t.Errorf("json.Marshal gave %s (%v), which decodes differently from the line", marshalled, err)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const (
		a1 = `{"type":"attempt","time":"2024-01-10T09:30:00.000Z","campaign":"c","key":"ana@justice.example"}`
		o1 = `{"type":"outcome","time":"2024-01-10T09:30:01.000Z","campaign":"c","key":"ana@justice.example","status":"delivered"}`
	)
	tests := []struct {
		name    string
		data    string
		records int
		n       int // bytes kept; -1 for all
		err     string
	}{
		{name: "empty", data: "", records: 0, n: -1},
		{name: "whole lines", data: a1 + "\n" + o1 + "\n", records: 2, n: -1},
		{name: "blank and CRLF lines", data: a1 + "\r\n\n  \n" + o1 + "\r\n", records: 2, n: -1},
		{name: "last line cut short", data: a1 + "\n" + o1[:40], records: 1, n: len(a1) + 1},
		{name: "last line whole but no newline", data: a1 + "\n" + o1, records: 2, n: -1},
		{name: "zeros after a power cut", data: a1 + "\n\x00\x00\x00\x00", records: 1, n: len(a1) + 1},
		{name: "cut short right after the brace", data: a1 + "\n{", records: 1, n: len(a1) + 1},
		{name: "damaged line in the middle", data: a1 + "\n" + o1[:40] + "\n" + o1 + "\n", err: "delivery log app.log, line 2: not a valid record"},
		{name: "line that is not an object", data: a1 + "\n[1,2]\n", err: "line 2: not a valid record: json: cannot unmarshal array"},
		{name: "object without a type", data: "{}\n" + a1 + "\n", err: `line 1: not a valid record: it has no "type" field`},
		{name: "null line", data: "null\n", err: `line 1: not a valid record`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records, n, err := parse([]byte(tt.data), "app.log")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parse() error = %v, want one containing %q", err, tt.err)
				}
				if !hasHint(err, "delete that line") {
					t.Errorf("parse() error %v has no hint saying what to do", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse() error = %v", err)
			}
			want := tt.n
			if want < 0 {
				want = len(tt.data)
			}
			if len(records) != tt.records || n != want {
				t.Errorf("parse() = %d records over %d bytes, want %d over %d", len(records), n, tt.records, want)
			}
			for i, r := range records {
				if r.Key != ana || r.Campaign != "c" {
					t.Errorf("record %d = %+v, want campaign c and key %s", i, r, ana)
				}
			}
		})
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(filepath.Join(dir, "none.log"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing file) error = %v, want one matching fs.ErrNotExist", err)
	}

	path := filepath.Join(dir, "run.log")
	r := attempt(1, ana, 2, "m1@mla.example")
	line := string(r.appendJSON(nil))
	if err := os.WriteFile(path, []byte(line+"\n"+line[:30]), 0o600); err != nil {
		t.Fatal(err)
	}
	records, err := Read(path)
	if err != nil {
		t.Fatalf("Read() error = %v", err)
	}
	if len(records) != 1 || records[0].MessageID != "m1@mla.example" {
		t.Errorf("Read() = %+v, want the one whole record", records)
	}
	data, _ := os.ReadFile(path)
	if string(data) != line+"\n"+line[:30] {
		t.Errorf("Read() changed the file to %q", data)
	}
}

// TestDocExamples keeps the example lines in the package documentation exactly as herald
// writes them: the format is documented for people and for other programs.
func TestDocExamples(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, line := range strings.Split(string(src), "\n") {
		line, ok := strings.CutPrefix(line, "//\t{")
		if !ok {
			continue
		}
		line = "{" + line
		found++
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("example %s: %v", line, err)
		}
		if got := string(r.appendJSON(nil)); got != line {
			t.Errorf("herald writes the example as\n%s\nbut the documentation shows\n%s", got, line)
		}
	}
	if found != 4 {
		t.Errorf("found %d example lines in doc.go, want 4", found)
	}
}
