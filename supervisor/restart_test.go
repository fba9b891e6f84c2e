package supervisor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRestartPolicies(t *testing.T) {
	tests := []struct {
		restart   Restart
		exit      action
		restarted bool
	}{
		{Permanent, actExitNil, true},
		{Permanent, actFail, true},
		{Permanent, actPanic, true},
		{Transient, actExitNil, false},
		{Transient, actFail, true},
		{Transient, actPanic, true},
		{Temporary, actExitNil, false},
		{Temporary, actFail, false},
		{Temporary, actPanic, false},
	}
	names := map[action]string{actExitNil: "nil", actFail: "error", actPanic: "panic"}
	for _, tt := range tests {
		t.Run(tt.restart.String()+"/"+names[tt.exit], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := &orderLog{}
				rec := &recorder{log: log}
				k, other := newFake(log, "k"), newFake(log, "other")
				s := New(Config{Hook: rec.hook, Rand: fixedRand(0.5)}, k.spec(tt.restart), other.spec(Permanent))
				stop := serving(t, s)
				k.do(tt.exit)
				synctest.Wait()
				time.Sleep(time.Second)
				synctest.Wait()

				if tt.restarted {
					require.Equal(t, int32(2), k.starts.Load())
					require.Equal(t, []string{"started", "exited", "restarting:100ms", "started"}, rec.of("k"))
					require.Equal(t, StateRunning, status(t, s, "k").State)
					require.Equal(t, 1, status(t, s, "k").Restarts)
				} else {
					require.Equal(t, int32(1), k.starts.Load())
					require.Equal(t, []string{"started", "exited"}, rec.of("k"))
					require.Equal(t, StateStopped, status(t, s, "k").State)
				}
				require.Equal(t, int32(1), other.starts.Load(), "one_for_one leaves the sibling alone")
				require.NoError(t, stop())
				require.Equal(t, StateStopped, status(t, s, "k").State)
			})
		})
	}
}

func TestPanicIsRecoveredWithStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{}
		k := newFake(log, "k")
		s := New(Config{Hook: rec.hook}, k.spec(Transient))
		stop := serving(t, s)
		k.do(actPanic)
		synctest.Wait()

		var exit Event
		for _, e := range rec.events() {
			if e.Kind == EventExited {
				exit = e
			}
		}
		var pe *PanicError
		require.ErrorAs(t, exit.Err, &pe)
		require.Equal(t, "kaboom", pe.Value)
		require.Contains(t, pe.Error(), "kaboom")
		require.Contains(t, string(pe.Stack), "fakeChild).Serve", "the stack is the panicking goroutine's")
		require.ErrorAs(t, status(t, s, "k").LastError, &pe)
		require.Equal(t, StateBackoff, status(t, s, "k").State, "a panic is a crash, so a transient child restarts")
		require.Equal(t, []string{"k stop"}, log.since(0), "deferred functions of the child ran")
		require.NoError(t, stop())
	})
}

func TestPanicWithErrorUnwraps(t *testing.T) {
	err := serveSafely(context.Background(), Func(func(context.Context) error { panic(errBoom) }))
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, errBoom)
	require.Nil(t, (&PanicError{Value: "text"}).Unwrap())
}

func TestGoexitIsACrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := New(Config{Hook: rec.hook, MaxRestarts: -1}, Spec{Name: "g", Service: Func(func(context.Context) error {
			goexit()
			return nil
		})})
		err := s.Serve(context.Background())
		require.ErrorIs(t, err, ErrGaveUp)
		require.ErrorIs(t, err, errGoexit)
	})
}

func TestIntensityGivesUpAndStopsSiblingsInReverse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, bad, c := newFake(log, "a"), newFake(log, "bad"), newFake(log, "c")
		bad.onStart.Store(int32(actFail))
		s := New(Config{Name: "sup", MaxRestarts: 2, Period: 10 * time.Second, Hook: rec.hook, Rand: fixedRand(0.5)},
			a.spec(Permanent), bad.spec(Permanent), c.spec(Permanent))
		start := time.Now()
		err := s.Serve(context.Background())

		require.ErrorIs(t, err, ErrGaveUp)
		require.ErrorIs(t, err, errBoom, "the last crash is wrapped too")
		require.Contains(t, err.Error(), `supervisor "sup"`)
		require.Equal(t, 300*time.Millisecond, time.Since(start), "two restarts, 100ms then 200ms, then the third crash gives up")
		require.Equal(t, int32(3), bad.starts.Load())
		// The children's own stops only: EventStarted comes after the
		// child's goroutine was launched, so bad's last "start" may be
		// logged after bad's failure already returned.
		stops := slices.DeleteFunc(log.since(0), func(e string) bool { return !strings.HasSuffix(e, " stop") })
		require.Equal(t, []string{"bad stop", "c stop", "a stop"}, stops[len(stops)-3:])
		require.Equal(t, 1, rec.count(EventGaveUp))
		last := rec.events()[len(rec.events())-3] // gave up, then a and c exited
		require.Equal(t, EventGaveUp, last.Kind)
		require.Equal(t, "bad", last.Child)
		require.Equal(t, 3, last.Restarts)
		require.ErrorIs(t, last.Err, ErrGaveUp)
		for _, st := range s.Children() {
			require.Equal(t, StateStopped, st.State, st.Name)
		}
	})
}

// Crashes further apart than Period never add up.
func TestIntensityWindowSlides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFake(&orderLog{}, "k")
		s := New(Config{MaxRestarts: 1, Period: 10 * time.Second}, k.spec(Permanent))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- s.Serve(ctx) }()
		synctest.Wait()
		for range 5 {
			k.do(actFail)
			time.Sleep(11 * time.Second)
			synctest.Wait()
		}
		require.Equal(t, StateRunning, status(t, s, "k").State, "five crashes 11s apart stay within 1 per 10s")
		k.do(actFail)
		synctest.Wait()
		time.Sleep(time.Second)
		k.do(actFail)
		require.ErrorIs(t, <-errc, ErrGaveUp, "two crashes within 10s exceed 1")
	})
}

// The inner supervisor gives up, the outer one restarts it; the inner one
// gives up again, which exceeds the outer's intensity: it gives up too.
func TestGiveUpEscalatesThroughTwoLevels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		bad, sibling := newFake(log, "bad"), newFake(log, "sibling")
		bad.onStart.Store(int32(actFail))
		cfg := Config{MaxRestarts: 1, Period: time.Minute, Hook: rec.hook, Rand: fixedRand(0.5)}
		innerCfg := cfg
		innerCfg.Name = "inner"
		inner := New(innerCfg, bad.spec(Permanent))
		outerCfg := cfg
		outerCfg.Name = "outer"
		outer := New(outerCfg, Spec{Name: "inner", Service: inner}, sibling.spec(Permanent))

		err := outer.Serve(context.Background())

		require.ErrorIs(t, err, ErrGaveUp)
		require.ErrorIs(t, err, errBoom)
		require.Regexp(t, `^supervisor "outer": .*child "inner": supervisor "inner": .*child "bad": bad: boom$`, err.Error())
		gaveUp := map[string]int{}
		for _, e := range rec.events() {
			if e.Kind == EventGaveUp {
				gaveUp[e.Supervisor]++
			}
		}
		require.Equal(t, map[string]int{"inner": 2, "outer": 1}, gaveUp)
		require.Equal(t, int32(4), bad.starts.Load(), "two runs of the inner supervisor, two starts each")
		require.Equal(t, int32(1), sibling.starts.Load(), "one_for_one: the sibling is only stopped at the end")
		require.Equal(t, "sibling stop", log.since(log.len() - 1)[0])
	})
}

func TestBackoffGrowsDoublesAndCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		k := newFake(&orderLog{}, "k")
		k.onStart.Store(int32(actFail))
		s := New(Config{MaxRestarts: 100, Hook: rec.hook, Rand: fixedRand(0.5),
			Backoff: Backoff{Initial: 100 * time.Millisecond, Max: time.Second}}, k.spec(Permanent))
		stop := serving(t, s)
		time.Sleep(3 * time.Second) // restarts at 0.1, 0.3, 0.7, 1.5, 2.5s; the next at 3.5s
		synctest.Wait()

		var delays []time.Duration
		var lastRestarting time.Time
		for _, e := range rec.events() {
			switch e.Kind {
			case EventRestarting:
				delays = append(delays, e.Delay)
				lastRestarting = e.Time
			case EventStarted:
				if !lastRestarting.IsZero() {
					require.Equal(t, delays[len(delays)-1], e.Time.Sub(lastRestarting), "started exactly after the delay")
				}
			}
		}
		ms := time.Millisecond
		require.Equal(t, []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}, delays)
		require.NoError(t, stop())
	})
}

func TestBackoffJitterBounds(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	ms := time.Millisecond
	require.Equal(t, 80*ms, b.delay(0, fixedRand(0)))
	require.Equal(t, 100*ms, b.delay(0, fixedRand(0.5)))
	require.Equal(t, 160*ms, b.delay(1, fixedRand(0)))
	require.Equal(t, 800*ms, b.delay(4, fixedRand(0)), "capped nominal 1s, jittered down")
	require.Equal(t, time.Second, b.delay(4, fixedRand(0.99)), "never above Max")
	require.Equal(t, 100*ms, b.delay(0, fixedRand(1.5)), "an out-of-range source means no jitter")
	require.Equal(t, time.Second, b.delay(1000, fixedRand(0.5)), "no overflow")
	huge := Backoff{Initial: time.Hour, Max: time.Duration(1<<63 - 1)}
	require.Positive(t, huge.delay(62, fixedRand(0.5)))

	rng := rand.New(rand.NewPCG(1, 2))
	for attempt := range 8 {
		nominal := min(b.Initial<<attempt, b.Max)
		for range 200 {
			d := b.delay(attempt, rng.Float64)
			require.GreaterOrEqual(t, d, nominal*8/10, "attempt %d", attempt)
			require.Less(t, d, nominal*12/10, "attempt %d", attempt)
			require.LessOrEqual(t, d, b.Max)
		}
	}
}

func TestBackoffUsesInjectedRand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		k := newFake(&orderLog{}, "k")
		s := New(Config{Hook: rec.hook, Rand: fixedRand(0)}, k.spec(Permanent))
		stop := serving(t, s)
		k.do(actFail)
		synctest.Wait()
		require.Equal(t, []string{"started", "exited", "restarting:80ms"}, rec.of("k"))
		require.NoError(t, stop())
	})
}

func TestBackoffResetsAfterUptime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		k := newFake(&orderLog{}, "k")
		s := New(Config{MaxRestarts: 100, Hook: rec.hook, Rand: fixedRand(0.5),
			Backoff: Backoff{ResetAfter: 10 * time.Second}}, k.spec(Permanent))
		stop := serving(t, s)
		crashAfter := func(up time.Duration) string {
			time.Sleep(up)
			k.do(actFail)
			synctest.Wait()
			got := rec.of("k")
			time.Sleep(time.Second) // past any delay below: running again
			synctest.Wait()
			return got[len(got)-1]
		}
		require.Equal(t, "restarting:100ms", crashAfter(0))
		require.Equal(t, "restarting:200ms", crashAfter(0))
		require.Equal(t, "restarting:400ms", crashAfter(9*time.Second), "9s of uptime is not enough")
		require.Equal(t, "restarting:100ms", crashAfter(10*time.Second), "10s of uptime resets the backoff")
		require.Equal(t, "restarting:200ms", crashAfter(0))
		require.Equal(t, 5, status(t, s, "k").Restarts)
		require.NoError(t, stop())
	})
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	require.Equal(t, "supervisor", c.Name)
	require.Equal(t, 5, c.MaxRestarts)
	require.Equal(t, 30*time.Second, c.Period)
	require.Equal(t, Backoff{100 * time.Millisecond, 30 * time.Second, 10 * time.Second}, c.Backoff)
	require.Equal(t, 5*time.Second, c.Shutdown)
	require.Equal(t, 5, c.ChildMaxRestarts)
	require.Equal(t, 30*time.Second, c.ChildPeriod)
	require.Equal(t, time.Minute, c.Cooldown)
	require.NotNil(t, c.Rand)

	c = Config{MaxRestarts: -1, Period: time.Second, Backoff: Backoff{Initial: time.Minute, Max: time.Second}}.withDefaults()
	require.Equal(t, 0, c.MaxRestarts, "negative: no restart allowed")
	require.Equal(t, 0, c.ChildMaxRestarts)
	require.Equal(t, time.Second, c.ChildPeriod, "follows Period")
	require.Equal(t, time.Minute, c.Backoff.Max, "raised to Initial")
}

func TestMaxRestartsNegativeGivesUpOnFirstCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFake(&orderLog{}, "k")
		k.onStart.Store(int32(actFail))
		err := New(Config{MaxRestarts: -1}, k.spec(Permanent)).Serve(context.Background())
		require.ErrorIs(t, err, ErrGaveUp)
		require.Equal(t, int32(1), k.starts.Load())
	})
}

func TestGaveUpMessageForCleanExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFake(&orderLog{}, "k")
		k.onStart.Store(int32(actExitNil))
		err := New(Config{Name: "s", MaxRestarts: -1}, k.spec(Permanent)).Serve(context.Background())
		require.ErrorIs(t, err, ErrGaveUp)
		require.Equal(t, fmt.Sprintf(`supervisor "s": %v: more than 0 restarts in 30s; last: child "k": exited`, ErrGaveUp), err.Error())
		require.False(t, errors.Is(err, context.Canceled))
	})
}
