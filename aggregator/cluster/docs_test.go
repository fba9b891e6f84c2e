package cluster

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docExample returns the bytes of the ```hex <name> block of docs/cluster.md.
func docExample(t *testing.T, doc, name string) []byte {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "```hex "+name+"\n")
	require.True(t, ok, "no example %s", name)
	block, _, _ := strings.Cut(rest, "```")
	b, err := hex.DecodeString(strings.Join(strings.Fields(block), ""))
	require.NoError(t, err)
	return b
}

func TestDocsExamplesDecode(t *testing.T) {
	raw, err := os.ReadFile("../../docs/cluster.md")
	require.NoError(t, err)
	doc := string(raw)
	d := NewDecoder()
	out, res, err := d.Decode(docExample(t, doc, "batch-1"), nil)
	require.NoError(t, err)
	assert.False(t, res.Resync)
	assert.Equal(t, []Sample{{"cpu", 1700000000000, 12.5}, {"mem", 1700000000000, 2048}, {"load", 1700000000000, 0.25}}, out)
	out, res, err = d.Decode(docExample(t, doc, "batch-2"), nil)
	require.NoError(t, err)
	assert.False(t, res.Resync)
	assert.Equal(t, []Sample{{"cpu", 1700000001000, 12.7}, {"mem", 1700000001000, 2048}, {"load", 1700000001000, 0.5}}, out)

	// The encoder writes exactly the documented bytes.
	e := NewEncoder(7, 1<<20)
	m, _ := e.Encode([]Sample{{"cpu", 1700000000000, 12.5}, {"mem", 1700000000000, 2048}, {"load", 1700000000000, 0.25}})
	assert.Equal(t, docExample(t, doc, "batch-1"), m[0])

	hb := heartbeat{Interval: time.Second, Sent: time.UnixMilli(1700000000000)}
	assert.Contains(t, doc, "`"+spacedHex(hb.marshal())+"`")
}

func spacedHex(b []byte) string {
	h := hex.EncodeToString(b)
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, " ")
}
