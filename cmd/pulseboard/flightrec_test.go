package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFlightRecorderOffByDefault(t *testing.T) {
	r, err := startFlightRecorder(func(string) string { return "" }, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Nil(t, r)
}

func TestFlightRecorderRefusesABadThreshold(t *testing.T) {
	for _, v := range []string{"soon", "0s", "-5ms"} {
		env := map[string]string{envTraceSlow: v}
		_, err := startFlightRecorder(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
		require.ErrorContains(t, err, envTraceSlow, v)
	}
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	env := map[string]string{envTraceSlow: "20ms", envTraceDir: filepath.Join(file, "traces")}
	_, err := startFlightRecorder(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, envTraceDir, "a directory that cannot be made")
}

// TestFlightRecorderDumpsSlowDeliveries: a delivery past the threshold
// writes a trace; faster ones, and slow ones within traceGap of the last
// dump, write none.
func TestFlightRecorderDumpsSlowDeliveries(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{envTraceSlow: "20ms", envTraceDir: dir}
	var log bytes.Buffer
	r, err := startFlightRecorder(func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(&log, nil)))
	require.NoError(t, err)
	defer r.stop()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	traces := func() []string {
		r.wg.Wait()
		names, err := filepath.Glob(filepath.Join(dir, "*.trace"))
		require.NoError(t, err)
		return names
	}

	r.observe(19 * time.Millisecond)
	require.Empty(t, traces(), "under the threshold")
	r.observe(25 * time.Millisecond)
	got := traces()
	require.Len(t, got, 1)
	require.Equal(t, "pulseboard-slow-01-120000-25ms.trace", filepath.Base(got[0]))
	f, err := os.Open(got[0])
	require.NoError(t, err)
	head := make([]byte, 16)
	_, err = io.ReadFull(f, head)
	f.Close()
	require.NoError(t, err)
	require.Contains(t, string(head), "go 1.", "an execution trace")
	require.Contains(t, log.String(), "trace written")

	now = now.Add(traceGap - time.Millisecond)
	r.observe(time.Second)
	require.Len(t, traces(), 1, "within traceGap of the last dump")
	now = now.Add(time.Millisecond)
	r.observe(time.Second)
	require.Len(t, traces(), 2)
}

func TestFlightRecorderWritesAtMostTraceMaxFiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{envTraceSlow: "1ms", envTraceDir: dir}
	r, err := startFlightRecorder(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer r.stop()
	now := time.Now()
	r.now = func() time.Time { return now }
	for range traceMaxFiles + 3 {
		r.observe(time.Second)
		r.wg.Wait()
		now = now.Add(traceGap)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.trace"))
	require.NoError(t, err)
	require.Len(t, names, traceMaxFiles)
}

func TestFlightRecorderLogsAFailedDump(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "traces")
	env := map[string]string{envTraceSlow: "1ms", envTraceDir: dir}
	var log bytes.Buffer
	r, err := startFlightRecorder(func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(&log, nil)))
	require.NoError(t, err)
	defer r.stop()
	require.NoError(t, os.Remove(dir))
	r.observe(time.Second)
	r.wg.Wait()
	require.Contains(t, log.String(), "writing the trace")
	require.False(t, r.busy.Load(), "a failed dump does not stop the next")
}
