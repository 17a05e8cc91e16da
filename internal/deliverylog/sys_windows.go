package deliverylog

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile locks one byte far beyond the end of the file. Windows locks are mandatory, so
// locking the records themselves would stop herald status, or an editor, from reading them.
func lockFile(f *os.File) error {
	ol := &windows.Overlapped{Offset: 0, OffsetHigh: 0x7fffffff}
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return ErrLocked
	}
	return err
}

func lockHolder(*os.File) int { return 0 }

// syncDir does nothing: Windows cannot fsync a folder, and NTFS journals the new entry.
func syncDir(string) error { return nil }
