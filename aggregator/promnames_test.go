package aggregator

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Names valid under the classic rules are exposed as they are; others are
// sanitised, and label names with the reserved "__" prefix are renamed.
func TestPromNames(t *testing.T) {
	for name, valid := range map[string]bool{
		"up": true, "http:requests_total": true, "_x": true, "": false, "2xx": false, "a-b": false, "é": false,
	} {
		require.Equal(t, valid, validMetricName(name), name)
	}
	require.Equal(t, "_2xx_rate", promMetricName("2xx-rate"))
	require.Equal(t, "exported_pulseboard_up", promMetricName("pulseboard_up"))
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "promhttp_metric_handler_requests_total"} {
		require.Equal(t, "exported_"+name, promMetricName(name), "pulseboard's own registry exports %s", name)
	}
	require.Equal(t, "gopher_count", promMetricName("gopher_count"), "a prefix, not a substring")
	require.True(t, validLabelName("zone"))
	require.False(t, validLabelName("a:b"), "':' is for metric names only")
	require.False(t, validLabelName("__name__"))
	require.Equal(t, []string{"a_b", "exported___x", "exported_source"},
		promLabelNames(Labels{{Name: "a:b"}, {Name: "__x"}, {Name: "source"}}, "source"))
}
