//go:build unix

package connlimit

import (
	"math"
	"syscall"
)

// FileLimit is the process's soft RLIMIT_NOFILE; false when it cannot be
// read or is unlimited.
func FileLimit() (int, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur == math.MaxUint64 || r.Cur == 0 {
		return 0, false
	}
	return int(min(r.Cur, math.MaxInt32)), true
}
