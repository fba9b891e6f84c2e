package alerting

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// recorder is a Sender that keeps what it was sent, by batch.
type recorder struct {
	mu      sync.Mutex
	batches [][]Alert
}

func (r *recorder) Send(as []Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, as)
}

// take returns the alerts sent since the last take.
func (r *recorder) take() []Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Alert
	for _, b := range r.batches {
		out = append(out, b...)
	}
	r.batches = nil
	return out
}

// sources is a mutable Options.Sources for the aggregator.
type sources struct {
	mu   sync.Mutex
	list []aggregator.SourceInfo
	// changed tells the aggregator, as the collectors do after every poll.
	changed func()
}

func (s *sources) get() []aggregator.SourceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list
}

func (s *sources) set(list ...aggregator.SourceInfo) {
	s.mu.Lock()
	s.list = list
	s.mu.Unlock()
	if s.changed != nil {
		s.changed()
	}
}

// harness is an aggregator served inside a synctest bubble, with an
// evaluator whose rounds the test runs (Evaluate) after moving the
// bubble's clock.
type harness struct {
	t    *testing.T
	agg  *aggregator.Aggregator
	ev   *Evaluator
	sent *recorder
	srcs *sources
	stop func()
}

const testWindow = 10 * time.Second

// newHarness must be called inside synctest.Test.
func newHarness(t *testing.T, rules ...configs.AlertRule) *harness {
	t.Helper()
	h := &harness{t: t, sent: &recorder{}, srcs: &sources{}}
	h.agg = aggregator.New(aggregator.Options{
		Windows: []time.Duration{testWindow, time.Minute}, BroadcastInterval: 100 * time.Millisecond,
		Sources: h.srcs.get,
	})
	h.srcs.changed = h.agg.SourcesChanged
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.agg.Serve(ctx)
	}()
	h.stop = func() { cancel(); <-done }
	t.Cleanup(h.stop)
	h.ev = New(Options{
		Store: h.agg, Sender: h.sent, ResendDelay: time.Minute,
		GeneratorURL: func(a protocol.Alert) string { return "http://dash/#series=" + a.Series },
	})
	require.NoError(t, h.ev.Apply(rules))
	return h
}

// push stores one sample of metric{labels} from source, stamped now.
func (h *harness) push(source, metric string, v float64, labels ...aggregator.Label) {
	h.t.Helper()
	ok := h.agg.Push(context.Background(), aggregator.Batch{Source: source, Samples: []aggregator.Sample{{
		Metric: metric, Labels: labels, TimeMs: time.Now().UnixMilli(), Value: v,
	}}})
	require.True(h.t, ok)
	synctest.Wait()
}

// fail marks every series of source stale: its poll failed.
func (h *harness) fail(source string) {
	h.agg.Push(context.Background(), aggregator.Batch{Source: source, Failed: true})
	synctest.Wait()
}

// after lets d pass (the aggregator publishes what was pushed), then
// evaluates once.
func (h *harness) after(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
	h.ev.Evaluate()
}

// alerts returns the evaluator's active alerts by name.
func (h *harness) alerts() map[string]protocol.Alert {
	out := map[string]protocol.Alert{}
	for _, a := range h.ev.Alerts() {
		out[a.Name+"/"+a.Source+"/"+a.Series] = a
	}
	return out
}

// only returns the one active alert, failing when there is not exactly one.
func (h *harness) only() protocol.Alert {
	h.t.Helper()
	as := h.ev.Alerts()
	require.Len(h.t, as, 1, "%+v", as)
	return as[0]
}

func (h *harness) none() {
	h.t.Helper()
	require.Empty(h.t, h.ev.Alerts())
}

func f(v float64) *float64 { return &v }

func dur(d time.Duration) configs.Duration { return configs.Duration(d) }

// cpuRule is "cpu last of 10s above warning (critical), for".
func cpuRule(warning, critical *float64, forDur time.Duration) configs.AlertRule {
	return configs.AlertRule{
		Name: "HighCPU", Select: &configs.AlertSelect{Metric: "cpu"}, Stat: "last", Window: dur(testWindow),
		Warning: warning, Critical: critical, For: dur(forDur),
	}
}

// gatherText renders a registry in the text exposition format.
func gatherText(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var b strings.Builder
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	return b.String()
}
