package aggregator

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExposedIdentity(t *testing.T) {
	for _, tc := range []struct {
		metric string
		ls     Labels
		want   string // "" when exposed unchanged
	}{
		{"http_requests", Labels{{"code", "200"}}, ""},
		{"http.requests", nil, "http_requests{}"},
		{"cpu_temp", Labels{{"sensor.id", "1"}}, `cpu_temp{sensor_id="1"}`},
		{"pulseboard_up", nil, "exported_pulseboard_up{}"},
		{"m", Labels{{"exported_source", "a"}, {"source", "b"}}, `m{exported_exported_source="b",exported_source="a"}`},
		{"m", Labels{{"__x", "1"}}, `m{exported___x="1"}`},
	} {
		got, renamed := ExposedIdentity(tc.metric, tc.ls)
		require.Equal(t, tc.want != "", renamed, tc.metric+tc.ls.String())
		require.Equal(t, tc.want, got, tc.metric+tc.ls.String())
	}
}
