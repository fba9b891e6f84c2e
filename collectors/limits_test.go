package collectors

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// scrapeOnce polls a prometheus source built from cfg once.
func scrapeOnce(t *testing.T, cfg configs.Source) ([]aggregator.Sample, Partial, error) {
	t.Helper()
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)
	samples, err := src.Poll(t.Context())
	return samples, src.(PartialReporter).LastPartial(), err
}

// hugeLabels is issue 14's hostile target: n series whose label values
// are 10,000 characters long, and one ordinary series.
func hugeLabels(n int) string {
	var b strings.Builder
	b.WriteString("# TYPE big gauge\n")
	for i := range n {
		fmt.Fprintf(&b, "big{path=\"%05d%s\"} %d\n", i, strings.Repeat("x", 10_000-5), i)
	}
	b.WriteString("ok 1\n")
	return b.String()
}

func TestPromLabelValueLengthLimit(t *testing.T) {
	// 100: as many as dropped_series_limit lets a scrape drop.
	srv := serveScrape(t, []byte(hugeLabels(100)), ctClassic, false)
	samples, p, err := scrapeOnce(t, urlSource(configs.TypePrometheus, srv.URL))
	require.NoError(t, err)
	require.Len(t, samples, 1)
	require.Equal(t, "ok", samples[0].Metric)
	require.Equal(t, map[string]int{dropLabelValueLength: 100}, p.Dropped)
	require.Len(t, p.Errors, 1)
	want := `label_value_length_limit: dropped 100 series with a label value or metric name longer than 1024 bytes ` +
		`(first: big{path="00000` + strings.Repeat("x", 59) + `…(10000 bytes)"})`
	require.EqualError(t, p.Errors[0], want, "the warning quotes 64 bytes of the value")
}

func TestPromLabelLimitsEachReason(t *testing.T) {
	longName := strings.Repeat("n", 129)
	manyLabels := make([]string, 29)
	for i := range manyLabels {
		manyLabels[i] = fmt.Sprintf("l%02d=\"v\"", i)
	}
	for _, tc := range []struct {
		name, series, reason string
	}{
		// The source's two labels make 31 with 29 scraped ones.
		{"label_limit", "many{" + strings.Join(manyLabels, ",") + "} 1", dropLabelLimit},
		{"label_name_length_limit", "named{" + longName + "=\"v\"} 1", dropLabelNameLength},
		{"label_value_length_limit", "valued{v=\"" + strings.Repeat("v", 1025) + "\"} 1", dropLabelValueLength},
		{"metric name as a value", strings.Repeat("m", 1025) + " 1", dropLabelValueLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.series + "\nfine{l00=\"v\"} 2\n"
			srv := serveScrape(t, []byte(body), ctClassic, false)
			cfg := urlSource(configs.TypePrometheus, srv.URL)
			cfg.Labels = map[string]string{"dc": "x", "team": "y"}
			samples, p, err := scrapeOnce(t, cfg)
			require.NoError(t, err)
			require.Len(t, samples, 1, "the series within the limits is kept")
			require.Equal(t, "fine", samples[0].Metric)
			require.Equal(t, map[string]int{tc.reason: 1}, p.Dropped)
			require.Len(t, p.Errors, 1)
			require.True(t, strings.HasPrefix(p.Errors[0].Error(), tc.reason+": dropped 1 series "), p.Errors[0].Error())
			require.Less(t, len(p.Errors[0].Error()), 400, "a warning stays one short line")

			promSpec(cfg).LabelLimits = configs.LabelLimits{} // all off
			samples, p, err = scrapeOnce(t, cfg)
			require.NoError(t, err)
			require.Len(t, samples, 2, "with the limits off nothing is dropped")
			require.Empty(t, p.Dropped)
		})
	}
	t.Run("30 labels with the source's is within label_limit", func(t *testing.T) {
		srv := serveScrape(t, []byte("many{"+strings.Join(manyLabels[:28], ",")+"} 1\n"), ctClassic, false)
		cfg := urlSource(configs.TypePrometheus, srv.URL)
		cfg.Labels = map[string]string{"dc": "x", "team": "y"}
		samples, p, err := scrapeOnce(t, cfg)
		require.NoError(t, err)
		require.Len(t, samples, 1)
		require.Len(t, samples[0].Labels, 30)
		require.Empty(t, p.Dropped)
	})
}

func TestPromSampleLimitFailsTheScrape(t *testing.T) {
	var body strings.Builder
	for i := range 101 {
		fmt.Fprintf(&body, "wide{id=\"%03d\"} 1\nother{id=\"%03d\"} 1\n", i, i)
	}
	srv := serveScrape(t, []byte(body.String()), ctClassic, false)
	cfg := urlSource(configs.TypePrometheus, srv.URL)
	promSpec(cfg).MaxSeries, promSpec(cfg).SampleLimit = 50, 100

	samples, _, err := scrapeOnce(t, cfg)
	require.ErrorIs(t, err, ErrSampleLimit)
	require.Empty(t, samples)
	require.Equal(t, "GET "+srv.URL+": sample_limit 100 exceeded: the target sends more series than that (after include and exclude); none kept", err.Error())

	promSpec(cfg).Include = []string{"^wide$"}
	_, _, err = scrapeOnce(t, cfg)
	require.ErrorIs(t, err, ErrSampleLimit, "101 series of wide alone")

	promSpec(cfg).SampleLimit = 101
	samples, p, err := scrapeOnce(t, cfg)
	require.NoError(t, err, "include and exclude choose before the limit counts")
	require.Len(t, samples, 50, "between max_series and sample_limit a scrape is cut")
	require.Equal(t, map[string]int{dropMaxSeries: 51}, p.Dropped)

	promSpec(cfg).SampleLimit = 0
	_, _, err = scrapeOnce(t, cfg)
	require.NoError(t, err, "0 turns it off")
}

// TestHugeLabelsCountedWhenTheScrapeFails runs issue 14's target through a
// manager: every series breaks label_value_length_limit, so every poll
// fails with no usable values, and the drops are on /metrics all the same.
func TestHugeLabelsCountedWhenTheScrapeFails(t *testing.T) {
	srv := serveScrape(t, []byte(strings.TrimSuffix(hugeLabels(100), "ok 1\n")), ctClassic, false)
	cfg := urlSource(configs.TypePrometheus, srv.URL)
	cfg.Name = "huge"
	cfg.Interval, cfg.Timeout = configs.Duration(20*time.Millisecond), configs.Duration(5*time.Second)
	m := newTestManager(newRecordingSink(), nil, nil)
	require.NoError(t, m.Apply([]configs.Source{cfg}))
	stop := serveManager(t, m)
	require.Eventually(t, func() bool {
		st, err := m.Stats("huge")
		return err == nil && st.Failures >= 2
	}, 10*time.Second, 5*time.Millisecond)
	stop()

	st, err := m.Stats("huge")
	require.NoError(t, err)
	require.False(t, st.Up)
	require.Contains(t, st.LastError, "no usable values: label_value_length_limit: dropped 100 series")
	require.Less(t, len(st.LastError), 400)
	require.Equal(t, map[string]uint64{dropLabelValueLength: 100 * st.Failures}, st.Dropped)
	want := fmt.Sprintf(`
# HELP pulseboard_source_series_dropped_total Series left out of polls of the source, by reason (duplicate, collision, max_series, invalid, native_histogram, label_limit, label_name_length_limit, label_value_length_limit), counted at every poll; include and exclude are not drops.
# TYPE pulseboard_source_series_dropped_total counter
pulseboard_source_series_dropped_total{reason="label_value_length_limit",source="huge"} %d
`, 100*st.Failures)
	require.NoError(t, testutil.CollectAndCompare(m.Collector(), strings.NewReader(want), "pulseboard_source_series_dropped_total"))
}

func TestSeriesTextIsBounded(t *testing.T) {
	ls := make(aggregator.Labels, 12)
	for i := range ls {
		ls[i] = aggregator.Label{Name: fmt.Sprintf("l%02d", i), Value: "v"}
	}
	require.Equal(t, `m{l00="v",l01="v",l02="v",l03="v",l04="v",l05="v",l06="v",l07="v",…4 more}`, seriesText(nil, "m", ls))
	// A cut never splits a character: é is two bytes, and byte 64 is the
	// second half of one.
	v := "a" + strings.Repeat("é", 40)
	require.Equal(t, "a"+strings.Repeat("é", 31)+"…(81 bytes)", clipBytes(nil, v))
	require.Equal(t, "short", clipBytes(nil, "short"))
	raw := []byte(strings.Repeat("r", 1000))
	require.Equal(t, strings.Repeat("r", 64)+"…(1000 bytes)", clipBytes(nil, raw))
	// A warning is one line, whatever a name or value holds (a quoted
	// metric name with a line break, found by FuzzPromSource); invalid
	// UTF-8 is kept as it is.
	require.Equal(t, `a\nb\r\x00\u0085c`+"\xe0", clipBytes(nil, "a\nb\r\x00\u0085c\xe0"))
	require.Equal(t, `m{l="x\ny"}`, seriesText(nil, "m", aggregator.Labels{{Name: "l", Value: "x\ny"}}))
}

// TestScrapeErrorIsBounded: a parser error quotes the token it stopped at;
// a body that is one long token gives a short error all the same.
func TestScrapeErrorIsBounded(t *testing.T) {
	body := "# HELP \"" + strings.Repeat("0\n", 100_000)
	_, err := scrapeProm([]byte(body), ctClassic, scrapeOptions{})
	require.Error(t, err)
	require.Less(t, len(err.Error()), clipErrLen+64)
	require.Contains(t, err.Error(), "bytes)")
	var ce clippedError
	require.ErrorAs(t, err, &ce, "the parser's error is still there")
	require.Greater(t, len(ce.err.Error()), 100_000)

	short := errors.New("short")
	require.Same(t, short, clipError(nil, short))
}
