package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// Where a backfill starts: without storage, within the history as
// before; with it, from where this node's history of the peer ends, or
// where the peer was lost, never before the raw tier's retention.
func TestBackfillSince(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() time.Time { return now }
	mem := aggregator.New(aggregator.Options{Now: clock})
	require.Equal(t, now.Add(-mem.History()), backfillSince(mem, "a", time.Time{}, now), "a peer never seen")
	require.Equal(t, now.Add(-time.Minute), backfillSince(mem, "a", now.Add(-time.Minute), now), "lost a minute ago")
	require.Equal(t, now.Add(-mem.History()), backfillSince(mem, "a", now.Add(-time.Hour), now), "lost before the history")

	db, err := storage.Open(storage.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	var ret [storage.NumTiers]time.Duration
	ret[storage.Raw] = 48 * time.Hour
	agg := aggregator.New(aggregator.Options{Now: clock, Storage: db, Retention: ret})
	require.Equal(t, now.Add(-48*time.Hour), backfillSince(agg, "a", time.Time{}, now), "nothing held of it: all the raw tier keeps")
	held := now.Add(-3 * time.Hour)
	_, err = agg.WriteHistory(map[string][]aggregator.Sample{
		"a/demo": {{Metric: "m", TimeMs: held.UnixMilli(), Value: 1}},
		"b/demo": {{Metric: "m", TimeMs: now.Add(-time.Hour).UnixMilli(), Value: 1}},
	}, now.UnixMilli())
	require.NoError(t, err)
	require.Equal(t, held, backfillSince(agg, "a", time.Time{}, now), "from where its history ends")
	require.Equal(t, now.Add(-5*time.Hour), backfillSince(agg, "a", now.Add(-5*time.Hour), now), "from where it was lost")
	require.Equal(t, now.Add(-48*time.Hour), backfillSince(agg, "a", now.Add(-100*time.Hour), now), "not before the raw tier's retention")
}
