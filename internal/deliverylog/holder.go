package deliverylog

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// Holder is what is known of the herald run that has a log open.
type Holder struct {
	PID   int       // its process; 0 when neither the system nor the lock file says
	Run   string    // the run field of the records it writes; "" when not known
	Since time.Time // when it opened the log; zero when not known
}

// Holding reports which herald run has the log at path open, or nil when none has. It is
// for reports made while a run may be sending: it changes nothing, and takes a shared lock
// for no longer than it takes to test for a run's, which [Open] waits out.
func Holding(path string) (*Holder, error) {
	// The lock file, and the log itself for a run whose lock file was deleted.
	for _, name := range []string{lockName(path), path} {
		// To open a named pipe is to wait for its writer: only regular files are looked in.
		if st, err := os.Stat(name); err == nil && !st.Mode().IsRegular() {
			return nil, checkLogFile(name, st.Mode(), st.Size())
		}
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = lockFile(f, false)
		if err == nil {
			err = unlockFile(f)
		} else if errors.Is(err, ErrLocked) {
			h := holder(f)
			f.Close()
			return &h, nil
		}
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// holder says what is known of the run that holds the lock on f: what the system says,
// and what the run wrote in its lock file (see Log.announce).
func holder(f *os.File) Holder {
	var h Holder
	buf := make([]byte, 512)
	n, _ := f.ReadAt(buf, 0)
	for line := range strings.Lines(string(buf[:n])) {
		key, value, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch key {
		case "pid":
			h.PID, _ = strconv.Atoi(value)
		case "run":
			h.Run = value
		case "since":
			h.Since, _ = time.Parse(time.RFC3339, value)
		}
	}
	if pid := lockPID(f); pid > 0 {
		h.PID = pid
	}
	return h
}
