package collectors

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// goroutineID is the running goroutine's number, from its stack header.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	return string(bytes.Fields(buf)[1])
}

// The polls of one run share one goroutine, not Serve's; a new run (after
// a hang) gets a new one, and the abandoned one exits once its poll
// returns.
func TestPollsOfARunShareOneGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ids []string
		var src *funcSource
		src = newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			ids = append(ids, goroutineID())
			if len(ids) == 4 {
				<-src.closed // hangs until the run closes its source
				return nil, ErrSourceClosed
			}
			return gauge("m", 1), nil
		})
		c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
		require.ErrorIs(t, c.Serve(t.Context()), ErrHung)
		synctest.Wait()
		require.Len(t, ids, 4)
		for _, id := range ids[1:] {
			require.Equal(t, ids[0], id, "one goroutine for the run's polls")
		}
		serving := goroutineID()
		require.NotEqual(t, serving, ids[0], "not Serve's")

		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)
		time.Sleep(time.Millisecond)
		cancel()
		require.NoError(t, <-done)
		require.Len(t, ids, 5)
		require.NotEqual(t, ids[0], ids[4], "a new run, a new goroutine")
	})
}
