//go:build !race

package cluster

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server/pse"
	"github.com/stretchr/testify/require"
)

// TestNATSCPUSamplerStopped: nats-server's once-a-second CPU sampler has
// no file to read, so it stopped at its first tick and its figures are
// errors (see natsProcStatFile).
func TestNATSCPUSamplerStopped(t *testing.T) {
	var pcpu float64
	var rss, vss int64
	require.Error(t, pse.ProcUsage(&pcpu, &rss, &vss), "pse still has its /proc file: its sampler would wake the process every second")
	require.Empty(t, natsProcStatFile)
}
