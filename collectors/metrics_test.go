package collectors

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/cmd/testtool"
	"github.com/pulseboard/pulseboard/configs"
)

// oddSource succeeds in part at every poll: one infinity and one NaN
// (a value) among its four samples, one per-item error, two series over
// a limit, one lost to a collision and one whose labels held a secret.
type oddSource struct{}

func (oddSource) Poll(context.Context) ([]aggregator.Sample, error) {
	s := append(gauge("a", 1), gauge("b", math.Inf(1))...)
	s = append(s, gauge("d", math.NaN())...)
	return append(s, gauge("c", 2)...), nil
}

func (oddSource) LastPartial() Partial {
	return Partial{Errors: []error{errors.New(`field "x" is missing`)}, Dropped: map[string]int{dropMaxSeries: 2, dropCollision: 1}, Masked: 1}
}

// hungSource blocks every poll, its context and Close notwithstanding,
// until release is closed.
type hungSource struct{ release <-chan struct{} }

func (h hungSource) Poll(context.Context) ([]aggregator.Sample, error) {
	<-h.release
	return nil, nil
}

// everyOtherSink refuses every second batch of each source.
type everyOtherSink struct {
	mu     sync.Mutex
	pushes map[string]int
}

func (s *everyOtherSink) Push(_ context.Context, b aggregator.Batch) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushes[b.Source]++
	return s.pushes[b.Source]%2 == 1
}

// goldenBoth is the scrape at 2.5s: "hung" had its first poll abandoned
// at 2s (timeout 1s + grace 1s) and hangs again since its restart at 2.1s;
// "odd" polled at 0s, 1s and 2s, and its second batch was shed.
const goldenBoth = `
# HELP pulseboard_source_batches_shed_total Poll results of the source the aggregator refused because its ingest queue stayed full.
# TYPE pulseboard_source_batches_shed_total counter
pulseboard_source_batches_shed_total{source="hung"} 0
pulseboard_source_batches_shed_total{source="odd"} 1
# HELP pulseboard_source_consecutive_failures Polls of the source that failed in a row; 0 after a successful poll.
# TYPE pulseboard_source_consecutive_failures gauge
pulseboard_source_consecutive_failures{source="hung"} 1
pulseboard_source_consecutive_failures{source="odd"} 0
# HELP pulseboard_source_hung_polls_total Polls of the source abandoned by the watchdog for running past their timeout and grace; each restarts the source.
# TYPE pulseboard_source_hung_polls_total counter
pulseboard_source_hung_polls_total{source="hung"} 1
pulseboard_source_hung_polls_total{source="odd"} 0
# HELP pulseboard_source_non_finite_samples_total Samples of the source left out before reaching the aggregator for an infinite value (NaN is a value and is kept).
# TYPE pulseboard_source_non_finite_samples_total counter
pulseboard_source_non_finite_samples_total{source="hung"} 0
pulseboard_source_non_finite_samples_total{source="odd"} 3
# HELP pulseboard_source_partial_errors_total Per-item errors in polls of the source that still succeeded (a missing JSON field, a value that is not a number).
# TYPE pulseboard_source_partial_errors_total counter
pulseboard_source_partial_errors_total{source="hung"} 0
pulseboard_source_partial_errors_total{source="odd"} 3
# HELP pulseboard_source_samples_total Samples of the source handed to the aggregator.
# TYPE pulseboard_source_samples_total counter
pulseboard_source_samples_total{source="hung"} 0
pulseboard_source_samples_total{source="odd"} 6
# HELP pulseboard_source_secrets_masked_total Series of the source whose metric name or labels held one of the source's own credentials (an Authorization or other header's value, a query value or the user info of its URL), which the target sent back; masked as xxxxx before they were stored, counted once per series when first read.
# TYPE pulseboard_source_secrets_masked_total counter
pulseboard_source_secrets_masked_total{source="hung"} 0
pulseboard_source_secrets_masked_total{source="odd"} 3
# HELP pulseboard_source_series_dropped_total Series left out of polls of the source, by reason (duplicate, collision, max_series, invalid, native_histogram, label_limit, label_name_length_limit, label_value_length_limit), counted at every poll; include and exclude are not drops.
# TYPE pulseboard_source_series_dropped_total counter
pulseboard_source_series_dropped_total{reason="collision",source="odd"} 3
pulseboard_source_series_dropped_total{reason="max_series",source="odd"} 6
# HELP pulseboard_source_stuck_goroutines Goroutines of abandoned polls of the source that have not returned yet.
# TYPE pulseboard_source_stuck_goroutines gauge
pulseboard_source_stuck_goroutines{source="hung"} 1
pulseboard_source_stuck_goroutines{source="odd"} 0
`

// goldenOdd is the scrape once "hung" was removed, still at 2.5s.
const goldenOdd = `
# HELP pulseboard_source_batches_shed_total Poll results of the source the aggregator refused because its ingest queue stayed full.
# TYPE pulseboard_source_batches_shed_total counter
pulseboard_source_batches_shed_total{source="odd"} 1
# HELP pulseboard_source_consecutive_failures Polls of the source that failed in a row; 0 after a successful poll.
# TYPE pulseboard_source_consecutive_failures gauge
pulseboard_source_consecutive_failures{source="odd"} 0
# HELP pulseboard_source_hung_polls_total Polls of the source abandoned by the watchdog for running past their timeout and grace; each restarts the source.
# TYPE pulseboard_source_hung_polls_total counter
pulseboard_source_hung_polls_total{source="odd"} 0
# HELP pulseboard_source_non_finite_samples_total Samples of the source left out before reaching the aggregator for an infinite value (NaN is a value and is kept).
# TYPE pulseboard_source_non_finite_samples_total counter
pulseboard_source_non_finite_samples_total{source="odd"} 3
# HELP pulseboard_source_partial_errors_total Per-item errors in polls of the source that still succeeded (a missing JSON field, a value that is not a number).
# TYPE pulseboard_source_partial_errors_total counter
pulseboard_source_partial_errors_total{source="odd"} 3
# HELP pulseboard_source_samples_total Samples of the source handed to the aggregator.
# TYPE pulseboard_source_samples_total counter
pulseboard_source_samples_total{source="odd"} 6
# HELP pulseboard_source_secrets_masked_total Series of the source whose metric name or labels held one of the source's own credentials (an Authorization or other header's value, a query value or the user info of its URL), which the target sent back; masked as xxxxx before they were stored, counted once per series when first read.
# TYPE pulseboard_source_secrets_masked_total counter
pulseboard_source_secrets_masked_total{source="odd"} 3
# HELP pulseboard_source_series_dropped_total Series left out of polls of the source, by reason (duplicate, collision, max_series, invalid, native_histogram, label_limit, label_name_length_limit, label_value_length_limit), counted at every poll; include and exclude are not drops.
# TYPE pulseboard_source_series_dropped_total counter
pulseboard_source_series_dropped_total{reason="collision",source="odd"} 3
pulseboard_source_series_dropped_total{reason="max_series",source="odd"} 6
# HELP pulseboard_source_stuck_goroutines Goroutines of abandoned polls of the source that have not returned yet.
# TYPE pulseboard_source_stuck_goroutines gauge
pulseboard_source_stuck_goroutines{source="odd"} 0
`

// newStatsManager runs "odd" and "hung" (interval, timeout and hang grace
// 1s) with a sink that sheds every other batch.
func newStatsManager(release <-chan struct{}) *Manager {
	sink := &everyOtherSink{pushes: map[string]int{}}
	return newTestManager(sink, nil, func(o *ManagerOptions) {
		o.factory = func(cfg configs.Source, _ Env) (Source, error) {
			if cfg.Name == "hung" {
				return hungSource{release: release}, nil
			}
			return oddSource{}, nil
		}
	})
}

func TestMetricsEveryCounterPerSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		m := newStatsManager(release)
		c := m.Collector()
		require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader("")),
			"no source, no series")

		require.NoError(t, m.Apply([]configs.Source{loopConfig("hung"), loopConfig("odd")}))
		serveManager(t, m)
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(goldenBoth)))

		close(release) // both hung polls return: the abandoned one is no longer stuck
		synctest.Wait()
		st, err := m.Stats("hung")
		require.NoError(t, err)
		require.Zero(t, st.Stuck)
		require.EqualValues(t, 1, st.Hangs)

		// A removed source's series go with it at the next scrape.
		require.NoError(t, m.Apply([]configs.Source{loopConfig("odd")}))
		require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(goldenOdd)))
		require.Equal(t, len(statsMetrics)+2, testutil.CollectAndCount(c), "and one dropped series per reason")
	})
}

func TestMetricsCheckedAndLintClean(t *testing.T) {
	m := newStatsManager(nil)
	require.NoError(t, m.Apply([]configs.Source{loopConfig("a")}))
	m.entries["a"].stats.update(func(s *Stats) { s.Dropped = map[string]uint64{dropDuplicate: 1} })
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m.Collector()), "every descriptor is described")
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestMetricsBadNameSpelledAsValidUTF8(t *testing.T) {
	m := newStatsManager(nil)
	require.NoError(t, m.Apply([]configs.Source{loopConfig("bad\xff")}))
	want := `
# HELP pulseboard_source_samples_total Samples of the source handed to the aggregator.
# TYPE pulseboard_source_samples_total counter
pulseboard_source_samples_total{source="bad` + "\uFFFD" + `"} 0
`
	require.NoError(t, testutil.CollectAndCompare(m.Collector(), strings.NewReader(want), "pulseboard_source_samples_total"))
}

// TestMetricsPassPromtool runs `promtool check metrics` on a scrape of
// the collector: it must report nothing. Without promtool the test skips,
// except under CI=true where that is a failure.
func TestMetricsPassPromtool(t *testing.T) {
	testtool.Require(t, "promtool")
	m := newStatsManager(nil)
	require.NoError(t, m.Apply([]configs.Source{loopConfig("a"), loopConfig("b")}))
	m.entries["a"].stats.update(func(s *Stats) {
		s.Dropped = map[string]uint64{dropMaxSeries: 90000, dropCollision: 1, dropNativeHistogram: 2}
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector())
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	require.Contains(t, text.String(), `pulseboard_source_hung_polls_total{source="b"} 0`)
	require.Contains(t, text.String(), `pulseboard_source_series_dropped_total{reason="max_series",source="a"} 90000`)

	testtool.RequirePromtoolClean(t, text.Bytes())
}
