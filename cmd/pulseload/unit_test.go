package main

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	require.Zero(t, h.quantile(0.99))
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	require.Equal(t, uint64(1000), h.count.Load())
	require.InDelta(t, 500, ms(h.quantile(0.5)), 0.2)
	require.InDelta(t, 900, ms(h.quantile(0.9)), 0.2)
	require.InDelta(t, 990, ms(h.quantile(0.99)), 0.2)
	require.Equal(t, time.Second, h.max())
	require.Equal(t, time.Second, h.quantile(1))

	h.record(-time.Millisecond) // a message read within the ms of its ts
	h.record(2 * time.Minute)   // past the last bucket
	require.Equal(t, 2*time.Minute, h.max())
	require.Equal(t, 2*time.Minute, h.quantile(1))
}

func TestTrackerGapsAndResyncs(t *testing.T) {
	var c counters
	var tr tracker
	now := time.UnixMilli(1000)
	obs := func(h protocol.Header) {
		h.HasSeq, h.HasTS = true, true
		tr.observe(h, now, &c)
	}
	tr.observe(protocol.Header{Type: "hello"}, now, &c)
	obs(protocol.Header{Type: "snapshot", Seq: 10})
	obs(protocol.Header{Type: "delta", Seq: 11})
	obs(protocol.Header{Type: "delta", Seq: 14, From: 12, HasFrom: true}) // merged: no gap
	require.Zero(t, c.gaps.Load())
	require.Equal(t, uint64(1), c.merged.Load())
	obs(protocol.Header{Type: "delta", Seq: 16}) // 15 is missing
	require.Equal(t, uint64(1), c.gaps.Load())
	obs(protocol.Header{Type: "snapshot", Seq: 40}) // resync
	obs(protocol.Header{Type: "delta", Seq: 41})
	require.Equal(t, uint64(1), c.gaps.Load())
	require.Equal(t, uint64(1), c.resyncs.Load())
	require.Equal(t, uint64(2), c.snapshots.Load())
	require.Equal(t, uint64(4), c.deltas.Load())

	d, ok := tr.observe(protocol.Header{Type: "delta", Seq: 42, HasSeq: true, TS: 900, HasTS: true}, now, &c)
	require.True(t, ok)
	require.Equal(t, 100*time.Millisecond, d)

	// A delta built before the connection opened is a replay: no delay.
	tr.opened = 950
	_, ok = tr.observe(protocol.Header{Type: "delta", Seq: 43, HasSeq: true, TS: 949, HasTS: true}, now, &c)
	require.False(t, ok)
	require.Equal(t, uint64(1), c.replayed.Load())
	d, ok = tr.observe(protocol.Header{Type: "delta", Seq: 44, HasSeq: true, TS: 950, HasTS: true}, now, &c)
	require.True(t, ok, "built as it opened")
	require.Equal(t, 50*time.Millisecond, d)
	require.Zero(t, c.gaps.Load()-1, "replays still count in the sequence")

	tr.observe(protocol.Header{Type: "mystery"}, now, &c)
	require.Equal(t, uint64(1), c.undecodable.Load())
}

func TestCheckTarget(t *testing.T) {
	for _, ok := range []string{"ws://127.0.0.1:8080/ws", "ws://localhost:8080/ws", "ws://[::1]:8080/ws", "ws://127.0.0.2/ws"} {
		_, err := checkTarget(ok)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{"ws://10.0.0.1:8080/ws", "ws://example.com/ws", "ws://localhost.example.com/ws",
		"http://127.0.0.1:8080/ws", "wss://127.0.0.1/ws", "ws://0.0.0.0:8080/ws", "::bad"} {
		_, err := checkTarget(bad)
		require.Error(t, err, bad)
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-clients", "10", "-duration", "2s", "-ramp", "1s", "-token", "t"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 10, cfg.clients)
	require.Equal(t, 2*time.Second, cfg.duration)
	cfg, err = parseFlags([]string{"-clients", "5", "-stalled", "1000"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 1000, cfg.stalled)
	cfg, err = parseFlags([]string{"-warmup", "2s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, cfg.warmup)

	for _, args := range [][]string{
		{"-clients", "0"}, {"-clients", "20001"}, {"-duration", "0s"}, {"-duration", "11m"},
		{"-ramp", "-1s"}, {"-ramp", "6m"}, {"-url", "ws://192.168.1.1/ws"}, {"extra"}, {"-nope"},
		{"-stalled", "-1"}, {"-clients", "19999", "-stalled", "2"}, {"-warmup", "-1s"}, {"-warmup", "6m"},
	} {
		_, err := parseFlags(args, io.Discard)
		require.Error(t, err, "%v", args)
	}
}

func TestParseProc(t *testing.T) {
	stat, err := os.ReadFile("testdata/stat")
	require.NoError(t, err)
	statm, err := os.ReadFile("testdata/statm")
	require.NoError(t, err)
	s, err := parseProc(stat, statm, 4096)
	require.NoError(t, err)
	require.Equal(t, uint64(1234+567), s.cpuTicks)
	require.Equal(t, uint64(9000*4096), s.rssBytes)

	_, err = parseProc([]byte("garbage"), statm, 4096)
	require.Error(t, err)
	_, err = parseProc(stat, []byte("1"), 4096)
	require.Error(t, err)
	_, err = parseProc([]byte("1 (x) S 1 2"), statm, 4096)
	require.Error(t, err)

	a := procSample{at: time.Unix(0, 0), cpuTicks: 100}
	b := procSample{at: time.Unix(2, 0), cpuTicks: 250}
	require.InDelta(t, 75, cpuPercent(a, b), 1e-9) // 1.5s of CPU in 2s
	require.Zero(t, cpuPercent(b, a))
}

func TestReadOwnProc(t *testing.T) {
	s, err := readProc(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, s.rssBytes)
	_, err = readProc(1 << 30)
	require.Error(t, err)
}

func TestRaiseFileLimit(t *testing.T) {
	lim, err := raiseFileLimit(1024)
	require.NoError(t, err)
	require.GreaterOrEqual(t, lim, uint64(1024))
}
