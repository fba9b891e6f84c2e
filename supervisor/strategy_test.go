package supervisor

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// threeChildren returns a supervisor over permanent children a, b, c.
func threeChildren(strategy Strategy, rec *recorder) (*Supervisor, map[string]*fakeChild, *orderLog) {
	log := &orderLog{}
	rec.log = log
	kids := map[string]*fakeChild{}
	var specs []Spec
	for _, n := range []string{"a", "b", "c"} {
		kids[n] = newFake(log, n)
		specs = append(specs, kids[n].spec(Permanent))
	}
	s := New(Config{Name: "test", Strategy: strategy, Hook: rec.hook, Rand: fixedRand(0.5)}, specs...)
	return s, kids, log
}

func TestStrategyRestartsTheRightSiblingsInOrder(t *testing.T) {
	tests := []struct {
		strategy Strategy
		crash    string
		want     []string
	}{
		{OneForOne, "b", []string{"b stop", "b start"}},
		{OneForAll, "b", []string{"b stop", "c stop", "a stop", "a start", "b start", "c start"}},
		{OneForAll, "c", []string{"c stop", "b stop", "a stop", "a start", "b start", "c start"}},
		{RestForOne, "b", []string{"b stop", "c stop", "b start", "c start"}},
		{RestForOne, "a", []string{"a stop", "c stop", "b stop", "a start", "b start", "c start"}},
		{RestForOne, "c", []string{"c stop", "c start"}},
	}
	for _, tt := range tests {
		t.Run(tt.strategy.String()+"/"+tt.crash, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				s, kids, log := threeChildren(tt.strategy, rec)
				stop := serving(t, s)
				require.Equal(t, []string{"a start", "b start", "c start"}, log.since(0))

				mark := log.len()
				kids[tt.crash].do(actFail)
				synctest.Wait()
				for _, st := range s.Children() {
					if contains(tt.want, st.Name+" start") {
						require.Equal(t, StateBackoff, st.State, "%s waits out the backoff", st.Name)
					}
				}
				time.Sleep(DefaultInitial)
				synctest.Wait()
				require.Equal(t, tt.want, log.since(mark))

				for name, k := range kids {
					restarted := contains(tt.want, name+" start")
					require.Equal(t, map[bool]int32{true: 2, false: 1}[restarted], k.starts.Load(), name)
					require.Equal(t, map[bool]int{true: 1, false: 0}[restarted], status(t, s, name).Restarts, name)
					require.Equal(t, StateRunning, status(t, s, name).State, name)
				}
				require.ErrorIs(t, status(t, s, tt.crash).LastError, errBoom)
				require.NoError(t, stop())
			})
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestOneForAllEventOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s, kids, _ := threeChildren(OneForAll, rec)
		stop := serving(t, s)
		kids["b"].do(actFail)
		synctest.Wait()
		time.Sleep(DefaultInitial)
		synctest.Wait()

		var got []string
		for _, e := range rec.events()[3:] { // after the three initial starts
			got = append(got, e.Child+" "+e.Kind.String())
		}
		require.Equal(t, []string{
			"b exited", "b restarting",
			"c exited", "c restarting",
			"a exited", "a restarting",
			"a started", "b started", "c started",
		}, got)
		for _, e := range rec.events() {
			if e.Kind == EventExited && e.Child != "b" {
				require.NoError(t, e.Err, "a sibling stopped by the supervisor exits cleanly")
			}
		}
		require.NoError(t, stop())
	})
}

// A child stopped because of a sibling's crash has not crashed: its own
// backoff does not grow.
func TestSiblingRestartLeavesBackoffAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s, kids, _ := threeChildren(OneForAll, rec)
		stop := serving(t, s)
		kids["b"].do(actFail) // a and c restarted along with b
		synctest.Wait()
		time.Sleep(DefaultInitial)
		synctest.Wait()
		kids["a"].do(actFail)
		synctest.Wait()
		require.Equal(t, []string{"started", "exited", "restarting:100ms", "started", "exited", "restarting:100ms"}, rec.of("a"))
		time.Sleep(DefaultInitial)
		synctest.Wait()
		require.NoError(t, stop())
	})
}

func TestGroupRestartDoesNotRestartTemporarySiblings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, tmp, c := newFake(log, "a"), newFake(log, "tmp"), newFake(log, "c")
		s := New(Config{Strategy: OneForAll, Hook: rec.hook, Rand: fixedRand(0.5)}, a.spec(Permanent), tmp.spec(Temporary), c.spec(Transient))
		stop := serving(t, s)
		a.do(actFail)
		synctest.Wait()
		time.Sleep(DefaultInitial)
		synctest.Wait()
		require.Equal(t, []string{"a start", "tmp start", "c start", "a stop", "c stop", "tmp stop", "a start", "c start"}, log.since(0))
		require.Equal(t, map[string]State{"a": StateRunning, "tmp": StateStopped, "c": StateRunning}, states(s))
		require.NoError(t, stop())
	})
}

// rest_for_one: a crash while a later sibling waits out a longer backoff of
// its own postpones the group to the later deadline and keeps start order.
func TestRestForOneMergesPendingRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s, kids, log := threeChildren(RestForOne, rec)
		stop := serving(t, s)
		kids["c"].do(actFail)
		synctest.Wait()
		time.Sleep(DefaultInitial)
		synctest.Wait()
		kids["c"].do(actFail) // second consecutive crash: 200ms
		synctest.Wait()
		mark := log.len()
		kids["a"].do(actFail) // 100ms of its own, but c must not start before a
		synctest.Wait()
		require.Equal(t, []string{"started", "exited", "restarting:200ms"}, rec.of("a"))
		require.Equal(t, map[string]State{"a": StateBackoff, "b": StateBackoff, "c": StateBackoff}, states(s))
		time.Sleep(2 * DefaultInitial)
		synctest.Wait()
		require.Equal(t, []string{"a stop", "b stop", "a start", "b start", "c start"}, log.since(mark))
		require.Equal(t, 2, status(t, s, "c").Restarts, "a postponed restart is still one restart")
		require.NoError(t, stop())
	})
}
