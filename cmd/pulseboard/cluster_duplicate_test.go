package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A node started with a name another node has is not ready and says why,
// once; the first keeps its name, its readiness and a quiet log.
func TestClusterDuplicateNodeName(t *testing.T) {
	besideOthers(t)
	a := startClusterNode(t, "a")
	b := startClusterNode(t, "b", a.route)
	require.Eventually(t, func() bool { return a.nodes()["b"].Up }, waitLong, 20*time.Millisecond)
	dup := startClusterNode(t, "a", a.route, b.route)
	var body string
	require.Eventually(t, func() bool {
		err := dup.get("/readyz", &body)
		return err != nil && strings.Contains(err.Error(), "503") && strings.Contains(err.Error(), `cluster.node \"a\" is taken`)
	}, waitLong, 20*time.Millisecond, "the newcomer is not ready, and says why")
	require.Equal(t, 1, strings.Count(dup.logs.String(), "duplicate node name"), "%s", dup.logs)
	require.NoError(t, a.get("/readyz", &body), "the first is ready")
	// The first says so in one line of pulseboard's words when it heard the
	// newcomer's heartbeat; a newcomer that heard the first's before it sent
	// one stood aside unheard (cluster.Node.sameName). Either way no peer
	// repeats it, nor logs NATS's own words for it.
	require.LessOrEqual(t, strings.Count(a.logs.String(), "duplicate node name"), 1, "%s", a.logs)
	require.NotContains(t, b.logs.String(), "duplicate node name", "b's name is its own")
	require.NotContains(t, a.logs.String(), "Remote server has a duplicate name")
	require.NotContains(t, b.logs.String(), "Remote server has a duplicate name")
	require.Equal(t, 1.0, metricValueOr0(dup, "pulseboard_cluster_connect_failures_total", map[string]string{"reason": "duplicate_name"}))
}
