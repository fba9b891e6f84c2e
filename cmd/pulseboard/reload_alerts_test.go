package main

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/alerting"
	"github.com/pulseboard/pulseboard/configs"
)

// holdingSender holds the first evaluation that sends, as a round that
// takes long would: the evaluator's lock is held meanwhile.
type holdingSender struct {
	entered, release chan struct{}
}

func (s *holdingSender) Send([]alerting.Alert) {
	select {
	case <-s.entered:
		return
	default:
	}
	close(s.entered)
	<-s.release
}

// A reload that changes the alert rules while an evaluation hangs is
// applied and answered, and the reloader stops when asked: the rules are
// handed over, not applied under the evaluator's lock (the tester's
// 100 rules × 10,000 series wedged the reloader there, and SIGTERM then
// exited 1).
func TestReloaderAnswersWhileAnEvaluationHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		agg := aggregator.New(aggregator.Options{Windows: []time.Duration{time.Minute}, BroadcastInterval: 100 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		aggDone := make(chan struct{})
		go func() {
			defer close(aggDone)
			_ = agg.Serve(ctx)
		}()
		defer func() { cancel(); <-aggDone }()
		require.True(t, agg.Push(ctx, aggregator.Batch{Source: "a", Samples: []aggregator.Sample{{Metric: "m", TimeMs: time.Now().UnixMilli(), Value: 1}}}))
		time.Sleep(time.Second)
		synctest.Wait()

		hold := &holdingSender{entered: make(chan struct{}), release: make(chan struct{})}
		ev := alerting.New(alerting.Options{Store: agg, Sender: hold})
		hot := configs.AlertRule{Name: "Hot", Select: &configs.AlertSelect{Metric: "m"}, Stat: "last",
			Window: configs.Duration(time.Minute), Warning: new(0.0)}
		require.NoError(t, ev.Apply([]configs.AlertRule{hot}))
		evaluated := make(chan struct{})
		go func() {
			defer close(evaluated)
			ev.Evaluate() // fires Hot, and hangs sending it
		}()
		<-hold.entered

		running := configWith()
		running.Alerts = []configs.AlertRule{hot}
		next := configWith()
		other := hot
		other.Name = "Other"
		next.Alerts = []configs.AlertRule{other}
		h := newReloaderHarness(t, running, reloadSetup{path: "pulseboard.yaml", noWatch: true}, loadsOf(next), nil)
		h.r.deps.applyAlerts = ev.Apply
		rctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- h.r.Serve(rctx) }()

		require.NoError(t, h.r.Reload(context.Background()), "answered while the round hangs")
		require.Equal(t, 1.0, h.count(resultSuccess))
		require.Equal(t, "Other", h.r.config().Alerts[0].Name)
		stop()
		require.NoError(t, <-served, "the reloader stops while the round hangs")

		close(hold.release)
		<-evaluated
		require.Empty(t, ev.Alerts(), "Hot's alert resolved once the round ended; Other has not run yet")
		ev.Evaluate()
		as := ev.Alerts()
		require.Len(t, as, 1)
		require.Equal(t, "Other", as[0].Name)
		require.Equal(t, 1.0, testutil.ToFloat64(h.r.metrics.requests.WithLabelValues(triggerAPI)))
	})
}
