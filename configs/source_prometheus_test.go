package configs

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPrometheusHonorKeys: honor_labels defaults to false and
// honor_timestamps to true, as in Prometheus; each can be given either way.
func TestPrometheusHonorKeys(t *testing.T) {
	for _, tc := range []struct {
		name, keys             string
		wantLabels, wantStamps bool
	}{
		{"left out", "", false, true},
		{"both true", "    honor_labels: true\n    honor_timestamps: true\n", true, true},
		{"both false", "    honor_labels: false\n    honor_timestamps: false\n", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("honor.yaml", []byte("sources:\n  - name: p\n    type: prometheus\n    url: http://127.0.0.1:9100/metrics\n"+tc.keys))
			require.NoError(t, err)
			spec := c.Sources[0].Spec.(*PrometheusSpec)
			require.Equal(t, tc.wantLabels, spec.HonorLabels)
			require.Equal(t, tc.wantStamps, spec.HonorsTimestamps())
		})
	}
	require.True(t, (&PrometheusSpec{}).HonorsTimestamps(), "a spec built in code without the constructor")
	_, err := Parse("honor.yaml", []byte("sources:\n  - name: j\n    type: json\n    url: http://x/\n    fields: {a: b}\n    honor_labels: true\n"))
	require.ErrorContains(t, err, "honor_labels: not used by json sources (it is for prometheus)")
}
