package deliverylog

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockRange is the one byte locked, far beyond the end of the file. Windows locks are
// mandatory, so locking the contents would stop herald status, or an editor, from reading
// them.
func lockRange() *windows.Overlapped { return &windows.Overlapped{Offset: 0, OffsetHigh: 0x7fffffff} }

// lockFile takes the lock without waiting, exclusive or shared.
func lockFile(f *os.File, exclusive bool) error {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, lockRange())
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return ErrLocked
	}
	return err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRange())
}

// lockPID returns 0: Windows does not say who holds a lock. The lock file does.
func lockPID(*os.File) int { return 0 }

// linkCount returns 1: Windows does not let a file that herald has open be deleted or
// replaced, and os.Stat of the path tells if it was all the same.
func linkCount(os.FileInfo) uint64 { return 1 }

// syncDir does nothing: Windows cannot fsync a folder, and NTFS journals the new entry.
func syncDir(string) error { return nil }
