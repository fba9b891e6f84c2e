package testtool

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The server greets on its URL, is gone after Kill (twice is harmless),
// and greets on the same URL after Restart.
func TestNATSServerKillAndRestart(t *testing.T) {
	s := StartNATSServer(t)
	addr := strings.TrimPrefix(s.URL, "nats://")
	require.True(t, greets(addr))
	s.Kill()
	s.Kill()
	require.False(t, greets(addr), "killed: nobody listens")
	s.Restart()
	require.True(t, greets(addr), "the same port again")
	require.Equal(t, "nats://"+addr, s.URL)
}
