//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package deliverylog

import "os"

// lockFile does nothing on systems without flock: herald does not support running there
// concurrently on one log.
func lockFile(*os.File, bool) error { return nil }

func unlockFile(*os.File) error { return nil }

func lockPID(*os.File) int { return 0 }

func linkCount(os.FileInfo) uint64 { return 1 }

func syncDir(string) error { return nil }
