package aggregator

import (
	"syscall"
	"testing"
	"time"
)

// cpuTimer measures the process's CPU time (user+system, GC included)
// across a benchmark. The machine is shared, so wall time per op swings
// with other people's load; CPU time per op is what this code costs.
type cpuTimer struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuTimer { return cpuTimer{processCPU()} }

// report adds cpu-ns/op; per, if > 0, also reports per-unit CPU rates.
func (c cpuTimer) report(b *testing.B) time.Duration {
	d := processCPU() - c.start
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	return d
}
