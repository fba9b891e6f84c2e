package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// scriptedSource plays one step per poll, the last step for ever after.
type scriptedSource struct {
	mu    sync.Mutex
	steps []scriptStep
	n     int
	last  Partial
}

type scriptStep struct {
	values  []float64
	err     error
	partial Partial
}

func (s *scriptedSource) Poll(context.Context) ([]aggregator.Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	step := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	s.last = step.partial
	var out []aggregator.Sample
	for i, v := range step.values {
		out = append(out, aggregator.Sample{Metric: "m", Labels: pairs("i", string(rune('0'+i))), Value: v})
	}
	return out, step.err
}

func (s *scriptedSource) LastPartial() Partial {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// TestCollectorUpAndWarnings walks a source through the facts of its
// health: not up before its first poll, down on a failure, up with a
// warning on a partial success, and a warning never overwrites the error.
func TestCollectorUpAndWarnings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptedSource{steps: []scriptStep{
			{err: errors.New("connection refused")},
			{values: []float64{1}, partial: Partial{
				Errors:  []error{errors.New("field a: not found"), errors.New("max_series: dropped 5 series\nover max_series 3")},
				Dropped: map[string]int{"max_series": 5, "collision": 2},
			}},
			{values: []float64{2}},
		}}
		c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
		require.False(t, c.stats.snapshot().Up, "not up before the first poll")
		t0 := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)

		synctest.Wait()
		st := c.stats.snapshot()
		require.False(t, st.Up)
		require.Equal(t, "connection refused", st.LastError)
		require.Equal(t, t0, st.LastErrorAt)
		require.Empty(t, st.LastWarning)

		time.Sleep(time.Second)
		synctest.Wait()
		st = c.stats.snapshot()
		require.True(t, st.Up, "a poll that succeeds in part is up")
		require.Equal(t, "connection refused", st.LastError, "a warning does not overwrite the error")
		require.Equal(t, t0, st.LastErrorAt)
		require.Equal(t, "field a: not found; max_series: dropped 5 series over max_series 3", st.LastWarning)
		require.Equal(t, t0.Add(time.Second), st.LastWarningAt)
		require.Equal(t, map[string]uint64{"max_series": 5, "collision": 2}, st.Dropped)
		require.EqualValues(t, 7, st.SeriesDropped)
		require.EqualValues(t, 2, st.PartialErrors)

		time.Sleep(2 * time.Second)
		synctest.Wait()
		st = c.stats.snapshot()
		require.True(t, st.Up)
		require.EqualValues(t, 4, st.Polls)
		require.Equal(t, "field a: not found; max_series: dropped 5 series over max_series 3", st.LastWarning, "kept, with its time")
		require.Equal(t, t0.Add(time.Second), st.LastWarningAt)
		require.Equal(t, map[string]uint64{"max_series": 5, "collision": 2}, st.Dropped, "clean polls drop nothing")

		st.Dropped["max_series"] = 99
		require.EqualValues(t, 5, c.stats.snapshot().Dropped["max_series"], "a snapshot is a copy")
		cancel()
		require.NoError(t, <-done)
	})
}

// TestCollectorKeepsNaNLeavesOutInfinities: NaN is a value, pushed like
// any other and not a warning; ±Inf is left out, counted and warned of.
func TestCollectorKeepsNaNLeavesOutInfinities(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptedSource{steps: []scriptStep{
			{values: []float64{math.NaN()}},
			{values: []float64{math.NaN(), 1, math.Inf(1), math.Inf(-1)}},
			{values: []float64{math.Inf(1)}},
		}}
		sink := newRecordingSink()
		c := newTestCollector(loopConfig("s"), sink, fixed(src))
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)

		synctest.Wait()
		b := sink.last("s")
		require.Len(t, b.Samples, 1)
		require.True(t, math.IsNaN(b.Samples[0].Value))
		st := c.stats.snapshot()
		require.True(t, st.Up)
		require.Zero(t, st.NonFinite)
		require.Empty(t, st.LastWarning, "a NaN is not a warning")

		time.Sleep(time.Second)
		synctest.Wait()
		b = sink.last("s")
		require.Len(t, b.Samples, 2)
		require.True(t, math.IsNaN(b.Samples[0].Value))
		require.Equal(t, 1.0, b.Samples[1].Value)
		st = c.stats.snapshot()
		require.EqualValues(t, 2, st.NonFinite)
		require.Equal(t, "left out 2 infinite values", st.LastWarning)
		require.Empty(t, st.LastError)

		time.Sleep(time.Second)
		synctest.Wait()
		st = c.stats.snapshot()
		require.False(t, st.Up, "nothing usable is a failed poll")
		require.EqualValues(t, 1, st.Failures)
		require.Contains(t, st.LastError, "all 1 values were infinite")
		require.Equal(t, 3, sink.count("s"))
		b = sink.last("s")
		require.True(t, b.Failed, "a failed poll with nothing to show: every series goes stale")
		require.Empty(t, b.Samples)
		cancel()
		require.NoError(t, <-done)
	})
}

// TestCollectorLogsAWarningOncePerChange: the same warning at every poll
// is one log line.
func TestCollectorLogsAWarningOncePerChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptedSource{steps: []scriptStep{
			{values: []float64{1}, partial: Partial{Errors: []error{errors.New("over the limit")}}},
		}}
		var buf bytes.Buffer
		c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
		c.log = slog.New(slog.NewTextHandler(&buf, nil))
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)
		time.Sleep(3500 * time.Millisecond)
		cancel()
		require.NoError(t, <-done)
		require.EqualValues(t, 4, c.stats.snapshot().Polls)
		require.Equal(t, 1, bytes.Count(buf.Bytes(), []byte("poll succeeded in part")), buf.String())
		require.Contains(t, buf.String(), `warning="over the limit"`)
	})
}

// syncBuffer is a log destination safe for the collectors' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsStayOutOfErrorsAndLogs runs real sources whose URLs hold a
// user, a password and a token against a closed port, and a source whose
// own error quotes a raw URL: the fetch errors, last_error, Describe and
// every log line (debug included) name the URLs redacted.
func TestSecretsStayOutOfErrorsAndLogs(t *testing.T) {
	addr := strings.TrimSuffix(strings.TrimPrefix(refusedURL(t), "http://"), "/")
	var logs syncBuffer
	quoting := loopConfig("quoting")
	quoting.Interval, quoting.Timeout = configs.Duration(20*time.Millisecond), configs.Duration(20*time.Millisecond)
	m := newTestManager(newRecordingSink(), nil, func(o *ManagerOptions) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.factory = func(cfg configs.Source, env Env) (Source, error) {
			if cfg.Name == "quoting" {
				return newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
					return nil, errors.New("upstream said: see https://admin:s3cret@docs.example/x?token=abc.")
				}), nil
			}
			return NewSource(cfg, env)
		}
	})
	var srcs []configs.Source
	for _, typ := range []string{configs.TypeHTTP, configs.TypePrometheus, configs.TypeJSON} {
		cfg := urlSource(typ, "http://admin:s3cret@"+addr+"/metrics?token=abc")
		cfg.Name = typ
		cfg.Interval, cfg.Timeout = configs.Duration(20*time.Millisecond), configs.Duration(20*time.Millisecond)
		srcs = append(srcs, cfg)
	}
	require.NoError(t, m.Apply(append(srcs, quoting)))
	serveManager(t, m)
	require.Eventually(t, func() bool {
		for _, st := range m.Statuses() {
			if st.Failures < 2 {
				return false
			}
		}
		return true
	}, 10*time.Second, 5*time.Millisecond)

	secrets := []string{"admin", "s3cret", "abc"}
	for _, st := range m.Statuses() {
		for _, s := range secrets {
			require.NotContains(t, st.LastError, s, st.Name)
		}
		if st.Name == "quoting" {
			require.Equal(t, "upstream said: see https://xxxxx:xxxxx@docs.example/x?token=xxxxx.", st.LastError)
			continue
		}
		require.Contains(t, st.LastError, "GET http://xxxxx:xxxxx@"+addr+"/metrics?token=xxxxx: ", st.Name)
		require.Contains(t, st.LastError, "connection refused", st.Name)
	}
	text := logs.String()
	require.Contains(t, text, `polls="GET http://xxxxx:xxxxx@`+addr+`/metrics?token=xxxxx"`, "Describe, at debug")
	require.Contains(t, text, "poll failed")
	for _, s := range secrets {
		require.NotContains(t, text, s)
	}
}

// TestDropsByReasonReachMetricsAndWarning scrapes a real target whose
// series collide once sanitised and pass max_series: each drop is
// counted per source and reason on /metrics and named in last_warning,
// and the source is up.
func TestDropsByReasonReachMetricsAndWarning(t *testing.T) {
	body := "{\"http.requests\"} 1\nhttp_requests 2\nx{i=\"1\"} 1\nx{i=\"2\"} 2\nx{i=\"3\"} 3\n"
	srv := serveScrape(t, []byte(body), ctClassic1, false)
	cfg := urlSource(configs.TypePrometheus, srv.URL)
	cfg.Name = "wide"
	// Every poll must succeed: a timeout no loaded machine can miss.
	cfg.Interval, cfg.Timeout = configs.Duration(20*time.Millisecond), configs.Duration(5*time.Second)
	promSpec(cfg).MaxSeries = 3
	m := newTestManager(newRecordingSink(), nil, nil)
	require.NoError(t, m.Apply([]configs.Source{cfg}))
	stop := serveManager(t, m)
	require.Eventually(t, func() bool {
		st, err := m.Stats("wide")
		return err == nil && st.Polls >= 2
	}, 10*time.Second, 5*time.Millisecond)
	stop()

	st, err := m.Stats("wide")
	require.NoError(t, err)
	require.True(t, st.Up)
	require.Empty(t, st.LastError)
	require.Equal(t, map[string]uint64{dropCollision: st.Polls, dropMaxSeries: st.Polls}, st.Dropped)
	require.Equal(t, `collision: dropped 1 series that are one series on /metrics once names are sanitised (the first kept) `+
		`(first: http_requests{} as http_requests{}, like http.requests{}); `+
		`max_series: dropped 1 series over max_series 3 (first: x{i="3"})`, st.LastWarning)

	want := fmt.Sprintf(`
# HELP pulseboard_source_series_dropped_total Series left out of polls of the source, by reason (duplicate, collision, max_series, invalid, native_histogram, label_limit, label_name_length_limit, label_value_length_limit), counted at every poll; include and exclude are not drops.
# TYPE pulseboard_source_series_dropped_total counter
pulseboard_source_series_dropped_total{reason="collision",source="wide"} %[1]d
pulseboard_source_series_dropped_total{reason="max_series",source="wide"} %[1]d
`, st.Polls)
	require.NoError(t, testutil.CollectAndCompare(m.Collector(), strings.NewReader(want), "pulseboard_source_series_dropped_total"))
}
