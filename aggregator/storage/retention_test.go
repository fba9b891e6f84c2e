package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// hourly writes one raw block of series s in each of n hours from t0, and
// a minute block in the first hour.
func hourly(t *testing.T, db *DB, s uint64, n int) {
	t.Helper()
	var bs []Block
	for h := range int64(n) {
		bs = append(bs, block(Raw, s, t0+h*hour, t0+h*hour+30*minute, 30))
	}
	bs = append(bs, block(Minute, s, t0, t0+59*minute, 60))
	require.NoError(t, db.Write([]SeriesMeta{{Key: s, Meta: []byte("s")}}, bs))
}

func TestRetentionByTime(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	c.set(timeAt(t0))
	o := Options{Dir: dir, Now: c.now, Retention: [NumTiers]Limit{Raw: {Time: 2 * time.Hour}, Minute: {Time: 48 * time.Hour}}}
	db := open(t, o)
	hourly(t, db, 1, 5) // raw blocks in hours 0..4
	require.NoError(t, db.Enforce())
	require.Equal(t, int64(5), db.Stats()[Raw].Blocks, "nothing is old yet")

	// At t0+5h the cutoff is t0+3h: hours 0..2 ended (at +30m) before it.
	c.set(timeAt(t0 + 5*hour))
	require.NoError(t, db.Enforce())
	require.Equal(t, []int64{t0 + 3*hour, t0 + 4*hour}, starts(read(t, db, Raw, 1, 0, t0+day)))
	st := db.Stats()
	require.Equal(t, TierStats{Bytes: st[Raw].Bytes, Points: 60, Blocks: 2, Oldest: t0 + 3*hour}, st[Raw])
	require.Equal(t, int64(1), st[Minute].Blocks, "the 1m tier keeps 48 h")

	// The drop is on disk: a reopened store has the same.
	require.NoError(t, db.Close())
	db = open(t, o)
	require.Equal(t, st, db.Stats())
	require.Len(t, read(t, db, Raw, 1, 0, t0+day), 2)

	// Past every tier's horizon the series itself goes.
	c.set(timeAt(t0 + 72*hour))
	require.NoError(t, db.Enforce())
	require.Equal(t, [NumTiers]TierStats{}, db.Stats())
	s, err := db.Series()
	require.NoError(t, err)
	require.Empty(t, s, "a series with no block left is dropped")
}

func TestRetentionKeepsSeriesStillInAnotherTier(t *testing.T) {
	c := &clock{}
	c.set(timeAt(t0))
	db := open(t, Options{Dir: t.TempDir(), Now: c.now, Retention: [NumTiers]Limit{Raw: {Time: time.Hour}}})
	hourly(t, db, 1, 1)
	hourly(t, db, 2, 1)
	require.NoError(t, db.Write(nil, []Block{block(Raw, 2, t0+10*hour, t0+10*hour, 1)}))
	c.set(timeAt(t0 + 10*hour))
	require.NoError(t, db.Enforce())
	require.Empty(t, read(t, db, Raw, 1, 0, t0+day))
	s, err := db.Series()
	require.NoError(t, err)
	require.Len(t, s, 2, "series 1 still has its minute block, series 2 a raw one")
}

func TestRetentionBySize(t *testing.T) {
	dir := t.TempDir()
	db := open(t, Options{Dir: dir})
	hourly(t, db, 1, 6)
	per := db.Stats()[Raw].Bytes / 6 // each hour's partition holds one equal-sized block
	require.Equal(t, per*6, db.Stats()[Raw].Bytes)
	require.NoError(t, db.Close())

	db = open(t, Options{Dir: dir, Retention: [NumTiers]Limit{Raw: {Size: 3*per + per/2}}})
	require.NoError(t, db.Enforce())
	require.Equal(t, []int64{t0 + 3*hour, t0 + 4*hour, t0 + 5*hour}, starts(read(t, db, Raw, 1, 0, t0+day)), "the oldest go first")
	require.Equal(t, 3*per, db.Stats()[Raw].Bytes)
	require.NoError(t, db.Enforce(), "nothing more is due")
	require.Equal(t, int64(3), db.Stats()[Raw].Blocks)
	require.NoError(t, db.Close())

	db = open(t, Options{Dir: dir, Retention: [NumTiers]Limit{Raw: {Size: 1}}})
	require.NoError(t, db.Enforce())
	require.Equal(t, []int64{t0 + 5*hour}, starts(read(t, db, Raw, 1, 0, t0+day)), "the newest partition stays")
}

func TestCollector(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	hourly(t, db, 1, 2)
	st := db.Stats()
	require.Equal(t, int64(60), st[Raw].Points)
	want := `
# HELP pulseboard_storage_blocks Blocks stored per tier.
# TYPE pulseboard_storage_blocks gauge
pulseboard_storage_blocks{tier="1h"} 0
pulseboard_storage_blocks{tier="1m"} 1
pulseboard_storage_blocks{tier="raw"} 2
# HELP pulseboard_storage_bytes Bytes of stored blocks (keys and values) per tier, in bytes.
# TYPE pulseboard_storage_bytes gauge
pulseboard_storage_bytes{tier="1h"} 0
pulseboard_storage_bytes{tier="1m"} ` + itoa(st[Minute].Bytes) + `
pulseboard_storage_bytes{tier="raw"} ` + itoa(st[Raw].Bytes) + `
# HELP pulseboard_storage_degraded 1 while writes to the history store fail and history is kept in memory only, else 0.
# TYPE pulseboard_storage_degraded gauge
pulseboard_storage_degraded 0
# HELP pulseboard_storage_flush_errors_total Write transactions to the history store that failed (flushes and retention drops).
# TYPE pulseboard_storage_flush_errors_total counter
pulseboard_storage_flush_errors_total 0
# HELP pulseboard_storage_points Points stored per tier (samples in raw, aggregate points in 1m and 1h).
# TYPE pulseboard_storage_points gauge
pulseboard_storage_points{tier="1h"} 0
pulseboard_storage_points{tier="1m"} 60
pulseboard_storage_points{tier="raw"} 60
`
	require.NoError(t, testutil.CollectAndCompare(db.Collector(), strings.NewReader(want),
		"pulseboard_storage_blocks", "pulseboard_storage_bytes", "pulseboard_storage_degraded",
		"pulseboard_storage_flush_errors_total", "pulseboard_storage_points"))
	problems, err := testutil.CollectAndLint(db.Collector())
	require.NoError(t, err)
	require.Empty(t, problems)
	require.Equal(t, 1, countHistogram(t, db), "one Write observed")
}
