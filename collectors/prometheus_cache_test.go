package collectors

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/internal/hostilebody"
)

// labelsData is where a label set's elements live: two scrapes that share
// it took the labels from the cache.
func labelsData(ls aggregator.Labels) *aggregator.Label { return unsafe.SliceData(ls) }

// A scrape with the cache gives exactly what one without gives, the first
// time and the next, and the next reuses what the first read.
func TestSeriesCacheSameResult(t *testing.T) {
	body := promFixture(t, "node_exporter.prom")
	opt := scrapeOptions{targetLabels: aggregator.Labels{{Name: "job", Value: "node"}}}
	want := scrapeText(t, body, opt)
	opt.cache = newSeriesCache()
	first := scrapeText(t, body, opt)
	require.Equal(t, want, first)
	require.Len(t, opt.cache.prev, len(want.Samples), "every kept series cached")
	second := scrapeText(t, body, opt)
	require.Equal(t, want, second)
	for i := range second.Samples {
		require.Same(t, labelsData(first.Samples[i].Labels), labelsData(second.Samples[i].Labels), second.Samples[i].Metric)
	}
}

// A series the target stops sending is forgotten after the scrape that
// lacks it; one it sends again is read afresh.
func TestSeriesCacheForgetsWhatIsGone(t *testing.T) {
	opt := scrapeOptions{cache: newSeriesCache()}
	scrapeText(t, "a{x=\"1\"} 1\na{x=\"2\"} 2\n", opt)
	require.Len(t, opt.cache.prev, 2)
	res := scrapeText(t, "a{x=\"1\"} 3\n", opt)
	require.Len(t, opt.cache.prev, 1)
	require.Equal(t, []scrapedSample{{Metric: "a", Labels: aggregator.Labels{{Name: "x", Value: "1"}}, Kind: aggregator.KindGauge, Value: 3}}, res.Samples)
	res = scrapeText(t, "a{x=\"1\"} 4\na{x=\"2\"} 5\n", opt)
	require.Len(t, res.Samples, 2)
	require.Len(t, opt.cache.prev, 2)
}

// A scrape that fails (over sample_limit, reading stopped) forgets nothing.
func TestSeriesCacheKeptOverAFailedScrape(t *testing.T) {
	opt := scrapeOptions{cache: newSeriesCache(), promFilter: promFilter{sampleLimit: 2}}
	scrapeText(t, "a{x=\"1\"} 1\na{x=\"2\"} 2\n", opt)
	_, err := scrapeProm([]byte("a{x=\"3\"} 1\na{x=\"4\"} 2\na{x=\"5\"} 3\n"), ctClassic, opt)
	require.ErrorIs(t, err, ErrSampleLimit)
	require.Len(t, opt.cache.prev, 4, "the two known and the two read before the limit")
}

// A dropped series is cached as its verdict: it is still counted and
// named at every scrape, and a duplicate line is still a duplicate when
// its text is known.
func TestSeriesCacheDropsCountedEachTime(t *testing.T) {
	body := "a{x=\"1\",x=\"2\"} 1\nb{v=\"" + strings.Repeat("v", 20) + "\"} 2\nc 3\nc 4\n"
	opt := scrapeOptions{cache: newSeriesCache(), limits: labelLimits{valueLen: 10}}
	want := scrapeText(t, body, scrapeOptions{limits: opt.limits})
	for i := range 3 {
		res := scrapeText(t, body, opt)
		require.Equal(t, want, res, "scrape %d", i)
		require.Equal(t, map[string]int{dropInvalid: 1, dropLabelValueLength: 1, dropDuplicate: 1}, res.Dropped, "scrape %d", i)
	}
	require.Len(t, opt.cache.prev, 3, "c kept, a and b as their reasons")
	for _, e := range opt.cache.prev {
		if e.drop != "" {
			require.Nil(t, e.labels, "a drop keeps its reason only")
		}
	}
}

// A series dropped for a label limit or as invalid costs the next scrape
// its lexing only (issue 14, trial round 6, F2): the trial's "wide" body,
// 2,250 of its 3,050 series dropped, allocated 11 MB a scrape (every
// dropped series' labels built, masked, given the target labels, named)
// and now allocates none of that. Every reason is still counted and its
// first series named, as a scrape without the cache names it.
func TestSeriesCacheDropsCostNoLabels(t *testing.T) {
	body := string(hostilebody.Wide(3000))
	opt := defaultScrapeOptions()
	want := scrapeText(t, body, scrapeOptions{promFilter: opt.promFilter, limits: opt.limits})
	require.Equal(t, map[string]int{dropLabelLimit: 750, dropLabelValueLength: 750, dropLabelNameLength: 750}, want.Dropped)
	require.Len(t, want.Samples, 800)
	require.Equal(t, want, scrapeText(t, body, opt), "first scrape")
	require.Equal(t, want, scrapeText(t, body, opt), "known")
	raw := []byte(body)
	allocated := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := scrapeProm(raw, ctClassic, opt); err != nil {
				b.Fatal(err)
			}
		}
	}).AllocedBytesPerOp()
	// What remains: the 800 kept samples' list and the warnings.
	require.Less(t, allocated, int64(len(body)/8), "bytes allocated by a known scrape of a %d-byte body", len(body))
}

// Many series, as a wide target sends them: the cache keeps every one
// apart (no two texts share an entry) and the result stays the same.
func TestSeriesCacheWideTarget(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "w{a=\"%s\",i=\"%d\"} %d\n", strings.Repeat("v", 30), i, i)
	}
	opt := scrapeOptions{cache: newSeriesCache()}
	want := scrapeText(t, b.String(), scrapeOptions{})
	require.Equal(t, want, scrapeText(t, b.String(), opt))
	require.Equal(t, want, scrapeText(t, b.String(), opt))
	require.Len(t, opt.cache.prev, 2000)
}

// A prometheus poll gives its body back: the next poll reads into the
// same memory, and the samples of the first, which outlive it, are intact
// (their strings are copies, not views of the body).
func TestPromPollReusesItsBody(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "w{a=\"%s\",i=\"%d\"} %d\n", strings.Repeat("v", 30), i, i)
	}
	var body atomic.Pointer[string]
	text := b.String()
	body.Store(&text)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, *body.Load())
	}))
	t.Cleanup(srv.Close)
	src, err := NewSource(urlSource(configs.TypePrometheus, srv.URL), testEnv(srv))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)
	p := src.(*promSource)
	defer p.f.client.CloseIdleConnections()

	first, err := p.Poll(t.Context())
	require.NoError(t, err)
	require.GreaterOrEqual(t, cap(p.f.spare), len(text), "the body came back")
	spare := unsafe.SliceData(p.f.spare)
	want := fmt.Sprint(first)
	other := strings.ReplaceAll(text, "v", "x") // another text in the same buffer
	body.Store(&other)
	second, err := p.Poll(t.Context())
	require.NoError(t, err)
	require.Same(t, spare, unsafe.SliceData(p.f.spare), "read into the same memory")
	require.Equal(t, want, fmt.Sprint(first), "the first poll's samples are untouched")
	require.Equal(t, strings.Repeat("x", 30), second[0].Labels[0].Value)
}
