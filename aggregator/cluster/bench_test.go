package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchSeries is a node's scrape at 1 s: 1,000 series with decimal values
// of three shapes — gauges wandering with two decimals (temperatures,
// load), byte counters growing by whole thousands, and percentages with one
// decimal that jump anywhere in [0, 100).
type benchSeries struct {
	rng  *rand.Rand
	vals []float64
	ids  []string
}

func newBenchSeries(n int) *benchSeries {
	b := &benchSeries{rng: rand.New(rand.NewPCG(3, 4)), vals: make([]float64, n), ids: make([]string, n)}
	for i := range b.ids {
		b.ids[i] = fmt.Sprintf(`{"source":"host%d","name":"metric_%d","labels":{"cpu":"%d"}}`, i%7, i, i%16)
		b.vals[i] = float64(b.rng.IntN(100000)) / 100
	}
	return b
}

func (b *benchSeries) next(t int64) []Sample {
	out := make([]Sample, len(b.vals))
	for i := range b.vals {
		switch i % 3 {
		case 0:
			b.vals[i] = float64(int64(b.vals[i]*100)+int64(b.rng.IntN(41)-20)) / 100
		case 1:
			b.vals[i] += float64(b.rng.IntN(2000) * 1000)
		default:
			b.vals[i] = float64(b.rng.IntN(1000)) / 10
		}
		out[i] = Sample{Series: b.ids[i], Time: t, Value: b.vals[i]}
	}
	return out
}

// BenchmarkEncodeBatch reports the wire size of a steady 1 s batch of
// 1,000 series (after the key frame that announces them), in bytes per
// sample, with and without NATS's framing of the message
// ("PUB pulseboard.<cluster>.<node>.samples <len>\r\n…\r\n").
func BenchmarkEncodeBatch(b *testing.B) {
	const n = 1000
	src := newBenchSeries(n)
	e := NewEncoder(1, 1<<20)
	d := NewDecoder()
	t := int64(1_700_000_000_000)
	first, _ := e.Encode(src.next(t))
	var bytes, msgs int
	var out []Sample
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t += 1000
		batch := src.next(t)
		ms, _ := e.Encode(batch)
		for _, m := range ms {
			bytes += len(m)
			msgs++
			var err error
			if out, _, err = d.Decode(m, out[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
	_ = first
	frame := len("PUB pulseboard.lab.node-a.samples 12345\r\n\r\n")
	b.ReportMetric(float64(bytes)/float64(b.N*n), "B/sample")
	b.ReportMetric(float64(bytes+msgs*frame)/float64(b.N*n), "wireB/sample")
	b.ReportMetric(float64(len(first[0]))/n, "keyframeB/sample")
}
