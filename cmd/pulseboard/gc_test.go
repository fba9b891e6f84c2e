package main

import (
	"runtime/debug"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)

	tuneGC(func(string) string { return "" })
	require.Equal(t, defaultGOGC, debug.SetGCPercent(100), "GOGC unset: pulseboard's default")

	tuneGC(func(k string) string {
		require.Equal(t, "GOGC", k)
		return "200"
	})
	require.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: left to the runtime")
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
