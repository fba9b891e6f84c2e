package collectors

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/internal/hostilebody"
)

// defaultScrapeOptions are a prometheus source's options with the
// defaults of configs, as round 6's sources had them: dropped_series_limit
// off (droppedLimit 0), so that the work of reading series only to drop
// them is all done and can be measured.
func defaultScrapeOptions() scrapeOptions {
	return scrapeOptions{
		promFilter: promFilter{maxSeries: configs.DefaultPromMaxSeries, sampleLimit: configs.DefaultPromSampleLimit},
		limits:     labelLimits{count: configs.DefaultLabelLimit, nameLen: configs.DefaultLabelNameLengthLimit, valueLen: configs.DefaultLabelValueLengthLimit},
		cache:      newSeriesCache(),
	}
}

// BenchmarkScrapeHostile reads the two hostile bodies of F2 as a source
// with the default limits reads them every poll (its series cache warm):
// what the work of refusing costs.
func BenchmarkScrapeHostile(b *testing.B) {
	b.Run("wide", func(b *testing.B) {
		body := hostilebody.Wide(3000)
		opt := defaultScrapeOptions()
		if _, err := scrapeProm(body, ctClassic, opt); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := scrapeProm(body, ctClassic, opt); err != nil {
				b.Fatal(err)
			}
		}
	})
	// vary: round 7's body, whose dropped series are new at every scrape
	// (the cache never knows them), read whole (limit 0) and as
	// dropped_series_limit stops it.
	for _, limit := range []int{0, configs.DefaultPromDroppedSeriesLimit} {
		b.Run(fmt.Sprintf("vary/dropped_series_limit=%d", limit), func(b *testing.B) {
			opt := defaultScrapeOptions()
			opt.droppedLimit = limit
			bodies := [][]byte{hostilebody.Vary(3000, 1), hostilebody.Vary(3000, 2)}
			b.SetBytes(int64(len(bodies[0])))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := scrapeProm(bodies[i%2], ctClassic, opt); (err != nil) != (limit > 0) {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("explode", func(b *testing.B) {
		body := hostilebody.Explode(70000)
		opt := defaultScrapeOptions()
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := scrapeProm(body, ctClassic, opt); !errors.Is(err, ErrSampleLimit) {
				b.Fatal(err)
			}
		}
	})
}

// A long scrape hands the core over every yieldWork of reading (issue
// 14, trial round 6, F2: on a one-core server the stream's writers waited
// behind a 70,000-series body, and behind 4.4 MB of series to be dropped),
// whether it ends well or at sample_limit.
func TestScrapeYields(t *testing.T) {
	yields := 0
	defer func(old func()) { yield = old }(yield)
	yield = func() { yields++ }

	body := hostilebody.Explode(70000)
	_, err := scrapeProm(body, ctClassic, defaultScrapeOptions())
	require.ErrorIs(t, err, ErrSampleLimit)
	read := configs.DefaultPromSampleLimit * (len(body)/70000 + yieldSeriesCost) // to the limit
	require.InDelta(t, read/yieldWork, yields, 2, "one-label series")

	yields = 0
	body = hostilebody.Wide(3000)
	scrapeText(t, string(body), defaultScrapeOptions())
	require.InDelta(t, len(body)/yieldWork, yields, 5, "series that are mostly dropped count as read")
}

// Ordering and checking what a scrape read hands the core over too (issue
// 14, the trial's "atlimit" target beside the stream): ordering 9,000
// series' keys, dropping repeats and collisions ran for 7–11 ms without a
// yield, every scrape, after the reading had yielded all along.
func TestScrapeFinishYields(t *testing.T) {
	yields := 0
	defer func(old func()) { yield = old }(yield)
	yield = func() { yields++ }

	const n = 9000
	lines := strings.SplitAfter(string(hostilebody.Churn(n, 1)), "\n")
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	body := strings.Join(lines, "")
	scrapeText(t, body, defaultScrapeOptions())
	reading := (len(body) + n*yieldSeriesCost) / yieldWork
	// At least n log₂(n) / 2 comparisons to order n keys, and one a
	// series to drop repeats.
	finishing := (n*13/2 + n) * compareCost / yieldWork
	require.GreaterOrEqual(t, yields, reading+finishing-1, "reading alone yields %d times", reading)
}
