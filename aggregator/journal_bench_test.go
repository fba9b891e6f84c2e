package aggregator

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// wholeTails is a storage.DB without its journal: the aggregator then
// rewrites every open tail whole at each flush, as it did before the
// journal (the A of BenchmarkFlushBinaryShape's A/B).
type wholeTails struct{ db *storage.DB }

func (w wholeTails) Write(series []storage.SeriesMeta, blocks []storage.Block) error {
	return w.db.Write(series, blocks)
}
func (w wholeTails) Series() ([]storage.SeriesMeta, error) { return w.db.Series() }
func (w wholeTails) Blocks(t storage.Tier, series uint64, from, to int64, fn func(storage.Block) bool) error {
	return w.db.Blocks(t, series, from, to, fn)
}
func (w wholeTails) Enforce() error { return w.db.Enforce() }
func (w wholeTails) Replace(series []storage.SeriesMeta, remove []storage.BlockRef, blocks []storage.Block) error {
	return w.db.Replace(series, remove, blocks)
}

// BenchmarkFlushBinaryShape times the storage flusher in the binary's
// shape (scripts/ingest-bench.sh): 100,000 random-walk gauges at one
// sample a second, a real store in a temporary directory, five minutes
// ingested and flushed first. One op is ten seconds of samples (not
// timed) and one Flush (timed: the process's CPU, the fsync's wait not
// included). Twenty-four ops are one life of a 1 s tail chunk (240
// samples): run with -benchtime 24x. "journal" is the store as the binary
// opens it; "whole" rewrites every open tail whole at each flush, as
// before the journal. Filling takes a minute or two per sub-benchmark.
func BenchmarkFlushBinaryShape(b *testing.B) {
	for _, mode := range []string{"journal", "whole"} {
		b.Run(mode, func(b *testing.B) {
			db, err := storage.Open(storage.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = db.Close() }()
			var st Storage = db
			if mode == "whole" {
				st = wholeTails{db}
			}
			const n = 100_000
			a, c := newTestAgg(Options{MaxSeries: n, Storage: st})
			rng := rand.New(rand.NewPCG(7, 8))
			batches := binaryShapeBatches(n, rng)
			tenSeconds := func() {
				for range 10 {
					c.ms += 1000
					for _, bt := range batches {
						walkBatch(bt, c.ms, rng)
						a.ingest(bt)
					}
					a.st.settle(c.ms, len(a.st.dirty))
					a.st.collect(&delta{}, len(a.st.dirty))
				}
			}
			for range 30 {
				tenSeconds()
				if err := a.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				tenSeconds()
				b.StartTimer()
				t := startCPU()
				if err := a.Flush(); err != nil {
					b.Fatal(err)
				}
				cpu += processCPU() - t.start
			}
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/flush")
			b.ReportMetric(float64(db.Stats()[storage.Raw].Bytes)/(1<<20), "raw-MiB")
		})
	}
}
