package collectors

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/internal/hostilebody"
)

// Round 7's "vary" target (issue 14, N2): 3,000 series dropped by the
// label limits, each with a part that changes at every scrape, so that
// the series cache never knows them; read whole, they cost 27 % of a core
// at a scrape a second. Past dropped_series_limit the scrape fails whole
// and reading stops: the 101st dropped series is the last one read, at
// every scrape, whatever the cache holds.
func TestDroppedSeriesLimitStopsTheScrape(t *testing.T) {
	opt := defaultScrapeOptions()
	opt.droppedLimit = configs.DefaultPromDroppedSeriesLimit
	for round := range uint64(3) {
		res, err := scrapeProm(hostilebody.Vary(3000, round), ctClassic, opt)
		require.ErrorIs(t, err, ErrDroppedSeriesLimit)
		require.Equal(t, "dropped_series_limit 100 exceeded: the target sends more series than that which are dropped as read "+
			"(label_limit 34, label_name_length_limit 33, label_value_length_limit 34); reading stopped, none kept", err.Error())
		require.Empty(t, res.Samples)
		require.Equal(t, map[string]int{dropLabelLimit: 34, dropLabelValueLength: 34, dropLabelNameLength: 33}, res.Dropped,
			"round %d: counted up to where reading stopped", round)
	}

	// The same body once the cache knows it (the round-6 "wide" kind):
	// still stopped, as a known dropped series is still a dropped series.
	body := hostilebody.Vary(3000, 7)
	_, err := scrapeProm(body, ctClassic, opt)
	require.ErrorIs(t, err, ErrDroppedSeriesLimit)
	_, err = scrapeProm(body, ctClassic, opt)
	require.ErrorIs(t, err, ErrDroppedSeriesLimit)

	opt.droppedLimit = 0
	res, err := scrapeProm(hostilebody.Vary(3000, 8), ctClassic, opt)
	require.NoError(t, err, "0 turns it off")
	require.Len(t, res.Samples, 50)
	require.Equal(t, map[string]int{dropLabelLimit: 1000, dropLabelValueLength: 1000, dropLabelNameLength: 1000}, res.Dropped)
}

// The reading a dropped_series_limit scrape does is bounded: the scrape
// yields the core about every yieldWork of reading, and stopping at the
// 101st of 3,000 dropped series reads about a thirtieth of the body.
func TestDroppedSeriesLimitBoundsTheReading(t *testing.T) {
	yields := 0
	defer func(old func()) { yield = old }(yield)
	yield = func() { yields++ }
	body := hostilebody.Vary(3000, 1)
	opt := defaultScrapeOptions()
	_, err := scrapeProm(body, ctClassic, opt)
	require.NoError(t, err)
	whole := yields
	require.Greater(t, whole, 50, "the whole %d-byte body read", len(body))

	yields = 0
	opt.droppedLimit = configs.DefaultPromDroppedSeriesLimit
	_, err = scrapeProm(hostilebody.Vary(3000, 2), ctClassic, opt)
	require.ErrorIs(t, err, ErrDroppedSeriesLimit)
	require.LessOrEqual(t, yields, whole/20, "reading stopped early")
}

// A prometheus source has dropped_series_limit 100 by default: a poll of
// the vary target fails (up 0, its last_error naming the limit), and the
// series it dropped before it stopped are still counted by reason.
func TestDroppedSeriesLimitFailsThePoll(t *testing.T) {
	srv := serveScrape(t, hostilebody.Vary(300, 1), ctClassic, false)
	cfg := urlSource(configs.TypePrometheus, srv.URL)
	require.Equal(t, 100, promSpec(cfg).DroppedSeriesLimit)
	samples, p, err := scrapeOnce(t, cfg)
	require.ErrorIs(t, err, ErrDroppedSeriesLimit)
	require.Empty(t, samples)
	require.Contains(t, err.Error(), "GET "+srv.URL+": dropped_series_limit 100 exceeded")
	require.Equal(t, map[string]int{dropLabelLimit: 34, dropLabelValueLength: 34, dropLabelNameLength: 33}, p.Dropped)

	promSpec(cfg).DroppedSeriesLimit = 0
	samples, p, err = scrapeOnce(t, cfg)
	require.NoError(t, err)
	require.Len(t, samples, 50)
	require.Equal(t, 300, p.DroppedTotal())
}
