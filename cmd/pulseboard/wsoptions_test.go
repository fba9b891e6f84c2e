package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// server.slow_cut_budget reaches the dashboard as cuts a minute, as many
// at once; -1 turns the budget off and 0 leaves the dashboard's default.
func TestWSOptionsSlowCutBudget(t *testing.T) {
	o := wsOptions(configs.Server{MaxClients: 7, SlowCutBudget: 600})
	require.Equal(t, 7, o.MaxClients)
	require.Equal(t, 600, o.SlowCutBurst)
	require.InDelta(t, 10.0, o.SlowCutRate, 1e-9)
	require.Equal(t, -1, wsOptions(configs.Server{SlowCutBudget: -1}).SlowCutBurst)
	o = wsOptions(configs.Server{})
	require.Zero(t, o.SlowCutBurst)
	require.Zero(t, o.SlowCutRate)
}

// server.session_rate and server.session_snapshot_rate reach the
// dashboard as they are; -1 turns the session budget off and 0 leaves the
// dashboard's defaults.
func TestWSOptionsSessionBudget(t *testing.T) {
	o := wsOptions(configs.Server{SessionRate: 50, SessionSnapshotRate: 32 << 20})
	require.InDelta(t, 50.0, o.SessionRate, 1e-9)
	require.InDelta(t, float64(32<<20), o.SnapshotByteRate, 1e-9)
	require.InDelta(t, -1.0, wsOptions(configs.Server{SessionRate: -1}).SessionRate, 1e-9)
	o = wsOptions(configs.Server{})
	require.Zero(t, o.SessionRate)
	require.Zero(t, o.SnapshotByteRate)
}
