package aggregator

import (
	"bytes"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// exposition encodes what g gathers as text, as /metrics does.
func exposition(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	for _, mf := range mfs {
		_, err := expfmt.MetricFamilyToText(&buf, mf)
		require.NoError(t, err)
	}
	return buf.String()
}

// families splits a text exposition into its families' blocks, by name.
func families(text string) (names []string, blocks map[string]string) {
	blocks = map[string]string{}
	for _, block := range strings.SplitAfter(text, "\n# HELP ") {
		block = strings.TrimPrefix(block, "# HELP ")
		block = strings.TrimSuffix(block, "# HELP ")
		name, _, _ := strings.Cut(block, " ")
		names = append(names, name)
		blocks[name] = "# HELP " + block
	}
	return names, blocks
}

// hostileStore fills a store with what makes an exposition hard: renamed
// names and labels, escapes in values, invalid UTF-8, NaN and ±Inf,
// counters, gauges and untyped families, the parts of a histogram and a
// summary, a stale series, two series that meet once sanitised, ±0, -1,
// a counter with resets.
func hostileStore(o Options) *Aggregator {
	a, c := newTestAgg(o)
	for i := range 4 {
		v := float64(i)
		ctr := func(metric string, x float64, ls ...string) Sample {
			s := gauge(metric, c.ms, x, ls...)
			s.Kind = KindCounter
			return s
		}
		ss := []Sample{
			gauge("temperature_celsius", c.ms, 20.125+v, "room", `la"b\`+"\n", "floor", "1"),
			gauge("temperature_celsius", c.ms, -1, "room", "b"),
			gauge("queue.depth", c.ms, 3, "source", "x", "__bad", "y\xff"),
			gauge("queue_depth", c.ms, 4, "source", "x", "__bad", "y\xff"),
			ctr("requests_total", 100*v+0.5),
			ctr("resets_total", math.Mod(v, 2)),
			ctr("http_request_duration_seconds_bucket", 1+v, "le", "0.1"),
			ctr("http_request_duration_seconds_bucket", 2+v, "le", "+Inf"),
			gauge("rpc_duration_seconds", c.ms, 0.01, "quantile", "0.5"),
			gauge("rpc_duration_seconds", c.ms, math.NaN(), "quantile", "0.99"),
			gauge("zero", c.ms, math.Copysign(0, -1)),
			gauge("inf", c.ms, math.Inf(int(v)%2*2-1)),
			gauge("pulseboard_series", c.ms, 1e-300*v),
			gauge("mixed", c.ms, 1e21+v, "k", "v"),
			gauge("gone_soon", c.ms, 1),
		}
		if i > 0 {
			ss = ss[:len(ss)-1] // gone_soon is stale from the second poll
		}
		a.ingest(Batch{Source: "node", Complete: true, Samples: ss})
		mixed := ctr("mixed", v, "k", "w") // a counter here, a gauge in "node": untyped
		a.ingest(batch("other", mixed, gauge("temperature_celsius", c.ms, 7, "room", "a")))
		c.ms += 1000
		a.tick()
	}
	return a
}

// The store's part of /metrics, written directly, is byte for byte what
// the registry path writes for it: with window statistics and without.
func TestStoreExpositionMatchesRegistry(t *testing.T) {
	for _, limit := range []int{1000, -1} {
		a := hostileStore(Options{WindowMetricsMaxSeries: limit})
		reg := registry(t, a)
		full := exposition(t, reg)
		a.ExposeStoreDirectly()
		own := exposition(t, reg)
		require.NotContains(t, own, "temperature_celsius", "the store's series left the registry")

		// The registry sorts every family by name; the store's, taken out of
		// it in order, are what AppendStoreMetrics writes.
		fullNames, fullBlocks := families(full)
		_, ownBlocks := families(own)
		var want strings.Builder
		for _, name := range fullNames {
			if _, isOwn := ownBlocks[name]; !isOwn {
				want.WriteString(fullBlocks[name])
			}
		}
		got := string(a.AppendStoreMetrics(nil, nil))
		require.Equal(t, want.String(), got)
		require.Contains(t, got, `room="la\"b\\\n"`)
		require.Contains(t, got, "# TYPE mixed untyped")
		if limit > 0 {
			require.Contains(t, got, "# TYPE pulseboard_window_value summary")
		} else {
			require.NotContains(t, got, "pulseboard_window_")
		}
		require.NotContains(t, got, "gone_soon")

		// A family the caller's registry has is left out, and only that one.
		skipped := string(a.AppendStoreMetrics([]byte("x\n"), func(n string) bool { return n == "queue_depth" }))
		require.Equal(t, "x\n"+strings.Replace(got, fullBlocks["queue_depth"], "", 1), skipped)
	}
}

// The direct exposition, appended to pulseboard's own, is promtool-clean.
func TestStoreExpositionPromtoolClean(t *testing.T) {
	promtool := testtool.Require(t, "promtool")
	a := hostileStore(Options{})
	reg := registry(t, a)
	a.ExposeStoreDirectly()
	text := a.AppendStoreMetrics([]byte(exposition(t, reg)), nil)
	cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	cmd.WaitDelay = time.Second
	res, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", res)
	require.Empty(t, strings.TrimSpace(string(res)))
}

// A scrape holds the store's lock for at most promChunk series at a time:
// between two chunks, ingest (a writer) gets in. The hook runs between
// chunks, where a scrape holds no store lock.
func TestScrapeReleasesTheStoreLockBetweenChunks(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeries: 3 * promChunk})
	var ss []Sample
	for i := range 3 * promChunk {
		ss = append(ss, gauge("m", c.ms, float64(i), "i", string(rune('a'+i%26))+strings.Repeat("x", i/26)))
	}
	a.ingest(batch("s", ss...))
	a.tick()
	ingested := 0
	chunkHook = func() {
		c.ms += 1000
		a.mu.Lock() // would deadlock under a held read lock
		a.st.ingest(batch("s", gauge("m", c.ms, 2, "i", "b")), c.ms)
		a.mu.Unlock()
		ingested++
	}
	t.Cleanup(func() { chunkHook = nil })
	text := string(a.AppendStoreMetrics(nil, nil))
	require.Equal(t, 3, ingested, "one ingest between every two holds")
	require.Equal(t, 3*promChunk, strings.Count(text, "\nm{"))
}

// A big store is copied in at most maxScrapeHolds holds, whatever its
// size: each hold may wait for one write, and behind a backlog of wide
// batches a write is long.
func TestScrapeHoldsTheLockABoundedNumberOfTimes(t *testing.T) {
	n := 2 * maxScrapeHolds * promChunk
	a, c := newTestAgg(Options{MaxSeries: n, MaxSeriesPerSource: n, WindowMetricsMaxSeries: -1})
	ss := make([]Sample, n)
	for i := range ss {
		ss[i] = gauge("m", c.ms, float64(i), "i", strconv.Itoa(i))
	}
	a.ingest(batch("s", ss...))
	a.tick()
	holds := 0
	chunkHook = func() { holds++ }
	t.Cleanup(func() { chunkHook = nil })
	text := string(a.AppendStoreMetrics(nil, nil))
	require.Equal(t, maxScrapeHolds, holds)
	require.Equal(t, n, strings.Count(text, "\nm{"))
}
