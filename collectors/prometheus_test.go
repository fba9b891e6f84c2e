package collectors

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/textparse"
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

// nowMs is a poll time for parsers that take one (the json source's).
const nowMs = int64(1_700_000_000_000)

// scrapeText reads body as the classic text format.
func scrapeText(t *testing.T, body string, opt scrapeOptions) scrapeResult {
	t.Helper()
	res, err := scrapeProm([]byte(body), ctClassic, opt)
	require.NoError(t, err)
	return res
}

func scrapedByKey(ss []scrapedSample) map[string]scrapedSample {
	m := make(map[string]scrapedSample, len(ss))
	for _, s := range ss {
		m[s.Metric+s.Labels.String()] = s
	}
	return m
}

func TestScrapePromEveryClassicType(t *testing.T) {
	res := scrapeText(t, promFixture(t, "small.prom"), scrapeOptions{})

	type want struct {
		kind aggregator.Kind
		v    float64
		ts   int64 // 0: none sent
	}
	c, g := aggregator.KindCounter, aggregator.KindGauge
	expected := map[string]want{
		`requests_total{code="200",method="get"}`:    {c, 1027, 0},
		`requests_total{code="500",method="post"}`:   {c, 3, 1762171200000},
		`temperature_celsius{room="a"}`:              {g, -32.5, 0},
		`temperature_celsius{room="b"}`:              {g, 21.5, 0},
		`mystery{}`:                                  {g, 42, 0},
		`request_duration_seconds_bucket{le="0.1"}`:  {c, 5, 0},
		`request_duration_seconds_bucket{le="0.5"}`:  {c, 8, 0},
		`request_duration_seconds_bucket{le="+Inf"}`: {c, 10, 0},
		`request_duration_seconds_sum{}`:             {c, 3.5, 0},
		`request_duration_seconds_count{}`:           {c, 10, 0},
		`rpc_seconds{quantile="0.5"}`:                {g, 0.02, 0},
		`rpc_seconds{quantile="0.99"}`:               {g, math.NaN(), 0},
		`rpc_seconds_sum{}`:                          {c, 1.25, 0},
		`rpc_seconds_count{}`:                        {c, 40, 0},
		`twice{a="1"}`:                               {g, 1, 0},
	}
	got := scrapedByKey(res.Samples)
	require.Len(t, res.Samples, len(expected), "one sample per series, the repeat left out")
	for key, w := range expected {
		s, ok := got[key]
		require.True(t, ok, "missing %s", key)
		require.Equal(t, w.kind, s.Kind, key)
		if math.IsNaN(w.v) {
			require.True(t, math.IsNaN(s.Value), "%s: NaN is a value, kept as sent", key)
		} else {
			require.Equal(t, w.v, s.Value, key)
		}
		require.Equal(t, w.ts != 0, s.HasTime, key)
		require.Equal(t, w.ts, s.TimeMs, key)
	}
	require.True(t, slices.IsSortedFunc(res.Samples, func(a, b scrapedSample) int {
		return strings.Compare(identityKey(a.Metric, a.Labels), identityKey(b.Metric, b.Labels))
	}), "samples come sorted by identity")
	require.Equal(t, []string{`duplicate: dropped 1 series sent more than once (the first kept) (first: twice{a="1"})`}, res.Warnings)
	require.Equal(t, map[string]int{dropDuplicate: 1}, res.Dropped)
}

func TestScrapePromIncludeExclude(t *testing.T) {
	f := promFilter{
		include: []*regexp.Regexp{regexp.MustCompile("^request_"), regexp.MustCompile("^rpc_")},
		exclude: []*regexp.Regexp{regexp.MustCompile("^rpc_")},
	}
	res := scrapeText(t, promFixture(t, "small.prom"), scrapeOptions{promFilter: f})
	var names []string
	for _, s := range res.Samples {
		if !slices.Contains(names, s.Metric) {
			names = append(names, s.Metric)
		}
	}
	require.Equal(t, []string{
		"request_duration_seconds_bucket", "request_duration_seconds_count", "request_duration_seconds_sum",
	}, names, "a histogram is kept whole by its family name; requests_total does not match ^request_")
	require.Len(t, res.Samples, 5)
	require.Empty(t, res.Warnings, "what include/exclude leave out is a choice, not a drop")
	require.Empty(t, res.Dropped)
}

func TestScrapePromMaxSeriesKeepsTheSameSeries(t *testing.T) {
	body := promFixture(t, "small.prom")
	all := scrapeText(t, body, scrapeOptions{})
	// The same families printed in the opposite order keep the same series.
	var blocks []string
	for _, line := range strings.SplitAfter(body, "\n") {
		if strings.HasPrefix(line, "# HELP") || len(blocks) == 0 {
			blocks = append(blocks, "")
		}
		blocks[len(blocks)-1] += line
	}
	slices.Reverse(blocks)
	require.Greater(t, len(blocks), 3)
	for _, b := range []string{body, strings.Join(blocks, "")} {
		kept := scrapeText(t, b, scrapeOptions{promFilter: promFilter{maxSeries: 4}})
		require.Equal(t, len(all.Samples[:4]), len(kept.Samples))
		for i := range kept.Samples {
			require.Equal(t, all.Samples[i].Metric+all.Samples[i].Labels.String(), kept.Samples[i].Metric+kept.Samples[i].Labels.String())
		}
		require.Equal(t, len(all.Samples)-4, kept.Dropped[dropMaxSeries])
		require.Contains(t, kept.Warnings, `max_series: dropped 11 series over max_series 4 (first: request_duration_seconds_count{})`)
	}
}

func TestScrapePromNodeExporterFixture(t *testing.T) {
	body := []byte(promFixture(t, "node_exporter.prom"))
	res, err := scrapeProm(body, ctClassic, scrapeOptions{})
	require.NoError(t, err)

	// Every sample line of the real exposition becomes one sample.
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			lines++
		}
	}
	require.Greater(t, lines, 200, "the fixture is a real, full exposition")
	require.Len(t, res.Samples, lines)
	require.Empty(t, res.Warnings)

	got := scrapedByKey(res.Samples)
	for _, s := range res.Samples {
		require.True(t, slices.IsSortedFunc(s.Labels, func(a, b aggregator.Label) int { return strings.Compare(a.Name, b.Name) }))
	}
	require.Equal(t, aggregator.KindGauge, got["node_load1{}"].Kind)
	cpu := 0
	for _, s := range res.Samples {
		if s.Metric == "node_cpu_seconds_total" {
			cpu++
			require.Equal(t, aggregator.KindCounter, s.Kind)
			require.NotEmpty(t, s.Labels.Get("cpu"))
			require.NotEmpty(t, s.Labels.Get("mode"))
		}
	}
	require.NotZero(t, cpu)
	require.Contains(t, got, `go_gc_duration_seconds{quantile="0.5"}`, "the summary's quantiles")
	require.Contains(t, got, `go_gc_duration_seconds{quantile="1.0"}`, "quantile and le values are written as Prometheus stores them")
	require.Equal(t, aggregator.KindCounter, got[`go_gc_duration_seconds_count{}`].Kind)

	// The README's example filter.
	f := promFilter{include: []*regexp.Regexp{regexp.MustCompile("^node_load"), regexp.MustCompile("^node_memory_")}}
	some, err := scrapeProm(body, ctClassic, scrapeOptions{promFilter: f})
	require.NoError(t, err)
	require.NotEmpty(t, some.Samples)
	for _, s := range some.Samples {
		require.True(t, strings.HasPrefix(s.Metric, "node_load") || strings.HasPrefix(s.Metric, "node_memory_"), s.Metric)
	}
}

func TestScrapePromGarbage(t *testing.T) {
	for _, tc := range []struct{ contentType, body, text string }{
		{ctClassic, "\x00\x01{{{ not metrics", "parsing metrics: NUL byte in body at byte 0"},
		{ctClassic, "a 1\nb\x00 2\n", "parsing metrics: NUL byte in body at byte 5"},
		{ctClassic, "<html><body>Not here</body></html>", "parsing metrics: "},
		{ctClassic, "# TYPE a counter\na{b=\"unterminated} 1\n", "parsing metrics: "},
		{ctClassic, "a 1 2 3 4\n", "parsing metrics: expected next entry after timestamp"},
		{ctClassic, "# TYPE a counter\na not-a-number\n", "parsing metrics: "},
		{ctClassic, "# TYPE q gaugehistogram\nq 1\n", `parsing metrics: invalid metric type "gaugehistogram"`},
		{ctOM, "# TYPE a gauge\na 1\n", "parsing metrics: data does not end with # EOF"},
	} {
		_, err := scrapeProm([]byte(tc.body), tc.contentType, scrapeOptions{})
		require.ErrorContains(t, err, tc.text, "%q", tc.body)
	}
	// A format it does not read is read as the classic one, with a warning.
	res, err := scrapeProm([]byte("a 1\n# EOF\n"), "application/openmetrics-text; version=2.0.0", scrapeOptions{})
	require.NoError(t, err)
	require.Len(t, res.Samples, 1)
	require.Len(t, res.Warnings, 1)
	require.Contains(t, res.Warnings[0], `received OpenMetrics 2.0 Content-Type "application/openmetrics-text; version=2.0.0"`)

	res, err = scrapeProm(nil, ctClassic, scrapeOptions{})
	require.NoError(t, err, "an empty exposition is valid")
	require.Empty(t, res.Samples)
	require.Empty(t, res.Warnings)
}

func TestScrapePromInvalidSeries(t *testing.T) {
	res := scrapeText(t, "a{x=\"1\",x=\"2\"} 1\nb{y=\"1\",y=\"1\"} 2\nc 3\n", scrapeOptions{})
	require.Len(t, res.Samples, 1)
	require.Equal(t, "c", res.Samples[0].Metric)
	require.Equal(t, map[string]int{dropInvalid: 2}, res.Dropped)
	require.Equal(t, []string{`invalid: dropped 2 series that Prometheus would refuse (first: a{x="1",x="2"}: label x given twice)`}, res.Warnings)
}

func TestScrapePromRepeatedFamilyWarning(t *testing.T) {
	var body strings.Builder
	for i, f := range []string{"a", "b", "c", "d", "e", "a", "b", "c", "d", "a"} { // a thrice: named once
		fmt.Fprintf(&body, "# TYPE %s gauge\n%s{n=\"%d\"} 1\n", f, f, i)
	}
	res := scrapeText(t, body.String(), scrapeOptions{})
	require.Len(t, res.Samples, 10)
	require.Equal(t, []string{"families a, b, c and 1 more printed in more than one block; all series kept"}, res.Warnings)
	require.Empty(t, res.Dropped, "a repeated family drops nothing")
}

func TestWithTargetLabels(t *testing.T) {
	target := pairs("env", "prod", "instance", "zk-1")
	for _, tc := range []struct {
		name    string
		scraped aggregator.Labels
		honor   bool
		want    string
	}{
		{"no clash", pairs("path", "/"), false, `{env="prod",instance="zk-1",path="/"}`},
		{"configured win", pairs("instance", "localhost:2181", "env", "dev"), false,
			`{env="prod",exported_env="dev",exported_instance="localhost:2181",instance="zk-1"}`},
		{"exported taken", pairs("env", "dev", "exported_env", "old"), false,
			`{env="prod",exported_env="old",exported_exported_env="dev",instance="zk-1"}`},
		{"exported taken twice", pairs("env", "dev", "exported_env", "old", "exported_exported_env", "older"), false,
			`{env="prod",exported_env="old",exported_exported_env="older",exported_exported_exported_env="dev",instance="zk-1"}`},
		{"source clashes too", pairs("source", "upstream"), false, `{env="prod",exported_source="upstream",instance="zk-1"}`},
		{"honor keeps scraped", pairs("instance", "localhost:2181", "env", "dev"), true, `{env="dev",instance="localhost:2181"}`},
		{"honor adds missing", pairs("env", "dev", "path", "/"), true, `{env="dev",instance="zk-1",path="/"}`},
		// "source" is pulseboard's: a scraped one is exported_source in both modes.
		{"honor exports source", pairs("env", "dev", "source", "upstream"), true, `{env="dev",exported_source="upstream",instance="zk-1"}`},
		{"honor exports source, taken", pairs("source", "up", "exported_source", "old"), true,
			`{env="prod",exported_exported_source="up",exported_source="old",instance="zk-1"}`},
		{"nothing scraped", nil, false, `{env="prod",instance="zk-1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.scraped)
			got := withTargetLabels(tc.scraped, target, tc.honor)
			require.Equal(t, tc.want, got.String())
			require.Equal(t, before, tc.scraped, "the scraped labels are not modified")
		})
	}
	// Shorter names are renamed first, as Prometheus does: "a" takes
	// exported_a although the scrape also holds a label "exported_a" for
	// the longer clash to step over.
	got := withTargetLabels(pairs("a", "1", "exported_a", "2"), pairs("a", "x", "exported_a", "y"), false)
	require.Equal(t, `{a="x",exported_a="y",exported_exported_a="1",exported_exported_exported_a="2"}`, got.String())
}

// TestScrapeAccept checks the Accept header offers what Prometheus offers,
// in its order, and that every type it offers is one scrapeProm reads.
func TestScrapeAccept(t *testing.T) {
	var types []string
	lastQ := "1"
	for _, part := range strings.Split(ScrapeAccept, ",") {
		mt, params, err := mime.ParseMediaType(part)
		require.NoError(t, err, part)
		require.Less(t, params["q"], lastQ, "preferences strictly decrease")
		lastQ = params["q"]
		if mt == "*/*" {
			continue
		}
		types = append(types, mt+";version="+params["version"])
		p, err := textparse.New([]byte("a 1\n"), part, nil, textparse.ParserOptions{})
		require.NoError(t, err, part)
		require.NotNil(t, p, part)
	}
	require.Equal(t, []string{
		"application/openmetrics-text;version=1.0.0", "application/openmetrics-text;version=0.0.1",
		"text/plain;version=1.0.0", "text/plain;version=0.0.4",
	}, types)
}

func TestPromSourceScrape(t *testing.T) {
	srv := newTestServer(t, false)
	cfg := urlSource(configs.TypePrometheus, srv.URL+"/metrics")
	promSpec(cfg).Include = []string{"^temperature"}
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)
	samples, err := src.Poll(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"temperature_celsius"}, metricNames(samples))
	require.Equal(t, fixedNow.UnixMilli(), samples[0].TimeMs)
	h, _ := srv.lastRequest()
	require.Equal(t, "pulseboard/test", h.Get("User-Agent"))
	require.Empty(t, src.(PartialReporter).LastPartial().Errors)

	promSpec(cfg).Include, promSpec(cfg).MaxSeries = nil, 3
	src2, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src2, Env{}.logger(), nil)
	samples, err = src2.Poll(t.Context())
	require.NoError(t, err, "over max_series the rest of the scrape is kept")
	require.Len(t, samples, 3)
	require.Equal(t, map[string]int{dropMaxSeries: 12, dropDuplicate: 1}, src2.(PartialReporter).LastPartial().Dropped,
		"12 over the cap and the repeated twice{a=\"1\"}")
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
		{"garbage", "/garbage", 0, nil, "parsing metrics: "},
		{"huge", "/node", 4096, ErrBodyTooLarge, "body exceeds 4096 bytes"},
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

	invalid := serveScrape(t, []byte("a{x=\"1\",x=\"2\"} 1\n"), ctClassic, false)
	_, err = pollWith(t, urlSource(configs.TypePrometheus, invalid.URL), testEnv(nil), 5*time.Second)
	require.ErrorIs(t, err, ErrNoValues, "a scrape whose every series was dropped")
	require.ErrorContains(t, err, "label x given twice")

	cfg := urlSource(configs.TypePrometheus, srv.URL+"/slow")
	_, err = pollWith(t, cfg, testEnv(nil), 200*time.Millisecond)
	require.ErrorIs(t, err, ErrTimeout)
}

// TestPromSourceNaNIsAValue: a body of nothing but NaN and infinities is
// a successful scrape of those values; what to do with them is not the
// parser's business.
func TestPromSourceNaNIsAValue(t *testing.T) {
	srv := newTestServer(t, false)
	samples, err := pollWith(t, urlSource(configs.TypePrometheus, srv.URL+"/nan.prom"), testEnv(nil), 5*time.Second)
	require.NoError(t, err)
	require.Len(t, samples, 2)
	require.True(t, math.IsNaN(samples[0].Value))
	require.True(t, math.IsInf(samples[1].Value, 1))
}

func TestPromBadRegex(t *testing.T) {
	cfg := urlSource(configs.TypePrometheus, "http://127.0.0.1/metrics")
	promSpec(cfg).Exclude = []string{"ok", "(unclosed"}
	_, err := NewSource(cfg, Env{})
	require.ErrorIs(t, err, ErrBadConfig)
	require.ErrorContains(t, err, "exclude[1]")
}

// TestScrapePromHonorLabels runs the clash body with honor_labels both
// ways: configured labels win unless the scrape is honoured.
func TestScrapePromHonorLabels(t *testing.T) {
	body := "zk_znodes{instance=\"localhost:2181\",env=\"dev\"} 42\n"
	target := pairs("env", "prod", "instance", "zk-1")
	res := scrapeText(t, body, scrapeOptions{targetLabels: target})
	require.Equal(t, `{env="prod",exported_env="dev",exported_instance="localhost:2181",instance="zk-1"}`, res.Samples[0].Labels.String())
	res = scrapeText(t, body, scrapeOptions{targetLabels: target, honorLabels: true})
	require.Equal(t, `{env="dev",instance="localhost:2181"}`, res.Samples[0].Labels.String())
	require.Empty(t, res.Warnings, "a clash is a rule, not a problem")
}

// TestPromSourceHonorKeys polls one target with honor_labels,
// honor_timestamps and track_timestamps_staleness each way, through the
// config keys. A sample that keeps the exporter's timestamp is exempt from
// staleness unless tracked; a sample stamped by the poll never is.
func TestPromSourceHonorKeys(t *testing.T) {
	const exporterMs = 1762171200000
	body := fmt.Sprintf("zk_znodes{instance=\"localhost:2181\",env=\"dev\"} 42 %d\nzk_up 1\n", exporterMs)
	srv := serveScrape(t, []byte(body), ctClassic, false)
	yes, no := true, false
	for _, tc := range []struct {
		name        string
		honorLabels bool
		honorTimes  *bool
		track       bool
		wantLabels  string
		wantMs      int64
		wantNoStale bool
	}{
		{"defaults", false, nil, false, `{env="prod",exported_env="dev",exported_instance="localhost:2181",instance="zk-1"}`, exporterMs, true},
		{"honor_labels true", true, nil, false, `{env="dev",instance="localhost:2181"}`, exporterMs, true},
		{"honor_timestamps true", false, &yes, false, `{env="prod",exported_env="dev",exported_instance="localhost:2181",instance="zk-1"}`, exporterMs, true},
		{"honor_timestamps false", false, &no, false, `{env="prod",exported_env="dev",exported_instance="localhost:2181",instance="zk-1"}`, fixedNow.UnixMilli(), false},
		{"track_timestamps_staleness", false, nil, true, `{env="prod",exported_env="dev",exported_instance="localhost:2181",instance="zk-1"}`, exporterMs, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := urlSource(configs.TypePrometheus, srv.URL)
			cfg.Labels = map[string]string{"env": "prod", "instance": "zk-1"}
			promSpec(cfg).HonorLabels = tc.honorLabels
			promSpec(cfg).TrackTimestampsStaleness = tc.track
			if tc.honorTimes != nil {
				promSpec(cfg).HonorTimestamps = tc.honorTimes
			}
			samples, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
			require.NoError(t, err)
			require.Len(t, samples, 2)
			m := byMetric(samples)
			zk, ok := m["zk_znodes"+tc.wantLabels]
			require.True(t, ok, "zk_znodes%s in %v", tc.wantLabels, samples)
			require.Equal(t, 42.0, zk.Value)
			require.Equal(t, tc.wantMs, zk.TimeMs)
			require.Equal(t, tc.wantNoStale, zk.NoStaleness)
			up := m[`zk_up{env="prod",instance="zk-1"}`]
			require.Equal(t, fixedNow.UnixMilli(), up.TimeMs, "a sample without a timestamp gets the poll's time")
			require.False(t, up.NoStaleness, "and its staleness is tracked")
		})
	}
}
