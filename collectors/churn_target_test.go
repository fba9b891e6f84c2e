package collectors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// A prometheus target that makes three new series at every scrape (a label
// per request) and one steady series, scraped by the prometheus source and
// stored by a real aggregator with max_series_per_source 7: from the third
// scrape the store is at the cap, and each scrape's new series take the
// place of the longest-stale ones, so the dashboard keeps showing what the
// target shows. Before, from the third scrape on every new series was
// refused (series_limit) and the source showed only stale series.
func TestChurningTargetKeepsItsLiveSeries(t *testing.T) {
	var scrapes atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		k := scrapes.Add(1)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE steady gauge\nsteady 1\n# TYPE inflight gauge\n")
		for i := range 3 {
			fmt.Fprintf(w, "inflight{req=\"%d-%d\"} %d\n", k, i, i)
		}
	}))
	defer target.Close()

	// No budget of new series (churn_limit.go): its 16 would pass the
	// default's 14 at the fifth scrape.
	agg := aggregator.New(aggregator.Options{MaxSeriesPerSource: 7, MaxNewSeriesPerHour: -1, BroadcastInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- agg.Serve(ctx) }()
	defer func() { cancel(); require.NoError(t, <-served) }()

	cfg := urlSource(configs.TypePrometheus, target.URL+"/metrics")
	cfg.Name = "churn"
	base := time.Now()
	var tick atomic.Int64
	env := Env{Version: "test", Now: func() time.Time { return base.Add(time.Duration(tick.Load()) * time.Second) }}
	src, err := NewSource(cfg, env)
	require.NoError(t, err)
	defer closeSource(src, env.logger(), nil)
	c := newTestCollector(cfg, agg, fixed(src))

	// held is the source's series in the store by their req label ("" for
	// steady): true if live.
	held := func() map[string]bool {
		var snap protocol.Snapshot
		if json.Unmarshal(agg.SnapshotJSON(false), &snap) != nil {
			return nil // Eventually's condition runs on its own goroutine: no FailNow
		}
		out := map[string]bool{}
		for _, s := range snap.Series {
			if s.Source == "churn" {
				out[s.Labels["req"]] = !s.Stale
			}
		}
		return out
	}
	for k := 1; k <= 5; k++ {
		tick.Store(int64(k))
		samples, err := src.Poll(t.Context())
		require.NoError(t, err)
		require.NoError(t, c.record(t.Context(), env.Now(), time.Millisecond, pollResult{samples: samples}))
		shown := func() bool {
			h := held()
			for i := range 3 {
				if !h[fmt.Sprintf("%d-%d", k, i)] {
					return false
				}
			}
			return h[""]
		}
		require.Eventually(t, shown, 5*time.Second, 5*time.Millisecond, "scrape %d: every series it shows is live: %v", k, held())
		require.LessOrEqual(t, len(held()), 7)
	}
	h := held()
	require.Len(t, h, 7, "the cap, full")
	for i := range 3 {
		require.False(t, h[fmt.Sprintf("4-%d", i)], "the scrape before: stale, still held")
	}

	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(agg.Collector()))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`# HELP pulseboard_series_replaced_total Stale series evicted to make room for a new series of the same source at max_series_per_source, max_series or the memory budget (series churn); announced removed like an eviction.
# TYPE pulseboard_series_replaced_total counter
pulseboard_series_replaced_total 9
`), "pulseboard_series_replaced_total"))
}

// A poll's batch says how often its source polls, for the store's memory
// estimate, and whether its series count is known from the config (a
// simulated source, charged when the config was loaded).
func TestBatchCarriesIntervalAndKnown(t *testing.T) {
	for _, tc := range []struct {
		cfg   configs.Source
		known bool
	}{
		{steady("sim", 2*time.Second), true},
		{urlSource(configs.TypePrometheus, "http://127.0.0.1:1/metrics"), false},
	} {
		sink := newRecordingSink()
		c := newTestCollector(tc.cfg, sink, fixed(newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			return []aggregator.Sample{{Metric: "m", Value: 1}}, nil
		})))
		require.NoError(t, c.record(t.Context(), time.Now(), time.Millisecond, pollResult{samples: []aggregator.Sample{{Metric: "m", Value: 1}}}))
		b := sink.last(tc.cfg.Name)
		require.Equal(t, tc.cfg.Interval.D(), b.Interval, tc.cfg.Name)
		require.Equal(t, tc.known, b.Known, tc.cfg.Name)
	}
}
