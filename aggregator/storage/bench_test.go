package storage

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkWrite is one flush of a thousand series: each op is one Write
// (one transaction, fsynced) of a 300-byte raw block per series, new
// blocks every op as a flush every 10 s would bring.
func BenchmarkWrite(b *testing.B) {
	db := open(b, Options{Dir: b.TempDir()})
	const series = 1000
	data := make([]byte, 300)
	blocks := make([]Block, series)
	b.SetBytes(int64(series * (16 + len(data) + 4)))
	b.ReportAllocs()
	op := int64(0)
	for b.Loop() {
		start := t0 + op*10_000
		for s := range blocks {
			blocks[s] = Block{Tier: Raw, Series: uint64(s), Start: start, End: start + 9_000, Points: 10, Data: data}
		}
		if err := db.Write(nil, blocks); err != nil {
			b.Fatal(err)
		}
		op++
	}
	b.ReportMetric(float64(series*b.N)/b.Elapsed().Seconds(), "blocks/s")
}

// BenchmarkBlocks24h reads a day of one series from the 1m tier: 24
// hourly blocks of 60 points (1440 points), among 200 series.
func BenchmarkBlocks24h(b *testing.B) {
	db := open(b, Options{Dir: b.TempDir()})
	data := make([]byte, 360) // about 6 B a minute point
	for s := range uint64(200) {
		var bs []Block
		for h := range int64(48) {
			bs = append(bs, Block{Tier: Minute, Series: s, Start: t0 + h*hour, End: t0 + h*hour + 59*minute, Points: 60, Data: data})
		}
		if err := db.Write([]SeriesMeta{{Key: s, Meta: []byte("series")}}, bs); err != nil {
			b.Fatal(err)
		}
	}
	from, to := t0+24*hour, t0+48*hour-1
	b.ReportAllocs()
	for b.Loop() {
		points, n := 0, 0
		err := db.Blocks(Minute, 77, from, to, func(bl Block) bool {
			points += bl.Points
			n += len(bl.Data)
			return true
		})
		if err != nil || points != 1440 || n != 24*360 {
			b.Fatalf("read %d points, %d bytes: %v", points, n, err)
		}
	}
}

// BenchmarkWriteHashedKeys is the flush of a program with 100,000 series:
// the aggregator's series keys are hashes, so a flush's blocks and metas
// come in no key order. Each op is the first Write of a fresh database
// (every meta, seen time and block a new key, as at a start) and a second
// one with the next blocks (a steady flush).
func BenchmarkWriteHashedKeys(b *testing.B) {
	const series = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, series)
	for i := range keys {
		keys[i] = rng.Uint64()
	}
	data := make([]byte, 40)
	metas := make([]SeriesMeta, series)
	for i, k := range keys {
		metas[i] = SeriesMeta{Key: k, Meta: []byte("series meta")}
	}
	blocks := make([]Block, series)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db := open(b, Options{Dir: b.TempDir()})
		b.StartTimer()
		for op := range int64(2) {
			start := t0 + op*10_000
			for i, k := range keys {
				blocks[i] = Block{Tier: Raw, Series: k, Start: start, End: start + 9_000, Points: 10, Data: data}
			}
			if err := db.Write(metas, blocks); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(2*series*b.N)/b.Elapsed().Seconds(), "blocks/s")
}
