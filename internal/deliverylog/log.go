package deliverylog

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"
)

var unsafeFileChars = regexp.MustCompile(`[^\p{L}\p{N}._-]+`)

// FileName is the name of a campaign's log file: the campaign with every run of characters
// that some file system refuses replaced by "_", then ".delivery.jsonl".
func FileName(campaign string) string {
	return unsafeFileChars.ReplaceAllString(campaign, "_") + ".delivery.jsonl"
}

// ErrLocked is returned by [Open] when another run has the log open.
var ErrLocked = errors.New("delivery log is in use by another herald run")

// lockedError says which log is locked, and by whom, without repeating ErrLocked's words.
type lockedError string

func (e lockedError) Error() string        { return string(e) }
func (e lockedError) Is(target error) bool { return target == ErrLocked }

// Log is an open delivery log. Its methods may be called from several goroutines.
type Log struct {
	path string
	f    *os.File
	// sync makes written data durable; tests replace it to count or delay fsyncs.
	sync     func() error
	repaired bool

	mu   sync.Mutex
	cond sync.Cond // broadcast when an I/O round ends; cond.L is &mu
	// records holds every record of the file, those read by Open and those added since.
	records []Record
	// buf holds encoded records not yet handed to the file. While one goroutine writes a
	// batch outside mu, the others append to buf; spare is the other half of that double
	// buffer, nil while its batch is being written.
	buf, spare []byte
	// queued and synced count records: encoded so far, and known to be on disk.
	queued, synced uint64
	busy           bool // a goroutine is writing or syncing outside mu
	waiting        int  // Attempt calls waiting for another goroutine's fsync
	syncs          int  // fsyncs done, for tests and benchmarks
	// err is the first failed write or fsync; the log accepts nothing after it.
	err    error
	closed bool
}

// Open opens the log at path for a run, creating it with mode 0600 if needed; its folder
// must exist. It locks the file so that no other run can use it until [Log.Close], reads its
// records, and repairs a last line cut short by a crash.
func Open(path string) (*Log, error) {
	f, created, err := openFile(path)
	if err != nil {
		return nil, err
	}
	l := &Log{path: path, f: f, sync: f.Sync}
	l.cond.L = &l.mu
	if err := l.init(created); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func openFile(path string) (f *os.File, created bool, err error) {
	// Not O_APPEND: the lock keeps other writers out, and on Windows an append-only handle
	// could not truncate a cut-off line.
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
	} else if err == nil {
		created = true
	}
	if err == nil {
		return f, created, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(path)
		return nil, false, withHint(fmt.Errorf("create delivery log %s: folder %s does not exist", path, dir),
			"create the folder first, or give a log path in a folder that exists")
	}
	return nil, false, fmt.Errorf("open delivery log: %w", err)
}

func (l *Log) init(created bool) error {
	if err := lockFile(l.f); err != nil {
		if !errors.Is(err, ErrLocked) {
			return fmt.Errorf("lock delivery log %s: %w", l.path, err)
		}
		who := "another herald run"
		if pid := lockHolder(l.f); pid > 0 {
			who = fmt.Sprintf("another herald run (process %d)", pid)
		}
		return withHint(lockedError(fmt.Sprintf("delivery log %s is in use by %s", l.path, who)),
			"wait for that run to finish, or stop it, before starting another on the same campaign")
	}
	if created {
		// Without this, a power cut could lose the new file and every attempt in it.
		if err := syncDir(filepath.Dir(l.path)); err != nil {
			return fmt.Errorf("create delivery log %s: %w", l.path, err)
		}
		return nil
	}
	data, err := io.ReadAll(l.f)
	if err != nil {
		return fmt.Errorf("read delivery log: %w", err)
	}
	records, n, err := parse(data, l.path)
	if err != nil {
		return err
	}
	l.records = records
	l.queued = uint64(len(records))
	l.synced = l.queued
	if n == len(data) && (n == 0 || data[n-1] == '\n') {
		return nil
	}
	// The tail is either a cut-off line, dropped here, or a whole record that lost its
	// newline, which gets one; either way the next record starts on a clean line.
	l.repaired = true
	if n < len(data) {
		if err = l.f.Truncate(int64(n)); err == nil {
			_, err = l.f.Seek(int64(n), io.SeekStart)
		}
	} else {
		_, err = l.f.Write([]byte{'\n'})
	}
	if err == nil {
		err = l.sync()
	}
	if err != nil {
		return fmt.Errorf("repair the end of delivery log %s: %w", l.path, err)
	}
	return nil
}

// Repaired reports whether Open found the last line cut short, as a crash leaves it, and
// repaired it. A run may mention it; nothing was lost that had been made durable.
func (l *Log) Repaired() bool { return l.repaired }

// Records returns a copy of every record in the log, in file order.
func (l *Log) Records() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.records)
}

// States folds the log's records for campaign; see [Fold].
func (l *Log) States(campaign string) map[string]State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Fold(l.records, campaign)
}

// Attempt records that the message described by r is about to be sent. It returns only once
// the record is durable: send the message after it returns, and not at all if it fails.
// r.Type is set to "attempt"; a zero r.Time is set to now.
func (l *Log) Attempt(r Record) error {
	r.Type = TypeAttempt
	if err := check(&r); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	seq, err := l.addLocked(&r)
	if err != nil {
		return err
	}
	if err := l.syncLocked(seq); err != nil {
		return err
	}
	l.drainLocked()
	return nil
}

// Outcome records what became of an attempt. The record is handed to the operating system
// at once, or by the goroutine writing at that moment, and is made durable by the next
// Attempt, Sync or Close. r.Type is set to "outcome"; a zero r.Time is set to now.
func (l *Log) Outcome(r Record) error {
	r.Type = TypeOutcome
	if err := check(&r); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.addLocked(&r); err != nil {
		return err
	}
	l.drainLocked()
	return l.err
}

// Sync makes every record added so far durable.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.closedError()
	}
	return l.syncLocked(l.queued)
}

// Close makes every record durable, releases the lock and closes the file. The log cannot
// be used afterwards.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.closedError()
	}
	err := l.syncLocked(l.queued)
	for l.busy {
		l.cond.Wait()
	}
	l.closed = true
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close delivery log: %w", cerr)
	}
	return err
}

func (l *Log) closedError() error {
	return fmt.Errorf("delivery log %s: %w", l.path, os.ErrClosed)
}

func check(r *Record) error {
	switch {
	case r.Campaign == "":
		return fmt.Errorf("record %s: campaign is empty", r.Type)
	case r.Key == "":
		return fmt.Errorf("record %s for campaign %s: recipient key is empty", r.Type, r.Campaign)
	}
	if r.Type == TypeAttempt {
		if r.Status != "" || r.Failure != "" {
			return fmt.Errorf("record attempt for %s: an attempt has no status", r.Key)
		}
		return nil
	}
	switch r.Status {
	case StatusDelivered, StatusUnknown, StatusSkipped, StatusNotSent:
		if r.Failure != "" {
			return fmt.Errorf("record outcome for %s: failure %q given with status %s", r.Key, r.Failure, r.Status)
		}
	case StatusFailed:
		if r.Failure != FailureTemporary && r.Failure != FailurePermanent {
			return fmt.Errorf("record outcome for %s: failure %q is neither %s nor %s", r.Key, r.Failure, FailureTemporary, FailurePermanent)
		}
	default:
		return fmt.Errorf("record outcome for %s: unknown status %q", r.Key, r.Status)
	}
	return nil
}

// addLocked encodes r into buf and returns its sequence number.
func (l *Log) addLocked(r *Record) (uint64, error) {
	if l.closed {
		return 0, l.closedError()
	}
	if l.err != nil {
		return 0, l.err
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	// Kept as it will read back from the file.
	r.Time = r.Time.UTC().Truncate(time.Millisecond)
	r.To, r.Cc, r.Bcc = cloneList(r.To), cloneList(r.Cc), cloneList(r.Bcc)
	l.buf = r.appendJSON(l.buf)
	l.buf = append(l.buf, '\n')
	l.records = append(l.records, *r)
	l.queued++
	return l.queued, nil
}

func cloneList(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// syncLocked returns once record seq is durable. This is the group commit: a goroutine that
// finds no I/O in progress writes and fsyncs everything queued, its own record and those of
// others; the others wait for that round, or for the next one if they came too late for it.
func (l *Log) syncLocked(seq uint64) error {
	for l.synced < seq {
		if l.err != nil {
			return l.err
		}
		if l.busy {
			l.waiting++
			l.cond.Wait()
			l.waiting--
			continue
		}
		l.ioLocked(true)
	}
	return nil
}

// drainLocked writes, without fsync, what is left in buf once no Attempt is waiting to do
// it, so that outcomes survive herald being killed.
func (l *Log) drainLocked() {
	for !l.busy && l.waiting == 0 && len(l.buf) > 0 && l.err == nil {
		l.ioLocked(false)
	}
}

// ioLocked writes buf to the file, and fsyncs if durable, with mu released meanwhile.
func (l *Log) ioLocked(durable bool) {
	l.busy = true
	data, target := l.buf, l.queued
	l.buf, l.spare = l.spare[:0], nil
	l.mu.Unlock()

	var err error
	if len(data) > 0 {
		if _, err = l.f.Write(data); err != nil {
			err = fmt.Errorf("write delivery log: %w", err)
		}
	}
	if err == nil && durable {
		if err = l.sync(); err != nil {
			err = fmt.Errorf("write delivery log %s to disk: %w", l.path, err)
		}
	}

	l.mu.Lock()
	l.busy = false
	l.spare = data[:0]
	switch {
	case err != nil:
		// After a failed write or fsync nothing is known of the file's tail, so nothing more
		// may be sent on its account.
		l.err = withHint(err, "stop sending: the recipients after this point could not be recorded; check the disk, then run again")
	case durable:
		l.syncs++
		l.synced = target
	}
	l.cond.Broadcast()
}
