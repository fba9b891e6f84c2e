package main

import (
	"runtime/debug"
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
