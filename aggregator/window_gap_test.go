package aggregator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWindowRateLeavesGapsOut: a counter at 120/s polled every second, the
// server down for 20 s, then the counter from 0 again at 120/s. Over the
// 1m window the rate is 120/s (the increase over the 35 s its samples
// cover), as the snapshot and the alert evaluator (SeriesView.Stat) read
// it; with the outage's time counted it was 79.6/s.
func TestWindowRateLeavesGapsOut(t *testing.T) {
	o := Options{Windows: []time.Duration{time.Minute}}.withDefaults()
	var c counters
	st := newStore(o, &c)
	t0 := int64(1_700_000_040_000)
	feed := func(ts int64, v float64) {
		st.ingest(Batch{Source: "s", Samples: []Sample{{Metric: "m", Kind: KindCounter, TimeMs: ts, Value: v}}}, ts)
		st.settle(ts, len(st.dirty))
	}
	for i := range 16 { // 15 s of samples before the outage
		feed(t0+int64(i)*1000, 3000+120*float64(i))
	}
	restart := t0 + 35_000 // 20 s after the last sample
	for i := range 21 {    // 20 s after it, counting from 0 again
		feed(restart+int64(i)*1000, 120*float64(i+1))
	}
	s := st.all[0]
	got := s.wins[0].stats()
	require.Equal(t, 37, got.Count)
	require.True(t, got.HasRate)
	require.InDelta(t, 120.0, got.Rate, 1e-9, "15 s and 20 s of 120/s; the 20 s between are left out")

	v := SeriesView{s: s, w: 0}
	r, ok := v.Stat(StatRate)
	require.True(t, ok)
	require.InDelta(t, 120.0, r, 1e-9, "the alert evaluator reads the same rate")

	// Once the samples before the outage have left the window, the rate
	// is the restarted counter's alone.
	st.sweep(t0+15_000+60_000, 0, 0, nil)
	got = s.wins[0].stats()
	require.InDelta(t, 120.0, got.Rate, 1e-9)
}

// TestWindowRateAcrossGapsOnly: two samples across a gap and nothing else
// have no time with data between them, so no rate (never an increase
// over time nobody saw).
func TestWindowRateAcrossGapsOnly(t *testing.T) {
	require.False(t, isGap(0, 60_000), "the first interval is not a gap: its spacing is unknown")
	require.False(t, isGap(1000, 3000), "within 2 s of a 1 s interval: poll jitter")
	require.True(t, isGap(1000, 3001))
	require.False(t, isGap(10_000, 25_000), "2.5 times a 10 s interval")
	require.True(t, isGap(10_000, 25_001))

	var r rateTrack
	require.Equal(t, rateStep{}, r.step(KindCounter, 0, 10), "the first sample adds nothing")
	require.Equal(t, rateStep{inc: 5, cov: 1000}, r.step(KindCounter, 1000, 15))
	require.Equal(t, rateStep{}, r.step(KindCounter, 30_000, 3), "across a gap: neither increase nor time")
	require.Equal(t, rateStep{inc: 3, cov: 1000}, r.step(KindCounter, 31_000, 6), "after it, the spacing was the gap's: not one")

	w := window{count: 2, incSum: ksum{s: 9}, covSum: 0}
	_, ok := w.rate()
	require.False(t, ok)
}
