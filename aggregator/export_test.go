package aggregator

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Options.Export leaves the series of the sources it refuses out of
// /metrics, on both paths (the registry's and the direct text), and
// nothing else: they stay in the store, the API and the stream.
func TestExportFiltersSourcesOutOfMetrics(t *testing.T) {
	own := func(src string) bool { return !strings.Contains(src, "/") }
	a, c := newTestAgg(Options{WindowMetricsMaxSeries: -1, Export: own})
	a.ingest(batch("host", gauge("load", c.ms, 1)))
	a.ingest(batch("b/host", gauge("load", c.ms, 2, "node", "b")))
	a.tick()

	text := exposition(t, registry(t, a))
	require.Contains(t, text, `load{source="host"} 1`)
	require.NotContains(t, text, `node="b"`)

	direct := string(a.AppendStoreMetrics(nil, nil))
	require.Contains(t, direct, `load{source="host"} 1`)
	require.NotContains(t, direct, `node="b"`)
	require.Contains(t, string(a.SnapshotJSON(false)), `"source":"b/host"`, "still stored and shown")

	all, c2 := newTestAgg(Options{WindowMetricsMaxSeries: -1})
	all.ingest(batch("b/host", gauge("load", c2.ms, 2, "node", "b")))
	all.tick()
	require.Contains(t, string(all.AppendStoreMetrics(nil, nil)), `load{node="b",source="b/host"} 2`)
}
