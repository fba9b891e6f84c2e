package collectors

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/configs"
)

// BenchmarkParsePromNodeExporter parses and converts the real
// node_exporter fixture (about 500 series), as one scrape does.
func BenchmarkParsePromNodeExporter(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "node_exporter.prom"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scrapeProm(body, ctClassic, scrapeOptions{promFilter: promFilter{maxSeries: 10000}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulatedPoll polls a simulated source of 100 series.
func BenchmarkSimulatedPoll(b *testing.B) {
	series := make([]configs.SimSeries, 0, 7)
	for _, shape := range configs.Shapes {
		series = append(series, configs.SimSeries{Metric: shape, Shape: shape, Max: 10, Period: configs.Duration(time.Minute), Noise: 0.5, Rate: 2})
	}
	series[0].Count = 94 // 100 series in all
	cfg := simConfig(series...)
	src, err := NewSource(cfg, Env{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostPoll is one poll of the host source on this machine.
func BenchmarkHostPoll(b *testing.B) {
	src, err := NewSource(configs.Source{Name: "host", Type: configs.TypeHost, Interval: configs.Duration(time.Second), Timeout: configs.Duration(time.Second), Spec: configs.NewHostSpec()}, Env{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Poll(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
