// Package storage keeps pulseboard's history on disk: the raw tier (the
// aggregator's compressed chunks) and the per-minute and per-hour
// aggregate tiers, as opaque blocks in one bbolt file. It knows nothing of
// how a block is encoded; the aggregator writes and reads them.
package storage

import (
	"fmt"
	"time"
)

// Tier is one resolution of the stored history.
type Tier uint8

// The tiers, finest first.
const (
	Raw    Tier = iota // the samples as collected (the aggregator's chunks)
	Minute             // one aggregate point a minute
	Hour               // one aggregate point an hour
	NumTiers
)

// String is the tier's name in config, metrics and the protocol: "raw",
// "1m", "1h".
func (t Tier) String() string {
	switch t {
	case Raw:
		return "raw"
	case Minute:
		return "1m"
	case Hour:
		return "1h"
	}
	return fmt.Sprintf("tier(%d)", uint8(t))
}

// Limit bounds one tier: the oldest data goes once it is older than Time
// or once the tier holds more than Size bytes, whichever comes first. Zero
// means no bound of that kind.
type Limit struct {
	Time time.Duration
	Size int64
}

// SeriesMeta is what the store keeps of a series besides its blocks: its
// key (the aggregator's series id as a number) and an opaque description
// (its identity, as the aggregator encodes it).
type SeriesMeta struct {
	Key  uint64
	Meta []byte
}

// Block is a run of one series' points in one tier. Start (Unix ms, the
// block's first timestamp) and Series name it: writing a block with the
// same tier, series and start replaces it, which is how a block still
// growing is written at every flush. End is its last timestamp and
// Points its number of points; Data is its encoding, opaque here.
type Block struct {
	Tier   Tier
	Series uint64
	Start  int64
	End    int64
	Points int
	Data   []byte
}

// TierStats is one tier's size, from Stats: Bytes are the keys and
// values of its blocks, and for Raw also of the journal (the open tails'
// samples; the file itself is larger: pages, free space),
// Points and Blocks their counts, Oldest the earliest block start (Unix
// ms; 0 when the tier is empty).
type TierStats struct {
	Bytes  int64
	Points int64
	Blocks int64
	Oldest int64
}
