package storage

import (
	"bytes"
	"testing"
	"time"
)

// FuzzRecords feeds arbitrary bytes to every decoder of bytes read back
// from the file (block keys and values, partition keys and records,
// series keys). None may panic or take long; what decodes must encode
// back to the same values.
func FuzzRecords(f *testing.F) {
	b := block(Raw, 7, t0, t0+hour, 3600)
	f.Add(blockKey(7, t0), encodeBlockValue(&b))
	p := partition{start: t0, bytes: 1234, points: 99, blocks: 3, minStart: t0 + 5, maxEnd: t0 + 2*hour}
	f.Add(partKey(Raw, t0), encodePartition(p))
	f.Add(u64Key(3), []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add([]byte{}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, key, val []byte) {
		began := time.Now()
		defer func() {
			if d := time.Since(began); d > 100*time.Millisecond {
				t.Errorf("decoding %d+%d bytes took %v", len(key), len(val), d)
			}
		}()
		if series, start, err := decodeBlockKey(key); err == nil {
			if !bytes.Equal(blockKey(series, start), key) {
				t.Fatalf("block key %x round trip", key)
			}
			got := Block{Tier: Raw, Series: series, Start: start}
			if err := decodeBlockValue(val, &got); err == nil {
				if got.End < got.Start || got.Points < 0 || len(got.Data) > len(val) {
					t.Fatalf("decoded block %+v", got)
				}
				again := Block{Start: start}
				if err := decodeBlockValue(encodeBlockValue(&got), &again); err != nil ||
					again.End != got.End || again.Points != got.Points || !bytes.Equal(again.Data, got.Data) {
					t.Fatalf("block value round trip: %+v vs %+v (%v)", got, again, err)
				}
			}
		}
		if tier, start, err := decodePartKey(key); err == nil {
			if !bytes.Equal(partKey(tier, start), key) {
				t.Fatalf("partition key %x round trip", key)
			}
			if p, err := decodePartition(tier, start, val); err == nil {
				if p.minStart < p.start || p.maxEnd < p.minStart || p.bytes < 0 || p.points < 0 || p.blocks < 0 {
					t.Fatalf("decoded partition %+v", p)
				}
				if again, err := decodePartition(tier, start, encodePartition(p)); err != nil || again != p {
					t.Fatalf("partition round trip: %+v vs %+v (%v)", p, again, err)
				}
			}
		}
		for tier := range NumTiers {
			_, _ = decodePartition(tier, 0, val)
		}
		if s, err := decodeU64Key(key); err == nil && !bytes.Equal(u64Key(s), key) {
			t.Fatalf("series key %x round trip", key)
		}
		if at, ok := seenAt(val); ok && !bytes.Equal(u64Key(uint64(at)), val) {
			t.Fatalf("seen record %x round trip", val)
		}
	})
}
