package deliverylog

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

var unsafeFileChars = regexp.MustCompile(`[^\p{L}\p{N}._-]+`)

// FileName is the name of a campaign's log file: the campaign with every run of characters
// that some file system refuses replaced by "_", then ".delivery.jsonl".
func FileName(campaign string) string {
	return unsafeFileChars.ReplaceAllString(campaign, "_") + ".delivery.jsonl"
}

// lockName is the name of the lock file of the log at path: path followed by ".lock".
func lockName(path string) string { return path + ".lock" }

// ErrLocked is returned by [Open] when another run has the log open.
var ErrLocked = errors.New("delivery log is in use by another herald run")

// lockedError says which log is locked, and by whom, without repeating ErrLocked's words.
type lockedError string

func (e lockedError) Error() string        { return string(e) }
func (e lockedError) Is(target error) bool { return target == ErrLocked }

// ErrReplaced is matched by the error of a [Log] whose file was deleted, replaced or changed
// by another program while it was open: see [Log.Close].
var ErrReplaced = errors.New("delivery log was deleted or replaced while in use")

// replacedError says what happened to the file; Close adds where its records were saved.
type replacedError struct {
	msg  string
	gone bool // nothing is at the path now
}

func (e *replacedError) Error() string        { return e.msg }
func (e *replacedError) Is(target error) bool { return target == ErrReplaced }

// maxText is the most bytes of reply, and of error text, that one record keeps.
const maxText = 2 << 10

// Log is an open delivery log. Its methods may be called from several goroutines.
type Log struct {
	path string
	run  string
	// lock is the lock file, locked for as long as the log is open. Unlike the log, it is
	// never replaced, so deleting or replacing the log does not let a second run in.
	lock *os.File
	// f is the log file, nil until the first record is written when it did not exist yet:
	// a run that sends nothing leaves no file behind. It is also locked, so that a run
	// whose lock file was deleted still keeps others out.
	f *os.File
	// size is the length of the file as herald left it; an I/O round that finds another
	// length knows another program changed the file.
	size int64
	// sync makes written data durable; tests replace it to count or delay fsyncs.
	sync    func(*os.File) error
	dropped []byte

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
	busy           bool // a goroutine is writing or syncing outside mu; f and size are its
	waiting        int  // Attempt calls waiting for another goroutine's fsync
	syncs          int  // fsyncs done, for tests and benchmarks
	// err is the first failed write or fsync, or the replacement of the file; the log
	// accepts nothing after it, except outcomes once replaced (kept for the saved copy).
	err    error
	closed bool
}

// Open opens the log at path for a run; its folder must exist. It locks the log so that no
// other run can use it until [Log.Close], reads its records, and repairs a last line cut
// short by a crash (see [Log.Dropped]). A log that does not exist yet is created, with mode
// 0600, when the first record is written. The lock is taken on a lock file beside the log
// (PATH.lock), created if need be and never removed, and on the log itself.
func Open(path string) (*Log, error) {
	// The lock file is made beside the log: never beside a device or a pipe (/dev/zero.lock).
	if st, err := os.Stat(path); err == nil {
		if err := checkLogFile(path, st.Mode(), st.Size()); err != nil {
			return nil, err
		}
	}
	lock, err := openLock(path)
	if err != nil {
		return nil, err
	}
	l := &Log{path: path, lock: lock, run: newRunID(), sync: (*os.File).Sync}
	l.cond.L = &l.mu
	if err := l.init(); err != nil {
		l.release()
		return nil, err
	}
	l.announce()
	return l, nil
}

// openLock opens and locks the lock file of the log at path.
func openLock(path string) (*os.File, error) {
	name := lockName(path)
	for range 3 {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withHint(fmt.Errorf("create delivery log %s: folder %s does not exist", path, filepath.Dir(path)),
				"create the folder first, or give a log path in a folder that exists")
		}
		if err != nil {
			return nil, fmt.Errorf("open the lock file of delivery log %s: %w", path, err)
		}
		if err := lock(f, path); err != nil {
			f.Close()
			return nil, err
		}
		// A run that deleted the lock file between our open and our lock would have made
		// another, which a third run could lock as well: take the lock on the file that is
		// there now.
		fi, ferr := f.Stat()
		pi, perr := os.Stat(name)
		if ferr == nil && perr == nil && os.SameFile(fi, pi) {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock delivery log %s: its lock file %s keeps being replaced", path, name)
}

// lock takes the exclusive lock of a run on f, the lock file or the log of path. A lock
// held for a moment by herald status looking (see [Holding]) is waited for.
func lock(f *os.File, path string) error {
	var err error
	for try := 0; try < 20; try++ {
		if err = lockFile(f, true); !errors.Is(err, ErrLocked) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrLocked) {
		return fmt.Errorf("lock delivery log %s: %w", path, err)
	}
	who := "another herald run"
	if h := holder(f); h.PID > 0 {
		who = fmt.Sprintf("another herald run (process %d)", h.PID)
	}
	return withHint(lockedError(fmt.Sprintf("delivery log %s is in use by %s", path, who)),
		"wait for that run to finish, or stop it, before starting another on the same campaign")
}

func (l *Log) init() error {
	// Not O_APPEND: the lock keeps other writers out, and on Windows an append-only handle
	// could not truncate a cut-off line.
	f, err := os.OpenFile(l.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open delivery log: %w", err)
	}
	l.f = f
	if err := lock(f, l.path); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err == nil && len(data) > MaxSize {
		err = checkLogFile(l.path, 0, int64(len(data)))
	}
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
	l.size = int64(len(data))
	if n == len(data) && (n == 0 || data[n-1] == '\n') {
		return nil
	}
	// The tail is either a cut-off line, dropped here, or a whole record that lost its
	// newline, which gets one; either way the next record starts on a clean line.
	if n < len(data) {
		l.dropped = slices.Clone(data[n:])
		if err = f.Truncate(int64(n)); err == nil {
			_, err = f.Seek(int64(n), io.SeekStart)
		}
		l.size = int64(n)
	} else {
		_, err = f.Write([]byte{'\n'})
		l.size++
	}
	if err == nil {
		err = l.sync(f)
	}
	if err != nil {
		return fmt.Errorf("repair the end of delivery log %s: %w", l.path, err)
	}
	return nil
}

// announce writes into the lock file who holds it, for herald status (see [Holding]).
// Nothing depends on it being durable.
func (l *Log) announce() {
	text := fmt.Sprintf("pid %d\nrun %s\nsince %s\n", os.Getpid(), l.run, time.Now().UTC().Format(time.RFC3339))
	if err := l.lock.Truncate(0); err == nil {
		_, _ = l.lock.WriteAt([]byte(text), 0)
	}
}

// release closes the files, which lets the locks go.
func (l *Log) release() {
	if l.f != nil {
		l.f.Close()
	}
	l.lock.Close()
}

func newRunID() string {
	return fmt.Sprintf("%s-%04x", time.Now().UTC().Format("20060102T150405"), rand.IntN(1<<16))
}

// Run identifies this opening of the log, for the run field of the records of a send: the
// time in UTC and four random hex digits, such as "20240110T093000-3f2a".
func (l *Log) Run() string { return l.run }

// Dropped returns what Open cut from the end of the file, nil when nothing: the start of a
// line that a crash cut short (or zeros a power cut left), never a whole record. Nothing
// that had been made durable was lost, but a run may show it.
func (l *Log) Dropped() []byte { return l.dropped }

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
	return l.addUnsynced(r)
}

// Note records what herald inbox found, how far it read a folder, or a copy filed by
// --copy-to-sent: any record type but attempt and outcome, which r.Type names. Like an
// outcome, it is handed to the operating system at once and made durable by the next
// Attempt, Sync or Close. A zero r.Time is set to now.
func (l *Log) Note(r Record) error {
	switch r.Type {
	case TypeBounce, TypeDelayed, TypeAutoReply, TypeReply, TypeUnmatched, TypeCursor, TypeSentCopy:
	default:
		return fmt.Errorf("record %q: not a type Note writes", r.Type)
	}
	return l.addUnsynced(r)
}

// addUnsynced adds r and hands it to the operating system without waiting for an fsync:
// only an attempt must be durable before its message goes out.
func (l *Log) addUnsynced(r Record) error {
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
//
// When the file was deleted, replaced or changed by another program while the log was
// open, nothing more was written to it from then on, and Close writes every record the log
// holds (those read by Open, and those added since, outcomes included) to a new file beside
// it, PATH.saved-RUN; its error matches [ErrReplaced] and names that file.
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
	if l.f != nil {
		if cerr := l.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close delivery log: %w", cerr)
		}
	}
	var re *replacedError
	if errors.As(err, &re) {
		err = l.saveLocked(re)
	}
	l.lock.Close()
	return err
}

// saveLocked writes the records to PATH.saved-RUN after the file was replaced, and returns
// the error that tells the user.
func (l *Log) saveLocked(re *replacedError) error {
	saved := l.path + ".saved-" + l.run
	var data []byte
	for i := range l.records {
		data = l.records[i].appendJSON(data)
		data = append(data, '\n')
	}
	f, err := os.OpenFile(saved, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return withHint(re, fmt.Sprintf("herald could not save the %d records it holds (%v): before running herald send again, put the log back as it was, or everyone recorded in it will be mailed again", len(l.records), err))
	}
	next := fmt.Sprintf("before running herald send again, compare that file with what is at %s now and keep the complete one under the name %s: without this run's records herald send would mail those recipients again", l.path, l.path)
	if re.gone {
		next = fmt.Sprintf("before running herald send again, move that file to %s: without this run's records herald send would mail those recipients again", l.path)
	}
	return withHint(re, fmt.Sprintf("herald saved the %d records it holds, this run's included, in %s", len(l.records), saved), next)
}

func (l *Log) closedError() error {
	return fmt.Errorf("delivery log %s: %w", l.path, os.ErrClosed)
}

func check(r *Record) error {
	switch {
	case r.Campaign == "":
		return fmt.Errorf("record %s: campaign is empty", r.Type)
	case r.Key == "" && r.Type != TypeCursor && r.Type != TypeUnmatched:
		return fmt.Errorf("record %s for campaign %s: recipient key is empty", r.Type, r.Campaign)
	}
	switch r.Type {
	case TypeCursor:
		if r.Folder == "" || r.UIDValidity == 0 {
			return fmt.Errorf("record %s for campaign %s: no folder or UIDVALIDITY", r.Type, r.Campaign)
		}
		return nil
	case TypeBounce, TypeDelayed, TypeAutoReply, TypeReply, TypeUnmatched, TypeSentCopy:
		return nil
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
		var re *replacedError
		if r.Type == TypeOutcome && errors.As(l.err, &re) {
			// Written nowhere, but kept for the copy Close saves: the message went out.
			l.records = append(l.records, l.normalise(r))
		}
		return 0, l.err
	}
	rec := l.normalise(r)
	l.buf = rec.appendJSON(l.buf)
	l.buf = append(l.buf, '\n')
	l.records = append(l.records, rec)
	l.queued++
	return l.queued, nil
}

// normalise returns r as it will read back from the file, with its own address lists.
func (l *Log) normalise(r *Record) Record {
	rec := *r
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	rec.Time = rec.Time.UTC().Truncate(time.Millisecond)
	rec.To, rec.Cc, rec.Bcc = cloneList(r.To), cloneList(r.Cc), cloneList(r.Bcc)
	rec.Reply, rec.Error = cutText(rec.Reply), cutText(rec.Error)
	rec.Diagnostic, rec.Subject, rec.Reason = cutText(rec.Diagnostic), cutText(rec.Subject), cutText(rec.Reason)
	if !rec.Date.IsZero() {
		rec.Date = rec.Date.UTC().Truncate(time.Millisecond)
	}
	return rec
}

// cutText keeps at most maxText bytes of s, whole characters, and says how long it was.
func cutText(s string) string {
	if len(s) <= maxText {
		return s
	}
	n := maxText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf(" [cut by herald: %d bytes in all]", len(s))
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

// ioLocked writes buf to the file, and fsyncs if durable, with mu released meanwhile. It
// first makes sure that the file is still the log: see checkFile.
func (l *Log) ioLocked(durable bool) {
	l.busy = true
	data, target := l.buf, l.queued
	l.buf, l.spare = l.spare[:0], nil
	l.mu.Unlock()

	err := l.checkFile()
	if err == nil && len(data) > 0 {
		if _, err = l.f.Write(data); err != nil {
			err = fmt.Errorf("write delivery log: %w", err)
		} else {
			l.size += int64(len(data))
		}
	}
	if err == nil && durable {
		if err = l.sync(l.f); err != nil {
			err = fmt.Errorf("write delivery log %s to disk: %w", l.path, err)
		}
	}

	l.mu.Lock()
	l.busy = false
	l.spare = data[:0]
	var re *replacedError
	switch {
	case errors.As(err, &re):
		l.err = err
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

// checkFile creates the log if it does not exist yet, and otherwise makes sure that the
// path still names the file herald has open, at the length herald left it: an editor that
// saved over the log, or someone who deleted it, would otherwise have herald record its
// sends in a file that nobody will read, and mail everyone again on the next run.
func (l *Log) checkFile() error {
	if l.f == nil {
		return l.create()
	}
	fi, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("check delivery log %s: %w", l.path, err)
	}
	pi, perr := os.Stat(l.path)
	var what string
	gone := errors.Is(perr, fs.ErrNotExist)
	switch {
	case gone:
		what = "was deleted or moved away"
	case perr != nil:
		return fmt.Errorf("check delivery log %s: %w", l.path, perr)
	case !os.SameFile(fi, pi) || linkCount(fi) == 0:
		what = "was replaced by another file (as an editor saves, or a copy moved over it)"
	case fi.Size() != l.size:
		what = fmt.Sprintf("was changed by another program (it has %d bytes, herald left %d)", fi.Size(), l.size)
	default:
		return nil
	}
	return &replacedError{fmt.Sprintf("delivery log %s %s while herald was sending: herald stopped and wrote nothing more to it", l.path, what), gone}
}

// create makes the log file on its first record.
func (l *Log) create() error {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return &replacedError{msg: fmt.Sprintf("delivery log %s was created by another program, or another herald run, while herald was sending: herald stopped and wrote nothing to it", l.path)}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("create delivery log %s: folder %s no longer exists", l.path, filepath.Dir(l.path))
	}
	if err != nil {
		return fmt.Errorf("create delivery log: %w", err)
	}
	if err := lock(f, l.path); err != nil {
		f.Close()
		return err
	}
	// Without this, a power cut could lose the new file and every attempt in it.
	if err := syncDir(filepath.Dir(l.path)); err != nil {
		f.Close()
		return fmt.Errorf("create delivery log %s: %w", l.path, err)
	}
	l.f = f
	return nil
}
