package collectors

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func TestDueSlotsCountByTime(t *testing.T) {
	d := newDueSlots()
	require.False(t, d.overdue(math.MaxInt64-1), "nothing counted")

	d.add(20)
	d.add(10)
	d.add(10)
	require.False(t, d.overdue(9))
	require.True(t, d.overdue(10), "due at its time")
	d.remove(10)
	require.True(t, d.overdue(10), "one of two at 10 started; the other not yet")
	d.remove(10)
	require.False(t, d.overdue(19), "both at 10 started: 20 is next")
	require.True(t, d.overdue(20))

	d.remove(99) // never counted: nothing happens
	d.remove(20)
	require.False(t, d.overdue(math.MaxInt64-1), "all started")
	require.Empty(t, d.times)
}

// A time uncounted while below the top of the heap stays there until it
// reaches the top; counted again meanwhile, it is on the heap twice, and
// neither copy is taken for a due poll once nobody waits for it.
func TestDueSlotsTimeUncountedBelowTheTop(t *testing.T) {
	d := newDueSlots()
	d.add(10)
	d.add(30)
	d.remove(30) // a collector that stopped
	d.add(30)    // and one that waits for 30 again
	d.remove(30)
	require.True(t, d.overdue(10))
	d.remove(10)
	require.False(t, d.overdue(math.MaxInt64-1), "30's copies went with 10: nobody waits for it")
	require.Empty(t, d.times)

	d.add(10)
	d.add(30)
	d.remove(30)
	d.remove(10)
	d.add(40)
	require.False(t, d.overdue(39), "a stale 30 on top is not due")
}

// The next poll of a source counts as due from its time until it starts:
// a Manager whose sources all poll on one boundary is not settled at that
// boundary until every one of them has started, even with no poll running
// (the runtime fires their timers at once, then runs their goroutines one
// by one). Without it, the aggregator published the first source's batch
// alone and the rest a broadcast interval later.
func TestManagerNotSettledWhileAPollIsDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestManager(newRecordingSink(), nil, func(o *ManagerOptions) {
			o.factory = func(configs.Source, Env) (Source, error) {
				return newFuncSource(func(context.Context) ([]aggregator.Sample, error) { return gauge("m", 1), nil }), nil
			}
		})
		require.NoError(t, m.Apply([]configs.Source{loopConfig("a"), loopConfig("b")}))
		start := time.Now()
		stop := serveManager(t, m)
		synctest.Wait() // the first polls ran; the next are due at the next whole second
		slot := start.Truncate(time.Second).Add(time.Second)
		require.True(t, m.Settled(), "nothing runs, nothing is due yet")
		require.True(t, m.settledAt(slot.Add(-time.Nanosecond)))
		require.False(t, m.settledAt(slot), "at the boundary both polls are due and neither has started")

		time.Sleep(time.Until(slot))
		synctest.Wait() // both polled at the boundary
		require.True(t, m.settledAt(slot), "started and reported")
		require.False(t, m.settledAt(slot.Add(time.Second)), "the next ones are counted")

		stop()
		require.True(t, m.settledAt(slot.Add(time.Hour)), "a stopped collector leaves nothing counted")
		require.Empty(t, m.due.count)
	})
}
