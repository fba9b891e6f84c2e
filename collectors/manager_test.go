package collectors

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// simSource configurations for Manager tests.
func steady(name string, interval time.Duration) configs.Source {
	return configs.Source{
		Name:     name,
		Type:     configs.TypeSimulated,
		Interval: configs.Duration(interval),
		Timeout:  configs.Duration(interval),
		Spec: &configs.SimulatedSpec{
			Seed:   seed(1),
			Series: []configs.SimSeries{{Metric: "v", Shape: "sine", Min: 0, Max: 1, Period: configs.Duration(time.Minute), Count: 1}},
		},
	}
}

func faulty(name string, f configs.Faults) configs.Source {
	cfg := steady(name, time.Second)
	simSpec(cfg).Faults = &f
	return cfg
}

// eventLog keeps the supervisor's events.
type eventLog struct {
	mu     sync.Mutex
	events []supervisor.Event
}

func (l *eventLog) record(e supervisor.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) count(child string, kind supervisor.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.Child == child && e.Kind == kind {
			n++
		}
	}
	return n
}

func newTestManager(sink Sink, events *eventLog, mod func(*ManagerOptions)) *Manager {
	opts := ManagerOptions{
		Sink:        sink,
		MaxRestarts: 1000,
		Period:      time.Minute,
		Cooldown:    time.Minute,
		Backoff:     supervisor.Backoff{Initial: 100 * time.Millisecond, Max: time.Second},
		HangGrace:   time.Second,
		Version:     "test",
		Rand:        func() float64 { return 0.5 }, // no jitter: exact rhythms
		phase:       func(string, time.Duration) time.Duration { return 0 },
	}
	if events != nil {
		opts.Hook = events.record
	}
	if mod != nil {
		mod(&opts)
	}
	return NewManager(opts)
}

func serveManager(t *testing.T, m *Manager) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop) // also when the test fails half-way
	return stop
}

func statusByName(m *Manager) map[string]Status {
	out := map[string]Status{}
	for _, s := range m.Statuses() {
		out[s.Name] = s
	}
	return out
}

func names(statuses []Status) []string {
	var out []string
	for _, s := range statuses {
		out = append(out, s.Name)
	}
	return out
}

func TestManagerFaultySourcesRestartWhileSiblingKeepsItsRhythm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newRecordingSink()
		events := &eventLog{}
		m := newTestManager(sink, events, nil)
		require.NoError(t, m.Apply([]configs.Source{
			steady("steady", time.Second),
			faulty("panicky", configs.Faults{PanicRate: 1}),
			faulty("hangy", configs.Faults{HangRate: 1}),
			faulty("erring", configs.Faults{ErrorRate: 1}),
		}))
		stop := serveManager(t, m)

		time.Sleep(30*time.Second + 500*time.Millisecond)
		synctest.Wait()
		require.Equal(t, 31, sink.count("steady"), "one poll a second, undisturbed by its crashing siblings")

		info := statusByName(m)
		require.Equal(t, supervisor.StateRunning, info["steady"].State)
		require.Zero(t, info["steady"].Restarts)
		require.Zero(t, info["steady"].Failures)
		require.EqualValues(t, 31, info["steady"].Polls)

		// panicky panics at every poll: restarted with backoff 0.1s, 0.2s, … 1s.
		require.GreaterOrEqual(t, info["panicky"].Restarts, uint64(25))
		require.Equal(t, info["panicky"].Restarts+1, info["panicky"].Failures, "each run ends in one panicking poll")
		require.Equal(t, `panic: injected fault: panic in source "panicky"`, info["panicky"].LastError)
		require.EqualValues(t, info["panicky"].Restarts+1, events.count("panicky", supervisor.EventStarted))

		// hangy hangs at every poll: 2s to notice (timeout 1s + grace 1s), then a restart.
		require.GreaterOrEqual(t, info["hangy"].Restarts, uint64(9))
		require.Contains(t, info["hangy"].LastError, "poll hung")
		st, err := m.Stats("hangy")
		require.NoError(t, err)
		require.GreaterOrEqual(t, st.Hangs, st.Restarts, "every run but the current one ended in a hang")
		require.LessOrEqual(t, st.Hangs, st.Restarts+1)
		require.Zero(t, st.Stuck, "closing the abandoned instance released its goroutine")

		// erring fails every poll: data, not a crash. It slows down instead.
		require.Zero(t, info["erring"].Restarts)
		require.Equal(t, supervisor.StateRunning, info["erring"].State)
		require.Equal(t, info["erring"].Polls, info["erring"].Failures)
		require.Less(t, info["erring"].Polls, uint64(10), "repeated failures slow polling down")
		require.Equal(t, "injected fault: poll failed", info["erring"].LastError)
		stop()

		for _, s := range m.Statuses() {
			require.Equal(t, supervisor.StateStopped, s.State, s.Name)
		}
	})
}

func TestManagerParksASourceThatCrashesTooOften(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestManager(newRecordingSink(), nil, func(o *ManagerOptions) {
			o.MaxRestarts, o.Period, o.Cooldown = 3, time.Minute, time.Minute
		})
		require.NoError(t, m.Apply([]configs.Source{faulty("panicky", configs.Faults{PanicRate: 1}), steady("steady", time.Second)}))
		serveManager(t, m)

		time.Sleep(10 * time.Second)
		synctest.Wait()
		info := statusByName(m)
		require.Equal(t, supervisor.StateFailed, info["panicky"].State)
		require.EqualValues(t, 3, info["panicky"].Restarts)
		require.ErrorIs(t, m.Crash("panicky"), ErrNotRunning)
		require.Equal(t, supervisor.StateRunning, info["steady"].State, "one bad source does not take its siblings down")

		time.Sleep(time.Minute)
		synctest.Wait()
		require.Greater(t, statusByName(m)["panicky"].Restarts, uint64(3), "retried after the cooldown; restarts keep counting")
	})
}

// TestManagerNoRestartParksAtFirstCrash: max_restarts: 0 reaches the
// manager as a negative MaxRestarts (configs.Supervisor.Restarts): the
// source is parked as failed at its first crash, never restarted.
func TestManagerNoRestartParksAtFirstCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestManager(newRecordingSink(), nil, func(o *ManagerOptions) {
			o.MaxRestarts, o.Period, o.Cooldown = configs.Supervisor{MaxRestarts: 0}.Restarts(), time.Minute, time.Hour
		})
		require.NoError(t, m.Apply([]configs.Source{faulty("panicky", configs.Faults{PanicRate: 1}), steady("steady", time.Second)}))
		serveManager(t, m)

		time.Sleep(10 * time.Second)
		synctest.Wait()
		info := statusByName(m)
		require.Equal(t, supervisor.StateFailed, info["panicky"].State)
		require.Zero(t, info["panicky"].Restarts)
		require.Equal(t, supervisor.StateRunning, info["steady"].State)
	})
}

func TestManagerCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newRecordingSink()
		events := &eventLog{}
		m := newTestManager(sink, events, nil)
		require.NoError(t, m.Apply([]configs.Source{steady("a", time.Second), steady("b", time.Second)}))
		require.ErrorIs(t, m.Crash("a"), ErrNotRunning, "not started yet")
		serveManager(t, m)
		synctest.Wait()

		require.NoError(t, m.Crash("a"))
		synctest.Wait()
		info := statusByName(m)
		require.Equal(t, supervisor.StateBackoff, info["a"].State)
		require.Equal(t, `crash requested for source "a"`, info["a"].LastError)
		require.Equal(t, 1, events.count("a", supervisor.EventExited))

		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		info = statusByName(m)
		require.Equal(t, supervisor.StateRunning, info["a"].State)
		require.EqualValues(t, 1, info["a"].Restarts)
		require.EqualValues(t, 2, info["a"].Polls, "polled again at once after the restart")
		require.Zero(t, info["b"].Restarts)

		require.ErrorIs(t, m.Crash("nope"), ErrUnknownSource)
	})
}

func TestManagerApplyAddsRemovesAndRestartsChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newRecordingSink()
		events := &eventLog{}
		m := newTestManager(sink, events, nil)
		require.NoError(t, m.Apply([]configs.Source{steady("a", time.Second), steady("b", time.Second)}))
		for _, s := range m.Statuses() {
			require.Equal(t, supervisor.StateStarting, s.State, "configured, not yet served")
		}
		serveManager(t, m)
		time.Sleep(4*time.Second + 500*time.Millisecond)
		synctest.Wait()
		require.Equal(t, 5, sink.count("a"))
		require.Equal(t, 5, sink.count("b"))

		// Reload: a changes (interval 2s), b stays, c is new, in a new order.
		changed := steady("a", 2*time.Second)
		require.NoError(t, m.Apply([]configs.Source{steady("b", time.Second), steady("c", time.Second), changed}))
		require.Equal(t, []string{"b", "c", "a"}, names(m.Statuses()))
		time.Sleep(4 * time.Second)
		synctest.Wait()
		require.Equal(t, 9, sink.count("b"), "an unchanged source keeps its rhythm through a reload")
		require.Equal(t, 1, events.count("b", supervisor.EventStarted), "and is never restarted")
		require.Equal(t, 5, sink.count("c"))
		require.Equal(t, 2, events.count("a", supervisor.EventStarted), "a changed source is restarted")
		require.Equal(t, 5+3, sink.count("a"), "now every 2s: at the reload, +2s, +4s")
		info := statusByName(m)
		require.Zero(t, info["a"].Restarts, "a new configuration is a fresh start, not a crash")
		require.EqualValues(t, 8, info["a"].Polls, "bookkeeping is kept by name")

		// Remove a and c.
		require.NoError(t, m.Apply([]configs.Source{steady("b", time.Second)}))
		require.Equal(t, []string{"b"}, names(m.Statuses()))
		_, err := m.Stats("a")
		require.ErrorIs(t, err, ErrUnknownSource)
		require.ErrorIs(t, m.Crash("c"), ErrUnknownSource)
		countA := sink.count("a")
		time.Sleep(3 * time.Second)
		synctest.Wait()
		require.Equal(t, countA, sink.count("a"), "a removed source polls no more")
		require.Equal(t, 12, sink.count("b"))
	})
}

func TestManagerApplyRefusesBadSetsWhole(t *testing.T) {
	m := newTestManager(newRecordingSink(), nil, nil)
	require.NoError(t, m.Apply([]configs.Source{steady("a", time.Second)}))
	bad := steady("b", time.Second)
	simSpec(bad).Series[0].Shape = "triangle"
	unknown := configs.Source{Name: "u", Type: "carrier_pigeon"}
	for name, srcs := range map[string][]configs.Source{
		"bad config":   {steady("a", time.Second), bad},
		"unknown type": {unknown},
		"duplicate":    {steady("x", time.Second), steady("x", time.Second)},
		"no name":      {steady("", time.Second)},
	} {
		err := m.Apply(srcs)
		require.Error(t, err, name)
		require.Equal(t, []string{"a"}, names(m.Statuses()), "%s: nothing applied", name)
	}
	require.ErrorIs(t, m.Apply([]configs.Source{bad}), ErrBadConfig)
	require.ErrorIs(t, m.Apply([]configs.Source{unknown}), ErrUnknownType)
	require.NoError(t, m.Apply(nil))
	require.Empty(t, m.Statuses())
}

func TestManagerServeAgainKeepsBookkeeping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newRecordingSink()
		m := newTestManager(sink, nil, nil)
		require.NoError(t, m.Apply([]configs.Source{steady("a", time.Second)}))
		// Polls at 0s and 1s; then at once at 1.4s and on the phase at 2s.
		for range 2 {
			stop := serveManager(t, m)
			time.Sleep(1400 * time.Millisecond)
			synctest.Wait()
			stop()
		}
		info := statusByName(m)["a"]
		require.EqualValues(t, 4, info.Polls)
		require.EqualValues(t, 1, info.Restarts, "the second run is a restart of the source")
		require.Equal(t, supervisor.StateStopped, info.State)
		require.Equal(t, 4, sink.count("a"))
		require.NotZero(t, info.LastSuccess)
		require.Equal(t, configs.TypeSimulated, info.Type)
	})
}

// TestManagerBadInputIsCountedAndContained runs real HTTP sources against
// a test server that misbehaves in every way, beside a healthy source, in
// real time (network I/O cannot run in a synctest bubble).
func TestManagerBadInputIsCountedAndContained(t *testing.T) {
	srv := newTestServer(t, false)
	fast := func(cfg configs.Source) configs.Source {
		cfg.Name = cfg.Type + client(cfg).URL[len(srv.URL):]
		cfg.Interval = configs.Duration(20 * time.Millisecond)
		cfg.Timeout = configs.Duration(200 * time.Millisecond)
		return cfg
	}
	garbage := fast(urlSource(configs.TypePrometheus, srv.URL+"/garbage"))
	nanProm := fast(urlSource(configs.TypePrometheus, srv.URL+"/nan.prom"))
	nanJSON := fast(urlSource(configs.TypeJSON, srv.URL+"/nan.json"))
	jsonSpec(nanJSON).Fields = map[string]string{"a": "a"}
	// These two must succeed at every poll: a loaded machine may be slow,
	// but not that slow.
	nanProm.Timeout, nanJSON.Timeout = configs.Duration(5*time.Second), configs.Duration(5*time.Second)
	notFound := fast(urlSource(configs.TypeJSON, srv.URL+"/404"))
	jsonSpec(notFound).Fields = map[string]string{"a": "a"}
	slow := fast(urlSource(configs.TypePrometheus, srv.URL+"/slow"))
	huge := fast(urlSource(configs.TypeHTTP, srv.URL+"/huge"))
	client(huge).MaxBodyBytes = 100
	refused := fast(urlSource(configs.TypeHTTP, refusedURL(t)))
	refused.Name = "refused"
	healthy := steady("healthy", 20*time.Millisecond)

	sink := newRecordingSink()
	m := newTestManager(sink, nil, func(o *ManagerOptions) { o.Rand = nil })
	require.NoError(t, m.Apply([]configs.Source{garbage, nanProm, nanJSON, notFound, slow, huge, refused, healthy}))
	serveManager(t, m)

	wantErr := map[string]string{
		garbage.Name:  "parsing metrics",
		notFound.Name: "404 Not Found",
		slow.Name:     "timed out",
		huge.Name:     "body exceeds 100 bytes",
		"refused":     "connection refused",
	}
	require.Eventually(t, func() bool {
		info := statusByName(m)
		for name := range wantErr {
			if info[name].Failures < 2 {
				return false
			}
		}
		return info["healthy"].Polls >= 10 && info[nanProm.Name].Polls >= 2 && info[nanJSON.Name].Polls >= 2
	}, 20*time.Second, 10*time.Millisecond)

	// A NaN is a value: the poll succeeds; an infinity is left out, with
	// a warning (prometheus) or as a field that is not a number (json).
	wantWarning := map[string]string{
		"healthy":    "",
		nanProm.Name: "left out 1 infinite values",
		nanJSON.Name: "",
	}
	for _, s := range m.Statuses() {
		if want, ok := wantWarning[s.Name]; ok {
			require.Zero(t, s.Failures, s.Name)
			require.Zero(t, s.Restarts, s.Name)
			require.Empty(t, s.LastError, s.Name)
			require.True(t, s.Up, s.Name)
			require.Equal(t, want, s.LastWarning, s.Name)
			continue
		}
		require.False(t, s.Up, "%s: a failed poll is not up", s.Name)
		require.Contains(t, s.LastError, wantErr[s.Name], s.Name)
		require.Equal(t, s.Polls, s.Failures, "%s: every poll failed", s.Name)
		require.Zero(t, s.Restarts, "%s: a failed poll is not a crash", s.Name)
		require.Equal(t, supervisor.StateRunning, s.State, s.Name)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for name, batches := range sink.batches {
		for _, b := range batches {
			for _, s := range b.Samples {
				require.False(t, math.IsInf(s.Value, 0), "%s pushed %v", name, s.Value)
			}
		}
	}
	require.NotEmpty(t, sink.batches[huge.Name], "the failing probe still reports http_up 0")
	for _, name := range []string{nanProm.Name, nanJSON.Name} {
		b := sink.batches[name][0]
		require.Len(t, b.Samples, 1, name)
		require.Equal(t, "a", b.Samples[0].Metric, name)
		require.True(t, math.IsNaN(b.Samples[0].Value), "%s: NaN is pushed", name)
	}
}

// slowCloser is a source whose Close blocks until released: its collector
// takes as long as that to stop.
type slowCloser struct{ release chan struct{} }

func (s *slowCloser) Poll(context.Context) ([]aggregator.Sample, error) { return gauge("m", 1), nil }
func (s *slowCloser) Close() error                                      { <-s.release; return nil }

func TestManagerSourcesDoesNotWaitForASlowStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := &slowCloser{release: make(chan struct{})}
		released := make(chan struct{})
		close(released)
		builds := 0
		m := newTestManager(newRecordingSink(), nil, func(o *ManagerOptions) {
			o.Shutdown = time.Hour
			o.factory = func(cfg configs.Source, env Env) (Source, error) {
				if cfg.Name != "slow" {
					return NewSource(cfg, env)
				}
				// Apply's check builds and closes the source once; the
				// collector's own instance is the slow one.
				if builds++; builds == 1 {
					return &slowCloser{release: released}, nil
				}
				return slow, nil
			}
		})
		require.NoError(t, m.Apply([]configs.Source{steady("slow", time.Second), steady("b", time.Second)}))
		serveManager(t, m)
		synctest.Wait()

		applied := make(chan error, 1)
		go func() { applied <- m.Apply([]configs.Source{steady("b", time.Second)}) }()
		synctest.Wait() // Apply is now blocked stopping "slow"
		require.Equal(t, []string{"b"}, names(m.Statuses()), "the new set is visible at once")
		require.Equal(t, supervisor.StateRunning, statusByName(m)["b"].State)
		select {
		case err := <-applied:
			t.Fatalf("Apply returned before the slow source stopped: %v", err)
		default:
		}
		close(slow.release)
		require.NoError(t, <-applied)
	})
}
