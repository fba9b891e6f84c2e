package aggregator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The store list stays in identity order whatever mix of new series,
// replacements (which move the last series into a hole), evictions and
// removed sources comes between two ticks: sorted merges the misplaced
// few into the rest rather than sorting every series again, and must
// agree with a full sort, positions included.
func TestSortedMergesMisplacedSeries(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			srcs := &mutable[[]SourceInfo]{v: []SourceInfo{{Name: "a"}, {Name: "b"}, {Name: "c"}}}
			a, c := newTestAgg(Options{MaxSeriesPerSource: 40, Sources: srcs.get, MailboxSize: 1 << 12})
			next := 0
			for round := range 60 {
				for _, src := range []string{"a", "b", "c"} {
					// Mostly the same ids, some new each time: new series,
					// and past the cap replacements of stale ones.
					var ids []string
					for range rng.IntN(30) {
						ids = append(ids, fmt.Sprint(rng.IntN(next+10)))
					}
					for range rng.IntN(8) {
						ids = append(ids, fmt.Sprint(next))
						next++
					}
					if round%17 == 16 && src == "c" {
						c.ms += a.opts.History.Milliseconds() + 1000 // the sweep evicts a's and b's
					}
					scrapeIDs(a, c, src, ids...)
				}
				a.tick()
				require.True(t, slices.IsSortedFunc(a.st.all, compareSeries), "round %d", round)
				for i, s := range a.st.all {
					require.Equal(t, i, s.allPos)
					require.False(t, s.evicted)
					require.False(t, s.misplaced)
				}
			}
			require.NotZero(t, a.stats.replaced.Load(), "replacements were tried")
			require.NotZero(t, a.stats.evicted.Load(), "evictions were tried")
		})
	}
}

// A tick's delta waits for the sweep of sweepBeforePublish series only:
// the windows of the rest are moved after its publish, and go in the next
// delta, which the tick asks for (backlog). Every series' windows move
// within the two, none twice.
func TestSweepAfterPublishPart(t *testing.T) {
	const sources, per = 12, 250 // each under the pacer's threshold
	a, c := newTestAgg(Options{MaxSeries: sources * per, MaxSeriesPerSource: per, MailboxSize: 64})
	sub := a.Subscribe(0)
	defer sub.Close()
	_ = next(t, sub) // the empty snapshot
	for i := range sources {
		a.ingest(wide(fmt.Sprintf("s%02d", i), per, c.ms))
	}
	a.tick()
	require.Len(t, decodeDelta(t, next(t, sub).Data).Added, sources*per)
	require.False(t, a.backlog)

	c.ms += 61_000 // every sample leaves the 1m window
	a.tick()
	first := decodeDelta(t, next(t, sub).Data).Windows
	require.Len(t, first, sweepBeforePublish, "the delta carries the part swept before it")
	require.True(t, a.backlog, "the rest asks for the next delta")
	a.tick()
	second := decodeDelta(t, next(t, sub).Data).Windows
	require.Len(t, second, sources*per-sweepBeforePublish)
	for id := range second {
		require.NotContains(t, first, id)
	}
	require.False(t, a.backlog)
}

// A source removed in the tick that splits a sweep compacts the list
// between the parts: the second starts again from the top, so no series
// of the sources left misses its windows' move.
func TestSweepAfterPublishPartSourceRemoved(t *testing.T) {
	const sources, per = 12, 250
	var infos []SourceInfo
	for i := range sources {
		infos = append(infos, SourceInfo{Name: fmt.Sprintf("s%02d", i)})
	}
	srcs := &mutable[[]SourceInfo]{v: infos}
	a, c := newTestAgg(Options{MaxSeries: sources * per, MaxSeriesPerSource: per, MailboxSize: 64, Sources: srcs.get})
	sub := a.Subscribe(0)
	defer sub.Close()
	_ = next(t, sub)
	for i := range sources {
		a.ingest(wide(infos[i].Name, per, c.ms))
	}
	a.SourcesChanged()
	a.tick()
	require.Len(t, decodeDelta(t, next(t, sub).Data).Added, sources*per)

	c.ms += 61_000
	srcs.set(infos[1:]) // s00, the first in the list, leaves
	a.SourcesChanged()
	a.tick()
	d := decodeDelta(t, next(t, sub).Data)
	require.Len(t, d.Removed, per)
	moved := map[string]bool{}
	for id := range d.Windows {
		moved[id] = true
	}
	a.tick()
	for id := range decodeDelta(t, next(t, sub).Data).Windows {
		moved[id] = true
	}
	require.Equal(t, (sources-1)*per, len(moved), "every series left moved its windows")
}
