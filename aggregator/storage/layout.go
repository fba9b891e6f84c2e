package storage

import (
	"encoding/binary"
	"errors"
	"math"
)

// The file's layout (format version 3), all integers big-endian unless
// said otherwise so that bbolt's byte order is time order:
//
//	meta                     "version" → uint32
//	series                   series(8) → SeriesMeta.Meta
//	seen                     series(8) → newest time (ms, 8) the series was written at
//	parts                    tier(1) | partition start(8) → partition record (uvarints)
//	raw, 1m, 1h              partition start(8) → bucket:
//	                             series(8) | block start(8) → end-start (uvarint) | points (uvarint) | data
//	journal                  seq(8) | part(4) → opaque value (version 3: journal.go)
//	events                   seq(8) → event (made by the first WriteEvents: events.go)
//
// A tier is cut into partitions of a fixed width (partitionWidth) by the
// block's Start, so retention drops a whole nested bucket and never scans
// blocks. The parts bucket keeps each partition's totals so that Stats
// and the retention decisions need no scan either, also after a restart.
//
// Version 2: the aggregator's raw chunk and aggregate block encodings
// changed (their own version bytes went to 2); a version 1 file is moved
// aside like any unreadable one.
//
// Version 3 adds the journal bucket (journal.go). A version 2 file is
// read as it is and upgraded on Open: the bucket is made, empty, and the
// version raised, in one transaction. A version 3 file opened by a
// pulseboard that reads version 2 is moved aside by it as an unknown
// version: it would not read the journal, and would lose the open tails
// without a word.
const formatVersion uint32 = 3

// upgradableVersion is the older format Open upgrades in place.
const upgradableVersion uint32 = 2

var (
	bucketMeta   = []byte("meta")
	bucketSeries = []byte("series")
	bucketSeen   = []byte("seen")
	bucketParts  = []byte("parts")
	keyVersion   = []byte("version")
)

// tierBuckets are the top-level bucket names of the tiers, by Tier.
var tierBuckets = [NumTiers][]byte{[]byte("raw"), []byte("1m"), []byte("1h")}

// partitionWidth is each tier's partition width in ms: an hour of raw
// chunks, a day of minute points, 30 days of hour points. Retention by
// time and by size is exact to one partition.
var partitionWidth = [NumTiers]int64{
	3600 * 1000,
	24 * 3600 * 1000,
	30 * 24 * 3600 * 1000,
}

// errBadRecord says bytes read back from the file do not decode; Open
// treats it as corruption.
var errBadRecord = errors.New("malformed record")

// maxTime bounds every stored time (ms, about year 35,000) so that sums
// of decoded times cannot overflow.
const maxTime int64 = 1 << 50

// partitionOf is the start (ms) of the partition holding a block that
// starts at start (ms, >= 0).
func partitionOf(t Tier, start int64) int64 {
	return start - start%partitionWidth[t]
}

func u64Key(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}

// blockKey is series | start: one series' blocks are adjacent and in time
// order inside a partition.
func blockKey(series uint64, start int64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, series)
	binary.BigEndian.PutUint64(k[8:], uint64(start))
	return k
}

func decodeBlockKey(k []byte) (series uint64, start int64, err error) {
	if len(k) != 16 || binary.BigEndian.Uint64(k[8:]) > uint64(maxTime) {
		return 0, 0, errBadRecord
	}
	return binary.BigEndian.Uint64(k), int64(binary.BigEndian.Uint64(k[8:])), nil
}

// decodeU64Key decodes a series key (8 bytes).
func decodeU64Key(k []byte) (uint64, error) {
	if len(k) != 8 {
		return 0, errBadRecord
	}
	return binary.BigEndian.Uint64(k), nil
}

func partKey(t Tier, start int64) []byte {
	k := make([]byte, 9)
	k[0] = byte(t)
	binary.BigEndian.PutUint64(k[1:], uint64(start))
	return k
}

func decodePartKey(k []byte) (Tier, int64, error) {
	if len(k) != 9 || Tier(k[0]) >= NumTiers || binary.BigEndian.Uint64(k[1:]) > uint64(maxTime) {
		return 0, 0, errBadRecord
	}
	t, start := Tier(k[0]), int64(binary.BigEndian.Uint64(k[1:]))
	if start%partitionWidth[t] != 0 {
		return 0, 0, errBadRecord
	}
	return t, start, nil
}

// encodeBlockValue is the stored form of a block: its span and point
// count ahead of its opaque data.
func encodeBlockValue(b *Block) []byte {
	v := make([]byte, 0, 2*binary.MaxVarintLen64+len(b.Data))
	v = binary.AppendUvarint(v, uint64(b.End-b.Start))
	v = binary.AppendUvarint(v, uint64(b.Points))
	return append(v, b.Data...)
}

// decodeBlockValue fills b's End, Points and Data (aliasing v) from a
// stored value; b.Start must be set. Data is valid as long as v is.
func decodeBlockValue(v []byte, b *Block) error {
	span, n := binary.Uvarint(v)
	if n <= 0 || span > uint64(maxTime) {
		return errBadRecord
	}
	points, m := binary.Uvarint(v[n:])
	if m <= 0 || points > math.MaxInt32 {
		return errBadRecord
	}
	b.End = b.Start + int64(span)
	b.Points = int(points)
	b.Data = v[n+m:]
	return nil
}

// partition is one partition's totals: what Stats reports and retention
// decides on. Bytes counts keys and values of its blocks.
type partition struct {
	start    int64 // ms, a multiple of the tier's width
	bytes    int64
	points   int64
	blocks   int64
	minStart int64 // ms, the earliest block start in it
	maxEnd   int64 // ms, the latest block end in it
}

func encodePartition(p partition) []byte {
	v := make([]byte, 0, 5*binary.MaxVarintLen64)
	v = binary.AppendUvarint(v, uint64(p.bytes))
	v = binary.AppendUvarint(v, uint64(p.points))
	v = binary.AppendUvarint(v, uint64(p.blocks))
	v = binary.AppendUvarint(v, uint64(p.minStart-p.start))
	return binary.AppendUvarint(v, uint64(p.maxEnd-p.minStart))
}

func decodePartition(t Tier, start int64, v []byte) (partition, error) {
	var f [5]uint64
	for i := range f {
		x, n := binary.Uvarint(v)
		if n <= 0 || x > math.MaxInt64/4 {
			return partition{}, errBadRecord
		}
		f[i], v = x, v[n:]
	}
	if len(v) != 0 || f[3] >= uint64(partitionWidth[t]) || f[4] > uint64(maxTime) {
		return partition{}, errBadRecord
	}
	p := partition{start: start, bytes: int64(f[0]), points: int64(f[1]), blocks: int64(f[2])}
	p.minStart = start + int64(f[3])
	p.maxEnd = p.minStart + int64(f[4])
	return p, nil
}
