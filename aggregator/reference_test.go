package aggregator

import (
	"fmt"
	"math"
	"strconv"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// The protocol's typed values built from the store the slow, obvious way,
// for the check that the hand-written encoder writes what encoding/json
// writes of them. They read the store directly, so they must be called
// while it is in the state the message describes.

// refSnapshot is SnapshotJSON as a typed value. published are the events
// of every delta so far, in order: the snapshot carries the newest
// EventLog of them, leaving out those older than History (as announced
// and when read).
func (a *Aggregator) refSnapshot(points bool, published []publishedEvent) protocol.Snapshot {
	nowMs := a.nowMs()
	enc := a.encoder(nowMs)
	snap := protocol.Snapshot{
		Type: protocol.TypeSnapshot, Seq: a.seq, TS: nowMs,
		Sources: append([]protocol.Source{}, enc.sources...),
		Tree:    a.refTree(),
		Series:  []protocol.Series{},
	}
	for _, s := range a.st.all {
		if s.announced && !s.evicted {
			snap.Series = append(snap.Series, refSeries(s, a.names, points, enc.fromMs))
		}
	}
	if alerts := a.publishedAlerts(); len(alerts) > 0 {
		snap.Alerts = alerts
	}
	var kept []protocol.Event
	for _, e := range published {
		if e.TS >= e.at-a.opts.History.Milliseconds() {
			kept = append(kept, e.Event)
		}
	}
	kept = kept[max(0, len(kept)-a.opts.EventLog):]
	for _, e := range kept {
		if e.TS >= nowMs-a.opts.History.Milliseconds() {
			snap.Events = append(snap.Events, e)
		}
	}
	return snap
}

// publishedEvent is an event and when the delta carrying it was published.
type publishedEvent struct {
	protocol.Event
	at int64
}

func (a *Aggregator) refTree() *protocol.Process {
	if a.opts.Tree == nil {
		return nil
	}
	t := a.opts.Tree()
	return &t
}

// refDelta is encodeDelta's frame for d as a typed value. events are the
// events d carries, in order, as announced; tree says whether d carries
// the (current) tree.
func (e *encoder) refDelta(d *delta, tree *protocol.Process, events []protocol.Event) protocol.Delta {
	v := protocol.Delta{
		Type: protocol.TypeDelta, Seq: d.seq, TS: d.ts,
		Points:  map[string][]protocol.Point{},
		Windows: map[string]protocol.Windows{},
		Sources: []protocol.Source{},
		Added:   []protocol.Series{},
		Removed: append([]string{}, d.removed...),
		Events:  events,
	}
	if d.from != d.seq {
		v.From = d.from
	}
	for i, k := range d.ptsKeys {
		id := fmt.Sprintf("%016x", k)
		for _, p := range d.pts[d.ptsOff[i]:d.ptsOff[i+1]] {
			v.Points[id] = append(v.Points[id], protocol.Point{T: p.t, V: p.v})
		}
	}
	for _, k := range d.winKeys {
		if s := e.st.byKey[k]; s != nil {
			v.Windows[s.id] = refWindows(s, e.names)
		}
	}
	for _, k := range d.staleKeys {
		if s := e.st.byKey[k]; s != nil {
			if v.Stale == nil {
				v.Stale = map[string]int64{}
			}
			_, v.Stale[s.id] = s.isStale()
		}
	}
	for _, name := range d.sources {
		if si := e.source(name); si != nil {
			v.Sources = append(v.Sources, *si)
		}
	}
	for _, k := range d.added {
		if s := e.st.byKey[k]; s != nil {
			v.Added = append(v.Added, refSeries(s, e.names, true, e.fromMs))
		}
	}
	if len(d.sourcesRemoved) > 0 {
		v.SourcesRemoved = d.sourcesRemoved
	}
	if d.tree != nil {
		v.Tree = tree
	}
	v.Alerts = d.alerts
	return v
}

func refSeries(s *series, names []string, withPoints bool, fromMs int64) protocol.Series {
	v := protocol.Series{
		ID: s.id, Source: s.source, Metric: s.metric, Kind: s.kind.String(),
		Labels:  map[string]string{},
		Windows: refWindows(s, names),
	}
	for _, l := range s.labels {
		v.Labels[l.Name] = l.Value
	}
	if s.hasPub {
		v.Last = &protocol.Point{T: s.published.t, V: s.published.v}
	}
	v.Stale, v.StaleSince = s.isStale()
	if withPoints {
		v.Points = []protocol.Point{}
		s.hist.each(s.hist.len()-len(s.pending), func(p point) {
			if p.t >= fromMs {
				v.Points = append(v.Points, protocol.Point{T: p.t, V: p.v})
			}
		})
	}
	return v
}

func refWindows(s *series, names []string) protocol.Windows {
	w := protocol.Windows{}
	for i := range s.wins {
		st := s.wins[i].stats()
		v := protocol.Stats{Count: st.Count}
		if st.Valid {
			v.Min, v.Max, v.Last = exact(st.Min), exact(st.Max), exact(st.Last)
			v.Mean, v.P50, v.P90, v.P99 = sig6(st.Mean), sig6(st.P50), sig6(st.P90), sig6(st.P99)
			if st.HasRate {
				v.Rate = sig6(st.Rate)
			}
		}
		w[names[i]] = v
	}
	return w
}

// exact is a sample value as the protocol sends it: as is, null when JSON
// cannot hold it.
func exact(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// sig6 is a computed statistic as the protocol sends it: 6 significant
// digits.
func sig6(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	if err != nil {
		panic(err)
	}
	return &r
}
