package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests (mailpit, crash, password leak) run herald as built by go build, not
// the copy inside the test binary that the scripts use: only the real main has the signal
// handling, and only a separate process can be killed half-way.
var (
	buildOnce sync.Once
	buildDir  string // removed by TestMain after the tests
	buildBin  string
	buildErr  error
)

// heraldBinary builds herald once per test binary and returns its path.
func heraldBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "herald-e2e-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "herald")
		cmd := exec.Command("go", "build", "-o", buildBin, ".")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + out.String())
		}
	})
	if buildErr != nil {
		t.Fatalf("build herald: %v", buildErr)
	}
	return buildBin
}

// removeBuild deletes what heraldBinary built; TestMain calls it once the tests are done.
func removeBuild() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// result is what one run of herald left behind.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout:\n" + r.stdout + "--- stderr:\n" + r.stderr
}

// runHerald runs herald in dir with the given extra environment (NAME=value) and waits at most
// two minutes: a hung run fails the test instead of the whole binary timing out.
func runHerald(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, heraldBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(heraldEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, res)
	}
	return res
}

// campaignSettings are the sender and the campaign facts the built-in templates leave to the
// user, as a send of them needs: test values, on reserved domains.
var campaignSettings = []string{
	"--from", "Secretaría de Protocolo <protocol@mfa.example>",
	"--fact", "information-link=https://mla-initiative.example/convention",
	"--fact", "letterhead=MINISTRY OF FOREIGN AFFAIRS",
	"--fact", "signatory=Head of Protocol",
	"--fact", "contact=conference@mfa.example",
	"--fact", "venue=Conference Centre, Example Street 1",
	"--fact", "reply-deadline=31 January 2024",
	"--fact", "programme=https://conference.example/programme",
	"--fact", "registration=https://conference.example/registration",
	"--fact", "full-powers=registration desk of the Conference Centre",
}

// heraldEnv is the environment of the test without herald's own settings, so that a
// developer's HERALD_* variables cannot change what a test sends where.
func heraldEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") && !strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") {
			env = append(env, kv)
		}
	}
	return env
}

// logRecord is a line of the delivery log, read as any program would from its documented
// format rather than through package deliverylog, so that these tests also check the format.
type logRecord struct {
	Type      string `json:"type"`
	Campaign  string `json:"campaign"`
	Key       string `json:"key"`
	MessageID string `json:"message_id"`
	Status    string `json:"status"`
	Failure   string `json:"failure"`
	Test      bool   `json:"test"`
}

func readLog(t *testing.T, path string) []logRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read delivery log: %v", err)
	}
	var recs []logRecord
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s:%d: %v\n%s", path, i+1, err, line)
		}
		recs = append(recs, r)
	}
	return recs
}

// recipientState is where a recipient stands by the rules of the issue: delivered is final;
// otherwise the last outcome counts, and an attempt with no outcome after it is unknown.
type recipientState struct {
	status    string
	messageID string // of the last attempt
	attempts  int
}

func foldLog(recs []logRecord) map[string]*recipientState {
	states := map[string]*recipientState{}
	for _, r := range recs {
		if r.Test {
			continue
		}
		s := states[r.Key]
		if s == nil {
			s = &recipientState{status: "pending"}
			states[r.Key] = s
		}
		switch {
		case r.Type == "attempt":
			s.attempts++
			s.messageID = r.MessageID
			if s.status != "delivered" {
				s.status = "unknown"
			}
		case r.Type == "outcome" && s.status != "delivered" && r.Status != "skipped":
			s.status = r.Status
		}
	}
	return states
}

// deliveredIDs maps the Message-ID of each message the log calls delivered to its recipient,
// and fails the test if an outcome names a message no attempt announced.
func deliveredIDs(t *testing.T, recs []logRecord) map[string]string {
	t.Helper()
	attempted := map[string]string{}
	ids := map[string]string{}
	for _, r := range recs {
		switch {
		case r.Type == "attempt":
			attempted[r.MessageID] = r.Key
		case r.Type == "outcome" && r.Status == "delivered" && !r.Test:
			if attempted[r.MessageID] != r.Key {
				t.Errorf("log: delivered %s to %s without an attempt before it", r.MessageID, r.Key)
			}
			ids[r.MessageID] = r.Key
		}
	}
	return ids
}

// sampleRow is a row of the built-in sample workbook, as the test expects to see it arrive.
type sampleRow struct {
	to, cc                      []*mail.Address
	lang, salutation, firstLast string
}

func readSample(t *testing.T) []sampleRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("templates", "sample-authorities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	var rows []sampleRow
	for _, r := range records[1:] {
		to := addressList(t, r[col["Email"]])
		// The built-in templates name the first address after the person, unless the cell
		// names it already.
		if to[0].Name == "" {
			to[0].Name = r[col["Title"]] + " " + r[col["Full name"]]
		}
		rows = append(rows, sampleRow{
			to:         to,
			cc:         addressList(t, r[col["Cc"]]),
			lang:       r[col["Language"]],
			salutation: r[col["Salutation"]],
			firstLast:  r[col["Full name"]],
		})
	}
	return rows
}

func addressList(t *testing.T, cell string) []*mail.Address {
	t.Helper()
	var list []*mail.Address
	for _, s := range strings.Split(cell, ";") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := mail.ParseAddress(s)
		if err != nil {
			t.Fatalf("sample address %q: %v", s, err)
		}
		list = append(list, a)
	}
	return list
}

// addrKey is a recipient as the delivery log names it: its To addresses, lower case, sorted.
func addrKey(list []*mail.Address) string {
	var s []string
	for _, a := range list {
		s = append(s, strings.ToLower(a.Address))
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}
