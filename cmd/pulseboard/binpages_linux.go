package main

import (
	"errors"
	"os"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// releaseBinaryPages drops from the process's resident memory the pages of
// the executable's code and read-only data that start-up mapped, so that
// what stays resident is what the running program uses.
//
// Why: start-up runs code that never runs again (every package's
// initialisation, nats-server's among them, the config's loading and
// checks, the routes' building), and the kernel maps each page it reads
// together with up to fifteen cached neighbours (fault-around, 64 KiB).
// A pulseboard of 81 series thus kept about 21 MB of its 48 MB binary
// resident; after MADV_DONTNEED on those mappings, about 15 MB
// (BENCHMARKS.md, "Overhead beside Netdata and Prometheus"). The pages are
// clean copies of the file: a later access maps the page again from the
// page cache (a minor fault), with its neighbours, as any first access
// does. MADV_RANDOM does not stop fault-around (it only turns off
// read-ahead), so it is not used; nor is the drop repeated: what the
// running program touches is what it needs.
//
// Only mappings of the executable that are neither writable nor shared are
// touched: a writable one holds the program's data, which DONTNEED would
// discard. The run command calls it once, when the dashboard listens, on
// its announcing goroutine; an error (no /proc, an executable that cannot
// be named) leaves the pages as they were and is only logged: it changes
// no behaviour.
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
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, m.StartAddr, m.EndAddr-m.StartAddr, unix.MADV_DONTNEED); e != 0 {
			errs = append(errs, e)
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
