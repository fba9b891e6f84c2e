package aggregator

import (
	"encoding/binary"
	"math"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// The raw tier's journal: what each flush adds to the series' open tail
// chunks, instead of every tail rewritten whole under its key.
//
// A tail chunk's stream only grows (bitWriter appends; a byte once full
// never changes), so what a flush adds to a tail is the stream's bytes
// from the last flush's last whole byte on (that byte's low bits may have
// been empty then) and the chunk's new sample and bit counts. A flush
// writes those entries of every series as a few values of about
// journalValueBytes in the store's journal (storage.Journal), one put a
// megabyte instead of one a series, and writes a chunk whole under its
// key once, when it is sealed, as before. A value is dropped once no tail
// needs it: each series notes the oldest flush (its pin) whose entries its
// tail as stored needs, and a flush drops every value older than the
// oldest pin. A tail pinned for journalSpan flushes (a slow series whose
// chunk takes long to fill, or one that stopped) is written whole instead,
// which unpins it, so the journal holds at most journalSpan flushes.
//
// On start (Restore) the journal is replayed: each chunk's entries, in
// order, onto its stored block (if any), an entry taken only if it holds
// more samples than what it is applied to and starts within its whole
// bytes; so an entry older than a block written whole since is skipped,
// and the result is a prefix-consistent stream. The rebuilt tails are
// restored from, and written whole by the first flush, which drops the
// old values in the same transaction.
//
// A value:
//
//	byte     version (journalVersion)
//	entries, each:
//	  8 bytes  series key (big-endian)
//	  varint   chunk first time (ms) minus the entry before's (0 for the first)
//	  uvarint  samples in the chunk after it
//	  uvarint  bits of the stream after it
//	  uvarint  offset: the stream's byte the entry's bytes replace from
//	  ceil(bits/8) - offset bytes of stream
const journalVersion = 1

const (
	// journalValueBytes is about how large a journal value grows before
	// the next is started.
	journalValueBytes = 1 << 20
	// journalSpan is how many flushes a tail may stay pinned before it is
	// written whole: a bit more than the 24 flushes a tail of a 1 s
	// series lives at the default 10 s flush interval.
	journalSpan = 32
	// maxEntryBits bounds a journal entry's chunk (a sample costs at most
	// 2 + 64 bits of time and 2 + 64 of value, a chunk's first 128).
	maxEntryBits = 132 * math.MaxUint16
)

// journalStorage is the optional Storage extra the journal needs;
// storage.DB has it. Without it a flush rewrites each tail whole.
type journalStorage interface {
	// WriteJournaled is Write with j's values added and its old ones
	// dropped in the same transaction.
	WriteJournaled(series []storage.SeriesMeta, blocks []storage.Block, j storage.Journal) error
	// ReadJournal calls fn with each value in key order; Value is valid
	// only inside fn.
	ReadJournal(fn func(storage.JournalEntry) bool) error
}

// journalEntry is one chunk's growth in a journal value. data aliases the
// value it was decoded from.
type journalEntry struct {
	key    uint64
	firstT int64
	n      uint16
	nbits  uint32
	off    uint32
	data   []byte
}

// journalWriter builds one flush's journal values.
type journalWriter struct {
	values [][]byte
	cur    []byte
	prevT  int64
}

// add appends the entry for chunk c of series key: its stream from byte
// off on.
func (w *journalWriter) add(key uint64, c *chunk, off uint32) {
	if w.cur == nil {
		w.cur = make([]byte, 0, journalValueBytes+4096)
		w.cur = append(w.cur, journalVersion)
		w.prevT = 0
	}
	nbytes := (c.w.nbits + 7) / 8
	w.cur = binary.BigEndian.AppendUint64(w.cur, key)
	w.cur = binary.AppendVarint(w.cur, c.firstT-w.prevT)
	w.cur = binary.AppendUvarint(w.cur, uint64(c.n))
	w.cur = binary.AppendUvarint(w.cur, uint64(c.w.nbits))
	w.cur = binary.AppendUvarint(w.cur, uint64(off))
	w.cur = append(w.cur, c.w.b[off:nbytes]...)
	w.prevT = c.firstT
	if len(w.cur) >= journalValueBytes {
		w.values = append(w.values, w.cur)
		w.cur = nil
	}
}

// done returns the values built.
func (w *journalWriter) done() [][]byte {
	if w.cur != nil {
		w.values = append(w.values, w.cur)
		w.cur = nil
	}
	return w.values
}

// decodeJournal decodes a journal value's entries, checking every claim
// against the bytes before it is used: a value that does not decode
// whole is errCorrupt and none of it is returned. The entries' data alias
// v. Its work and memory are linear in len(v): an entry costs at least
// 12 bytes.
func decodeJournal(v []byte) ([]journalEntry, error) {
	if len(v) < 1 || v[0] != journalVersion {
		return nil, errCorrupt
	}
	v = v[1:]
	out := make([]journalEntry, 0, len(v)/32)
	prevT := int64(0)
	for len(v) > 0 {
		if len(v) < 8 {
			return nil, errCorrupt
		}
		e := journalEntry{key: binary.BigEndian.Uint64(v)}
		v = v[8:]
		dt, k := binary.Varint(v)
		if k <= 0 {
			return nil, errCorrupt
		}
		v = v[k:]
		if (dt > 0 && prevT > storageMaxTime-dt) || prevT+dt < 0 || prevT+dt > storageMaxTime {
			return nil, errCorrupt
		}
		e.firstT = prevT + dt
		prevT = e.firstT
		var f [3]uint64
		for i := range f {
			x, k := binary.Uvarint(v)
			if k <= 0 {
				return nil, errCorrupt
			}
			f[i], v = x, v[k:]
		}
		n, nbits, off := f[0], f[1], f[2]
		nbytes := (nbits + 7) / 8
		if n == 0 || n > math.MaxUint16 || nbits > maxEntryBits || n > 1+nbits || off > nbytes || nbytes-off > uint64(len(v)) {
			return nil, errCorrupt
		}
		e.n, e.nbits, e.off = uint16(n), uint32(nbits), uint32(off)
		e.data = v[:nbytes-off]
		v = v[nbytes-off:]
		out = append(out, e)
	}
	return out, nil
}

// storageMaxTime bounds a journal entry's time as the store bounds a
// block's (about year 35,000).
const storageMaxTime = 1 << 50

// tailState is a chunk as the replay has rebuilt it so far.
type tailState struct {
	n      uint16
	nbits  uint32
	stream []byte
	stored bool // n, nbits and stream are the stored block's, unchanged
}

// apply takes e if it grows the chunk and starts within its whole bytes.
func (st *tailState) apply(e journalEntry) bool {
	if e.n <= st.n || uint64(e.off)*8 > uint64(st.nbits) {
		return false
	}
	st.stream = append(st.stream[:e.off:e.off], e.data...)
	st.n, st.nbits, st.stored = e.n, e.nbits, false
	return true
}
