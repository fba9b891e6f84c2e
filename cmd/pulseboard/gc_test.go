package main

import (
	"math"
	"runtime/debug"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)

	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(oldLimit)

	tuneGC(func(string) string { return "" }, 3<<30)
	require.Equal(t, defaultGOGC, debug.SetGCPercent(100), "GOGC unset: pulseboard's default")
	require.Equal(t, int64(3<<30), debug.SetMemoryLimit(math.MaxInt64), "GOMEMLIMIT unset: aggregator.memory_limit")

	tuneGC(func(k string) string {
		return map[string]string{"GOGC": "200", "GOMEMLIMIT": "1GiB"}[k]
	}, 3<<30)
	require.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: left to the runtime")
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(math.MaxInt64), "GOMEMLIMIT set: left to the runtime")
}

// A drop while a release runs makes it run once more; drops while it
// waits to run fold into that one; none runs for nothing dropped.
func TestMemoryReleaser(t *testing.T) {
	entered, proceed := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	m := &memoryReleaser{free: func() {
		runs.Add(1)
		entered <- struct{}{}
		<-proceed
	}}
	m.release(0)
	m.release(100)
	<-entered // the first release collects
	m.release(5)
	m.release(7) // folds into the one that follows
	proceed <- struct{}{}
	<-entered // the second, for the drops during the first
	proceed <- struct{}{}
	m.wait()
	require.Equal(t, int32(2), runs.Load())
	require.False(t, m.running.Load())
	require.False(t, m.pending.Load())
}
