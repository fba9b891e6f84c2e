package collectors

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// TestNoSourceSetsTheSourceLabel: "source" is pulseboard's identity of a
// series' source; a sample of any type that carries one has it renamed
// exported_source before the store sees it.
func TestNoSourceSetsTheSourceLabel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			return []aggregator.Sample{
				{Metric: "a", Labels: pairs("source", "elsewhere", "x", "1"), TimeMs: fixedNow.UnixMilli(), Value: 1},
				{Metric: "b", Labels: pairs("source", "s2", "exported_source", "s1"), TimeMs: fixedNow.UnixMilli(), Value: 2},
				{Metric: "c", Labels: pairs("x", "1"), TimeMs: fixedNow.UnixMilli(), Value: 3},
			}, nil
		})
		sink := newRecordingSink()
		cfg := loopConfig("s")
		cfg.Labels = map[string]string{"env": "prod"}
		c := newTestCollector(cfg, sink, fixed(src))
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)
		var got []string
		for _, s := range sink.last("s").Samples {
			got = append(got, s.Metric+s.Labels.String())
		}
		require.Equal(t, []string{
			`a{env="prod",exported_source="elsewhere",x="1"}`,
			`b{env="prod",exported_exported_source="s2",exported_source="s1"}`,
			`c{env="prod",x="1"}`,
		}, got)
	})
}
