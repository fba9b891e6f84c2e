package aggregator

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkHistoryBytes reports the steady-state size of 15 minutes of
// history at one sample a second, per data shape and timestamp jitter:
// bytes/sample is the encoded stream (plus each chunk's first timestamp)
// over the samples held; bytes/series is all memory the history holds
// (chunk headers, buffers, and up to one chunk older than 15 minutes that
// waits to be dropped whole). Both are averaged over 15 minutes of steady
// state (after 30 minutes of warm-up), since they vary as chunks fill and
// are dropped.
func BenchmarkHistoryBytes(b *testing.B) {
	const span = 15 * time.Minute
	shapes := append(append([]shape(nil), allShapes...), unroundedWalk)
	for _, jitter := range []int64{0, 1, 5} {
		for _, sh := range shapes {
			b.Run(fmt.Sprintf("%s/jitter=%dms", sh.name, jitter), func(b *testing.B) {
				var perSample, perSeries float64
				for b.Loop() {
					h := history{maxSpanMs: span.Milliseconds() / 4}
					pts := sh.gen(rand.New(rand.NewPCG(9, 9)), 1_700_000_000_000, 1000, jitter, 3*900)
					perSample, perSeries = 0, 0
					for i, p := range pts {
						h.append(p.t, p.v)
						h.dropBefore(p.t - span.Milliseconds())
						if i >= 2*900 {
							perSample += float64(h.encodedBytes()) / float64(h.len()) / 900
							perSeries += float64(h.bytes()) / 900
						}
					}
				}
				b.ReportMetric(perSample, "bytes/sample")
				b.ReportMetric(perSeries, "bytes/series")
			})
		}
	}
}

// BenchmarkCodecSpeed times the raw chunk codec alone, per shape: encoding
// a sample (what every ingested sample costs) and decoding one (what every
// window pays for each sample that leaves it).
func BenchmarkCodecSpeed(b *testing.B) {
	for _, sh := range allShapes {
		pts := sh.gen(rand.New(rand.NewPCG(9, 9)), 1_700_000_000_000, 1000, 0, 120)
		b.Run(sh.name+"/encode", func(b *testing.B) {
			for b.Loop() {
				encodeAll(pts)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts)), "ns/sample")
			b.ReportMetric(0, "ns/op")
		})
		w := encodeAll(pts)
		b.Run(sh.name+"/decode", func(b *testing.B) {
			for b.Loop() {
				if got, err := decodeChunk(w.b, w.nbits, len(pts), pts[0].t); err != nil || len(got) != len(pts) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts)), "ns/sample")
			b.ReportMetric(0, "ns/op")
		})
	}
}
