package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// The restore brings back the configured sources' series only; a cluster
// node also its peers' ("<node>/<source>"), which it learns only later.
func TestRunningSourcesAreTheConfiguredOnes(t *testing.T) {
	cfg := &configs.Config{Sources: []configs.Source{{Name: "web"}, {Name: "db"}}}
	running := runningSources(cfg)
	require.True(t, running("web"))
	require.True(t, running("db"))
	require.False(t, running("removed"), "a source a past configuration had")
	require.False(t, running("peer/web"), "no cluster: no peers")

	cfg.Cluster = &configs.Cluster{Name: "c", Node: "a"}
	running = runningSources(cfg)
	require.True(t, running("peer/web"))
	require.False(t, running("removed"))
}
