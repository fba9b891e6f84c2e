package aggregator

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// TestEncoderAgreesWithEncodingJSON: on randomized stores (hostile and
// invalid UTF-8 strings, huge values whose means overflow, windows that
// empty, series evicted, sources coming and going, a changing tree,
// events), every snapshot, delta, merged delta, series and source list the
// hand-written encoder writes is, decoded, what encoding/json writes of the
// protocol's typed values; and the strict decoder reads each of them back
// to the same JSON, so no member is written that the protocol lacks.
func TestEncoderAgreesWithEncodingJSON(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) { agreeRun(t, seed) })
	}
}

// hostile are strings a label, a metric or an error message may hold.
var hostile = []string{
	"", "plain", `q"uote`, `back\slash`, "ctl\x00\x01\x1f\n\r\t", "bad\xff\xfeutf8", "cut\xe2\x82",
	"line\u2028sep\u2029", "<script>&amp;</script>", "ünïcödé ✓", "\x7f", "emoji 🚀",
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// randValue is finite: decimals, integers, full precision, and values so
// large that a window's sum overflows (its mean is then null).
func randValue(rng *rand.Rand) float64 {
	switch rng.IntN(8) {
	case 0:
		return float64(rng.Int64N(1 << 40))
	case 1:
		return rng.NormFloat64() * 1e6
	case 2:
		return math.Copysign(1.5e308, rng.NormFloat64())
	case 3:
		return 1e-300 * rng.Float64()
	case 4:
		return math.Copysign(0, -1)
	default:
		return math.Round(rng.NormFloat64()*1e4) / 100
	}
}

func randLabels(rng *rand.Rand) Labels {
	var ls Labels
	for i := range rng.IntN(4) {
		// A distinct first letter keeps names distinct after U+FFFD.
		ls = append(ls, Label{Name: string(rune('a'+i)) + pick(rng, hostile), Value: pick(rng, hostile)})
	}
	slices.SortFunc(ls, func(x, y Label) int { return strings.Compare(x.Name, y.Name) })
	return ls
}

func randProcess(rng *rand.Rand, depth int) protocol.Process {
	p := protocol.Process{Name: pick(rng, hostile), Restarts: rng.IntN(5)}
	if rng.IntN(2) == 0 {
		p.State = pick(rng, []string{StateStarting, StateRunning, StateBackoff, StateFailed, StateStopped})
	}
	if depth > 0 && rng.IntN(2) == 0 {
		p.Strategy = pick(rng, []string{"one_for_one", "rest_for_one", "one_for_all"})
		for range rng.IntN(3) + 1 {
			p.Children = append(p.Children, randProcess(rng, depth-1))
		}
	}
	return p
}

func randSource(rng *rand.Rand, name string) SourceInfo {
	s := SourceInfo{
		Name: name, Type: pick(rng, []string{"simulated", "http", "json", "prometheus", "host"}),
		State:    pick(rng, []string{StateStarting, StateRunning, StateBackoff, StateFailed, StateStopped}),
		Restarts: rng.Uint64N(4), Polls: rng.Uint64N(1 << 40), Failures: rng.Uint64N(10),
		LastSuccess: rng.Int64N(1 << 41), PollMs: float64(rng.IntN(100000)) / 100,
	}
	if rng.IntN(2) == 0 {
		s.LastError = pick(rng, hostile)
		s.LastErrorAt = rng.Int64N(1 << 41)
		s.PollMs = rng.Float64() * 1000
	}
	if rng.IntN(2) == 0 {
		s.LastWarning = pick(rng, hostile)
		s.LastWarningAt = rng.Int64N(1 << 41)
	}
	s.Up = rng.IntN(2) == 0
	if rng.IntN(2) == 0 {
		s.Node = pick(rng, hostile)
	}
	return s
}

// mutable is a Sources or Tree func whose value the test changes.
type mutable[T any] struct {
	mu sync.Mutex
	v  T
}

func (m *mutable[T]) get() T {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.v
}

func (m *mutable[T]) set(v T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.v = v
}

var sourcePool = []string{"demo", `s"q`, "bad\xffname", "<b>&", "line\u2028"}

func agreeRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xa9))
	srcs := &mutable[[]SourceInfo]{}
	tree := &mutable[protocol.Process]{v: randProcess(rng, 3)}
	a, clk := newTestAgg(Options{
		History: time.Minute, Windows: []time.Duration{10 * time.Second, time.Minute},
		Sources: srcs.get, Tree: tree.get, RetainDeltas: 8,
	})
	events := map[uint64][]protocol.Event{} // by the seq of the delta carrying them
	var published []publishedEvent          // every event of those deltas, in order
	var pending []protocol.Event
	metrics := []string{"m0", "m1", "m2", `m"q`, "m\xff", "temp<&>"}
	type identity struct {
		metric string
		labels Labels
		kind   Kind
	}
	ids := make([]identity, 40)
	for i := range ids {
		ids[i] = identity{pick(rng, metrics), randLabels(rng), Kind(rng.IntN(2))}
	}
	var cov coverage
	for step := range 160 {
		if step%9 == 0 {
			var list []SourceInfo
			for _, name := range sourcePool {
				if rng.IntN(4) > 0 {
					list = append(list, randSource(rng, name))
				}
			}
			srcs.set(list)
			a.SourcesChanged()
		}
		for range rng.IntN(4) {
			var ss []Sample
			for range rng.IntN(6) {
				id := pick(rng, ids)
				ss = append(ss, Sample{Metric: id.metric, Labels: id.labels, Kind: id.kind, TimeMs: clk.ms, Value: randValue(rng)})
			}
			b := batch(pick(rng, sourcePool), ss...)
			switch rng.IntN(12) {
			case 0, 1, 2: // the whole set: the source's other series go stale
				b.Complete = true
			case 3: // a failed poll: every series of the source goes stale
				b = Batch{Source: b.Source, Failed: true}
			}
			a.ingest(b)
		}
		if rng.IntN(4) == 0 {
			e := randEvent(t, rng, clk.ms)
			require.NoError(t, a.Announce(e))
			if e.TS == 0 {
				e.TS = clk.ms
			}
			pending = append(pending, e)
		}
		if rng.IntN(10) == 0 {
			tree.set(randProcess(rng, 3))
			a.TreeChanged()
		}
		if rng.IntN(3) == 0 {
			var changed []protocol.Alert
			for range rng.IntN(4) + 1 {
				changed = append(changed, randAlert(rng, clk.ms))
			}
			pending = append(pending, alertEventsOf(t, a, func() { a.SetAlerts(changed) })...)
		}
		switch r := rng.IntN(40); {
		case r == 0:
			clk.ms += 70_000 // everything quiet is evicted
		case r < 4:
			clk.ms += 15_000 // the short window empties
		default:
			clk.ms += int64(rng.IntN(2000))
		}
		before := a.seq
		a.tick()
		if a.seq != before {
			for _, e := range pending {
				published = append(published, publishedEvent{e, clk.ms})
			}
			events[a.seq], pending = pending, nil
			checkDeltas(t, rng, a, events, &cov)
		}
		if rng.IntN(6) == 0 {
			checkSnapshotsAndSeries(t, rng, a, published)
		}
	}
	require.Equal(t, coverage{true, true, true, true, true, true, true, true, true, true, true}, cov, "the run made every case")
}

// coverage says which cases a run's deltas showed, so that the test
// cannot pass on a store that never made them.
type coverage struct {
	merged, removed, sourcesRemoved, events, tree, emptyWindow, nullField bool
	stale, live                                                           bool
	alerts, resolved                                                      bool
}

func (c *coverage) see(d *protocol.Delta) {
	c.merged = c.merged || d.From != 0
	c.removed = c.removed || len(d.Removed) > 0
	c.sourcesRemoved = c.sourcesRemoved || len(d.SourcesRemoved) > 0
	c.events = c.events || len(d.Events) > 0
	c.tree = c.tree || d.Tree != nil
	for _, al := range d.Alerts {
		c.alerts = true
		c.resolved = c.resolved || al.State == protocol.AlertResolved
	}
	for _, since := range d.Stale {
		c.stale = c.stale || since != 0
		c.live = c.live || since == 0
	}
	for _, ws := range d.Windows {
		for _, st := range ws {
			c.emptyWindow = c.emptyWindow || st.Count == 0
			c.nullField = c.nullField || st.Count > 0 && (st.Rate == nil || st.Mean == nil)
		}
	}
}

// randAlert is an alert of a small pool of IDs, so that alerts change,
// resolve and come back within a run; every optional member is sometimes
// there, values are finite or absent (the producer's contract).
func randAlert(rng *rand.Rand, nowMs int64) protocol.Alert {
	al := protocol.Alert{
		ID:       fmt.Sprintf("%016x", rng.IntN(6)),
		Name:     pick(rng, hostile),
		State:    pick(rng, []string{protocol.AlertPending, protocol.AlertFiring, protocol.AlertResolved}),
		Severity: pick(rng, []string{protocol.SeverityWarning, protocol.SeverityCritical}),
		Labels:   map[string]string{"alertname": pick(rng, hostile)},
		ActiveAt: nowMs - rng.Int64N(100000),
	}
	for range rng.IntN(3) {
		al.Labels[pick(rng, hostile)+"l"] = pick(rng, hostile)
	}
	if rng.IntN(3) > 0 {
		al.Annotations = map[string]string{"summary": pick(rng, hostile), pick(rng, hostile) + "a": pick(rng, hostile)}
	}
	if rng.IntN(4) > 0 {
		v := randValue(rng)
		al.Value = &v
	}
	if rng.IntN(2) == 0 {
		th := math.Round(rng.NormFloat64()*1e4) / 100
		al.Threshold = &th
		al.Series, al.Source = fmt.Sprintf("%016x", rng.Uint64()), pick(rng, hostile)
	}
	if al.State != protocol.AlertPending {
		al.FiredAt = al.ActiveAt + rng.Int64N(1000)
	}
	if al.State == protocol.AlertResolved {
		al.ResolvedAt = nowMs
	}
	if al.State == protocol.AlertFiring && rng.IntN(3) == 0 {
		al.KeepFiringSince = nowMs - rng.Int64N(1000)
	}
	return al
}

func randEvent(t *testing.T, rng *rand.Rand, nowMs int64) protocol.Event {
	var ts int64 // 0: the aggregator stamps it
	if rng.IntN(2) == 0 {
		ts = nowMs - rng.Int64N(1000)
	}
	if rng.IntN(4) == 0 {
		return protocol.Event{Kind: pick(rng, hostile), TS: ts}
	}
	payload := map[string]any{"ok": rng.IntN(2) == 0, "message": pick(rng, hostile), "n": rng.IntN(1000)}
	if rng.IntN(2) == 0 {
		payload[pick(rng, hostile)+"x"] = []string{pick(rng, hostile), pick(rng, hostile)}
	}
	e, err := protocol.NewEvent(pick(rng, []string{"reload", "note", `we"ird`}), ts, payload)
	require.NoError(t, err)
	return e
}

// checkDeltas compares the delta just published, and a merge of a run of
// the retained deltas that ends with it, with their typed values.
func checkDeltas(t *testing.T, rng *rand.Rand, a *Aggregator, events map[uint64][]protocol.Event, cov *coverage) {
	t.Helper()
	recent := a.broker.recent
	enc := a.encoder(a.nowMs())
	d := recent[len(recent)-1]
	cov.see(requireAgree(t, frameOf(a, d), enc.refDelta(d, a.refTree(), events[d.seq])).(*protocol.Delta))
	if len(recent) < 2 {
		return
	}
	run := recent[rng.IntN(len(recent)-1):]
	m := mergeDeltas(run)
	var evs []protocol.Event
	for _, d := range run {
		evs = append(evs, events[d.seq]...)
	}
	cov.see(requireAgree(t, enc.encodeDelta(nil, m), enc.refDelta(m, a.refTree(), evs)).(*protocol.Delta))
}

func checkSnapshotsAndSeries(t *testing.T, rng *rand.Rand, a *Aggregator, published []publishedEvent) {
	t.Helper()
	points := rng.IntN(2) == 0
	requireAgree(t, a.SnapshotJSON(points), a.refSnapshot(points, published))
	requireAgree(t, a.SourcesJSON(), protocol.SourceList{Sources: append([]SourceInfo{}, a.opts.Sources()...)})
	fromMs := a.nowMs() - a.opts.History.Milliseconds()
	for _, s := range a.st.all {
		if rng.IntN(8) > 0 {
			continue
		}
		b, ok := a.SeriesJSON(s.id)
		require.Equal(t, s.announced && !s.evicted, ok)
		if ok {
			requireAgree(t, b, refSeries(s, a.names, true, fromMs))
		}
	}
}

// requireAgree checks the encoder's frame against encoding/json of want,
// and that the strict decoder reads the frame back whole; it returns what
// the decoder read.
func requireAgree(t *testing.T, frame []byte, want any) any {
	t.Helper()
	requireSameJSON(t, frame, want)
	var got any
	var err error
	switch want.(type) {
	case protocol.Series:
		got, err = protocol.Decoder{Strict: true}.Series(frame)
	case protocol.SourceList:
		got, err = protocol.Decoder{Strict: true}.Sources(frame)
	default:
		got, err = protocol.DecodeStrict(frame)
	}
	require.NoError(t, err, "%s", frame)
	requireSameJSON(t, frame, got)
	return got
}

// requireSameJSON compares frame with encoding/json of v, both decoded
// into generic values: map order, number spelling (6 significant digits
// against the shortest form) and escapes may differ, values may not.
func requireSameJSON(t *testing.T, frame []byte, v any) {
	t.Helper()
	require.True(t, json.Valid(frame), "%s", frame)
	ref, err := json.Marshal(v)
	require.NoError(t, err)
	var got, want any
	require.NoError(t, json.Unmarshal(frame, &got))
	require.NoError(t, json.Unmarshal(ref, &want))
	require.Equal(t, want, got, "encoder:\n%s\nencoding/json:\n%s", frame, ref)
}

// alertEventsOf runs set (a SetAlerts) and returns the "alert" events it
// queued, as the deltas carry them.
func alertEventsOf(t *testing.T, a *Aggregator, set func()) []protocol.Event {
	t.Helper()
	a.eventsMu.Lock()
	n := len(a.pendingEvents)
	a.eventsMu.Unlock()
	set()
	a.eventsMu.Lock()
	defer a.eventsMu.Unlock()
	var out []protocol.Event
	for _, e := range a.pendingEvents[n:] {
		var ev protocol.Event
		require.NoError(t, json.Unmarshal(e.data, &ev))
		out = append(out, ev)
	}
	return out
}
