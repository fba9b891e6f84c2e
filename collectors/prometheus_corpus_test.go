package collectors

import (
	"compress/gzip"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

var updateCorpus = flag.Bool("update", false, "rewrite testdata/scrape/*.want from what the source produces")

const (
	ctClassic   = "text/plain; version=0.0.4; charset=utf-8"
	ctClassic1  = "text/plain; version=1.0.0; escaping=allow-utf-8; charset=utf-8"
	ctOM        = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	ctOMOld     = "application/openmetrics-text; version=0.0.1; charset=utf-8"
	ctNone      = "-" // the server sends no Content-Type at all
	nodeFixture = "../node_exporter.prom"
)

// scrapeCorpus is every body of testdata/scrape served as a real target
// would, through the real prometheus source. Each case's expected series,
// values, warnings and drops are in testdata/scrape/<name>.want (see
// renderPoll for its lines); -update rewrites them, for review in the diff.
var scrapeCorpus = []struct {
	name        string // the .want file
	body        string // under testdata/scrape
	contentType string
	gzip        bool
	labels      map[string]string
	maxSeries   int
}{
	{name: "repeated_family", body: "repeated_family.prom", contentType: ctClassic},
	{name: "openmetrics_counter", body: "openmetrics_counter.om", contentType: ctOM},
	{name: "openmetrics_all_types", body: "openmetrics_all_types.om", contentType: ctOM, gzip: true},
	{name: "openmetrics_0.0.1", body: "openmetrics_counter.om", contentType: ctOMOld},
	{name: "classic_all_types", body: "classic_all_types.prom", contentType: ctClassic, gzip: true},
	{name: "malformed_families", body: "malformed_families.prom", contentType: ctClassic},
	{name: "malformed_families_om", body: "malformed_families.om", contentType: ctOM},
	{name: "name_collision", body: "name_collision.prom", contentType: ctClassic1},
	{name: "label_clash", body: "label_clash.prom", contentType: ctClassic, labels: map[string]string{"env": "prod", "instance": "zk-1"}},
	{name: "duplicates_and_values", body: "duplicates_and_values.prom", contentType: ctClassic},
	{name: "node_exporter", body: nodeFixture, contentType: ctClassic, gzip: true},
	{name: "node_exporter_capped", body: nodeFixture, contentType: ctClassic, maxSeries: 25},
	{name: "no_content_type", body: "openmetrics_counter.om", contentType: ctNone},
	{name: "unknown_content_type", body: "duplicates_and_values.prom", contentType: "application/octet-stream"},
}

func TestScrapeCorpus(t *testing.T) {
	for _, tc := range scrapeCorpus {
		t.Run(tc.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "scrape", tc.body))
			require.NoError(t, err)
			srv := serveScrape(t, body, tc.contentType, tc.gzip)
			cfg := urlSource(configs.TypePrometheus, srv.URL+"/metrics")
			cfg.Labels = tc.labels
			if tc.maxSeries > 0 {
				cfg.Spec.(*configs.PrometheusSpec).MaxSeries = tc.maxSeries
			}
			src, err := NewSource(cfg, testEnv(nil))
			require.NoError(t, err)
			defer closeSource(src, Env{}.logger(), nil)

			samples, err := src.Poll(t.Context())
			require.NoError(t, err)
			got := renderPoll(samples, src.(PartialReporter).LastPartial())

			wantPath := filepath.Join("testdata", "scrape", tc.name+".want")
			if *updateCorpus {
				require.NoError(t, os.WriteFile(wantPath, []byte(got), 0o644))
			}
			want, err := os.ReadFile(wantPath)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

// serveScrape answers every request with body, as contentType ("-" for
// none), gzipped when asked to and the client accepts it.
func serveScrape(t *testing.T, body []byte, contentType string, gz bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType == ctNone {
			w.Header()["Content-Type"] = nil // no sniffing either
		} else {
			w.Header().Set("Content-Type", contentType)
		}
		if !gz {
			_, _ = w.Write(body)
			return
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "the test wants a client that accepts gzip", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = zw.Write(body)
		_ = zw.Close()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// renderPoll writes what a poll gave, one line per fact:
//
//	<kind> <metric>{<name>="<value>",…} <value> [@<exporter time in ms>]
//	warning: <text>
//	dropped <reason> <count>
//
// Samples in the order Poll returned them; values quoted as Go does, so a
// newline in a label value stays on its line.
func renderPoll(samples []aggregator.Sample, p Partial) string {
	var b strings.Builder
	for _, s := range samples {
		fmt.Fprintf(&b, "%s %s{", s.Kind, s.Metric)
		for i, l := range s.Labels {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%s", l.Name, strconv.Quote(l.Value))
		}
		fmt.Fprintf(&b, "} %s", strconv.FormatFloat(s.Value, 'g', -1, 64))
		if s.TimeMs != fixedNow.UnixMilli() {
			fmt.Fprintf(&b, " @%d", s.TimeMs)
		}
		b.WriteByte('\n')
	}
	for _, err := range p.Errors {
		fmt.Fprintf(&b, "warning: %s\n", err)
	}
	for _, reason := range slices.Sorted(maps.Keys(p.Dropped)) {
		fmt.Fprintf(&b, "dropped %s %d\n", reason, p.Dropped[reason])
	}
	return b.String()
}

// TestScrapeOverTheCap scrapes a target of 40,000 series (over max_series,
// under sample_limit) through the source with the defaults: the scrape is
// cut, never failed, the same series survive every time, and the cut is
// counted and named.
func TestScrapeOverTheCap(t *testing.T) {
	const n = 40_000
	var body strings.Builder
	body.WriteString("# TYPE wide gauge\n")
	for i := range n {
		fmt.Fprintf(&body, "wide{id=\"%06d\"} %d\n", n-1-i, i) // printed in reverse
	}
	srv := serveScrape(t, []byte(body.String()), ctClassic, false)
	cfg := urlSource(configs.TypePrometheus, srv.URL+"/metrics")
	spec := cfg.Spec.(*configs.PrometheusSpec)
	spec.MaxSeries, spec.MaxBodyBytes = configs.DefaultPromMaxSeries, 8<<20
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)

	for range 2 {
		samples, err := src.Poll(t.Context())
		require.NoError(t, err)
		require.Len(t, samples, configs.DefaultPromMaxSeries)
		require.Equal(t, `{id="000000"}`, samples[0].Labels.String(), "the first series in identity order are kept")
		require.Equal(t, `{id="009999"}`, samples[len(samples)-1].Labels.String())
		require.Equal(t, float64(n-1), samples[0].Value)
		p := src.(PartialReporter).LastPartial()
		require.Equal(t, map[string]int{dropMaxSeries: n - configs.DefaultPromMaxSeries}, p.Dropped)
		require.Len(t, p.Errors, 1)
		require.EqualError(t, p.Errors[0], `max_series: dropped 30000 series over max_series 10000 (first: wide{id="010000"})`)
	}
}
