package configs

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func withFileLimit(t *testing.T, n int) {
	old := fileLimit
	fileLimit = func() (int, bool) { return n, true }
	t.Cleanup(func() { fileLimit = old })
}

// A connection cap the descriptor limit cannot hold, or a WebSocket cap
// that does not fit under it, is refused at its place.
func TestServerConnectionCaps(t *testing.T) {
	withFileLimit(t, 20000)
	src := "server:\n  max_connections: %d\n  max_clients: %d\nsources: []\n"
	for _, tc := range []struct {
		conns, clients int
		want           string
	}{
		{0, 0, ""},
		{18000, 17100, ""},
		{1000, 950, ""},
		{18001, 0, "a.yaml:2:20: server.max_connections: 18001 connections need more file descriptors than the limit allows: at most 18000 (RLIMIT_NOFILE, ulimit -n, is 20000; 2000 are kept for sources, storage, NATS and config reads); raise the limit or lower this"},
		{1000, 1000, "a.yaml:3:16: server.max_clients: 1000 WebSocket clients do not fit under max_connections (1000) with room for plain HTTP (50): at most 950"},
		{0, 20000, "a.yaml:3:16: server.max_clients: 20000 WebSocket clients do not fit under max_connections (18000, derived from the file descriptor limit) with room for plain HTTP (900): at most 17100"},
		{-1, 0, "a.yaml:2:20: server.max_connections: must not be negative, got -1 (0 or left out: derived from the file descriptor limit)"},
		{0, -5, "a.yaml:3:16: server.max_clients: must not be negative, got -5 (0 or left out: 20000 or less to fit under max_connections)"},
	} {
		_, err := Parse("a.yaml", []byte(fmt.Sprintf(src, tc.conns, tc.clients)))
		if tc.want == "" {
			require.NoError(t, err)
			continue
		}
		require.EqualError(t, err, tc.want)
	}
}
