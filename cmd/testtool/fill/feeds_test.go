package fill

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/collectors"
)

// The simulated feed fails the polls the source itself fails with the same
// seed, latency draws included, and computes the same values at the same
// times.
func TestSimFeedReplaysTheSourcesFaults(t *testing.T) {
	cfg := testConfig(t, `
sources:
  - name: flaky
    type: simulated
    interval: 1s
    seed: 11
    series:
      - {metric: jobs_processed_total, shape: counter, rate: 15}
      - {metric: lag_seconds, shape: random_walk, min: 0, max: 30, noise: 1}
    faults: {error_rate: 0.2, panic_rate: 0.1, latency: 1ms}
`)
	src := cfg.Sources[0]
	f, err := newSimFeed(src, Options{From: testFrom})
	require.NoError(t, err)
	var at time.Time
	source, err := collectors.NewSource(src, collectors.Env{Now: func() time.Time { return at }})
	require.NoError(t, err)
	defer source.(interface{ Close() error }).Close()

	var kinds [4]int
	for range 60 {
		at = f.next() // the source stamps after its latency, as the feed does
		want, ok, err := f.poll(context.Background())
		require.NoError(t, err)
		got, gotFault := pollCatching(source)
		switch {
		case !ok:
			require.Equal(t, faultPanic, gotFault)
		case want.Failed:
			require.Equal(t, faultError, gotFault)
		default:
			require.Equal(t, faultNone, gotFault)
			require.Equal(t, got, want.Samples)
		}
		kinds[gotFault]++
	}
	require.Positive(t, kinds[faultNone])
	require.Positive(t, kinds[faultPanic])
	require.Positive(t, kinds[faultError])
}

func pollCatching(src collectors.Source) (samples []aggregator.Sample, f fault) {
	defer func() {
		if r := recover(); r != nil {
			samples, f = nil, faultPanic
		}
	}()
	samples, err := src.Poll(context.Background())
	if errors.Is(err, collectors.ErrInjected) {
		return nil, faultError
	}
	if err != nil {
		panic(err)
	}
	return samples, faultNone
}

func TestHostFeedLooksLikeOneMachine(t *testing.T) {
	cfg := testConfig(t, "sources:\n  - {name: host, type: host, interval: 1s, labels: {site: lab}}\n")
	h := newHostFeed(cfg.Sources[0], DefaultHost(), 1, testFrom)
	var first, last map[string]float64
	for i := range 3600 {
		b, ok, err := h.poll(context.Background())
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, b.Complete)
		require.Len(t, b.Samples, len(DefaultHost()))
		vals := map[string]float64{}
		for _, s := range b.Samples {
			require.Equal(t, "lab", s.Labels.Get("site"), "the source's labels are merged in")
			require.Equal(t, testFrom.Add(time.Duration(i)*time.Second).UnixMilli(), s.TimeMs)
			vals[s.Metric+s.Labels.String()] = s.Value
		}
		if first == nil {
			first = vals
		}
		if last != nil {
			for k, v := range vals {
				if isCounter(k) {
					require.GreaterOrEqual(t, v, last[k], "counters never go down: %s", k)
				}
			}
		}
		last = vals
		busy := vals[`host_cpu_busy_percent{site="lab"}`]
		require.True(t, busy >= 2 && busy <= 90, "busy %v", busy)
	}
	mem := `{site="lab"}`
	require.Equal(t, first["host_memory_total_bytes"+mem], last["host_memory_total_bytes"+mem])
	require.InDelta(t, last["host_memory_total_bytes"+mem]-0.5*(1<<30),
		last["host_memory_used_bytes"+mem]+last["host_memory_available_bytes"+mem], 1, "used and available mirror each other")
	busy := `host_cpu_seconds_total{cpu="total",mode="busy",site="lab"}`
	idle := `host_cpu_seconds_total{cpu="total",mode="idle",site="lab"}`
	require.InDelta(t, 2*3599, last[busy]-first[busy]+last[idle]-first[idle], 1, "two CPUs' seconds a second")
	require.Greater(t, last[`host_network_receive_bytes_total{interface="eth0",site="lab"}`], first[`host_network_receive_bytes_total{interface="eth0",site="lab"}`])
}

func isCounter(key string) bool {
	for _, s := range DefaultHost() {
		if s.Kind == aggregator.KindCounter && len(key) > len(s.Metric) && key[:len(s.Metric)] == s.Metric {
			return true
		}
	}
	return false
}
