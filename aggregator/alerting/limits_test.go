package alerting

import (
	"context"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// pushMany stores one sample of n series of metric m from source "many"
// (label id=0…n-1), all at value v.
func (h *harness) pushMany(n int, v float64) {
	h.t.Helper()
	samples := make([]aggregator.Sample, n)
	for i := range samples {
		samples[i] = aggregator.Sample{Metric: "m", Labels: aggregator.Labels{{Name: "id", Value: strconv.Itoa(i)}},
			TimeMs: time.Now().UnixMilli(), Value: v}
	}
	require.True(h.t, h.agg.Push(context.Background(), aggregator.Batch{Source: "many", Samples: samples}))
	synctest.Wait()
}

// reopen replaces the harness' evaluator with one built with the options
// change makes, and the given rules.
func (h *harness) reopen(change func(*Options), rules ...configs.AlertRule) {
	h.t.Helper()
	opts := Options{Store: h.agg, Sender: h.sent, ResendDelay: time.Minute}
	change(&opts)
	h.ev = New(opts)
	require.NoError(h.t, h.ev.Apply(rules))
}

// mRule is "m last above 0, firing at once", with a limit.
func mRule(name string, limit int) configs.AlertRule {
	return configs.AlertRule{Name: name, Select: &configs.AlertSelect{Metric: "m"}, Stat: "last",
		Window: dur(testWindow), Warning: f(0), Limit: limit}
}

// metric returns the value of one sample of the evaluator's collector,
// by its name and labels as written in the text format.
func (h *harness) metric(sample string) string {
	h.t.Helper()
	reg := prometheus.NewRegistry()
	require.NoError(h.t, reg.Register(h.ev.Collector()))
	for line := range strings.Lines(gatherText(h.t, reg)) {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	h.t.Fatalf("no sample %s", sample)
	return ""
}

// A rule over more series in trouble than its limit fails, as
// Prometheus' rule limit does: its alerts end (the firing ones are sent
// resolved), none is made while it lasts, the failure is counted; it
// comes back once few enough series are in trouble.
func TestRuleLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		var logs strings.Builder
		h.reopen(func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) }, mRule("Many", 50))
		warnings := func() int { return strings.Count(logs.String(), "exceeded its limit") }
		h.pushMany(40, 1)
		h.after(time.Second)
		require.Len(t, h.ev.Alerts(), 40, "within its limit")
		require.Len(t, h.sent.take(), 40, "fired at once")

		h.pushMany(2000, 1)
		h.after(time.Second)
		h.none()
		sent := h.sent.take()
		require.Len(t, sent, 40, "the firing alerts are sent resolved")
		for _, a := range sent {
			require.Equal(t, time.Now(), a.EndsAt)
		}
		require.Equal(t, "1", h.metric(`pulseboard_alert_rule_limit_exceeded_total{reason="limit"}`))
		require.Equal(t, "1", h.metric("pulseboard_alert_rules_over_limit"))
		require.Equal(t, "0", h.metric("pulseboard_alerts_active"))

		// While over, a round only counts: nothing is made, nothing sent.
		h.pushMany(2000, 1)
		h.after(time.Second)
		h.none()
		require.Empty(t, h.sent.take())
		require.Equal(t, "2", h.metric(`pulseboard_alert_rule_limit_exceeded_total{reason="limit"}`))
		require.Equal(t, 1, warnings(), "logged once, counted each time")
		require.Contains(t, logs.String(), "rule=Many alerts=2000 room=50 limit=50")
		time.Sleep(limitLogEvery)
		h.pushMany(2000, 1)
		h.after(time.Second)
		require.Equal(t, 2, warnings(), "and again after limitLogEvery")

		// Back within: 30 in trouble, the rest fine.
		h.pushMany(2000, -1)
		time.Sleep(100 * time.Millisecond) // a later sample, not a duplicate
		h.pushMany(30, 1)
		h.after(time.Second)
		require.Len(t, h.ev.Alerts(), 30)
		require.Equal(t, "0", h.metric("pulseboard_alert_rules_over_limit"))
		require.Equal(t, "3", h.metric(`pulseboard_alert_rule_limit_exceeded_total{reason="limit"}`))
		require.Equal(t, "30", h.metric("pulseboard_alerts_active"))
	})
}

// The tester's file: one source of 10,000 series and 100 rules over them
// all. Whatever the rules, the alerts held stay within MaxAlerts; the
// rules past it fail on max_alerts; the memory they take is bounded.
func TestMaxAlertsAcrossRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		rules := make([]configs.AlertRule, 100)
		for i := range rules {
			rules[i] = mRule("A"+strconv.Itoa(i), 0) // the default limit, 1000
		}
		h.reopen(func(o *Options) { o.MaxAlerts = 2500 }, rules...)
		h.pushMany(10_000, 1)
		time.Sleep(time.Second)
		synctest.Wait()
		// A rule over its limit makes nothing: 100 rules × 10,000 series
		// in trouble cost no alert at all, not even for a round.
		if made := allocated(h.ev.Evaluate); made > 1<<20 {
			t.Errorf("%d bytes allocated by 100 rules failing on their limit", made)
		}
		for range 2 {
			h.after(time.Second)
		}
		require.Empty(t, h.ev.Alerts(), "every rule over its own limit of 1000")
		require.Equal(t, "0", h.metric("pulseboard_alerts_active"))
		require.Equal(t, "100", h.metric("pulseboard_alert_rules_over_limit"))

		// 600 series in trouble: four rules fit in 2,500, the others fail
		// on max_alerts.
		h.pushMany(10_000, -1)
		time.Sleep(100 * time.Millisecond)
		h.pushMany(600, 1)
		time.Sleep(time.Second)
		synctest.Wait()
		// The round that makes 2,400 alerts: about 2 KB each here (state,
		// labels, the store's copy), and some 8 KB more for the "alert"
		// event each one's firing makes (JSON); not rules × series of them, and
		// nothing for the 96 rules that only count.
		made := allocated(h.ev.Evaluate)
		t.Logf("%d bytes allocated making 2400 alerts", made)
		require.Less(t, made, uint64(2400*16<<10))
		require.Len(t, h.ev.Alerts(), 4*600)
		require.Equal(t, "2400", h.metric("pulseboard_alerts_active"))
		require.Equal(t, "96", h.metric("pulseboard_alert_rules_over_limit"))
		require.Equal(t, "96", h.metric(`pulseboard_alert_rule_limit_exceeded_total{reason="max_alerts"}`))
		for range 3 {
			h.after(time.Second)
		}
		require.Len(t, h.ev.Alerts(), 2400, "the same four rules keep their alerts")
		// Removed rules take their alerts and their failures with them.
		require.NoError(t, h.ev.Apply(nil))
		require.Equal(t, "0", h.metric("pulseboard_alert_rules_over_limit"))
		require.Equal(t, "0", h.metric("pulseboard_alerts_active"))
		require.Len(t, h.sent.take(), 2400+2400, "fired, then resolved")
	})
}

// allocated returns the bytes allocated while f ran (by every goroutine:
// the store's publisher may run meanwhile).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A round over alerts that neither change nor are due to be sent again
// allocates nothing per alert.
func TestSteadyRoundAllocations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, mRule("Steady", 0))
		h.pushMany(1000, 1)
		h.after(time.Second)
		require.Len(t, h.ev.Alerts(), 1000)
		allocs := testing.AllocsPerRun(10, h.ev.Evaluate)
		require.Less(t, allocs, 50.0, "per round, with 1,000 firing alerts")
	})
}

// Apply more rules than MaxRules is refused, changing nothing.
func TestApplyTooManyRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.reopen(func(o *Options) { o.MaxRules = 2 }, mRule("A", 0))
		err := h.ev.Apply([]configs.AlertRule{mRule("A", 0), mRule("B", 0), mRule("C", 0)})
		require.ErrorIs(t, err, ErrTooManyRules)
		require.ErrorContains(t, err, "3 rules, more than the 2 allowed (alerting.max_rules)")
		h.pushMany(1, 1)
		h.after(time.Second)
		require.Equal(t, "A", h.only().Name, "the rules in force are unchanged")
	})
}

// A round stops starting rules once its budget is spent; the rules left
// out are counted and go first in the next round, so each gets its turn.
func TestEvaluationBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.reopen(func(o *Options) { o.Budget = 10 * time.Millisecond }, mRule("A", 0), mRule("B", 0), mRule("C", 0))
		// Each look at the clock takes 6ms: the budget lets two rules run.
		var tick time.Duration
		h.ev.clock = func() time.Time { tick += 6 * time.Millisecond; return time.Unix(0, 0).Add(tick) }
		h.pushMany(1, 1)
		h.after(time.Second)
		names := func() string {
			var out []string
			for _, a := range h.ev.Alerts() {
				out = append(out, a.Name)
			}
			slices.Sort(out)
			return strings.Join(out, ",")
		}
		require.Equal(t, "A,B", names())
		require.Equal(t, "1", h.metric("pulseboard_alert_rule_evaluations_skipped_total"))
		h.after(time.Second)
		require.Equal(t, "A,B,C", names(), "C went first")
		require.Equal(t, "2", h.metric("pulseboard_alert_rule_evaluations_skipped_total"))
	})
}

// blockingSender holds the evaluation that sends: the evaluator's lock is
// held meanwhile, as in a round that takes long.
type blockingSender struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingSender) Send([]Alert) {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
}

// Apply never waits for an evaluation in progress: the reloader calls it.
// The rules go in force when the round ends, and Alerts sees them.
func TestApplyDuringSlowEvaluation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		block := &blockingSender{entered: make(chan struct{}), release: make(chan struct{})}
		h.reopen(func(o *Options) { o.Sender = block }, mRule("Old", 0))
		h.pushMany(3, 1)
		time.Sleep(time.Second)
		synctest.Wait()
		evaluated := make(chan struct{})
		go func() {
			defer close(evaluated)
			h.ev.Evaluate()
		}()
		<-block.entered

		require.NoError(t, h.ev.Apply([]configs.AlertRule{mRule("New", 0)}), "returns while the round holds the lock")
		synctest.Wait()
		select {
		case <-evaluated:
			t.Fatal("the round ended before its Send returned")
		default:
		}
		close(block.release)
		<-evaluated
		as := h.ev.Alerts()
		require.Empty(t, as, "the old rule's alerts resolved when the round ended; the new rule has not run yet")
		h.ev.Evaluate()
		require.Len(t, h.ev.Alerts(), 3)
		require.Equal(t, "New", h.ev.Alerts()[0].Name)
	})
}

// Rules with the same select read one Selection (which, with matchers,
// keeps a list of its series): a hundred rules over one selection keep
// one list, not a hundred.
func TestRulesShareSelections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		matched := func(name string, match ...string) configs.AlertRule {
			r := mRule(name, 0)
			r.Select = &configs.AlertSelect{Metric: "m", Match: match}
			return r
		}
		h := newHarness(t, matched("A", `id=~"1.*"`), matched("B", `id=~"1.*"`), matched("C", `id!="1"`),
			configs.AlertRule{Name: "Down", Health: &configs.AlertHealth{Source: "x"}})
		h.pushMany(20, 1)
		h.after(time.Second)
		h.ev.mu.Lock()
		rules := h.ev.rules
		require.Same(t, rules[0].rule.sel, rules[1].rule.sel)
		require.NotSame(t, rules[0].rule.sel, rules[2].rule.sel)
		h.ev.mu.Unlock()
		counts := map[string]int{}
		for _, a := range h.ev.Alerts() {
			counts[a.Name]++
		}
		require.Equal(t, map[string]int{"A": 11, "B": 11, "C": 19}, counts, "ids 1 and 10–19; all but 1")
	})
}

// By default a round stops starting rules after a fifth of the interval,
// so that evaluation takes at most that share of a core.
func TestDefaultBudgetIsAFifthOfTheInterval(t *testing.T) {
	require.Equal(t, 200*time.Millisecond, New(Options{Interval: time.Second}).opts.Budget)
	require.Equal(t, 2*time.Second, New(Options{Interval: 10 * time.Second}).opts.Budget)
	require.Equal(t, time.Second, New(Options{Budget: time.Second}).opts.Budget, "a given budget is kept")
}
