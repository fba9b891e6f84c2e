package fill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
	"github.com/pulseboard/pulseboard/configs"
)

// testYAML has every kind of source the fill plays: a simulated source
// with labels and no seed, one with faults, a host source, and an http
// source, which it skips.
const testYAML = `
sources:
  - name: demo
    type: simulated
    interval: 500ms
    labels: {env: demo}
    series:
      - {metric: temperature_celsius, shape: sine, min: 18, max: 26, period: 2m, noise: 0.2}
      - {metric: requests_total, shape: counter, rate: 120}
  - name: flaky
    type: simulated
    interval: 1s
    seed: 7
    series:
      - {metric: jobs_processed_total, shape: counter, rate: 15}
    faults: {error_rate: 0.1, panic_rate: 0.05, latency: 20ms}
  - name: host
    type: host
    interval: 1s
  - name: web
    type: http
    url: http://127.0.0.1:1/
`

func testConfig(t *testing.T, yaml string) *configs.Config {
	t.Helper()
	cfg, err := configs.Parse("test.yaml", []byte(yaml))
	require.NoError(t, err)
	return cfg
}

var (
	testFrom = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	testTo   = testFrom.Add(20 * time.Minute)
)

// stored is everything a data directory holds: metas and blocks of every
// tier, in the store's order.
type stored struct {
	metas  []storage.SeriesMeta
	blocks []storage.Block
}

func readAll(t *testing.T, dir string) stored {
	t.Helper()
	db, err := storage.Open(storage.Options{Dir: dir})
	require.NoError(t, err)
	defer db.Close()
	var s stored
	s.metas, err = db.Series()
	require.NoError(t, err)
	for _, m := range s.metas {
		for tier := storage.Raw; tier < storage.NumTiers; tier++ {
			require.NoError(t, db.Blocks(tier, m.Key, math.MinInt64, math.MaxInt64, func(b storage.Block) bool {
				b.Data = bytes.Clone(b.Data)
				s.blocks = append(s.blocks, b)
				return true
			}))
		}
	}
	return s
}

func TestFillIsLosslessAndDeterministic(t *testing.T) {
	cfg := testConfig(t, testYAML)
	dirs := []string{t.TempDir(), t.TempDir()}
	var stats []Stats
	for _, dir := range dirs {
		st, err := History(dir, cfg, testFrom, testTo)
		require.NoError(t, err)
		stats = append(stats, st)
	}
	st := stats[0]
	require.Equal(t, []string{"web"}, st.Skipped)
	require.Equal(t, 2+1+len(DefaultHost()), st.Series)
	require.Equal(t, st.Samples, st.Tiers[storage.Raw].Points, "every sample pushed is stored, none twice")
	polls := int64(20 * 60) // flaky's, one a second
	require.Equal(t, polls, (st.Samples-2*2*polls-int64(len(DefaultHost()))*polls)+st.FailedPolls+st.Panics,
		"flaky stored a sample at every poll that did not fail")
	require.Positive(t, st.FailedPolls)
	require.Positive(t, st.Panics)
	require.Equal(t, int64(st.Series*20), st.Tiers[storage.Minute].Points, "a point a minute for every series, the last minute closed at the end")
	require.Equal(t, int64(st.Series), st.Tiers[storage.Hour].Points)

	a, b := readAll(t, dirs[0]), readAll(t, dirs[1])
	require.Len(t, a.metas, st.Series)
	require.Equal(t, a, b, "the same options store the same series and blocks")
}

func TestFillReadsBackThroughTheAggregator(t *testing.T) {
	cfg := testConfig(t, testYAML)
	dir := t.TempDir()
	_, err := History(dir, cfg, testFrom, testTo)
	require.NoError(t, err)

	db, err := storage.Open(storage.Options{Dir: dir})
	require.NoError(t, err)
	defer db.Close()
	now := testTo.Add(time.Minute)
	agg := aggregator.New(aggregator.Options{Storage: db, Now: func() time.Time { return now }})
	require.NoError(t, agg.Restore())
	metas, err := db.Series()
	require.NoError(t, err)
	ids := make([]string, len(metas))
	for i, m := range metas {
		ids[i] = fmt.Sprintf("%016x", m.Key)
	}
	ans := agg.QueryRange(protocol.RangeRequest{Series: ids, From: testFrom.UnixMilli(), To: testTo.UnixMilli(), Step: time.Minute.Milliseconds()})
	require.Empty(t, ans.Error)
	require.Len(t, ans.Series, len(ids))
	for _, s := range ans.Series {
		require.Empty(t, s.Error, s.ID)
		require.GreaterOrEqual(t, len(s.Points), 20, "a point a minute, from the start: %s", s.ID)
		require.Equal(t, testFrom.UnixMilli(), s.Points[0].T)
	}
}

func TestFillContinuesWhatTheDirectoryHolds(t *testing.T) {
	cfg := testConfig(t, testYAML)
	whole, parts := t.TempDir(), t.TempDir()
	_, err := History(whole, cfg, testFrom, testTo)
	require.NoError(t, err)
	mid := testFrom.Add(10 * time.Minute)
	_, err = History(parts, cfg, testFrom, mid)
	require.NoError(t, err)
	st, err := History(parts, cfg, mid, testTo)
	require.NoError(t, err)
	require.Equal(t, readAll(t, whole).metas, readAll(t, parts).metas, "the second fill continues the same series")
	var raw int64
	for _, b := range readAll(t, parts).blocks {
		if b.Tier == storage.Raw {
			raw += int64(b.Points)
		}
	}
	require.Equal(t, st.Tiers[storage.Raw].Points, raw)
	require.Greater(t, raw, st.Samples, "the first fill's samples are still there")
}

func TestFillRefuses(t *testing.T) {
	cfg := testConfig(t, testYAML)
	_, err := History(t.TempDir(), cfg, testTo, testFrom)
	require.ErrorIs(t, err, ErrBadRange)
	_, err = History(t.TempDir(), cfg, testFrom, testFrom)
	require.ErrorIs(t, err, ErrBadRange)

	httpOnly := testConfig(t, "sources:\n  - {name: web, type: http, url: 'http://127.0.0.1:1/'}\n")
	st, err := History(t.TempDir(), httpOnly, testFrom, testTo)
	require.ErrorIs(t, err, ErrNothingToFill)
	require.Equal(t, []string{"web"}, st.Skipped)

	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir})
	require.NoError(t, err)
	_, err = History(dir, cfg, testFrom, testTo)
	require.ErrorIs(t, err, storage.ErrLocked, "a directory in use is left alone")
	require.NoError(t, db.Close())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Run(ctx, Options{Dir: t.TempDir(), Config: cfg, From: testFrom, To: testTo})
	require.ErrorIs(t, err, context.Canceled)

	noInterval := testConfig(t, testYAML)
	noInterval.Sources[0].Interval = 0
	_, err = History(t.TempDir(), noInterval, testFrom, testTo)
	require.ErrorContains(t, err, `source "demo" has no interval`)
}

func TestFillFlushesOnItsClock(t *testing.T) {
	cfg := testConfig(t, testYAML)
	st, err := Run(context.Background(), Options{Dir: t.TempDir(), Config: cfg, From: testFrom, To: testTo, FlushEvery: time.Minute})
	require.NoError(t, err)
	require.Equal(t, 19+1, st.Flushes, "one a minute of the clock before the last poll, and the check after Serve's own at To")
	def, err := History(t.TempDir(), cfg, testFrom, testTo)
	require.NoError(t, err)
	require.Equal(t, 3+1, def.Flushes, "the default: every third of the 15m history")
	require.Equal(t, def.Tiers, st.Tiers, "the cadence changes nothing stored")
}

func TestFillReportsAStoreThatDoesNotOpen(t *testing.T) {
	cfg := testConfig(t, testYAML)
	_, err := History(t.TempDir()+"/\x00", cfg, testFrom, testTo)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrBadRange))
}
