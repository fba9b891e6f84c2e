package main

import (
	"errors"
	"os"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// releaseBinaryPages makes the executable's own code and read-only data
// cost resident memory only for the pages the program actually uses.
//
// Why: the kernel maps a file page on a read fault together with up to
// fifteen cached neighbours ("fault-around", 64 KiB), and the runtime
// reads its function tables at places scattered over the whole 11 MB
// (every garbage collection walks each goroutine's frames through them).
// A pulseboard of 81 series thus kept about 21 MB of its 48 MB binary
// resident, most of it neighbours never read; with the mappings advised
// MADV_RANDOM (no fault-around, no read-ahead) and what start-up mapped
// dropped (MADV_DONTNEED: the pages are clean copies of the file, and a
// later access maps the one page it needs again), about 16 MB
// (BENCHMARKS.md, "Overhead beside Netdata and Prometheus"). The cost is a
// minor fault per page of code first used later, instead of one per 16.
//
// Only mappings of the executable that are not writable are touched: a
// writable one holds the program's data, which DONTNEED would discard.
// The run command calls it once at start, on its goroutine; an error
// (no /proc, an executable that cannot be named) leaves the pages as
// they were and is only logged: it changes no behaviour.
func releaseBinaryPages() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	self, err := procfs.Self()
	if err != nil {
		return err
	}
	maps, err := self.ProcMaps()
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range binaryMappings(maps, exe) {
		for _, advice := range []uintptr{unix.MADV_RANDOM, unix.MADV_DONTNEED} {
			if _, _, e := unix.Syscall(unix.SYS_MADVISE, m.StartAddr, m.EndAddr-m.StartAddr, advice); e != 0 {
				errs = append(errs, e)
			}
		}
	}
	return errors.Join(errs...)
}

// binaryMappings are the mappings of exe that are neither writable nor
// shared: its code and read-only data.
func binaryMappings(maps []*procfs.ProcMap, exe string) []*procfs.ProcMap {
	var out []*procfs.ProcMap
	for _, m := range maps {
		if m.Pathname != exe || m.Perms == nil || m.Perms.Write || m.Perms.Shared || m.EndAddr <= m.StartAddr {
			continue
		}
		out = append(out, m)
	}
	return out
}
