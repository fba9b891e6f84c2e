package configs

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Keys whose values, or products, scale the store's memory are refused
// past their ceilings, where they are written.
func TestAggregatorCeilings(t *testing.T) {
	sim := func(count int, interval string) string {
		return "sources:\n  - {name: s, type: simulated, interval: " + interval + ", series: [{metric: m, shape: sine, count: " + itoa(count) + "}]}\n"
	}
	windows := "["
	for i := 1; i <= 9; i++ {
		windows += itoa(i) + "s, "
	}
	windows = strings.TrimSuffix(windows, ", ") + "]"
	for _, c := range []struct{ name, data, want string }{
		{"windows", "aggregator: {windows: " + windows + "}\n",
			"t.yaml:1:56: aggregator.windows[8]: more than 8 windows (9 given)"},
		{"max_series", "aggregator: {max_series: 2000000}\n",
			"t.yaml:1:26: aggregator.max_series: 2000000 is more than the ceiling of 1000000 series"},
		{"windows × max_series", "aggregator: {max_series: 800000}\n",
			"t.yaml:1:26: aggregator.max_series: 800000 series × 3 windows is more than 2000000 window statistics"},
		{"max_series_per_source", "aggregator: {max_series_per_source: 2000000}\n",
			"t.yaml:1:37: aggregator.max_series_per_source: 2000000 is more than the ceiling of 1000000 series"},
		{"max_new_series_per_hour under max_series_per_source", "aggregator: {max_series_per_source: 5000, max_new_series_per_hour: 4000}\n",
			"t.yaml:1:68: aggregator.max_new_series_per_hour: 4000 is outside 5000 (max_series_per_source: a source must be able to fill its cap) to 24000000"},
		{"max_new_series_per_hour negative", "aggregator: {max_new_series_per_hour: -1}\n",
			"t.yaml:1:39: aggregator.max_new_series_per_hour: -1 is outside 10000"},
		{"max_new_series_per_hour_all_sources under max_series", "aggregator: {max_series: 50000, max_new_series_per_hour_all_sources: 40000}\n",
			"t.yaml:1:70: aggregator.max_new_series_per_hour_all_sources: 40000 is outside 50000 (max_series: the store must be able to fill its cap) to 24000000"},
		{"max_new_series_per_hour_all_sources negative", "aggregator: {max_new_series_per_hour_all_sources: -1}\n",
			"t.yaml:1:51: aggregator.max_new_series_per_hour_all_sources: -1 is outside 100000"},
		{"queue_size", "aggregator: {queue_size: 100000000}\n",
			"t.yaml:1:26: aggregator.queue_size: 100000000 is more than the ceiling of 65536 batches"},
		{"simulated count", "aggregator: {max_series: 500000, max_series_per_source: 500000}\n" + sim(300000, "1s"),
			"t.yaml:3:54: sources[0].series: 300000 series is more than a simulated source may make (100000)"},
		{"simulated rate", "aggregator: {max_series_per_source: 50000, history: 1m, windows: [1m]}\n" + sim(50000, "10ms"),
			"t.yaml:3:56: sources[0].series: the simulated sources make 5000000 samples a second up to this one (series ÷ interval), more than 1000000"},
		{"simulated rate together", "aggregator: {history: 1m, windows: [1m]}\nsources:\n" + lines(2, func(i int) string {
			return "  - {name: s" + itoa(i) + ", type: simulated, interval: 10ms, series: [{metric: m, shape: sine, count: 6000}]}"
		}),
			"t.yaml:4:57: sources[1].series: the simulated sources make 1200000 samples a second up to this one"},
		{"simulated history", "aggregator: {history: 24h}\n" + sim(1000, "1s") + "  - {name: t, type: simulated, interval: 1s, series: [{metric: m, shape: sine, count: 2000}]}\n",
			"t.yaml:4:54: sources[1].series: the simulated sources fill 259200000 points of history up to this one (series × aggregator.history 24h ÷ interval), more than 200000000"},
		{"simulated series together", "aggregator: {max_series: 15000}\nsources:\n" + lines(3, func(i int) string {
			return "  - {name: s" + itoa(i) + ", type: simulated, series: [{metric: m, shape: sine, count: 6000}]}"
		}),
			"t.yaml:5:41: sources[2].series: the simulated sources make 18000 series up to this one, more than aggregator.max_series (15000)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.data))
			require.Len(t, Errors(err), 1, "%v", err)
			require.True(t, strings.HasPrefix(err.Error(), c.want), "%v", err)
		})
	}
	// Every count ceiling at once is within them, and past the default
	// memory budget (configs/memory.go).
	atCeilings := "aggregator: {windows: [1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s], max_series: 250000, max_series_per_source: 100000, max_new_series_per_hour: 24000000, history: 1m%s}\n" + sim(100000, "100ms")
	_, err := Parse("ok.yaml", []byte(fmt.Sprintf(atCeilings, ", memory_limit: 4GiB")))
	require.NoError(t, err, "at every ceiling")
	_, err = Parse("ok.yaml", []byte(fmt.Sprintf(atCeilings, "")))
	require.ErrorContains(t, err, "more than aggregator.memory_limit (2GiB)")
}

// A reload's sources are held to the limits in force, not the file's.
func TestParseInForce(t *testing.T) {
	data := []byte("aggregator: {max_series_per_source: 50000}\n" +
		"sources:\n  - {name: s, type: simulated, series: [{metric: m, shape: sine, count: 20000}]}\n")
	_, err := Parse("t.yaml", data)
	require.NoError(t, err)
	_, err = ParseInForce("t.yaml", data, Default().Aggregator)
	require.EqualError(t, err, "t.yaml:3:40: sources[0].series: 20000 series is more than the running aggregator.max_series_per_source (10000; a new value needs a restart)")
}

func itoa(n int) string { return strconv.Itoa(n) }
