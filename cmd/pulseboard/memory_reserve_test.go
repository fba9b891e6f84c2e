package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// The room kept for the known sources is what the load's check charges
// them, and follows the sources a reload applies.
func TestKnownReserveFollowsTheSources(t *testing.T) {
	cfg, err := configs.Parse("r.yaml", []byte(`sources:
  - name: sim
    type: simulated
    interval: 1s
    series:
      - {metric: m, shape: sine, min: 0, max: 1, period: 1m, count: 100}
  - {name: p, type: prometheus, url: "http://127.0.0.1:9100/metrics", interval: 1s}
`))
	require.NoError(t, err)
	k := knownReserve{limits: cfg.Aggregator}
	require.Zero(t, k.bytes())
	k.set(cfg.Sources)
	require.Equal(t, configs.KnownSeriesMemory(cfg.Aggregator, cfg.Sources), k.bytes())
	require.Positive(t, k.bytes())
	k.set(cfg.Sources[1:])
	require.Zero(t, k.bytes(), "a scraping source is charged by the store as its series arrive")
}
