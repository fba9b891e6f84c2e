package aggregator

import (
	"testing"
)

// stamped is a gauge sample carrying the exporter's own timestamp, its
// staleness untracked (Prometheus' track_timestamps_staleness: false).
func stamped(metric string, ms int64, v float64) Sample {
	s := gauge(metric, ms, v)
	s.NoStaleness = true
	return s
}

// TestNoStalenessSeriesStayLive: a series whose samples carry the
// exporter's timestamps is not made stale by its absence from a complete
// batch nor by a failed poll, while the series beside it are; once its
// samples lose the mark it is tracked again.
func TestNoStalenessSeriesStayLive(t *testing.T) {
	a, c := newTestAgg(Options{})
	exporterMs := c.ms - 10_000
	a.ingest(complete("s", gauge("plain", c.ms, 1), stamped("stamped", exporterMs, 2)))
	a.tick()

	c.ms += 1000
	a.ingest(complete("s"))
	a.tick()
	requireStale(t, a, "plain", true, c.ms)
	requireStale(t, a, "stamped", false, 0)
	if exported(t, a, "stamped") != 1 {
		t.Fatal("a live series with exporter timestamps stays on /metrics")
	}

	c.ms += 1000
	a.ingest(complete("s", gauge("plain", c.ms, 1)))
	a.ingest(Batch{Source: "s", Failed: true})
	a.tick()
	requireStale(t, a, "plain", true, c.ms)
	requireStale(t, a, "stamped", false, 0)

	// Stamped by the poll from now on (honor_timestamps turned off, or
	// tracking on): tracked like any other.
	c.ms += 1000
	a.ingest(complete("s", gauge("stamped", c.ms, 3)))
	c.ms += 1000
	a.ingest(complete("s"))
	a.tick()
	requireStale(t, a, "stamped", true, c.ms)
}
