package collectors

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulseboard/pulseboard/aggregator"
)

// FuzzScrapeProm feeds arbitrary bodies to both formats. Whatever the
// body, the result keeps its promises: no panic, at most maxSeries
// samples, identities unique and sorted, labels sorted without empty
// values, every configured label present, no more series out (kept or
// dropped) than the body has lines, and time and allocation linear in the
// body (promBound).
func FuzzScrapeProm(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "scrape", "*.[po][rm]*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, strings.HasSuffix(name, ".om"))
		}
	}
	f.Add([]byte("# TYPE a histogram\na_bucket{le=\"1\"} 1\na{quantile=\"0.5\"} 2\n"), false)
	target := pairs("env", "prod", "instance", "i")
	f.Fuzz(func(t *testing.T, body []byte, om bool) {
		ct := ctClassic
		if om {
			ct = ctOM
		}
		const maxSeries = 50
		var res scrapeResult
		var err error
		c := costOf(func() {
			res, err = scrapeProm(body, ct, scrapeOptions{promFilter: promFilter{maxSeries: maxSeries}, targetLabels: target})
		})
		promBound.check(t, "scrapeProm", len(body), c)
		if err != nil {
			return
		}
		dropped := 0
		for _, n := range res.Dropped {
			dropped += n
		}
		if lines := bytes.Count(body, []byte("\n")) + 1; len(res.Samples)+dropped > lines {
			t.Fatalf("%d samples and %d drops from %d lines", len(res.Samples), dropped, lines)
		}
		if len(res.Samples) > maxSeries {
			t.Fatalf("%d samples over max_series", len(res.Samples))
		}
		keys := make([]string, len(res.Samples))
		for i, s := range res.Samples {
			keys[i] = identityKey(s.Metric, s.Labels)
			if !slices.IsSortedFunc(s.Labels, func(a, b aggregator.Label) int { return strings.Compare(a.Name, b.Name) }) {
				t.Fatalf("labels not sorted: %v", s.Labels)
			}
			for _, l := range s.Labels {
				if l.Value == "" {
					t.Fatalf("empty label %s kept", l.Name)
				}
			}
			for _, l := range target {
				if v, _ := labelValue(s.Labels, l.Name); v != l.Value {
					t.Fatalf("configured label %s lost: %v", l.Name, s.Labels)
				}
			}
		}
		if !slices.IsSorted(keys) || len(slices.Compact(keys)) != len(res.Samples) {
			t.Fatalf("identities not sorted and unique")
		}
	})
}
