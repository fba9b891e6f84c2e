package collectors

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func promFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

const nowMs = int64(1_700_000_000_000)

func TestParsePromEveryType(t *testing.T) {
	samples, partial, err := parseProm([]byte(promFixture(t, "small.prom")), promFilter{}, nowMs)
	require.NoError(t, err)

	type want struct {
		kind aggregator.Kind
		v    float64
		ts   int64
	}
	c, g := aggregator.KindCounter, aggregator.KindGauge
	expected := map[string]want{
		`requests_total{code="200",method="get"}`:    {c, 1027, nowMs},
		`requests_total{code="500",method="post"}`:   {c, 3, 1762171200000},
		`temperature_celsius{room="a"}`:              {g, -32.5, nowMs},
		`temperature_celsius{room="b"}`:              {g, 21.5, nowMs},
		`mystery{}`:                                  {g, 42, nowMs},
		`request_duration_seconds_bucket{le="0.1"}`:  {c, 5, nowMs},
		`request_duration_seconds_bucket{le="0.5"}`:  {c, 8, nowMs},
		`request_duration_seconds_bucket{le="+Inf"}`: {c, 10, nowMs},
		`request_duration_seconds_sum{}`:             {c, 3.5, nowMs},
		`request_duration_seconds_count{}`:           {c, 10, nowMs},
		`rpc_seconds{quantile="0.5"}`:                {g, 0.02, nowMs},
		`rpc_seconds_sum{}`:                          {c, 1.25, nowMs},
		`rpc_seconds_count{}`:                        {c, 40, nowMs},
		`twice{a="1"}`:                               {g, 1, nowMs},
	}
	got := byMetric(samples)
	require.Len(t, samples, len(expected), "one sample per series, NaN and the repeat left out")
	for key, w := range expected {
		s, ok := got[key]
		require.True(t, ok, "missing %s", key)
		require.Equal(t, w.kind, s.Kind, key)
		require.Equal(t, w.v, s.Value, key)
		require.Equal(t, w.ts, s.TimeMs, key)
	}
	require.True(t, slices.IsSortedFunc(samples, func(a, b aggregator.Sample) int {
		return strings.Compare(seriesKey(a), seriesKey(b))
	}), "samples come sorted by identity")

	require.Len(t, partial.Errors, 2)
	require.ErrorContains(t, partial.Errors[0], `skipped 1 non-finite values (first: rpc_seconds{quantile="0.99"}=NaN)`)
	require.ErrorContains(t, partial.Errors[1], `skipped 1 repeated series (first: twice{a="1"})`)
	require.Zero(t, partial.Dropped)
}

func TestParsePromIncludeExclude(t *testing.T) {
	f := promFilter{
		include: []*regexp.Regexp{regexp.MustCompile("^request_"), regexp.MustCompile("^rpc_")},
		exclude: []*regexp.Regexp{regexp.MustCompile("^rpc_")},
	}
	samples, _, err := parseProm([]byte(promFixture(t, "small.prom")), f, nowMs)
	require.NoError(t, err)
	require.Equal(t, []string{
		"request_duration_seconds_bucket", "request_duration_seconds_count", "request_duration_seconds_sum",
	}, metricNames(samples), "a histogram is kept whole by its family name; requests_total does not match ^request_")
	require.Len(t, samples, 5)
}

func TestParsePromMaxSeriesKeepsTheSameSeries(t *testing.T) {
	body := []byte(promFixture(t, "small.prom"))
	all, _, err := parseProm(body, promFilter{}, nowMs)
	require.NoError(t, err)
	for range 5 { // map order differs between runs; the kept set must not
		kept, partial, err := parseProm(body, promFilter{maxSeries: 4}, nowMs)
		require.NoError(t, err)
		require.Equal(t, all[:4], kept)
		require.Equal(t, len(all)-4, partial.Dropped)
	}
}

func TestParsePromNodeExporterFixture(t *testing.T) {
	body := []byte(promFixture(t, "node_exporter.prom"))
	samples, partial, err := parseProm(body, promFilter{}, nowMs)
	require.NoError(t, err)

	// Every sample line of the real exposition becomes one sample, apart
	// from lines whose value is not finite.
	lines, nonFinite := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines++
		fields := strings.Fields(line)
		v := fields[len(fields)-1]
		if v == "NaN" || strings.HasSuffix(v, "Inf") {
			nonFinite++
		}
	}
	require.Greater(t, lines, 200, "the fixture is a real, full exposition")
	require.Len(t, samples, lines-nonFinite)
	if nonFinite == 0 {
		require.Empty(t, partial.Errors)
	}

	got := byMetric(samples)
	for _, s := range samples {
		require.False(t, math.IsNaN(s.Value) || math.IsInf(s.Value, 0))
		require.True(t, slices.IsSortedFunc(s.Labels, func(a, b aggregator.Label) int { return strings.Compare(a.Name, b.Name) }))
	}
	require.Contains(t, got, "node_load1{}")
	require.Equal(t, aggregator.KindGauge, got["node_load1{}"].Kind)
	var cpuSeconds []aggregator.Sample
	for _, s := range samples {
		if s.Metric == "node_cpu_seconds_total" {
			cpuSeconds = append(cpuSeconds, s)
		}
	}
	require.NotEmpty(t, cpuSeconds)
	for _, s := range cpuSeconds {
		require.Equal(t, aggregator.KindCounter, s.Kind)
		require.NotEmpty(t, s.Labels.Get("cpu"))
		require.NotEmpty(t, s.Labels.Get("mode"))
	}
	require.Contains(t, got, `go_gc_duration_seconds{quantile="0.5"}`, "the summary expands into quantiles")
	require.Contains(t, got, `go_gc_duration_seconds_count{}`)

	// The README's example filter.
	f := promFilter{include: []*regexp.Regexp{regexp.MustCompile("^node_load"), regexp.MustCompile("^node_memory_")}}
	some, _, err := parseProm(body, f, nowMs)
	require.NoError(t, err)
	require.NotEmpty(t, some)
	for _, s := range some {
		require.True(t, strings.HasPrefix(s.Metric, "node_load") || strings.HasPrefix(s.Metric, "node_memory_"), s.Metric)
	}
}

func TestParsePromGarbage(t *testing.T) {
	for _, body := range []string{
		"\x00\x01{{{ not metrics",
		"# TYPE a counter\na{b=\"unterminated} 1\n",
		"a 1 2 3 4\n",
		"# TYPE a counter\na not-a-number\n",
	} {
		_, _, err := parseProm([]byte(body), promFilter{}, nowMs)
		require.ErrorContains(t, err, "parsing metrics", "%q", body)
	}
	samples, _, err := parseProm(nil, promFilter{}, nowMs)
	require.NoError(t, err, "an empty exposition is valid")
	require.Empty(t, samples)
}

func TestPromSourceScrape(t *testing.T) {
	srv := newTestServer(t, false)
	cfg := urlSource(configs.TypePrometheus, srv.URL+"/metrics")
	promSpec(cfg).Include = []string{"^temperature"}
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger())
	samples, err := src.Poll(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"temperature_celsius"}, metricNames(samples))
	require.Equal(t, fixedNow.UnixMilli(), samples[0].TimeMs)
	h, _ := srv.lastRequest()
	require.Equal(t, "text/plain;version=0.0.4", h.Get("Accept"))
	require.Equal(t, "pulseboard/test", h.Get("User-Agent"))
	require.Empty(t, src.(PartialReporter).LastPartial().Errors)

	promSpec(cfg).Include, promSpec(cfg).MaxSeries = nil, 3
	src2, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src2, Env{}.logger())
	samples, err = src2.Poll(t.Context())
	require.NoError(t, err, "over max_series the rest of the scrape is kept")
	require.Len(t, samples, 3)
	require.Equal(t, 11, src2.(PartialReporter).LastPartial().Dropped)
}

func TestPromSourceFailures(t *testing.T) {
	srv := newTestServer(t, false)
	cases := []struct {
		name, path string
		maxBody    int64
		is         error
		text       string
	}{
		{"404", "/404", 0, ErrStatus, "404 Not Found"},
		{"500", "/500", 0, ErrStatus, "500 Internal Server Error"},
		{"garbage", "/garbage", 0, nil, "parsing metrics: text format parsing error in line 1"},
		{"huge", "/node", 4096, ErrBodyTooLarge, "body exceeds 4096 bytes"},
		{"all NaN", "/nan.prom", 0, ErrNoValues, "non-finite"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := urlSource(configs.TypePrometheus, srv.URL+tc.path)
			if tc.maxBody > 0 {
				client(cfg).MaxBodyBytes = tc.maxBody
			}
			samples, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
			require.Empty(t, samples)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.ErrorContains(t, err, tc.text)
		})
	}
	_, err := pollWith(t, urlSource(configs.TypePrometheus, refusedURL(t)), testEnv(nil), 5*time.Second)
	require.ErrorContains(t, err, "connection refused")

	cfg := urlSource(configs.TypePrometheus, srv.URL+"/slow")
	_, err = pollWith(t, cfg, testEnv(nil), 200*time.Millisecond)
	require.ErrorIs(t, err, ErrTimeout)
}

func TestPromBadRegex(t *testing.T) {
	cfg := urlSource(configs.TypePrometheus, "http://127.0.0.1/metrics")
	promSpec(cfg).Exclude = []string{"ok", "(unclosed"}
	_, err := NewSource(cfg, Env{})
	require.ErrorIs(t, err, ErrBadConfig)
	require.ErrorContains(t, err, "exclude[1]")
}
