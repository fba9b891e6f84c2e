package dashboard

import (
	"bytes"
	"errors"
	"sync"
	"unsafe"
)

// Compact points (docs/protocol.md, "Compact points"): a client that opens
// /ws?points=columns is sent every snapshot with each series' points as
// two columns instead of [[t, v], …]:
//
//	"times":[t0, d1, d2, -k, …]   t0 in Unix ms; then each later time as
//	                              its step from the one before (≥ 0), or
//	                              -k: k more times, each the last step on
//	"values":[v0, v1, …]          the values, null for NaN
//
// A page's first snapshot of 500 series × 15 minutes is 10 MB as points
// and about a quarter of that as columns, a quarter to deflate and to
// send, and the browser parses flat arrays of numbers much faster than
// nested pairs. The values are copied as the feed wrote them, so they
// read back exactly.

// pointsQuery names the form of a snapshot's points on /ws.
const pointsQuery = "points"

// wsLocalColumns tells the connection its client asked for columns.
const wsLocalColumns = "pulseboard.columns"

// wsLocalDeflate tells the connection its client offered
// permessage-deflate (client.deflate).
const wsLocalDeflate = "pulseboard.deflate"

// errColumns is wrapped by every snapshot that cannot be rewritten.
var errColumns = errors.New("dashboard: snapshot points not rewritable as columns")

// parsePointsQuery reads ?points=: true for "columns"; "" and "rows" (the
// default) are false; anything else is an error.
func parsePointsQuery(q string) (bool, error) {
	switch q {
	case "", "rows":
		return false, nil
	case "columns":
		return true, nil
	}
	return false, errors.New("points must be rows or columns")
}

// isSnapshot reports whether data is a snapshot message, as the feed
// writes it (its type first).
func isSnapshot(data []byte) bool {
	return bytes.HasPrefix(data, []byte(`{"type":"snapshot"`))
}

// columnsCache keeps the columns of the snapshots rewritten last, found by
// the identity of the feed's bytes (the snapshot cache and the broker hand
// every client the same slice), so that clients connecting together share
// one rewrite. Two slots: the shared snapshot and a broker's.
type columnsCache struct {
	mu    sync.Mutex // held while rewriting: concurrent clients wait for one
	slots [2]columnsEntry
	next  int
}

type columnsEntry struct {
	src, cols []byte
}

// get returns data's columns form; data itself when it is not a snapshot
// or cannot be rewritten (the client reads either form).
func (cc *columnsCache) get(data []byte) []byte {
	if !isSnapshot(data) {
		return data
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, e := range cc.slots {
		if unsafe.SliceData(e.src) == unsafe.SliceData(data) && len(e.src) == len(data) {
			return e.cols
		}
	}
	cols, err := toColumns(data)
	if err != nil {
		cols = data
	}
	cc.slots[cc.next] = columnsEntry{src: data, cols: cols}
	cc.next = (cc.next + 1) % len(cc.slots)
	return cols
}

// forget lets go of src's columns form, if kept, and returns it (nil if
// not kept or src was not rewritten).
func (cc *columnsCache) forget(src []byte) []byte {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for i, e := range cc.slots {
		if e.src != nil && unsafe.SliceData(e.src) == unsafe.SliceData(src) && len(e.src) == len(src) {
			cc.slots[i] = columnsEntry{}
			if unsafe.SliceData(e.cols) == unsafe.SliceData(src) {
				return nil
			}
			return e.cols
		}
	}
	return nil
}

// release lets go of every rewritten snapshot and its source.
func (cc *columnsCache) release() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.slots = [len(cc.slots)]columnsEntry{}
	cc.next = 0
}
