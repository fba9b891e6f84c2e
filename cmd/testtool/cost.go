package testtool

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// Cost is what one call of a parser took, for the fuzz targets that
// bound the work of every input: the CPU time of its thread (wall time
// where threads cannot be measured), wall time, and bytes allocated on the
// heap (by every goroutine; in a fuzz worker that is the parser).
type Cost struct {
	CPU   time.Duration
	Wall  time.Duration
	Bytes uint64
}

// CostOf runs f on a thread of its own and measures it. Bounds belong on
// CPU time and bytes: a loaded machine can leave a fuzz worker
// unscheduled for seconds, which says nothing about the parser. Reading
// the allocation counter does not stop the world (runtime/metrics), so
// fuzzing keeps its pace; the price is granularity: it counts a whole span
// when a P's cache takes one, so Bytes can be off by a few hundred KiB
// either way for small inputs. Allow about 1 MiB of slack in a bound.
func CostOf(f func()) Cost {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	cpu0, start := threadCPU(), time.Now()
	f()
	wall := time.Since(start)
	took := threadCPU() - cpu0
	metrics.Read(s)
	if cpu0 == 0 { // not measured on this system
		took = wall
	}
	return Cost{CPU: took, Wall: wall, Bytes: s[0].Value.Uint64() - before}
}
