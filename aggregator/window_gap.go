package aggregator

// A window's rate leaves out a stretch without samples (the server was
// down, the source failed or was parked): as Prometheus' rate() goes no
// further than its samples, the rate is the increase over the time the
// samples cover, never an increase spread over time nobody saw. A counter
// flat at 120/s with a 20 s outage in its 1m window has a rate of 120/s,
// not 80/s.
//
// The history keeps no marker of such a stretch, so it is told from the
// samples' own spacing, as the page breaks a chart's line (static/js/gaps.js):
// two neighbouring samples further apart than gapFactor times the interval
// before them, and gapSlackMs more than it (a source polled every few
// hundred ms jitters by more than its interval), are on either side of a
// gap. The interval before is the only spacing known in O(1); a source
// whose interval grows (a reload from 1s to 30s) has one interval left out.
const (
	gapFactor  = 2.5
	gapSlackMs = 2000
)

// rateStep is what one sample adds to a window's rate: its increase over
// the finite sample before it (reset-aware for counters) and the time
// between them (ms), both zero across a gap or for the first sample.
type rateStep struct {
	inc float64
	cov int64
}

// rateTrack follows a series' finite samples in order to give each its
// rateStep. The store (feeding windows) and each window's cursor (taking
// samples out) keep one each over the same samples, so what a sample
// added is exactly what leaves with it.
//
// It has no "has a previous value" flag: prevDt says it, as a series'
// times rise (ingest drops a sample not newer than the last), so a time
// between two samples is at least 1. A flag would make the cursor that
// holds one, and so a window, 8 bytes larger (BENCHMARKS.md, "A series'
// memory").
type rateTrack struct {
	prev   float64 // the last finite value
	prevT  int64   // its time
	prevDt int64   // the time between it and the finite value before; firstDt for none, 0 before any value
}

// firstDt is rateTrack.prevDt after the first value: there is a previous
// value, and no time between it and one before.
const firstDt = -1

// step takes the next finite sample (t, v) and returns its rateStep.
func (r *rateTrack) step(kind Kind, t int64, v float64) rateStep {
	var s rateStep
	if r.prevDt == 0 {
		r.prev, r.prevT, r.prevDt = v, t, firstDt
		return s
	}
	dt := t - r.prevT
	if !isGap(r.prevDt, dt) {
		s = rateStep{inc: increase(kind, r.prev, v), cov: dt}
	}
	r.prev, r.prevT, r.prevDt = v, t, dt
	return s
}

// isGap says whether samples dt ms apart, after an interval of prevDt ms
// (0 or less: unknown), are on either side of a stretch without samples.
func isGap(prevDt, dt int64) bool {
	if prevDt <= 0 {
		return false
	}
	return float64(dt) > max(gapFactor*float64(prevDt), float64(prevDt+gapSlackMs))
}

// rate is the window's increase per second over the time its samples
// cover (gaps left out), and false when there is no such time: fewer than
// two samples, or every pair apart across a gap.
func (w *window) rate() (float64, bool) {
	cov := w.covSum - w.first.cov
	if w.count < 2 || cov <= 0 {
		return 0, false
	}
	return (w.incSum.value() - w.first.inc) / (float64(cov) / 1000), true
}
